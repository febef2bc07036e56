/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FLV tag walk shared by the in-process call and media-session tests. */

#include <string.h>

#include "flv-tags.h"

static int
count_flv_tags (const char *path,
                guchar      type)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  gsize offset = 9 + 4;   /* header, then PreviousTagSize0 */
  int count = 0;

  if (!g_file_get_contents (path, &data, &length, NULL) || length < offset ||
      memcmp (data, "FLV", 3) != 0)
    return -1;
  while (offset + 11 <= length) {
    const guchar *tag = (const guchar *) data + offset;
    gsize size = ((gsize) tag[1] << 16) | ((gsize) tag[2] << 8) | tag[3];

    if (tag[0] == type)
      count++;
    offset += 11 + size + 4;
  }
  return count;
}

int
count_flv_audio_tags (const char *path)
{
  return count_flv_tags (path, 8);
}

int
count_flv_video_tags (const char *path)
{
  return count_flv_tags (path, 9);
}
