/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-plugin"

#include "config.h"

#include <gst/gst.h>

#include "gstsipcastgapfill.h"
#include "gstsipcastmixer.h"

/* The "sipcast" GStreamer plugin: the elements the daemon builds its
 * pipelines from that GStreamer does not ship. Each element registers
 * itself through GST_ELEMENT_REGISTER_DEFINE in its own file; this file
 * only lists them. */

static gboolean
plugin_init (GstPlugin *plugin)
{
  return GST_ELEMENT_REGISTER (sipcastmixer, plugin) &&
         GST_ELEMENT_REGISTER (sipcastgapfill, plugin);
}

/* The project has no public URL yet, so the origin is its name. */
GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
                   GST_VERSION_MINOR,
                   sipcast,
                   "Elements of the sipcast SIP-to-RTMP gateway",
                   plugin_init,
                   PACKAGE_VERSION,
                   "LGPL",
                   "sipcast",
                   "sipcast")
