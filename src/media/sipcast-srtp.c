/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-srtp.h"

/*
 * See the header.  The keys live on the rtpbin (object data), so the
 * signal handlers, which rtpbin calls from whatever thread requests a
 * session's pads, need nothing else; they go with the rtpbin.  The
 * elements are made once per session: rtpbin asks for its RTP and its
 * RTCP encoder (decoder) separately and is given the same one, as
 * rtspsrc and webrtcbin do.
 */

#define N_SESSIONS 2
#define KEYS_KEY "sipcast-srtp-keys"

typedef struct {
  gboolean         set;
  SipcastSdpCrypto local;     /* ours: what we send */
  SipcastSdpCrypto remote;    /* the far end's */
  GstElement      *encoder;   /* owned, made on first request */
  GstElement      *decoder;
} SessionKeys;

typedef struct {
  GMutex      lock;           /* the elements, made from streaming threads */
  SessionKeys sessions[N_SESSIONS];
} Keys;

static void
keys_free (gpointer data)
{
  Keys *keys = data;

  for (guint i = 0; i < N_SESSIONS; i++) {
    g_clear_object (&keys->sessions[i].encoder);
    g_clear_object (&keys->sessions[i].decoder);
  }
  g_mutex_clear (&keys->lock);
  g_free (keys);
}

static GstBuffer *
key_buffer (const SipcastSdpCrypto *crypto)
{
  return gst_buffer_new_memdup (crypto->key, sizeof crypto->key);
}

static GstElement *
make_encoder (const SessionKeys *session,
              guint              id)
{
  GstElement *encoder = gst_element_factory_make ("srtpenc", NULL);
  g_autoptr (GstBuffer) key = NULL;

  if (encoder == NULL) {
    g_warning ("SRTP: no srtpenc element (gst-plugins-bad)");
    return NULL;
  }
  key = key_buffer (&session->local);
  g_object_set (encoder, "key", key, NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "rtp-cipher", "aes-128-icm");
  gst_util_set_object_arg (G_OBJECT (encoder), "rtp-auth",
                           sipcast_srtp_suite_rtp_auth (session->local.suite));
  gst_util_set_object_arg (G_OBJECT (encoder), "rtcp-cipher", "aes-128-icm");
  /* RFC 4568 §6.2: SRTCP is authenticated with 80 bits for both suites. */
  gst_util_set_object_arg (G_OBJECT (encoder), "rtcp-auth", "hmac-sha1-80");
  /* rtpbin looks for the encoder's src pads before it links anything:
   * they exist once their sink pads do (rtspsrc does the same). */
  for (guint i = 0; i < 2; i++) {
    g_autofree char *name = g_strdup_printf (i == 0 ? "rtp_sink_%u" : "rtcp_sink_%u", id);
    g_autoptr (GstPad) pad = gst_element_request_pad_simple (encoder, name);

    if (pad == NULL)
      g_warning ("SRTP: srtpenc gave no %s pad", name);
  }
  return gst_object_ref_sink (encoder);
}

/* srtpdec asks for the key of each new SSRC: the far end's one key. */
static GstCaps *
request_key_cb (GstElement *decoder,
                guint       ssrc,
                gpointer    user_data)
{
  const SessionKeys *session = user_data;
  g_autoptr (GstBuffer) key = key_buffer (&session->remote);

  return gst_caps_new_simple ("application/x-srtp",
                              "srtp-key", GST_TYPE_BUFFER, key,
                              "srtp-cipher", G_TYPE_STRING, "aes-128-icm",
                              "srtp-auth", G_TYPE_STRING,
                              sipcast_srtp_suite_rtp_auth (session->remote.suite),
                              "srtcp-cipher", G_TYPE_STRING, "aes-128-icm",
                              "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80",
                              NULL);
}

static GstElement *
make_decoder (SessionKeys *session)
{
  GstElement *decoder = gst_element_factory_make ("srtpdec", NULL);

  if (decoder == NULL) {
    g_warning ("SRTP: no srtpdec element (gst-plugins-bad)");
    return NULL;
  }
  /* @session lives as long as the rtpbin, which outlives its elements. */
  g_signal_connect (decoder, "request-key", G_CALLBACK (request_key_cb), session);
  return gst_object_ref_sink (decoder);
}

static GstElement *
request_element (GstElement *rtpbin,
                 guint       id,
                 gboolean    encoder)
{
  Keys *keys = g_object_get_data (G_OBJECT (rtpbin), KEYS_KEY);
  SessionKeys *session;
  GstElement *element;

  if (keys == NULL || id >= N_SESSIONS || !keys->sessions[id].set)
    return NULL;
  session = &keys->sessions[id];
  g_mutex_lock (&keys->lock);
  if (encoder && session->encoder == NULL)
    session->encoder = make_encoder (session, id);
  else if (!encoder && session->decoder == NULL)
    session->decoder = make_decoder (session);
  element = encoder ? session->encoder : session->decoder;
  g_mutex_unlock (&keys->lock);
  /* The signal's return value is a reference of rtpbin's own. */
  return element != NULL ? gst_object_ref (element) : NULL;
}

static GstElement *
request_encoder_cb (GstElement *rtpbin,
                    guint       id,
                    gpointer    user_data)
{
  return request_element (rtpbin, id, TRUE);
}

static GstElement *
request_decoder_cb (GstElement *rtpbin,
                    guint       id,
                    gpointer    user_data)
{
  return request_element (rtpbin, id, FALSE);
}

void
sipcast_srtp_attach (GstElement            *rtpbin,
                     guint                  session,
                     const SipcastSdpMedia *media)
{
  Keys *keys;

  g_return_if_fail (GST_IS_ELEMENT (rtpbin));
  g_return_if_fail (session < N_SESSIONS);

  if (media == NULL || !media->has_crypto)
    return;

  keys = g_object_get_data (G_OBJECT (rtpbin), KEYS_KEY);
  if (keys == NULL) {
    keys = g_new0 (Keys, 1);
    g_mutex_init (&keys->lock);
    g_object_set_data_full (G_OBJECT (rtpbin), KEYS_KEY, keys, keys_free);
    g_signal_connect (rtpbin, "request-rtp-encoder", G_CALLBACK (request_encoder_cb), NULL);
    g_signal_connect (rtpbin, "request-rtcp-encoder", G_CALLBACK (request_encoder_cb), NULL);
    g_signal_connect (rtpbin, "request-rtp-decoder", G_CALLBACK (request_decoder_cb), NULL);
    g_signal_connect (rtpbin, "request-rtcp-decoder", G_CALLBACK (request_decoder_cb), NULL);
  }
  keys->sessions[session].set = TRUE;
  keys->sessions[session].local = media->local_crypto;
  keys->sessions[session].remote = media->crypto;
  g_message ("session %u: SRTP %s", session, sipcast_srtp_suite_name (media->crypto.suite));
}
