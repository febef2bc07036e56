#!/usr/bin/env python3
"""`meson install` into a DESTDIR, and the tree it leaves checked the way a
packager would: the daemon, the client, the GStreamer plugin in
GStreamer's plugin directory, the configuration, the sounds directory, the
translations, the bash completion and the systemd unit, which must pass
`systemd-analyze verify` without a word.

    check-install.py BUILD_DIR

Prints TAP; exits 77 (meson's "skipped") only when systemd-analyze is not
installed.
"""

import gettext
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

build = Path(sys.argv[1]).resolve()
results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)


options = {o["name"]: o["value"] for o in
           json.loads(run(["meson", "introspect", str(build), "--buildoptions"]).stdout)}
prefix = Path(options["prefix"])


def under(option):
    return prefix / options[option]


with tempfile.TemporaryDirectory(prefix="sipcast-install-") as tmp:
    dest = Path(tmp)
    result = run(["meson", "install", "-C", str(build), "--destdir", str(dest),
                  "--no-rebuild", "--quiet"])
    check(result.returncode == 0, "meson install", result.stderr[-2000:])

    def staged(path):
        return dest / Path(path).relative_to("/")

    bindir = under("bindir")
    for name in ("sipcast", "sipcastctl"):
        binary = staged(bindir / name)
        check(binary.is_file() and os.access(binary, os.X_OK), "%s in %s" % (name, bindir))
        version = run([str(binary), "--version"])
        check(version.returncode == 0 and version.stdout.startswith(name + " "),
              "%s --version runs" % name, version.stdout + version.stderr)

    plugins_dir = options["gst-plugins-dir"] or run(
        ["pkg-config", "--define-variable=libdir=%s" % under("libdir"),
         "--variable=pluginsdir", "gstreamer-1.0"]).stdout.strip()
    plugin = staged(Path(plugins_dir) / "libgstsipcast.so")
    check(plugin.is_file(), "the plugin in GStreamer's plugin directory %s" % plugins_dir)
    inspect = run(["gst-inspect-1.0", str(plugin)])
    check("sipcastmixer" in inspect.stdout, "gst-inspect-1.0 finds sipcastmixer in it",
          inspect.stdout[-1000:] + inspect.stderr[-1000:])

    conf = staged(under("sysconfdir") / "sipcast" / "sipcast.conf")
    check(conf.is_file() and "[rest]" in conf.read_text(), "sysconfdir/sipcast/sipcast.conf")
    sounds = staged(under("datadir") / "sipcast" / "sounds")
    check(sounds.is_dir(), "the sounds directory %s" % sounds.relative_to(dest))

    localedir = staged(under("localedir"))
    for language, expected in (("ru", "Вывести версию и выйти"),
                               ("de", "Die Version ausgeben und beenden")):
        mo = localedir / language / "LC_MESSAGES" / "sipcast.mo"
        check(mo.is_file(), "%s translation installed" % language)
        if mo.is_file():
            text = gettext.translation("sipcast", str(localedir), languages=[language]).gettext(
                "Print the version and exit")
            check(text == expected, "%s translation of the help" % language, text)

    completion = staged(under("datadir") / "bash-completion" / "completions" / "sipcastctl")
    check(completion.is_file(), "bash completion for sipcastctl")
    if completion.is_file():
        loaded = run(["bash", "-c", "source '%s' && complete -p sipcastctl" % completion])
        check("_sipcastctl" in loaded.stdout, "the completion loads in bash",
              loaded.stdout + loaded.stderr)

    unit_dir = options["systemd-unit-dir"]
    unit_path = Path(unit_dir if unit_dir else prefix / "lib" / "systemd" / "system")
    unit = staged(unit_path / "sipcast.service")
    check(unit.is_file(), "sipcast.service in %s" % unit_path)
    text = unit.read_text() if unit.is_file() else ""
    check("ExecStart=%s --config=%s" % (bindir / "sipcast",
                                       under("sysconfdir") / "sipcast" / "sipcast.conf") in text,
          "the unit starts the installed daemon with the installed configuration")
    for line in ("Type=notify", "WatchdogSec=", "DynamicUser=yes", "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                 "CapabilityBoundingSet=\n", "RestrictAddressFamilies=",
                 "SystemCallFilter=@system-service"):
        check(line in text, "the unit has %s" % line.strip())

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("1..0 # SKIP systemd-analyze is not installed (apt-get install systemd)")
        sys.exit(77)
    # verify checks that ExecStart names an executable: point it at the
    # staged one (and the staged configuration) in a copy.
    copy = dest / "sipcast.service"
    copy.write_text(text.replace(str(bindir / "sipcast"), str(staged(bindir / "sipcast")))
                        .replace(str(under("sysconfdir")), str(staged(under("sysconfdir")))))
    verify = run([analyze, "verify", str(copy)])
    check(verify.returncode == 0 and not (verify.stdout + verify.stderr).strip(),
          "systemd-analyze verify passes without a warning", verify.stdout + verify.stderr)

print("1..%d" % len(results))
for number, (ok, name, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", number, name))
    if not ok and detail:
        for line in detail.strip().splitlines():
            print("# " + line)
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
