/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-chain.h"
#include "sipcast-codec.h"
#include "sipcast-error.h"
#include "sipcast-flv-tail.h"

#include <glib/gi18n.h>
#include <string.h>

/*
 * Each kind is one file of pipelines/, and what --print-pipeline prints is
 * exactly what the daemon parses: both go through
 * sipcast_media_chain_describe().  For the gst-launch-1.0 line, each
 * receive chain knows the RTP caps of one committed capture in
 * tests/media, so the line runs as it is from the source tree.
 */

typedef enum {
  CHAIN_DECODE,     /* RTP → raw audio: audio-aac follows */
  CHAIN_ENCODED,    /* RTP → what flvmux takes */
  CHAIN_AAC,        /* raw audio → AAC */
  CHAIN_TAIL,       /* flvmux → sink */
  CHAIN_PICTURE,    /* a placeholder picture → what flvmux takes */
} ChainRole;

static const struct {
  const char *kind;
  ChainRole   role;
  /* For the gst-launch line of a receive chain: a capture and its caps. */
  const char *capture;
  guint       dst_port;
  const char *caps;
} chains[] = {
  { "audio-opus", CHAIN_DECODE, "opus-440hz-3s.pcap", 47000,
    "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96" },
  { "audio-g722", CHAIN_DECODE, "g722-440hz-3s.pcap", 47000,
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=G722,payload=9" },
  { "audio-pcmu", CHAIN_DECODE, "pcmu-440hz-5s.pcap", 6000,
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0" },
  { "audio-pcma", CHAIN_DECODE, "pcma-440hz-5s.pcap", 6000,
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMA,payload=8" },
  { "audio-pcmu-copy", CHAIN_ENCODED, "pcmu-440hz-5s.pcap", 6000,
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0" },
  { "audio-pcma-copy", CHAIN_ENCODED, "pcma-440hz-5s.pcap", 6000,
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMA,payload=8" },
  { "audio-aac", CHAIN_AAC, NULL, 0, NULL },
  { "video-h264", CHAIN_ENCODED, "h264-pm1-3s.pcap", 47002,
    "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96" },
  { "video-vp8", CHAIN_ENCODED, "vp8-3s.pcap", 47002,
    "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=98" },
  { "video-placeholder-card", CHAIN_PICTURE, NULL, 0, NULL },
  { "video-placeholder-png", CHAIN_PICTURE, "placeholder.png", 0, NULL },
  { "video-placeholder-jpeg", CHAIN_PICTURE, "placeholder.jpg", 0, NULL },
  { "flv-rtmp", CHAIN_TAIL, NULL, 0, NULL },
  { "flv-file", CHAIN_TAIL, NULL, 0, NULL },
};

const char *const *
sipcast_media_chain_kinds (void)
{
  static const char *kinds[G_N_ELEMENTS (chains) + 1];

  if (kinds[0] == NULL) {
    for (guint i = 0; i < G_N_ELEMENTS (chains); i++)
      kinds[i] = chains[i].kind;
  }
  return kinds;
}

static int
find_chain (const char  *kind,
            GError     **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (chains); i++) {
    if (g_str_equal (chains[i].kind, kind))
      return (int) i;
  }
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
               _("Unknown pipeline “%s”"), kind);
  return -1;
}

char *
sipcast_media_chain_describe (const char           *kind,
                              const SipcastConfig  *config,
                              GError              **error)
{
  g_autoptr (GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *resource = NULL;

  g_return_val_if_fail (kind != NULL && config != NULL, NULL);

  if (find_chain (kind, error) < 0)
    return NULL;

  g_hash_table_insert (vars, "aac_rate", g_strdup_printf ("%u", config->aac_rate));
  g_hash_table_insert (vars, "aac_channels", g_strdup_printf ("%u", config->aac_channels));
  g_hash_table_insert (vars, "aac_bitrate", g_strdup_printf ("%u", config->aac_bitrate));
  g_hash_table_insert (vars, "video_preset", g_strdup (config->video_encoder_preset));
  g_hash_table_insert (vars, "video_bitrate", g_strdup_printf ("%u", config->video_bitrate));

  resource = g_strconcat (kind, ".pipeline", NULL);
  return sipcast_pipeline_expand (resource, vars, error);
}

GstElement *
sipcast_media_chain_new (const char           *kind,
                         const SipcastConfig  *config,
                         GError              **error)
{
  g_autofree char *description = sipcast_media_chain_describe (kind, config, error);
  GstElement *bin;

  if (description == NULL)
    return NULL;

  bin = gst_parse_bin_from_description_full (description, TRUE, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (bin == NULL)
    return NULL;
  return gst_object_ref_sink (bin);
}

char *
sipcast_media_chain_launch_line (const char           *kind,
                                 const SipcastConfig  *config,
                                 GError              **error)
{
  int i = find_chain (kind, error);
  g_autofree char *description = NULL;
  g_autofree char *aac = NULL;
  GString *line;

  if (i < 0 || (description = sipcast_media_chain_describe (kind, config, error)) == NULL)
    return NULL;
  if ((aac = sipcast_media_chain_describe ("audio-aac", config, error)) == NULL)
    return NULL;

  line = g_string_new ("gst-launch-1.0 -e ");
  switch (chains[i].role) {
  case CHAIN_DECODE:
  case CHAIN_ENCODED:
    g_string_append_printf (line,
                            "filesrc location=tests/media/%s ! pcapparse dst-port=%u caps='%s' ! %s",
                            chains[i].capture, chains[i].dst_port, chains[i].caps, description);
    if (chains[i].role == CHAIN_DECODE)
      g_string_append_printf (line, " ! %s", aac);
    g_string_append (line, " ! flvmux ! filesink location=out.flv");
    break;
  case CHAIN_AAC:
    g_string_append_printf (line, "audiotestsrc num-buffers=250 freq=440 ! %s"
                            " ! flvmux ! filesink location=out.flv", description);
    break;
  case CHAIN_PICTURE:
    /* Live, like in a call: it runs until Ctrl-C (-e completes the FLV). */
    if (chains[i].capture != NULL) {
      g_autofree char *file = g_strdup_printf ("name=placeholder_file location=tests/media/%s",
                                               chains[i].capture);
      g_autoptr (GString) with_file = g_string_new (description);

      g_string_replace (with_file, "name=placeholder_file", file, 1);
      g_string_append (line, with_file->str);
    } else {
      g_string_append (line, description);
    }
    g_string_append (line, " ! flvmux ! filesink location=out.flv");
    break;
  case CHAIN_TAIL:
    g_string_append_printf (line, "audiotestsrc num-buffers=250 freq=440 ! %s ! %s location=%s",
                            aac, description,
                            g_str_equal (kind, "flv-rtmp") ?
                            "rtmp://127.0.0.1/live/test" : "out.flv");
    break;
  }
  return g_string_free (line, FALSE);
}

const char *
sipcast_media_chain_for_codec (const SipcastCodec *codec,
                               gboolean            copy)
{
  g_return_val_if_fail (codec != NULL, NULL);

  if (copy && codec->copy_pipeline != NULL)
    return codec->copy_pipeline;
  return codec->receive_pipeline;
}

void
sipcast_media_chain_dump_graph (GstElement *pipeline,
                                const char *name,
                                const char *suffix)
{
  g_autofree char *file = NULL;

  if (pipeline == NULL)
    return;

  /* @name is a Call-ID or a stream name, chosen by the far end or a REST
   * client: a '/' in it would put the file anywhere a directory named
   * "sipcast-…" leads to.  Only what is safe in one file name is kept. */
  file = g_strdup_printf ("sipcast-%s-%s", name, suffix);
  for (char *p = file; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && strchr ("._~+-@", *p) == NULL)
      *p = '_';
  }
  GST_DEBUG_BIN_TO_DOT_FILE (GST_BIN (pipeline), GST_DEBUG_GRAPH_SHOW_ALL, file);
}

GstElement *
sipcast_media_chain_add_element (GstBin      *bin,
                                 const char  *factory,
                                 const char  *name,
                                 GError     **error)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("GStreamer element “%s” is missing"), factory);
    return NULL;
  }
  gst_bin_add (bin, element);
  return element;
}

gboolean
sipcast_media_chain_link (GstElement  *src,
                          const char  *src_pad,
                          GstElement  *sink,
                          const char  *sink_pad,
                          GError     **error)
{
  if (!gst_element_link_pads (src, src_pad, sink, sink_pad)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not link %s to %s"), GST_OBJECT_NAME (src), GST_OBJECT_NAME (sink));
    return FALSE;
  }
  return TRUE;
}

guint
sipcast_media_chain_telephone_event_rate (void)
{
  const SipcastCodec *const *codecs = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);

  for (guint i = 0; codecs[i] != NULL; i++) {
    if (sipcast_codec_is_telephone_event (codecs[i]))
      return codecs[i]->clock_rate;
  }
  g_return_val_if_reached (8000);
}
