/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcastctl"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "sipcastctl-table.h"

/* Widths count characters, not bytes, so that translated headings and
 * non-ASCII names line up (every character taken as one column wide). */

static char *
cell_text (JsonObject *object,
           const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("-");
  if (JSON_NODE_HOLDS_VALUE (node)) {
    switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? _("yes") : _("no"));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_strdup_printf ("%g", json_node_get_double (node));
    default:
      break;
    }
  }
  return json_to_string (node, FALSE);
}

static void
print_row (GPtrArray    *cells,
           const gsize  *widths,
           guint         n_columns)
{
  g_autoptr (GString) line = g_string_new (NULL);

  for (guint i = 0; i < n_columns; i++) {
    const char *text = cells->pdata[i];

    g_string_append (line, text);
    /* No padding after the last column: no trailing blanks. */
    if (i + 1 < n_columns) {
      for (gsize pad = g_utf8_strlen (text, -1); pad < widths[i] + 2; pad++)
        g_string_append_c (line, ' ');
    }
  }
  g_print ("%s\n", line->str);
}

void
sipcastctl_print_table (const SipcastctlColumn *columns,
                        guint                   n_columns,
                        JsonNode               *node)
{
  g_autofree gsize *widths = g_new0 (gsize, n_columns);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr (GPtrArray) heading = g_ptr_array_new ();
  g_autoptr (JsonArray) array = NULL;

  if (JSON_NODE_HOLDS_ARRAY (node)) {
    array = json_array_ref (json_node_get_array (node));
  } else {
    array = json_array_new ();
    json_array_add_element (array, json_node_copy (node));
  }

  for (guint i = 0; i < n_columns; i++) {
    g_ptr_array_add (heading, (gpointer) columns[i].title);
    widths[i] = g_utf8_strlen (columns[i].title, -1);
  }

  for (guint r = 0; r < json_array_get_length (array); r++) {
    JsonNode *element = json_array_get_element (array, r);
    GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < n_columns; i++) {
      char *text = JSON_NODE_HOLDS_OBJECT (element) ?
        cell_text (json_node_get_object (element), columns[i].key) : g_strdup ("-");

      widths[i] = MAX (widths[i], (gsize) g_utf8_strlen (text, -1));
      g_ptr_array_add (cells, text);
    }
    g_ptr_array_add (rows, cells);
  }

  print_row (heading, widths, n_columns);
  for (guint r = 0; r < rows->len; r++)
    print_row (rows->pdata[r], widths, n_columns);
}
