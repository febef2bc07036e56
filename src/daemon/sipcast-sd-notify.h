/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The service manager's notification protocol (sd_notify(3)), spoken by
 * hand over a GIO datagram socket so that sipcast needs no libsystemd:
 * READY=1 once it listens, STOPPING=1 when it shuts down, STATUS= lines,
 * and WATCHDOG=1 from the main loop every half WATCHDOG_USEC, so that a
 * main loop that hangs gets the service restarted (Type=notify,
 * WatchdogSec= in data/sipcast.service).  Without $NOTIFY_SOCKET (not
 * started by systemd) every call does nothing.
 */

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_SD_NOTIFY (sipcast_sd_notify_get_type ())
G_DECLARE_FINAL_TYPE (SipcastSdNotify, sipcast_sd_notify, SIPCAST, SD_NOTIFY, GObject)

/* Reads $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace),
 * $WATCHDOG_USEC and $WATCHDOG_PID (the watchdog is ours only when it
 * names this process, or is unset).  Never fails: problems are logged and
 * the notifier stays silent. */
SipcastSdNotify *sipcast_sd_notify_new_from_environment (void);

/* Whether the service manager listens. */
gboolean sipcast_sd_notify_is_enabled (SipcastSdNotify *self);

/* Sends @state ("READY=1\nSTATUS=…"); FALSE, with a logged warning, when
 * it could not be sent. */
gboolean sipcast_sd_notify_send (SipcastSdNotify *self,
                                 const char      *state);

/* Starts the WATCHDOG=1 pings on the thread-default main context, when
 * the service manager asked for them; stopped on dispose. */
void sipcast_sd_notify_start_watchdog (SipcastSdNotify *self);

/* The ping interval in µs (half of WATCHDOG_USEC), 0 without a watchdog. */
guint64 sipcast_sd_notify_get_watchdog_interval (SipcastSdNotify *self);

G_END_DECLS
