/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Publishing profiles: what the big live platforms ask an RTMP encoder
 * for, so an operator picks "youtube" rather than looking the numbers up.
 * `[rtmp] profile=` (sipcast-config.h) selects one.  Pure data.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;             /* "youtube", "twitch", "facebook", "default" */
  /* AAC-LC published over RTMP; 0 = what [media] aac-* say. */
  guint       aac_rate;
  guint       aac_channels;
  guint       aac_bitrate;      /* bit/s */
  /* Longest stretch of video without a key frame (ms): sipcast asks the
   * far end for one (RTCP PLI/FIR) when its H.264 goes longer, and makes
   * one itself when it encodes (VP8 calls).  0 = the far end's own. */
  guint       key_frame_interval;
} SipcastProfile;

/* The profile called @name (case-insensitively), or NULL. */
const SipcastProfile *sipcast_profile_find (const char *name);

/* Every profile, NULL-terminated, "default" first. */
const SipcastProfile *const *sipcast_profile_list (void);

G_END_DECLS
