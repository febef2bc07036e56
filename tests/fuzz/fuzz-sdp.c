/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for SDP from the far end, through every path a call
 * takes it: an incoming INVITE's offer and the answer built for it, the
 * answer to our own offer, a re-INVITE's offer (hold, codec change) and
 * the answer to it.  The input is the SDP text.
 */
#include "fuzz-common.h"

#include "sipcast-codec.h"
#include "sipcast-sdp.h"

static const char *const our_sdp =
  "v=0\r\no=sipcast 1 1 IN IP4 127.0.0.1\r\ns=sipcast\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
  "m=audio 20000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

static void
check_media (const SipcastSdpMedia *media)
{
  if (media == NULL)
    return;
  sipcast_sdp_media_is_hold (media);
  sipcast_sdp_media_check_family (media, "127.0.0.1", NULL);
  sipcast_sdp_media_check_family (media, "::1", NULL);
  sipcast_sdp_media_answer_direction (media, TRUE);
}

static void
incoming_offer (const char *sdp)
{
  g_autoptr (SipcastSdpOffer) offer = NULL;
  g_autofree char *answer = NULL;
  SipcastSdpAnswerParams params = {
    .address = "127.0.0.1", .session_id = 1, .session_version = 1,
    .audio_port = 20000, .audio_direction = SIPCAST_SDP_SENDRECV,
    .video_port = 20002, .video_direction = SIPCAST_SDP_RECVONLY,
  };

  offer = sipcast_sdp_parse_offer (sdp, sipcast_codec_list (SIPCAST_MEDIA_AUDIO),
                                   sipcast_codec_list (SIPCAST_MEDIA_VIDEO), NULL);
  if (offer == NULL)
    return;
  if (offer->audio != NULL)
    check_media (offer->audio->chosen);
  if (offer->video != NULL)
    check_media (offer->video->chosen);
  answer = sipcast_sdp_build_answer (offer, &params);
}

static void
answer_to_our_offer (const char *sdp)
{
  g_autoptr (SipcastSdpAnswer) answer = sipcast_sdp_parse_answer (sdp, NULL);

  if (answer == NULL)
    return;
  check_media (answer->audio);
  check_media (answer->video);
}

static void
reoffer (const char *sdp)
{
  const SipcastCodec *const *audio = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);
  const SipcastCodec *const *video = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);
  g_autoptr (SipcastSdpAnswer) update = NULL;
  g_autofree char *answer = NULL;
  SipcastSdpReinviteAnswerParams params = {
    .address = "127.0.0.1", .session_id = 1, .session_version = 2,
    .audio_port = 20000, .audio_direction = SIPCAST_SDP_SENDRECV,
    .video_port = 20002, .video_direction = SIPCAST_SDP_RECVONLY,
  };

  update = sipcast_sdp_parse_reoffer (sdp, audio[0], video[0], audio, NULL);
  if (update == NULL)
    return;
  check_media (update->audio);
  check_media (update->video);
  if (update->audio == NULL)
    return;
  answer = sipcast_sdp_build_reinvite_answer (sdp, update->audio, update->video, &params, NULL);
  if (answer != NULL)
    sipcast_sdp_same_description (answer, our_sdp);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *sdp = g_strndup ((const char *) data, size);

  incoming_offer (sdp);
  answer_to_our_offer (sdp);
  reoffer (sdp);
  sipcast_sdp_same_description (sdp, our_sdp);
  return 0;
}
