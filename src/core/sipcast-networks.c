/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-networks"

#include "config.h"

#include "sipcast-networks.h"
#include "sipcast-error.h"

#include <string.h>
#include <glib/gi18n.h>

/* See the header: GInetAddressMask does the arithmetic. */

struct _SipcastNetworks {
  GPtrArray *masks;   /* GInetAddressMask */
};

SipcastNetworks *
sipcast_networks_parse (const char  *text,
                        GError     **error)
{
  g_autoptr (GPtrArray) masks = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto (GStrv) parts = g_strsplit (text != NULL ? text : "", ",", -1);
  SipcastNetworks *networks;

  for (guint i = 0; parts[i] != NULL; i++) {
    const char *entry = g_strstrip (parts[i]);
    g_autoptr (GInetAddressMask) mask = NULL;

    if (*entry == '\0')
      continue;
    mask = g_inet_address_mask_new_from_string (entry, NULL);
    if (mask == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("“%s” is not a network (an address, or address/prefix-length)"), entry);
      return NULL;
    }
    g_ptr_array_add (masks, g_steal_pointer (&mask));
  }
  networks = g_new0 (SipcastNetworks, 1);
  networks->masks = g_steal_pointer (&masks);
  return networks;
}

void
sipcast_networks_free (SipcastNetworks *networks)
{
  if (networks == NULL)
    return;
  g_ptr_array_unref (networks->masks);
  g_free (networks);
}

gboolean
sipcast_networks_is_empty (const SipcastNetworks *networks)
{
  g_return_val_if_fail (networks != NULL, TRUE);
  return networks->masks->len == 0;
}

gboolean
sipcast_networks_contain (const SipcastNetworks *networks,
                          const char            *address)
{
  g_autoptr (GInetAddress) inet = NULL;

  g_return_val_if_fail (networks != NULL, FALSE);

  if (address == NULL)
    return FALSE;
  /* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d. */
  if (g_ascii_strncasecmp (address, "::ffff:", 7) == 0 && strchr (address + 7, '.') != NULL)
    address += 7;
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    return FALSE;
  for (guint i = 0; i < networks->masks->len; i++) {
    GInetAddressMask *mask = g_ptr_array_index (networks->masks, i);

    /* A mask of the other family never matches (and would warn). */
    if (g_inet_address_mask_get_family (mask) == g_inet_address_get_family (inet) &&
        g_inet_address_mask_matches (mask, inet))
      return TRUE;
  }
  return FALSE;
}
