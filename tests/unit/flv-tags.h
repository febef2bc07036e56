/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading back the FLV files the in-process tests record. */
#pragma once

#include <glib.h>

/* How many audio tags the FLV file at @path has; -1 when it is not FLV. */
int count_flv_audio_tags (const char *path);
/* The same for video tags. */
int count_flv_video_tags (const char *path);
