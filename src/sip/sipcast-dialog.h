/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One SIP dialog (an INVITE session) and its nua handle: the INVITE we
 * send or answer, re-INVITEs either way, CANCEL and BYE, digest
 * retries, SIP INFO, and where the offer/answer exchange stands, as one
 * state.  What the SDP says is the owner's business (the call): the
 * dialog hands it the far end's descriptions in signals and sends the
 * ones it is given.  PRACK and UPDATE (session refreshes) are answered by
 * nua on this handle.
 */

#include <glib-object.h>
#include "sipcast-config.h"
#include "sipcast-dtmf.h"
#include "sipcast-sip-agent.h"

G_BEGIN_DECLS

typedef enum {
  SIPCAST_DIALOG_STATE_IDLE,              /* nothing sent yet */
  SIPCAST_DIALOG_STATE_INVITE_SENT,       /* our INVITE (our offer) awaits a final answer */
  SIPCAST_DIALOG_STATE_INVITE_RECEIVED,   /* the far end's INVITE awaits our 200 */
  SIPCAST_DIALOG_STATE_ACCEPTED,          /* our 200 answered its offer; the ACK confirms */
  SIPCAST_DIALOG_STATE_ACCEPTED_OFFER,    /* its INVITE had no offer: ours went in the
                                           * 200, its answer comes in the ACK */
  SIPCAST_DIALOG_STATE_ESTABLISHED,
  SIPCAST_DIALOG_STATE_REINVITE_SENT,     /* our re-INVITE awaits its answer */
  SIPCAST_DIALOG_STATE_REINVITE_RECEIVED, /* we answered its re-INVITE's offer; the ACK confirms */
  SIPCAST_DIALOG_STATE_REINVITE_OFFERED,  /* its re-INVITE had no offer: ours went in the
                                           * 200, its answer comes in the ACK */
  SIPCAST_DIALOG_STATE_CANCELLING,        /* our CANCEL is out, no answer yet */
  SIPCAST_DIALOG_STATE_TERMINATING,       /* our BYE is out */
  SIPCAST_DIALOG_STATE_TERMINATED,
} SipcastDialogState;

/* How a dialog ended, in "terminated". */
typedef enum {
  SIPCAST_DIALOG_END_BYE,          /* a BYE, ours answered or the far end's */
  SIPCAST_DIALOG_END_CANCELLED,    /* the far end CANCELled its INVITE */
  SIPCAST_DIALOG_END_NO_RESPONSE,  /* our CANCEL or BYE got no answer in time */
  SIPCAST_DIALOG_END_STACK,        /* nua ended it (status and phrase say why) */
} SipcastDialogEnd;

#define SIPCAST_TYPE_DIALOG (sipcast_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SipcastDialog, sipcast_dialog, SIPCAST, DIALOG, GObject)

/*
 * Signals (the strings are SDP bodies, NULL when the message had none):
 *  "state-changed" (new, old)
 *  "calling" ()                 our INVITE has left (nua absorbs the 100)
 *  "progress" (status, sdp)     a 1xx to our INVITE
 *  "answer" (status, sdp)       the answer to our offer: the 2xx to our
 *                               INVITE, or the ACK to our 200 in
 *                               ACCEPTED_OFFER (status 200)
 *  "failed" (status, phrase)    a final refusal of our INVITE, after the
 *                               digest retries (sipcast_dialog_response_is_local()
 *                               may be asked, last, in the handler)
 *  "reinvite" (sdp)             the far end's re-INVITE: the handler
 *                               answers it with sipcast_dialog_accept_reinvite()
 *                               or sipcast_dialog_refuse_reinvite()
 *  "reinvite-ack" (sdp)         the ACK answering our offer in REINVITE_OFFERED
 *  "refreshed" (status, sdp)    a 2xx to a re-INVITE of ours or of nua's
 *                               (session refresh)
 *  "terminated" (how, status, phrase, answered)  the dialog is over;
 *                               @answered: it had been answered (a 2xx).
 *                               Not after "failed" or sipcast_dialog_refuse(),
 *                               which end it (TERMINATED) themselves
 */

/* A dialog of our own: nothing is sent before sipcast_dialog_invite().
 * @log_id names it in log lines ("call ID: ..."). */
SipcastDialog *sipcast_dialog_new (SipcastSipAgent     *agent,
                                   const SipcastConfig *config,
                                   const char          *log_id,
                                   const char          *to,
                                   const char          *from,
                                   const char          *contact,
                                   GError             **error);
/* The dialog of the INVITE @request that arrived on @nh (delivered by nua
 * right now): takes @nh, state INVITE_RECEIVED.  Our Contact is the one
 * the far end reached (sipcast_sip_agent_contact_for_request()). */
SipcastDialog *sipcast_dialog_new_incoming (SipcastSipAgent     *agent,
                                            const SipcastConfig *config,
                                            const char          *log_id,
                                            nua_handle_t        *nh,
                                            const sip_t         *request);

/* Every request of the dialog, in-dialog ones too, goes to @proxy. */
void     sipcast_dialog_set_proxy (SipcastDialog *self,
                                   const char    *proxy);
/* What a 401/407 is answered with, once per realm; without a @password
 * the challenge ends the INVITE. */
void     sipcast_dialog_set_credentials (SipcastDialog *self,
                                         const char    *user,
                                         const char    *password);

/* IDLE → INVITE_SENT: the INVITE to @request_uri with our offer @sdp. */
void     sipcast_dialog_invite (SipcastDialog *self,
                                const char    *request_uri,
                                const char    *sdp);
/* INVITE_RECEIVED: 180 Ringing. */
void     sipcast_dialog_ring (SipcastDialog *self);
/* INVITE_RECEIVED → ACCEPTED (or ACCEPTED_OFFER when @sdp is our offer):
 * 200 with @sdp. */
void     sipcast_dialog_accept (SipcastDialog *self,
                                const char    *sdp,
                                gboolean       offer);
/* INVITE_RECEIVED → TERMINATED: a final refusal (@status ≥ 300) instead
 * of the 200. */
void     sipcast_dialog_refuse (SipcastDialog *self,
                                int            status,
                                const char    *phrase);
/* In ESTABLISHED: a re-INVITE offering @sdp (REINVITE_SENT until its
 * final answer). */
void     sipcast_dialog_reinvite (SipcastDialog *self,
                                  const char    *sdp);
/* Answers the re-INVITE being handled in "reinvite": 200 with @sdp, our
 * answer, or our offer (@offer, its answer coming in the ACK). */
void     sipcast_dialog_accept_reinvite (SipcastDialog *self,
                                         const char    *sdp,
                                         gboolean       offer);
/* Refuses it, @warning (nullable) as the Warning header. */
void     sipcast_dialog_refuse_reinvite (SipcastDialog *self,
                                         int            status,
                                         const char    *phrase,
                                         const char    *warning);
/* CANCEL before an answer, BYE after (a 200 that crosses the CANCEL gets
 * a BYE too), each with a backstop should it go unanswered; nothing in
 * IDLE, INVITE_RECEIVED (sipcast_dialog_refuse()) or once ending. */
void     sipcast_dialog_hangup (SipcastDialog *self);

/* Sends @digits as SIP INFOs of @type, one at a time, in order.
 * SIPCAST_ERROR_CONFLICT while digits of another type are queued. */
gboolean sipcast_dialog_send_info_dtmf (SipcastDialog    *self,
                                        const char       *digits,
                                        SipcastDtmfType   type,
                                        GError          **error);

SipcastDialogState sipcast_dialog_get_state (SipcastDialog *self);
const char        *sipcast_dialog_state_to_string (SipcastDialogState state);
/* CANCELLING, TERMINATING or TERMINATED: we hung up or it is over. */
gboolean           sipcast_dialog_is_ending (SipcastDialog *self);
/* A 401/407 has been answered with our credentials. */
gboolean           sipcast_dialog_get_auth_tried (SipcastDialog *self);
/* Only in "failed", as the handler's last word (it frees the event):
 * the response was made up by the SIP stack (a transport error, a
 * timeout), received from nobody. */
gboolean           sipcast_dialog_response_is_local (SipcastDialog *self);

G_END_DECLS
