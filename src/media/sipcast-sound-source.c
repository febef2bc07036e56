/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sound"

#include "config.h"
#include "sipcast-sound-source.h"

/*
 * The probe on the bin's output does two things on the source's
 * streaming thread: it remembers where the audio ends (so that the owner
 * can remove the source once the mixer, which is scheduled ahead, has
 * played it, or start the next round of a loop right there), and it turns
 * the EOS into a bus message.
 */

typedef struct {
  GstElement *pipeline;   /* borrowed: the probe goes with the pipeline */
  guint serial;
  GstClockTime offset;    /* running time of the file's time 0 */
  GstClockTime end;       /* running time its last sample ends at */
} SoundProbe;

static GstPadProbeReturn
sound_probe (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  SoundProbe *probe = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

    if (GST_BUFFER_PTS_IS_VALID (buffer) && GST_BUFFER_DURATION_IS_VALID (buffer))
      probe->end = probe->offset + GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  gst_element_post_message (probe->pipeline,
      gst_message_new_application (GST_OBJECT (probe->pipeline),
                                   gst_structure_new (SIPCAST_SOUND_SOURCE_MSG_EOS,
                                                      "serial", G_TYPE_UINT, probe->serial,
                                                      "end", G_TYPE_UINT64, probe->end,
                                                      NULL)));
  return GST_PAD_PROBE_DROP;
}

GstClockTime
sipcast_sound_source_running_time_now (GstElement *pipeline)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (pipeline);

  if (clock == NULL)
    return 0;
  return gst_clock_get_time (clock) - gst_element_get_base_time (pipeline);
}

GstElement *
sipcast_sound_source_new (const char   *name,
                          const char   *path,
                          GstElement   *pipeline,
                          guint         serial,
                          GstClockTime  start,
                          GError      **error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GstElement) file = NULL;
  g_autoptr (GstElement) resample = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstPad) ghost_src = NULL;
  SoundProbe *probe;

  g_return_val_if_fail (path != NULL && GST_IS_ELEMENT (pipeline), NULL);

  /* decodebin: WAV, MP3, Ogg/Opus, whatever the installed plugins read.
   * Only the output is ghosted by hand: automatic ghosting would also
   * ghost audioconvert's sink, which decodebin links to later. */
  bin = gst_parse_bin_from_description ("filesrc name=file ! decodebin ! audioconvert"
                                        " ! audioresample name=resample", FALSE, error);
  if (bin == NULL)
    return NULL;
  gst_object_ref_sink (bin);
  gst_object_set_name (GST_OBJECT (bin), name);
  file = gst_bin_get_by_name (GST_BIN (bin), "file");
  g_object_set (file, "location", path, NULL);
  resample = gst_bin_get_by_name (GST_BIN (bin), "resample");
  src = gst_element_get_static_pad (resample, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  ghost_src = gst_element_get_static_pad (bin, "src");

  probe = g_new0 (SoundProbe, 1);
  probe->pipeline = pipeline;
  probe->serial = serial;
  /* A file's timestamps start at 0: shifted to @start, or a live mixer
   * would drop them all as long past. */
  probe->offset = start;
  probe->end = GST_CLOCK_TIME_NONE;
  gst_pad_set_offset (ghost_src, (gint64) start);
  gst_pad_add_probe (ghost_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     sound_probe, probe, g_free);
  return g_steal_pointer (&bin);
}
