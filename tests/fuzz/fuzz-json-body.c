/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for REST request bodies: whatever the bytes,
 * sipcast_json_parse_body() returns, without crashing (the stack overflow
 * of issue 19 was a body whose nesting json-glib saw and the pre-check did
 * not).  Built with -Dfuzz=true and CC=clang; run as
 *   build-fuzz/tests/fuzz-json-body -max_len=200000 tests/fuzz/corpus
 */
#include <glib.h>
#include <stdint.h>

#include "sipcast-json.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  JsonObject *obj = sipcast_json_parse_body ((const char *) data, size, NULL);

  if (obj != NULL)
    json_object_unref (obj);
  return 0;
}
