/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a nua handle is bound to: the object that gets the handle's
 * events (a call, a registration).  The SIP agent hands each event to the
 * handle's target without knowing what it is, so the agent does not
 * depend on the objects that use it (telepathy-rakia's RakiaEventTarget).
 */

#include <glib-object.h>

#define NUA_HMAGIC_T struct _SipcastEventTarget
#include <sofia-sip/nua.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_EVENT_TARGET (sipcast_event_target_get_type ())
G_DECLARE_INTERFACE (SipcastEventTarget, sipcast_event_target, SIPCAST, EVENT_TARGET, GObject)

struct _SipcastEventTargetInterface {
  GTypeInterface parent_iface;

  /* An event of the nua handle bound to @self (nua_handle(),
   * nua_handle_bind()), as nua's callback got it. */
  void (*handle_event) (SipcastEventTarget *self,
                        nua_event_t         event,
                        int                 status,
                        const char         *phrase,
                        const sip_t        *sip,
                        tagi_t              tags[]);
};

void sipcast_event_target_handle_event (SipcastEventTarget *self,
                                        nua_event_t         event,
                                        int                 status,
                                        const char         *phrase,
                                        const sip_t        *sip,
                                        tagi_t              tags[]);

G_END_DECLS
