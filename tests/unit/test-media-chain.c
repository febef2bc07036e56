/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"
#include "sipcast-config.h"
#include "sipcast-error.h"
#include "sipcast-media-chain.h"
#include "gstsipcastgapfill.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

static gboolean
is_tail (const char *kind)
{
  return g_str_has_prefix (kind, "flv-");
}

/* Every description parses, with the configuration's values in it, into
 * a bin with a "sink" and a "src" pad (the tails end in a sink, the
 * placeholder pictures start with a source). */
static void
test_every_kind_parses (void)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();

  g_free (config->video_encoder_preset);
  config->video_encoder_preset = g_strdup ("ultrafast");
  config->video_bitrate = 321;
  config->aac_bitrate = 48000;

  for (const char *const *kind = sipcast_media_chain_kinds (); *kind != NULL; kind++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *text = sipcast_media_chain_describe (*kind, config, &error);
    g_autoptr (GstElement) bin = NULL;
    g_autoptr (GstPad) sink = NULL;
    g_autoptr (GstPad) src = NULL;

    g_test_message ("%s: %s", *kind, text);
    g_assert_no_error (error);
    g_assert_null (strstr (text, "${"));
    g_assert_null (strchr (text, '#'));
    if (g_str_equal (*kind, "video-vp8")) {
      g_assert_nonnull (strstr (text, "speed-preset=ultrafast"));
      g_assert_nonnull (strstr (text, "bitrate=321"));
    }
    if (g_str_equal (*kind, "audio-aac"))
      g_assert_nonnull (strstr (text, "bitrate=48000"));

    if (is_tail (*kind))
      continue;
    bin = sipcast_media_chain_new (*kind, config, &error);
    g_assert_no_error (error);
    g_assert_false (g_object_is_floating (bin));
    sink = gst_element_get_static_pad (bin, "sink");
    src = gst_element_get_static_pad (bin, "src");
    if (g_str_has_prefix (*kind, "video-placeholder-"))
      g_assert_null (sink);
    else
      g_assert_nonnull (sink);
    g_assert_nonnull (src);
  }
}

static void
test_unknown_kind (void)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;

  g_assert_null (sipcast_media_chain_describe ("audio-g729", config, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (sipcast_media_chain_launch_line ("../flv-rtmp", config, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
}

/* Every codec but telephone-event has a receive chain among the kinds;
 * only G.711 has a copy chain. */
static void
test_codecs_have_chains (void)
{
  const SipcastMediaKind media[] = { SIPCAST_MEDIA_AUDIO, SIPCAST_MEDIA_VIDEO };

  for (guint m = 0; m < G_N_ELEMENTS (media); m++) {
    const SipcastCodec *const *codecs = sipcast_codec_list (media[m]);

    for (guint i = 0; codecs[i] != NULL; i++) {
      const char *receive = sipcast_media_chain_for_codec (codecs[i], FALSE);
      const char *copy = sipcast_media_chain_for_codec (codecs[i], TRUE);
      gboolean g711 = g_str_equal (codecs[i]->encoding_name, "PCMU") ||
                      g_str_equal (codecs[i]->encoding_name, "PCMA");

      if (sipcast_codec_is_auxiliary (codecs[i])) {
        g_assert_null (receive);
        continue;
      }
      g_assert_true (g_strv_contains (sipcast_media_chain_kinds (), receive));
      g_assert_true (g_strv_contains (sipcast_media_chain_kinds (), copy));
      g_assert_cmpint (g_strcmp0 (receive, copy) != 0, ==, g711);
    }
  }
}

/* The gst-launch-1.0 line holds the description as parsed, after a
 * capture of tests/media for the receive chains. */
static void
test_launch_line (void)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autofree char *description = sipcast_media_chain_describe ("video-h264", config, NULL);
  g_autofree char *line = sipcast_media_chain_launch_line ("video-h264", config, NULL);
  g_autofree char *aac = sipcast_media_chain_launch_line ("audio-pcma", config, NULL);
  g_autofree char *aac_text = sipcast_media_chain_describe ("audio-aac", config, NULL);

  g_assert_true (g_str_has_prefix (line, "gst-launch-1.0 -e filesrc location=tests/media/"));
  g_assert_nonnull (strstr (line, description));
  g_assert_nonnull (strstr (line, "encoding-name=H264"));
  g_assert_nonnull (strstr (aac, aac_text));
  g_assert_true (g_str_has_suffix (aac, "! flvmux ! filesink location=out.flv"));
}

/* A graph named after a Call-ID (the far end's choice) stays in
 * GST_DEBUG_DUMP_DOT_DIR whatever that Call-ID holds. */
static void
test_dump_graph_stays_in_dir (void)
{
  const char *dir = g_getenv ("GST_DEBUG_DUMP_DOT_DIR");
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *escaped = g_build_filename (parent, "x-start.dot", NULL);
  g_autofree char *decoy = g_build_filename (dir, "sipcast-a", NULL);
  g_autofree char *inside = g_build_filename (dir, "sipcast-a_.._.._x-start.dot", NULL);
  g_autoptr (GDir) listing = NULL;
  const char *entry;
  guint n_files = 0;

  /* Any directory whose name the prefix can complete lets a '/' in the
   * name climb out through it. */
  g_assert_cmpint (g_mkdir (decoy, 0700), ==, 0);
  gst_object_ref_sink (pipeline);
  sipcast_media_chain_dump_graph (pipeline, "a/../../x", "start");
  sipcast_media_chain_dump_graph (pipeline, "a/b\\c\n d", "error");

  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (inside, G_FILE_TEST_IS_REGULAR));
  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((entry = g_dir_read_name (listing)) != NULL) {
    g_autofree char *path = g_build_filename (dir, entry, NULL);

    if (g_str_equal (entry, "sipcast-a"))
      continue;
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    g_assert_null (strpbrk (entry, "/\\\n "));
    g_assert_true (g_str_has_prefix (entry, "sipcast-"));
    g_remove (path);
    n_files++;
  }
  g_assert_cmpuint (n_files, ==, 2);
  g_rmdir (decoy);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dot_dir = g_dir_make_tmp ("sipcast-dot-XXXXXX", NULL);
  g_autofree char *dot_subdir = g_build_filename (dot_dir, "dots", NULL);
  int ret;

  /* Read by gst_init(). */
  g_mkdir (dot_subdir, 0700);
  g_setenv ("GST_DEBUG_DUMP_DOT_DIR", dot_subdir, TRUE);
  gst_init (&argc, &argv);
  /* The receive chains end in our gap filler. */
  g_assert_true (GST_ELEMENT_REGISTER (sipcastgapfill, NULL));
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/media-chain/every-kind-parses", test_every_kind_parses);
  g_test_add_func ("/media-chain/unknown-kind", test_unknown_kind);
  g_test_add_func ("/media-chain/codecs-have-chains", test_codecs_have_chains);
  g_test_add_func ("/media-chain/launch-line", test_launch_line);
  g_test_add_func ("/media-chain/dump-graph-stays-in-dir", test_dump_graph_stays_in_dir);

  ret = g_test_run ();
  g_rmdir (dot_subdir);
  g_rmdir (dot_dir);
  return ret;
}
