/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sipcastctl's tables for people: one row per object of a JSON array
 * (Call, Push or stream objects), the columns picked by key, each as wide
 * as its widest cell.
 */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *title;   /* translated heading */
  const char *key;     /* member of each object */
} SipcastctlColumn;

/* Prints @node (an array of objects, or one object) as a table on
 * stdout: null as "-", booleans as yes/no, numbers as they are. */
void sipcastctl_print_table (const SipcastctlColumn *columns,
                             guint                   n_columns,
                             JsonNode               *node);

G_END_DECLS
