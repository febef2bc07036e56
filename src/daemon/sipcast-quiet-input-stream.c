/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include "sipcast-quiet-input-stream.h"

/*
 * Reads and polls pass through to the base; only is_readable() listens
 * to the quiet flag, as that is all the listener asks while quiet (from
 * the main context, where everything else reading this stream runs too).
 */

struct _SipcastQuietInputStream {
  GInputStream parent_instance;

  GInputStream *base;
  gboolean quiet;
};

static void sipcast_quiet_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SipcastQuietInputStream, sipcast_quiet_input_stream,
                               G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      sipcast_quiet_input_stream_pollable_init))

static gssize
sipcast_quiet_input_stream_read (GInputStream  *stream,
                                 void          *buffer,
                                 gsize          count,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  SipcastQuietInputStream *self = SIPCAST_QUIET_INPUT_STREAM (stream);

  return g_input_stream_read (self->base, buffer, count, cancellable, error);
}

static gboolean
sipcast_quiet_input_stream_close (GInputStream  *stream,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  /* The base belongs to whoever made us. */
  return TRUE;
}

static gboolean
sipcast_quiet_input_stream_is_readable (GPollableInputStream *stream)
{
  SipcastQuietInputStream *self = SIPCAST_QUIET_INPUT_STREAM (stream);

  return !self->quiet && g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static gssize
sipcast_quiet_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                             void                  *buffer,
                                             gsize                  count,
                                             GError               **error)
{
  SipcastQuietInputStream *self = SIPCAST_QUIET_INPUT_STREAM (stream);

  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                   buffer, count, NULL, error);
}

static GSource *
sipcast_quiet_input_stream_create_source (GPollableInputStream *stream,
                                          GCancellable         *cancellable)
{
  SipcastQuietInputStream *self = SIPCAST_QUIET_INPUT_STREAM (stream);
  g_autoptr (GSource) base_source =
    g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), NULL);

  /* Callbacks get this stream, not the base. */
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static void
sipcast_quiet_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = sipcast_quiet_input_stream_is_readable;
  iface->read_nonblocking = sipcast_quiet_input_stream_read_nonblocking;
  iface->create_source = sipcast_quiet_input_stream_create_source;
}

static void
sipcast_quiet_input_stream_finalize (GObject *object)
{
  SipcastQuietInputStream *self = SIPCAST_QUIET_INPUT_STREAM (object);

  g_clear_object (&self->base);

  G_OBJECT_CLASS (sipcast_quiet_input_stream_parent_class)->finalize (object);
}

static void
sipcast_quiet_input_stream_class_init (SipcastQuietInputStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = sipcast_quiet_input_stream_finalize;
  stream_class->read_fn = sipcast_quiet_input_stream_read;
  stream_class->close_fn = sipcast_quiet_input_stream_close;
}

static void
sipcast_quiet_input_stream_init (SipcastQuietInputStream *self)
{
}

GInputStream *
sipcast_quiet_input_stream_new (GInputStream *base)
{
  SipcastQuietInputStream *self;

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (base), NULL);

  self = g_object_new (SIPCAST_TYPE_QUIET_INPUT_STREAM, NULL);
  self->base = g_object_ref (base);
  return G_INPUT_STREAM (self);
}

void
sipcast_quiet_input_stream_set_quiet (SipcastQuietInputStream *self,
                                      gboolean                 quiet)
{
  g_return_if_fail (SIPCAST_IS_QUIET_INPUT_STREAM (self));
  self->quiet = quiet;
}
