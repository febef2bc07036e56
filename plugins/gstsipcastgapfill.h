/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sipcastgapfill: keeps a live audio stream continuous on the clock,
 * filling the moments nothing arrived for with silence. */

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_GAP_FILL (sipcast_gap_fill_get_type ())
G_DECLARE_FINAL_TYPE (SipcastGapFill, sipcast_gap_fill, SIPCAST, GAP_FILL, GstElement)

GST_ELEMENT_REGISTER_DECLARE (sipcastgapfill);

G_END_DECLS
