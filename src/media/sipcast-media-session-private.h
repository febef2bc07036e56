/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What only the media session's own tests and its statistics
 * (sipcast-media-stats.c) use: its pipeline, to look at its elements and
 * post what they could post.
 */

#include <gst/gst.h>
#include "sipcast-media-session.h"

G_BEGIN_DECLS

/* The running pipeline (borrowed), or NULL before start and once it is
 * torn down. */
GstElement *sipcast_media_session_get_pipeline (SipcastMediaSession *self);

G_END_DECLS
