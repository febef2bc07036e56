/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * rtmps:// publishing (calls and /push): which CAs vouch for a server
 * ([rtmp] tls-ca-file, else the system's trust store), whether its
 * certificate must verify ([rtmp] tls-verify), and, when rtmp2sink
 * refuses one ("Unacceptable TLS certificate" and nothing more), why: a
 * second handshake of our own that records what GIO found wrong.
 */

#include <gio/gio.h>
#include "sipcast-config.h"

G_BEGIN_DECLS

/* Once, before any rtmps:// connection: with [rtmp] tls-ca-file, that file
 * becomes the default TLS database of GIO's backend, which rtmp2sink's
 * connections use.  SIPCAST_ERROR_CONFIG when it cannot be read. */
gboolean sipcast_rtmp_tls_init (const SipcastConfig  *config,
                                GError              **error);

/* The tls-validation-flags rtmp2sink gets: everything, or nothing with
 * [rtmp] tls-verify=false. */
GTlsCertificateFlags sipcast_rtmp_tls_validation_flags (const SipcastConfig *config);

/* Whether an ERROR from rtmp2sink (its GError and debug text) is a refused
 * server certificate rather than a connection that failed. */
gboolean sipcast_rtmp_tls_is_certificate_error (const GError *error,
                                                const char   *debug);

/* Connects to the host and port of @url (rtmps://HOST[:PORT]/...) with
 * TLS and finds out why its certificate is refused; the finish function
 * returns the reason an operator reads ("TLS certificate of HOST refused:
 * its issuer is not trusted (CN=...)"), or a general one when the
 * handshake cannot tell. */
void  sipcast_rtmp_tls_explain_async  (const char          *url,
                                       GTlsCertificateFlags flags,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
char *sipcast_rtmp_tls_explain_finish (GAsyncResult        *result);

G_END_DECLS
