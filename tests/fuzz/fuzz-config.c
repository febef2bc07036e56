/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for configuration files (sipcast.conf), routes
 * included: loaded on top of the defaults and, when that succeeds,
 * printed as --print-config prints it.
 */
#include "fuzz-common.h"

#include "sipcast-config.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();

  if (sipcast_config_load_data (config, (const char *) data, size, "fuzz.conf", NULL)) {
    g_autofree char *printed = sipcast_config_to_string (config);
    g_autoptr (SipcastConfig) again = sipcast_config_new_default ();
    g_autoptr (GError) error = NULL;

    /* What --print-config shows must load again as it is. */
    if (!sipcast_config_load_data (again, printed, strlen (printed), "printed.conf", &error)) {
      g_printerr ("printed configuration does not load: %s\n%s\n", error->message, printed);
      abort ();
    }
  }
  return 0;
}
