/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for digest authentication headers: a SIP message as
 * sofia-sip parses it off the wire, then a caller's Authorization for a
 * route's realm checked as the call registry checks it, and a 401/407's
 * challenges answered as an outgoing call or a registration answers them.
 */
#include "fuzz-common.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>

#include "sipcast-digest.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static GBytes *key;
  static SipcastDigestNonces *seen;
  msg_t *msg;
  const sip_t *sip;

  if (key == NULL) {
    key = g_bytes_new_static ("0123456789abcdef", 16);
    seen = sipcast_digest_nonces_new ();
  }

  msg = msg_make (sip_default_mclass (), 0, data, (isize_t) size);
  if (msg == NULL)
    return 0;
  sip = sip_object (msg);
  if (sip != NULL) {
    const msg_auth_t *auth = sipcast_digest_find_credentials (sip, "sipcast");
    g_autoptr (GPtrArray) answered = g_ptr_array_new_with_free_func (g_free);

    if (auth != NULL)
      sipcast_digest_check ((const char *const *) auth->au_params, "INVITE",
                            "sip:studio@127.0.0.1", "alice", "secret", "sipcast",
                            key, seen, 1000);
    for (guint i = 0; i < 3; i++) {
      g_autofree char *answer = sipcast_digest_auth_string (sip, "alice", "secret", answered);

      if (answer == NULL)
        break;
    }
  }
  msg_destroy (msg);
  return 0;
}
