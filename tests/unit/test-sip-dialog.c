/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-sip-dialog"

#include <string.h>

#include <glib/gstdio.h>

#include "sipcast-config.h"
#include "sipcast-dialog.h"
#include "sipcast-sip-agent.h"
#include "sipcast-sip-enums.h"

/*
 * Two SIP agents in one process, A calling B over loopback UDP, each
 * with a SipcastDialog and nothing else (no call, no media): the states
 * each side goes through for an answered call, a re-INVITE accepted and
 * one refused, a BYE, a refused INVITE and a CANCEL, and the SDP each
 * side is handed.  The dialog as the call sees it, without sipp.
 */

#define WAIT_US (5 * G_USEC_PER_SEC)

#define A_OFFER "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                "m=audio 40000 RTP/AVP 0\r\n"
#define A_REOFFER "v=0\r\no=a 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                  "m=audio 40000 RTP/AVP 0\r\na=sendonly\r\n"
#define B_ANSWER "v=0\r\no=b 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                 "m=audio 41000 RTP/AVP 0\r\n"
#define B_REANSWER "v=0\r\no=b 7 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                   "m=audio 41000 RTP/AVP 0\r\na=recvonly\r\n"

/* What B does with an INVITE and with a re-INVITE. */
typedef enum {
  B_ANSWERS,       /* 180, 200 with B_ANSWER; re-INVITEs get B_REANSWER */
  B_REFUSES,       /* 486 Busy Here */
  B_RINGS,         /* 180 only, until A cancels */
} BehaviourB;

typedef struct {
  SipcastDialog *dialog;
  GArray *states;           /* SipcastDialogState, each one entered */
  char *sdp;                /* the last SDP handed over in a signal */
  int failed_status;        /* "failed", 0 before */
  gboolean terminated;
  SipcastDialogEnd end;
  gboolean end_answered;
} Side;

typedef struct {
  char *dir;
  SipcastConfig *config[2];
  SipcastSipAgent *agent[2];
  guint b_port;
  BehaviourB behaviour;
  gboolean refuse_reinvite;
  Side a;
  Side b;
} Fixture;

static SipcastConfig *
make_config (const char *dir,
             const char *name,
             guint       sip_port)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("[sip]\naddress=127.0.0.1\nport=%u\n", sip_port);

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_true (sipcast_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_unlink (path);
  return g_steal_pointer (&config);
}

static void
side_state_changed_cb (SipcastDialog      *dialog,
                       SipcastDialogState  state,
                       SipcastDialogState  old,
                       gpointer            user_data)
{
  Side *side = user_data;

  g_array_append_val (side->states, state);
}

static void
side_take_sdp (Side       *side,
               const char *sdp)
{
  g_free (side->sdp);
  side->sdp = g_strdup (sdp);
}

static void
side_answer_cb (SipcastDialog *dialog,
                int            status,
                const char    *sdp,
                gpointer       user_data)
{
  side_take_sdp (user_data, sdp);
}

static void
side_refreshed_cb (SipcastDialog *dialog,
                   int            status,
                   const char    *sdp,
                   gpointer       user_data)
{
  side_take_sdp (user_data, sdp);
}

static void
side_failed_cb (SipcastDialog *dialog,
                int            status,
                const char    *phrase,
                gpointer       user_data)
{
  Side *side = user_data;

  side->failed_status = status;
}

static void
side_terminated_cb (SipcastDialog    *dialog,
                    SipcastDialogEnd  how,
                    int               status,
                    const char       *phrase,
                    gboolean          answered,
                    gpointer          user_data)
{
  Side *side = user_data;

  g_assert_false (side->terminated);
  side->terminated = TRUE;
  side->end = how;
  side->end_answered = answered;
}

static void
b_reinvite_cb (SipcastDialog *dialog,
               const char    *sdp,
               gpointer       user_data)
{
  Fixture *fixture = user_data;

  side_take_sdp (&fixture->b, sdp);
  if (fixture->refuse_reinvite)
    sipcast_dialog_refuse_reinvite (dialog, 488, "Not Acceptable Here", "399 test \"no\"");
  else
    sipcast_dialog_accept_reinvite (dialog, B_REANSWER, FALSE);
}

static void
side_connect (Side          *side,
              SipcastDialog *dialog)
{
  side->dialog = dialog;
  g_signal_connect (dialog, "state-changed", G_CALLBACK (side_state_changed_cb), side);
  g_signal_connect (dialog, "answer", G_CALLBACK (side_answer_cb), side);
  g_signal_connect (dialog, "refreshed", G_CALLBACK (side_refreshed_cb), side);
  g_signal_connect (dialog, "failed", G_CALLBACK (side_failed_cb), side);
  g_signal_connect (dialog, "terminated", G_CALLBACK (side_terminated_cb), side);
}

static gboolean
b_incoming_invite_cb (SipcastSipAgent *agent,
                      nua_handle_t    *nh,
                      const sip_t     *sip,
                      gpointer         user_data)
{
  Fixture *fixture = user_data;
  SipcastDialog *dialog;

  g_assert_null (fixture->b.dialog);
  dialog = sipcast_dialog_new_incoming (agent, fixture->config[1], "b", nh, sip);
  g_assert_cmpint (sipcast_dialog_get_state (dialog), ==, SIPCAST_DIALOG_STATE_INVITE_RECEIVED);
  side_connect (&fixture->b, dialog);
  g_signal_connect (dialog, "reinvite", G_CALLBACK (b_reinvite_cb), fixture);
  g_free (fixture->b.sdp);
  fixture->b.sdp = sip->sip_payload != NULL ?
                   g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len) : NULL;

  switch (fixture->behaviour) {
  case B_ANSWERS:
    sipcast_dialog_ring (dialog);
    sipcast_dialog_accept (dialog, B_ANSWER, FALSE);
    break;
  case B_REFUSES:
    sipcast_dialog_refuse (dialog, 486, "Busy Here");
    break;
  case B_RINGS:
    sipcast_dialog_ring (dialog);
    break;
  }
  return TRUE;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contact = NULL;
  /* B on 65535 has no port left for TLS, so no sips: Contact for A to
   * reach over TLS (as in test-sip-call.c). */
  const guint sip_port[2] = { 0, 65535 };

  fixture->behaviour = GPOINTER_TO_INT (data);
  fixture->dir = g_dir_make_tmp ("test-sip-dialog-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++) {
    g_autofree char *name = g_strdup_printf ("%c.conf", 'a' + i);
    GLogLevelFlags fatal = 0;

    fixture->config[i] = make_config (fixture->dir, name, sip_port[i]);
    /* B's "TLS disabled" warning is expected, not a failure. */
    if (i == 1)
      fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
    fixture->agent[i] = sipcast_sip_agent_new (fixture->config[i], &error);
    if (i == 1)
      g_log_set_always_fatal (fatal);
    g_assert_no_error (error);
  }
  g_signal_connect (fixture->agent[1], "incoming-invite", G_CALLBACK (b_incoming_invite_cb),
                    fixture);

  contact = sipcast_sip_agent_contact (fixture->agent[1], "x", "udp", FALSE);
  fixture->b_port = (guint) g_ascii_strtoull (strrchr (contact, ':') + 1, NULL, 10);
  g_assert_cmpuint (fixture->b_port, >, 0);
  fixture->a.states = g_array_new (FALSE, FALSE, sizeof (SipcastDialogState));
  fixture->b.states = g_array_new (FALSE, FALSE, sizeof (SipcastDialogState));
}

static void
shut_down_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  guint *pending = user_data;

  g_assert_true (sipcast_sip_agent_shutdown_finish (SIPCAST_SIP_AGENT (source), result, NULL));
  (*pending)--;
}

static void
side_clear (Side *side)
{
  if (side->dialog != NULL)
    g_signal_handlers_disconnect_by_data (side->dialog, side);
  g_clear_object (&side->dialog);
  g_array_unref (side->states);
  g_free (side->sdp);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  guint pending = 2;

  if (fixture->b.dialog != NULL)
    g_signal_handlers_disconnect_by_data (fixture->b.dialog, fixture);
  side_clear (&fixture->a);
  side_clear (&fixture->b);
  g_signal_handlers_disconnect_by_data (fixture->agent[1], fixture);
  for (guint i = 0; i < 2; i++)
    sipcast_sip_agent_shutdown_async (fixture->agent[i], NULL, shut_down_cb, &pending);
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 2; i++) {
    g_clear_object (&fixture->agent[i]);
    g_clear_pointer (&fixture->config[i], sipcast_config_free);
  }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

/* Runs the main loop until @side's dialog is in @state; FALSE when it is
 * not within WAIT_US. */
static gboolean
wait_for_state (Side               *side,
                SipcastDialogState  state)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (g_get_monotonic_time () < deadline) {
    if (side->dialog != NULL && sipcast_dialog_get_state (side->dialog) == state)
      return TRUE;
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  return FALSE;
}

/* @side went through exactly the states given (ending with -1). */
static void
assert_states (Side *side,
               ...)
{
  g_autoptr (GString) expected = g_string_new (NULL);
  g_autoptr (GString) seen = g_string_new (NULL);
  va_list args;
  int state;

  va_start (args, side);
  while ((state = va_arg (args, int)) >= 0)
    g_string_append_printf (expected, "%s ", sipcast_dialog_state_to_string (state));
  va_end (args);
  for (guint i = 0; i < side->states->len; i++)
    g_string_append_printf (seen, "%s ", sipcast_dialog_state_to_string (
                              g_array_index (side->states, SipcastDialogState, i)));
  g_assert_cmpstr (seen->str, ==, expected->str);
}

/* A's dialog to B, its INVITE sent with A_OFFER. */
static void
a_calls_b (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *to = g_strdup_printf ("sip:b@127.0.0.1:%u", fixture->b_port);
  g_autofree char *contact = sipcast_sip_agent_contact (fixture->agent[0], "a", "udp", FALSE);
  SipcastDialog *dialog = sipcast_dialog_new (fixture->agent[0], fixture->config[0], "a", to,
                                              "sip:a@127.0.0.1", contact, &error);

  g_assert_no_error (error);
  g_assert_cmpint (sipcast_dialog_get_state (dialog), ==, SIPCAST_DIALOG_STATE_IDLE);
  side_connect (&fixture->a, dialog);
  sipcast_dialog_invite (dialog, to, A_OFFER);
}

static void
test_answer_reinvite_bye (Fixture       *fixture,
                          gconstpointer  data)
{
  a_calls_b (fixture);
  g_assert_true (wait_for_state (&fixture->a, SIPCAST_DIALOG_STATE_ESTABLISHED));
  g_assert_true (wait_for_state (&fixture->b, SIPCAST_DIALOG_STATE_ESTABLISHED));
  assert_states (&fixture->a, SIPCAST_DIALOG_STATE_INVITE_SENT,
                 SIPCAST_DIALOG_STATE_ESTABLISHED, -1);
  /* B was INVITE_RECEIVED from the start; the ACK confirms its 200. */
  assert_states (&fixture->b, SIPCAST_DIALOG_STATE_ACCEPTED,
                 SIPCAST_DIALOG_STATE_ESTABLISHED, -1);
  /* Each side was handed the other's description. */
  g_assert_cmpstr (fixture->a.sdp, ==, B_ANSWER);
  g_assert_cmpstr (fixture->b.sdp, ==, A_OFFER);

  /* A re-INVITE: through the REINVITE states and back on both sides. */
  sipcast_dialog_reinvite (fixture->a.dialog, A_REOFFER);
  g_assert_cmpint (sipcast_dialog_get_state (fixture->a.dialog), ==,
                   SIPCAST_DIALOG_STATE_REINVITE_SENT);
  g_assert_true (wait_for_state (&fixture->b, SIPCAST_DIALOG_STATE_REINVITE_RECEIVED));
  g_assert_true (wait_for_state (&fixture->a, SIPCAST_DIALOG_STATE_ESTABLISHED));
  g_assert_true (wait_for_state (&fixture->b, SIPCAST_DIALOG_STATE_ESTABLISHED));
  g_assert_cmpstr (fixture->b.sdp, ==, A_REOFFER);
  g_assert_cmpstr (fixture->a.sdp, ==, B_REANSWER);

  /* One B refuses: A is back at once, B without waiting for an ACK. */
  fixture->refuse_reinvite = TRUE;
  sipcast_dialog_reinvite (fixture->a.dialog, A_OFFER);
  g_assert_true (wait_for_state (&fixture->a, SIPCAST_DIALOG_STATE_ESTABLISHED));
  g_assert_cmpstr (fixture->b.sdp, ==, A_OFFER);
  g_assert_cmpstr (fixture->a.sdp, ==, B_REANSWER);  /* no new answer */

  sipcast_dialog_hangup (fixture->a.dialog);
  g_assert_cmpint (sipcast_dialog_get_state (fixture->a.dialog), ==,
                   SIPCAST_DIALOG_STATE_TERMINATING);
  g_assert_true (wait_for_state (&fixture->a, SIPCAST_DIALOG_STATE_TERMINATED));
  g_assert_true (wait_for_state (&fixture->b, SIPCAST_DIALOG_STATE_TERMINATED));
  assert_states (&fixture->a, SIPCAST_DIALOG_STATE_INVITE_SENT, SIPCAST_DIALOG_STATE_ESTABLISHED,
                 SIPCAST_DIALOG_STATE_REINVITE_SENT, SIPCAST_DIALOG_STATE_ESTABLISHED,
                 SIPCAST_DIALOG_STATE_REINVITE_SENT, SIPCAST_DIALOG_STATE_ESTABLISHED,
                 SIPCAST_DIALOG_STATE_TERMINATING, SIPCAST_DIALOG_STATE_TERMINATED, -1);
  assert_states (&fixture->b, SIPCAST_DIALOG_STATE_ACCEPTED, SIPCAST_DIALOG_STATE_ESTABLISHED,
                 SIPCAST_DIALOG_STATE_REINVITE_RECEIVED, SIPCAST_DIALOG_STATE_ESTABLISHED,
                 SIPCAST_DIALOG_STATE_REINVITE_RECEIVED, SIPCAST_DIALOG_STATE_ESTABLISHED,
                 SIPCAST_DIALOG_STATE_TERMINATED, -1);
  g_assert_true (fixture->a.terminated && fixture->b.terminated);
  g_assert_cmpint (fixture->a.end, ==, SIPCAST_DIALOG_END_BYE);
  g_assert_cmpint (fixture->b.end, ==, SIPCAST_DIALOG_END_BYE);
  g_assert_true (fixture->a.end_answered && fixture->b.end_answered);
  g_assert_cmpint (fixture->a.failed_status, ==, 0);
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  a_calls_b (fixture);
  g_assert_true (wait_for_state (&fixture->a, SIPCAST_DIALOG_STATE_TERMINATED));
  g_assert_cmpint (fixture->a.failed_status, ==, 486);
  /* A failure response is "failed", not "terminated". */
  g_assert_false (fixture->a.terminated);
  assert_states (&fixture->a, SIPCAST_DIALOG_STATE_INVITE_SENT,
                 SIPCAST_DIALOG_STATE_TERMINATED, -1);
  assert_states (&fixture->b, SIPCAST_DIALOG_STATE_TERMINATED, -1);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  a_calls_b (fixture);
  g_assert_true (wait_for_state (&fixture->b, SIPCAST_DIALOG_STATE_INVITE_RECEIVED));
  sipcast_dialog_hangup (fixture->a.dialog);
  g_assert_cmpint (sipcast_dialog_get_state (fixture->a.dialog), ==,
                   SIPCAST_DIALOG_STATE_CANCELLING);
  g_assert_true (wait_for_state (&fixture->a, SIPCAST_DIALOG_STATE_TERMINATED));
  g_assert_true (wait_for_state (&fixture->b, SIPCAST_DIALOG_STATE_TERMINATED));
  g_assert_cmpint (fixture->a.failed_status, ==, 487);
  assert_states (&fixture->a, SIPCAST_DIALOG_STATE_INVITE_SENT,
                 SIPCAST_DIALOG_STATE_CANCELLING, SIPCAST_DIALOG_STATE_TERMINATED, -1);
  g_assert_true (fixture->b.terminated);
  g_assert_cmpint (fixture->b.end, ==, SIPCAST_DIALOG_END_CANCELLED);
  g_assert_false (fixture->b.end_answered);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sip-dialog/answer-reinvite-bye", Fixture, GINT_TO_POINTER (B_ANSWERS),
              fixture_setup, test_answer_reinvite_bye, fixture_teardown);
  g_test_add ("/sip-dialog/refused", Fixture, GINT_TO_POINTER (B_REFUSES),
              fixture_setup, test_refused, fixture_teardown);
  g_test_add ("/sip-dialog/cancel", Fixture, GINT_TO_POINTER (B_RINGS),
              fixture_setup, test_cancel, fixture_teardown);
  return g_test_run ();
}
