/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-flv-tail"

#include "config.h"
#include "sipcast-flv-tail.h"
#include "sipcast-error.h"
#include "sipcast-pipelines.h"

#include <string.h>

/*
 * The publishing end every pipeline shares: AAC (or G.711) audio and
 * H.264 video → FLV → RTMP sink or file, parsed from the descriptions in pipelines/ (compiled in as
 * resources).  The call's own pipeline and every /push pipeline use it;
 * what the sink does is reported as application messages on the bus, so
 * streaming threads never touch an owner's state.
 */

/* Strips '#' comment lines and substitutes ${name} from @vars; an unknown
 * variable is an error rather than a silently broken pipeline. */
char *
sipcast_pipeline_expand (const char  *resource,
                    GHashTable  *vars,
                    GError     **error)
{
  g_autofree char *path = g_strconcat ("/org/sipcast/pipelines/", resource, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  static gsize registered;

  /* Registered by hand: in a static library the generated constructor
   * would be dropped by the linker along with its unreferenced object. */
  if (g_once_init_enter (&registered)) {
    sipcast_pipelines_register_resource ();
    g_once_init_leave (&registered, 1);
  }

  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;

  lines = g_strsplit (g_bytes_get_data (bytes, NULL), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = g_strstrip (lines[i]);
    const char *p;

    if (*line == '#' || *line == '\0')
      continue;

    for (p = line; *p != '\0'; p++) {
      const char *end;
      g_autofree char *key = NULL;
      const char *value;

      if (p[0] != '$' || p[1] != '{') {
        g_string_append_c (out, *p);
        continue;
      }
      end = strchr (p, '}');
      if (end == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                     "%s: unterminated ${", resource);
        return NULL;
      }
      key = g_strndup (p + 2, end - p - 2);
      value = g_hash_table_lookup (vars, key);
      if (value == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                     "%s: unknown variable ${%s}", resource, key);
        return NULL;
      }
      g_string_append (out, value);
      p = end;
    }
    g_string_append_c (out, ' ');
  }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static GstPadProbeReturn
first_write_probe (GstPad          *pad,
                   GstPadProbeInfo *info,
                   gpointer         user_data)
{
  GstElement *sink = GST_ELEMENT (user_data);
  guint *n_seen = g_object_get_data (G_OBJECT (pad), "sipcast-n-seen");
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  /* Stream headers (FLV header, metadata, codec config) are only cached
   * by rtmp2sink until it is connected; they prove nothing. */
  if (buffer == NULL || GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER))
    return GST_PAD_PROBE_OK;

  /* The sink renders in the thread that calls this probe, and rtmp2sink
   * holds the first media buffer until the server has accepted the
   * publish: when the second media buffer arrives here, the first one
   * was written. */
  if (++(*n_seen) < 2)
    return GST_PAD_PROBE_OK;

  gst_element_post_message (sink,
      gst_message_new_application (GST_OBJECT (sink),
                                   gst_structure_new_empty (SIPCAST_FLV_TAIL_MSG_FIRST_WRITE)));
  return GST_PAD_PROBE_REMOVE;
}

static GstPadProbeReturn
eos_probe (GstPad          *pad,
           GstPadProbeInfo *info,
           gpointer         user_data)
{
  GstElement *sink = GST_ELEMENT (user_data);

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  gst_element_post_message (sink,
      gst_message_new_application (GST_OBJECT (sink),
                                   gst_structure_new_empty (SIPCAST_FLV_TAIL_MSG_EOS)));
  return GST_PAD_PROBE_OK;
}

/* Ghosts a request pad of flvmux as the bin's @name ("audio", "video"). */
static gboolean
add_mux_pad (GstElement  *bin,
             GstElement  *mux,
             const char  *name,
             GError     **error)
{
  g_autoptr (GstPad) pad = gst_element_request_pad_simple (mux, name);

  if (pad == NULL || !gst_element_add_pad (bin, gst_ghost_pad_new (name, pad))) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 "flvmux gives no %s pad", name);
    return FALSE;
  }
  return TRUE;
}

GstElement *
sipcast_flv_tail_new (const SipcastConfig        *config,
                      const SipcastPublishTarget *target,
                      gboolean                    audio,
                      gboolean                    video,
                      GError                    **error)
{
  g_autoptr (GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *description = NULL;
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GstElement) mux = NULL;
  g_autoptr (GstElement) sink_element = NULL;
  g_autoptr (GstPad) sink_pad = NULL;

  g_return_val_if_fail (config != NULL && target != NULL, NULL);
  g_return_val_if_fail (audio || video, NULL);

  description = sipcast_pipeline_expand (target->kind == SIPCAST_PUBLISH_RTMP ?
                                         "flv-rtmp.pipeline" : "flv-file.pipeline",
                                         vars, error);
  if (description == NULL)
    return NULL;
  g_debug ("tail for %s: %s", target->location, description);

  bin = gst_parse_bin_from_description_full (description, FALSE, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (bin == NULL)
    return NULL;
  gst_object_ref_sink (bin);

  sink_element = gst_bin_get_by_name (GST_BIN (bin), "sink");
  mux = gst_bin_get_by_name (GST_BIN (bin), "mux");
  if (sink_element == NULL || mux == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 "pipeline description has no elements named \"mux\" and \"sink\"");
    return NULL;
  }
  g_object_set (sink_element, "location", target->location, NULL);

  /* flvmux writes its header for the pads that exist when it starts. */
  if ((audio && !add_mux_pad (bin, mux, "audio", error)) ||
      (video && !add_mux_pad (bin, mux, "video", error)))
    return NULL;

  sink_pad = gst_element_get_static_pad (sink_element, "sink");
  g_object_set_data_full (G_OBJECT (sink_pad), "sipcast-n-seen", g_new0 (guint, 1), g_free);
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER,
                     first_write_probe, sink_element, NULL);
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     eos_probe, sink_element, NULL);

  return g_steal_pointer (&bin);
}
