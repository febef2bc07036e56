/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Named streams by name: one per live call (its toStream), added when the
 * call is started and removed when it ends.
 */

#include <glib-object.h>
#include "sipcast-stream.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_STREAM_REGISTRY (sipcast_stream_registry_get_type ())
G_DECLARE_FINAL_TYPE (SipcastStreamRegistry, sipcast_stream_registry, SIPCAST, STREAM_REGISTRY, GObject)

SipcastStreamRegistry *sipcast_stream_registry_new (void);

/* SIPCAST_ERROR_CONFLICT when the name is taken. */
gboolean       sipcast_stream_registry_add (SipcastStreamRegistry *self,
                                            SipcastStream         *stream,
                                            GError               **error);
void           sipcast_stream_registry_remove (SipcastStreamRegistry *self,
                                               SipcastStream         *stream);
/* Borrowed, or NULL with SIPCAST_ERROR_NOT_FOUND. */
SipcastStream *sipcast_stream_registry_lookup (SipcastStreamRegistry *self,
                                               const char            *name,
                                               GError               **error);
/* All streams, sorted by name; elements borrowed. */
GPtrArray     *sipcast_stream_registry_list (SipcastStreamRegistry *self);

G_END_DECLS
