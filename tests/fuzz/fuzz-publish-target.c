/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for publish targets: an rtmpUrl and rtmpStream as a
 * REST client or a route gives them (rtmp://, rtmps://, file://), the
 * recordings-dir check a file target must pass, and the path arithmetic
 * behind it.  Input: URL, newline, stream name, newline, directory.
 */
#include "fuzz-common.h"

#include "sipcast-publish-target.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto (GStrv) fields = fuzz_fields (data, size, 3);
  g_autoptr (SipcastPublishTarget) target = NULL;
  const char *dir = fields[2] != NULL ? fields[2] : "/var/lib/sipcast";

  if (fields[0] == NULL)
    return 0;
  target = sipcast_publish_target_new (fields[0], fields[1], NULL);
  if (target != NULL) {
    sipcast_publish_target_check_recordings_dir (target, dir, NULL);
    sipcast_publish_target_check_recordings_dir (target, "/", NULL);
  }
  if (g_path_is_absolute (dir) && g_path_is_absolute (fields[0])) {
    g_autofree char *relative = sipcast_publish_target_relative_path (dir, fields[0]);

    /* The answer, when there is one, must name a place strictly inside
     * dir: never absolute, never climbing out, never empty. */
    if (relative != NULL) {
      g_auto (GStrv) parts = g_strsplit (relative, "/", -1);

      if (*relative == '\0' || *relative == '/')
        abort ();
      for (guint i = 0; parts[i] != NULL; i++) {
        if (g_str_equal (parts[i], "..") || g_str_equal (parts[i], ""))
          abort ();
      }
    }
  }
  return 0;
}
