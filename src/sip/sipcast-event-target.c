/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipcast-event-target.h"

G_DEFINE_INTERFACE (SipcastEventTarget, sipcast_event_target, G_TYPE_OBJECT)

static void
sipcast_event_target_default_init (SipcastEventTargetInterface *iface)
{
}

void
sipcast_event_target_handle_event (SipcastEventTarget *self,
                                   nua_event_t         event,
                                   int                 status,
                                   const char         *phrase,
                                   const sip_t        *sip,
                                   tagi_t              tags[])
{
  SipcastEventTargetInterface *iface;

  g_return_if_fail (SIPCAST_IS_EVENT_TARGET (self));

  iface = SIPCAST_EVENT_TARGET_GET_IFACE (self);
  g_return_if_fail (iface->handle_event != NULL);
  iface->handle_event (self, event, status, phrase, sip, tags);
}
