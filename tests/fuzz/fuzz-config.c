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
  }
  return 0;
}
