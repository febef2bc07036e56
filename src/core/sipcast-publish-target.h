/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Where a call's media is published: rtmpUrl + rtmpStream composed into the
 * location an RTMP sink connects to (SPEC.md: the stream name is appended to
 * the URL path; a query string and `_definst_` are kept), or a local FLV
 * file for `file:///path/name.flv`.  Pure string work, no I/O.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPCAST_PUBLISH_RTMP,
  SIPCAST_PUBLISH_FILE,
} SipcastPublishKind;

typedef struct {
  SipcastPublishKind kind;
  /* RTMP: "rtmp://host[:port]/app[/_definst_]/stream[?query]"; the key for
   * the 409 "same rtmpUrl+rtmpStream" rule.  FILE: the absolute path. */
  char *location;
  /* RTMP only, NULL for FILE. */
  char *scheme;       /* "rtmp" or "rtmps" */
  char *host;
  guint port;         /* 1935 (rtmp) / 443 (rtmps) when absent */
  char *application;  /* path without the stream: "live" or "live/_definst_" */
  char *stream;       /* stream name with the query string: "s1?token=abc" */
} SipcastPublishTarget;

/* @rtmp_stream may be NULL or "" when @rtmp_url already names the stream
 * (two or more path components) or is a file:// URL.  Errors:
 * SIPCAST_ERROR_INVALID_ARGUMENT with a message naming the problem. */
SipcastPublishTarget *sipcast_publish_target_new (const char *rtmp_url,
                                                  const char *rtmp_stream,
                                                  GError    **error);
void sipcast_publish_target_free (SipcastPublishTarget *target);

/* For a FILE target: whether its path lies inside @recordings_dir ([media]
 * recordings-dir), compared component by component (lexically: the file
 * is opened without following symbolic links, see sipcast-flv-tail.h).
 * Always TRUE for RTMP.  Errors: SIPCAST_ERROR_INVALID_ARGUMENT. */
gboolean sipcast_publish_target_check_recordings_dir (const SipcastPublishTarget *target,
                                                      const char                 *recordings_dir,
                                                      GError                    **error);

/* @path relative to @dir ("a/b.flv"), both absolute and free of "..";
 * NULL when @path is not strictly inside @dir. */
char *sipcast_publish_target_relative_path (const char *dir,
                                            const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastPublishTarget, sipcast_publish_target_free)

G_END_DECLS
