/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * rtmp2sink (GStreamer 1.22) stopped while its connection is being made
 * loses that connection: the connect finishes on a main context nobody
 * runs any more, and its socket and that context's eventfd stay open for
 * the life of the process, one of each for every call that ends before
 * its stream was published.  Such a sink is parked here instead: taken
 * out of its bin still running, its streaming thread flushed free, and
 * stopped once its connect is over.
 */

#include <gst/gst.h>

G_BEGIN_DECLS

/* Parks the element named "sink" of @flv (an FLV attempt's bin, about to
 * be stopped itself) when it is an rtmp2sink: stopped after its own
 * timeout plus a second, from a timer on @context. */
void sipcast_sink_park_connecting (GstElement   *flv,
                                   GMainContext *context);

/* Every parked sink stopped at once.  For the daemon's exit, before
 * gst_deinit(), which would otherwise wait for their connects. */
void sipcast_sink_park_stop_all (void);

G_END_DECLS
