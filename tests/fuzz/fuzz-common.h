/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What every libFuzzer target here shares: messages are dropped (a parser
 * that logs each bad line would spend the run writing), except criticals
 * and errors, which abort: a g_return_if_fail() that input can reach is a
 * bug the fuzzer must report like a crash.
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
    g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
    abort ();
  }
  return G_LOG_WRITER_HANDLED;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  return 0;
}

/* The input split at newlines into exactly @n strings (missing ones are
 * NULL, the last takes the rest): several fields from one input. */
static inline GStrv
fuzz_fields (const uint8_t *data,
             size_t         size,
             guint          n)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  GStrv fields = g_new0 (char *, n + 1);
  g_auto (GStrv) parts = g_strsplit (text, "\n", (gint) n);

  for (guint i = 0; i < n && parts[i] != NULL; i++)
    fields[i] = g_strdup (parts[i]);
  return fields;
}
