/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the users file (production mode's REST accounts):
 * "name:hash" lines, comments, blanks and whatever else an editor or a
 * broken disk leaves there.  Every account read must have a valid name
 * and a hash.
 */
#include "fuzz-common.h"

#include <string.h>

#include "sipcast-users.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *contents = g_strndup ((const char *) data, size);
  g_autoptr (GHashTable) users = sipcast_users_parse ("users", contents);
  GHashTableIter iter;
  const char *name;
  const char *hash;

  g_hash_table_iter_init (&iter, users);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &hash)) {
    if (*name == '\0' || *hash == '\0' || strchr (name, ':') != NULL)
      abort ();
  }
  return 0;
}
