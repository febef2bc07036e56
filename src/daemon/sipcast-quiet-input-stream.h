/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A pollable input stream that reads from another one and can be told to
 * be quiet: while quiet, it says it has nothing to read, whatever its
 * base has.  The REST listener puts one under libsoup's buffering stream
 * so that "readable?" asked of libsoup's stream answers "did libsoup
 * buffer bytes?" alone, without what the socket has (see
 * sipcast-rest-listener.c).  Closing it leaves the base open.
 */

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_QUIET_INPUT_STREAM (sipcast_quiet_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (SipcastQuietInputStream, sipcast_quiet_input_stream, SIPCAST,
                      QUIET_INPUT_STREAM, GInputStream)

/* @base must be pollable. */
GInputStream *sipcast_quiet_input_stream_new (GInputStream *base);

void sipcast_quiet_input_stream_set_quiet (SipcastQuietInputStream *self,
                                           gboolean                 quiet);

G_END_DECLS
