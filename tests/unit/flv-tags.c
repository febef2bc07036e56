/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FLV tag walk shared by the in-process call and media-session tests. */

#include <string.h>

#include "flv-tags.h"

int
count_flv_audio_tags (const char *path)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  gsize offset = 9 + 4;   /* header, then PreviousTagSize0 */
  int audio = 0;

  if (!g_file_get_contents (path, &data, &length, NULL) || length < offset ||
      memcmp (data, "FLV", 3) != 0)
    return -1;
  while (offset + 11 <= length) {
    const guchar *tag = (const guchar *) data + offset;
    gsize size = ((gsize) tag[1] << 16) | ((gsize) tag[2] << 8) | tag[3];

    if (tag[0] == 8)
      audio++;
    offset += 11 + size + 4;
  }
  return audio;
}
