/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-codec"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gst/gst.h>

#include "sipcast-codec.h"
#include "sipcast-error.h"

/*
 * The codec table as the offer and the pipelines use it: the default offer
 * order of SPEC.md "Media", an operator's configured order, and element
 * names that exist in this GStreamer and fit together, so a typo in the
 * table fails here rather than on the first call with that codec.
 */

static void
assert_names (const SipcastCodec *const *list,
              const char *const         *expected)
{
  guint i;

  for (i = 0; expected[i] != NULL; i++) {
    g_assert_nonnull (list[i]);
    g_assert_cmpstr (list[i]->encoding_name, ==, expected[i]);
  }
  g_assert_null (list[i]);
}

static void
test_default_order (void)
{
  const SipcastCodec *const *audio = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);
  const SipcastCodec *const *video = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);

  assert_names (audio, (const char *[]) {
    "OPUS", "G722", "PCMU", "PCMA", "CN", "TELEPHONE-EVENT", NULL
  });
  assert_names (video, (const char *[]) { "H264", "H264", "VP8", NULL });

  /* H.264: mode 1 offered before mode 0. */
  g_assert_cmpint (video[0]->packetization_mode, ==, 1);
  g_assert_cmpint (video[1]->packetization_mode, ==, 0);
  g_assert_cmpint (video[2]->packetization_mode, ==, -1);
  for (guint i = 0; audio[i] != NULL; i++)
    g_assert_cmpint (audio[i]->packetization_mode, ==, -1);

  g_assert_true (sipcast_codec_is_comfort_noise (audio[4]));
  g_assert_cmpint (audio[4]->static_pt, ==, 13);
  g_assert_true (sipcast_codec_is_auxiliary (audio[4]));
  g_assert_true (sipcast_codec_is_telephone_event (audio[5]));
  g_assert_true (sipcast_codec_is_auxiliary (audio[5]));
  g_assert_false (sipcast_codec_is_auxiliary (audio[3]));
  g_assert_false (sipcast_codec_is_telephone_event (audio[0]));
  g_assert_false (sipcast_codec_is_telephone_event (video[0]));
}

static void
test_rows (void)
{
  const SipcastCodec *opus = sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "opus", 48000);
  const SipcastCodec *g722 = sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "G722", 8000);
  const SipcastCodec *pcmu = sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "PCMU", 8000);
  const SipcastCodec *pcma = sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "pcma", 8000);
  const SipcastCodec *te = sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "telephone-event", 8000);
  const SipcastCodec *h264 = sipcast_codec_find (SIPCAST_MEDIA_VIDEO, "h264", 90000);
  const SipcastCodec *vp8 = sipcast_codec_find (SIPCAST_MEDIA_VIDEO, "VP8", 90000);

  /* What goes on the wire (RFC 7587: opus/48000/2). */
  g_assert_cmpstr (opus->rtpmap_name, ==, "opus");
  g_assert_cmpuint (opus->channels, ==, 2);
  g_assert_cmpint (opus->static_pt, ==, -1);
  g_assert_cmpstr (opus->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpstr (opus->depayloader, ==, "rtpopusdepay");
  g_assert_cmpstr (opus->decoder, ==, "opusdec");

  /* RFC 3551: G.722 keeps an 8000 Hz RTP clock for 16 kHz audio. */
  g_assert_cmpint (g722->static_pt, ==, 9);
  g_assert_cmpuint (g722->clock_rate, ==, 8000);
  g_assert_cmpstr (g722->decoder, ==, "avdec_g722");
  g_assert_null (sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "G722", 16000));

  g_assert_cmpint (pcmu->static_pt, ==, 0);
  g_assert_cmpstr (pcmu->decoder, ==, "mulawdec");
  g_assert_cmpint (pcma->static_pt, ==, 8);
  g_assert_cmpstr (pcma->decoder, ==, "alawdec");
  g_assert_null (sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "PCMA", 16000));
  g_assert_null (sipcast_codec_find (SIPCAST_MEDIA_VIDEO, "PCMA", 8000));
  g_assert_null (sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "G729", 8000));

  g_assert_cmpstr (te->rtpmap_name, ==, "telephone-event");
  g_assert_cmpstr (te->fmtp, ==, "0-16");
  g_assert_null (te->depayloader);
  g_assert_null (te->decoder);

  /* H.264 is passed through: parsed, never decoded.  find() gives the
   * first row, mode 1. */
  g_assert_cmpint (h264->packetization_mode, ==, 1);
  g_assert_cmpstr (h264->fmtp, ==, "profile-level-id=42e01f;packetization-mode=1");
  g_assert_cmpstr (h264->depayloader, ==, "rtph264depay");
  g_assert_cmpstr (h264->parser, ==, "h264parse");
  g_assert_null (h264->decoder);
  g_assert_cmpuint (h264->channels, ==, 0);
  g_assert_cmpint (h264->rtcp_fb, ==, SIPCAST_RTCP_FB_PLI | SIPCAST_RTCP_FB_FIR);

  g_assert_cmpstr (vp8->depayloader, ==, "rtpvp8depay");
  g_assert_cmpstr (vp8->decoder, ==, "vp8dec");
  g_assert_null (vp8->parser);
  g_assert_null (vp8->fmtp);
  g_assert_cmpint (vp8->rtcp_fb, ==, SIPCAST_RTCP_FB_PLI | SIPCAST_RTCP_FB_FIR);

  /* Audio never asks for key frames. */
  g_assert_cmpint (opus->rtcp_fb, ==, SIPCAST_RTCP_FB_NONE);
  g_assert_cmpint (pcmu->rtcp_fb, ==, SIPCAST_RTCP_FB_NONE);
}

static void
test_h264_rows_match_their_fmtp (void)
{
  const SipcastCodec *const *video = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);

  /* packetization_mode is what the row's own fmtp offers. */
  for (guint i = 0; video[i] != NULL; i++) {
    g_autofree char *mode = sipcast_codec_fmtp_get (video[i]->fmtp, "packetization-mode");
    g_autofree char *profile = sipcast_codec_fmtp_get (video[i]->fmtp, "profile-level-id");

    if (video[i]->packetization_mode < 0) {
      g_assert_null (mode);
      continue;
    }
    g_assert_cmpint (atoi (mode), ==, video[i]->packetization_mode);
    g_assert_cmpstr (profile, ==, "42e01f");
  }
}

static void
test_find_for_fmtp (void)
{
  const SipcastCodec *const *video = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);

  g_assert_true (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "H264", 90000,
                                              "profile-level-id=42e01f; packetization-mode=1") == video[0]);
  g_assert_true (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "H264", 90000,
                                              "packetization-mode=0") == video[1]);
  /* RFC 6184 §8.1: absent means mode 0. */
  g_assert_true (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "H264", 90000,
                                              "profile-level-id=42801e") == video[1]);
  g_assert_true (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "h264", 90000, NULL) == video[1]);
  /* Interleaved mode is not something rtph264depay takes. */
  g_assert_null (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "H264", 90000,
                                              "packetization-mode=2"));
  g_assert_null (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "H264", 90000,
                                              "packetization-mode=one"));
  g_assert_null (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "H264", 8000, NULL));
  g_assert_null (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_AUDIO, "H264", 90000, NULL));

  /* Other codecs ignore fmtp. */
  g_assert_true (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_VIDEO, "VP8", 90000,
                                              "max-fr=30;max-fs=3600") == video[2]);
  g_assert_true (sipcast_codec_find_for_fmtp (SIPCAST_MEDIA_AUDIO, "opus", 48000, "stereo=1") ==
                 sipcast_codec_list (SIPCAST_MEDIA_AUDIO)[0]);
}

static void
test_fmtp_get (void)
{
  static const struct {
    const char *fmtp;
    const char *name;
    const char *value;
  } cases[] = {
    { "profile-level-id=42e01f;packetization-mode=1", "packetization-mode", "1" },
    { "profile-level-id=42e01f;packetization-mode=1", "profile-level-id", "42e01f" },
    { " Profile-Level-Id = 42E01F ; level-asymmetry-allowed=1", "profile-level-id", "42E01F" },
    { "a=1;;b=2;", "b", "2" },
    { "sprop-parameter-sets=Z0LAHtkA,aMuDyyA=", "sprop-parameter-sets", "Z0LAHtkA,aMuDyyA=" },
    { "0-16", "0-16", NULL },
    { "minptime=10;useinbandfec=1", "ptime", NULL },
    { "", "a", NULL },
    { NULL, "a", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *value = sipcast_codec_fmtp_get (cases[i].fmtp, cases[i].name);

    g_test_message ("“%s” %s", cases[i].fmtp, cases[i].name);
    g_assert_cmpstr (value, ==, cases[i].value);
  }
}

static void
test_ordered (void)
{
  static const struct {
    SipcastMediaKind kind;
    const char *const names[6];
    const char *const expected[8];
  } cases[] = {
    { SIPCAST_MEDIA_AUDIO, { "OPUS", "G722", "PCMU", "PCMA", NULL },
      { "OPUS", "G722", "PCMU", "PCMA", "CN", "TELEPHONE-EVENT", NULL } },
    { SIPCAST_MEDIA_AUDIO, { "pcma", "opus", NULL },
      { "PCMA", "OPUS", "CN", "TELEPHONE-EVENT", NULL } },
    { SIPCAST_MEDIA_AUDIO, { "PCMU", NULL }, { "PCMU", "CN", "TELEPHONE-EVENT", NULL } },
    /* Named or not, telephone-event comes last. */
    { SIPCAST_MEDIA_AUDIO, { "telephone-event", "G722", NULL },
      { "G722", "CN", "TELEPHONE-EVENT", NULL } },
    /* A name selects every row of that name. */
    { SIPCAST_MEDIA_VIDEO, { "VP8", "H264", NULL }, { "VP8", "H264", "H264", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree const SipcastCodec **list =
      sipcast_codec_list_ordered (cases[i].kind, cases[i].names, &error);

    g_assert_no_error (error);
    assert_names (list, cases[i].expected);
  }
}

static void
test_ordered_default (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree const SipcastCodec **audio =
    sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO, NULL, &error);
  g_autofree const SipcastCodec **video =
    sipcast_codec_list_ordered (SIPCAST_MEDIA_VIDEO, NULL, &error);
  const SipcastCodec *const *table_audio = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);
  const SipcastCodec *const *table_video = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);
  guint i;

  g_assert_no_error (error);
  /* The very rows of the table, not copies. */
  for (i = 0; table_audio[i] != NULL; i++)
    g_assert_true (audio[i] == table_audio[i]);
  g_assert_null (audio[i]);
  for (i = 0; table_video[i] != NULL; i++)
    g_assert_true (video[i] == table_video[i]);
  g_assert_null (video[i]);
}

static void
test_ordered_errors (void)
{
  static const struct {
    SipcastMediaKind kind;
    const char *const names[4];
    const char *fragment;
  } cases[] = {
    { SIPCAST_MEDIA_AUDIO, { "PCMU", "G729", NULL }, "G729" },
    { SIPCAST_MEDIA_AUDIO, { "H264", NULL }, "H264" },
    { SIPCAST_MEDIA_VIDEO, { "PCMU", NULL }, "PCMU" },
    { SIPCAST_MEDIA_AUDIO, { "PCMU", "pcmu", NULL }, "twice" },
    { SIPCAST_MEDIA_AUDIO, { "", NULL }, "Unknown" },
    { SIPCAST_MEDIA_AUDIO, { NULL }, "empty" },
    /* telephone-event is no voice codec. */
    { SIPCAST_MEDIA_AUDIO, { "telephone-event", NULL }, "empty" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    const SipcastCodec **list = sipcast_codec_list_ordered (cases[i].kind, cases[i].names, &error);

    g_assert_null (list);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, cases[i].fragment));
  }
}

static void
test_unknown_name_lists_known (void)
{
  g_autoptr (GError) error = NULL;
  const SipcastCodec **list =
    sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO, (const char *[]) { "iLBC", NULL }, &error);

  /* The message tells the operator what would have worked. */
  g_assert_null (list);
  g_assert_cmpstr (error->message, ==,
                   "Unknown audio codec “iLBC” (known: OPUS, G722, PCMU, PCMA)");
}

static void
assert_factory (const char *name)
{
  g_autoptr (GstElementFactory) factory = gst_element_factory_find (name);

  if (factory == NULL)
    g_error ("GStreamer element “%s” is not installed", name);
}

/* The caps a pipeline gives the depayloader of @codec, with the payload
 * type we offer it under. */
static GstCaps *
rtp_caps (const SipcastCodec *codec,
          int                 pt)
{
  return gst_caps_new_simple ("application/x-rtp",
                              "media", G_TYPE_STRING,
                              codec->kind == SIPCAST_MEDIA_AUDIO ? "audio" : "video",
                              "payload", G_TYPE_INT, pt,
                              "clock-rate", G_TYPE_INT, (int) codec->clock_rate,
                              "encoding-name", G_TYPE_STRING, codec->encoding_name,
                              NULL);
}

/* Whether the src template of @upstream fits the sink of @downstream. */
static gboolean
factories_link (const char *upstream,
                const char *downstream)
{
  g_autoptr (GstElementFactory) up = gst_element_factory_find (upstream);
  g_autoptr (GstElementFactory) down = gst_element_factory_find (downstream);

  for (const GList *l = gst_element_factory_get_static_pad_templates (up); l != NULL; l = l->next) {
    GstStaticPadTemplate *templ = l->data;
    g_autoptr (GstCaps) caps = NULL;

    if (templ->direction != GST_PAD_SRC)
      continue;
    caps = gst_static_pad_template_get_caps (templ);
    if (gst_element_factory_can_sink_any_caps (down, caps))
      return TRUE;
  }
  return FALSE;
}

static void
test_elements_exist_and_fit (void)
{
  const SipcastMediaKind kinds[] = { SIPCAST_MEDIA_AUDIO, SIPCAST_MEDIA_VIDEO };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    const SipcastCodec *const *list = sipcast_codec_list (kinds[k]);

    for (guint i = 0; list[i] != NULL; i++) {
      const SipcastCodec *codec = list[i];
      g_autoptr (GstElementFactory) depay = NULL;
      g_autoptr (GstCaps) caps = NULL;
      const char *last;

      g_test_message ("%s/%u", codec->encoding_name, codec->clock_rate);
      if (sipcast_codec_is_auxiliary (codec))
        continue;

      g_assert_nonnull (codec->depayloader);
      /* Every codec ends up decoded, or parsed for passthrough. */
      g_assert_true (codec->decoder != NULL || codec->parser != NULL);

      assert_factory (codec->depayloader);
      depay = gst_element_factory_find (codec->depayloader);
      caps = rtp_caps (codec, codec->static_pt >= 0 ? codec->static_pt : 96);
      g_assert_true (gst_element_factory_can_sink_any_caps (depay, caps));

      last = codec->depayloader;
      if (codec->parser != NULL) {
        assert_factory (codec->parser);
        g_assert_true (factories_link (last, codec->parser));
        last = codec->parser;
      }
      if (codec->decoder != NULL) {
        assert_factory (codec->decoder);
        g_assert_true (factories_link (last, codec->decoder));
      }

      /* Audio is sent back too: encoder → payloader must exist and fit. */
      if (codec->kind == SIPCAST_MEDIA_AUDIO) {
        g_assert_cmpuint (codec->sample_rate, >=, codec->clock_rate);
        assert_factory (codec->encoder);
        assert_factory (codec->payloader);
        g_assert_true (factories_link (codec->encoder, codec->payloader));
      }
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  g_test_add_func ("/codec/default-order", test_default_order);
  g_test_add_func ("/codec/rows", test_rows);
  g_test_add_func ("/codec/h264-rows-match-their-fmtp", test_h264_rows_match_their_fmtp);
  g_test_add_func ("/codec/find-for-fmtp", test_find_for_fmtp);
  g_test_add_func ("/codec/fmtp-get", test_fmtp_get);
  g_test_add_func ("/codec/ordered", test_ordered);
  g_test_add_func ("/codec/ordered-default", test_ordered_default);
  g_test_add_func ("/codec/ordered-errors", test_ordered_errors);
  g_test_add_func ("/codec/unknown-name-lists-known", test_unknown_name_lists_known);
  g_test_add_func ("/codec/elements-exist-and-fit", test_elements_exist_and_fit);

  return g_test_run ();
}
