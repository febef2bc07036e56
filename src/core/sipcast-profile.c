/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-profile"

#include "config.h"
#include "sipcast-profile.h"

/*
 * The figures are those of each platform's own encoder settings page
 * (README "Platform profiles" quotes them): AAC-LC at 48 kHz (all three
 * take 44.1 kHz too), stereo, 128 kbit/s for YouTube and Facebook, up to
 * 160 kbit/s for Twitch; a key frame every 2 s (YouTube and Facebook
 * accept up to 4 s, Twitch asks for exactly 2 s).  Mono telephone audio
 * gains nothing from stereo, but a platform that documents stereo is
 * given stereo: its player and packager expect it.
 */

static const SipcastProfile profiles[] = {
  { .name = "default" },
  { .name = "youtube", .aac_rate = 48000, .aac_channels = 2, .aac_bitrate = 128000,
    .key_frame_interval = 2000 },
  { .name = "twitch", .aac_rate = 48000, .aac_channels = 2, .aac_bitrate = 160000,
    .key_frame_interval = 2000 },
  { .name = "facebook", .aac_rate = 48000, .aac_channels = 2, .aac_bitrate = 128000,
    .key_frame_interval = 2000 },
};

const SipcastProfile *
sipcast_profile_find (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++) {
    if (g_ascii_strcasecmp (profiles[i].name, name) == 0)
      return &profiles[i];
  }
  return NULL;
}

const SipcastProfile *const *
sipcast_profile_list (void)
{
  static const SipcastProfile *list[G_N_ELEMENTS (profiles) + 1];

  if (list[0] == NULL) {
    for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
      list[i] = &profiles[i];
  }
  return list;
}
