#!/usr/bin/env python3
"""The translations are complete: fails when

- a source file marks strings with _() or N_() but is not listed in
  po/POTFILES.in (its strings would never reach the translators), or
  po/POTFILES.in lists a file that does not exist;
- a string marked in the sources is missing from po/sipcast.pot (the
  template was not regenerated: `meson compile -C build sipcast-pot`), or
  the template holds one that is no longer in the sources;
- a language of po/LINGUAS has no .po file, or its .po leaves a template
  string untranslated or fuzzy, or fails `msgfmt --check` (e.g. a
  translation whose printf conversions do not match the original).

    check-po.py SOURCE_ROOT

The strings are read with xgettext, as the pot target reads them.
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(sys.argv[1]).resolve()
po = root / "po"
MARKED = re.compile(r'(?<![A-Za-z0-9_])N?_\s*\(\s*"')
problems = []

listed = [line.strip() for line in (po / "POTFILES.in").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
for name in listed:
    if not (root / name).is_file():
        problems.append("po/POTFILES.in lists %s, which does not exist" % name)
for path in sorted(list(root.glob("src/**/*.c")) + list(root.glob("plugins/**/*.c"))):
    name = str(path.relative_to(root))
    if MARKED.search(path.read_text(errors="replace")) and name not in listed:
        problems.append("%s marks strings for translation but is not in po/POTFILES.in" % name)


def msgids(pot_text):
    """The msgids of a .po/.pot text (plural forms by their singular)."""
    ids = set()
    for block in re.split(r"\n\s*\n", pot_text):
        if re.search(r"^#, .*fuzzy", block, re.M) and 'msgid ""\nmsgstr ""' in block:
            continue
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1)))
            if text:
                ids.add(text)
    return ids


with tempfile.TemporaryDirectory() as tmp:
    generated = Path(tmp) / "sipcast.pot"
    result = subprocess.run(
        ["xgettext", "--from-code=UTF-8", "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2",
         "--keyword=NC_:1c,2", "--keyword=g_dngettext:2,3", "--add-comments",
         "--files-from=" + str(po / "POTFILES.in"), "--directory=" + str(root),
         "--output=" + str(generated)], capture_output=True, text=True)
    if result.returncode != 0:
        problems.append("xgettext failed: " + result.stderr)
        sources = set()
    else:
        sources = msgids(generated.read_text())

template_path = po / "sipcast.pot"
template = msgids(template_path.read_text()) if template_path.is_file() else set()
if not template_path.is_file():
    problems.append("po/sipcast.pot is missing")
for text in sorted(sources - template):
    problems.append("not in po/sipcast.pot: %r" % text)
for text in sorted(template - sources):
    problems.append("in po/sipcast.pot but no longer in the sources: %r" % text)

for language in (po / "LINGUAS").read_text().split():
    path = po / (language + ".po")
    if not path.is_file():
        problems.append("po/LINGUAS lists %s, but po/%s.po is missing" % (language, language))
        continue
    check = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(path)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        problems.append("msgfmt --check po/%s.po: %s" % (language, check.stderr.strip()))
    if "untranslated" in check.stderr or "fuzzy" in check.stderr:
        problems.append("po/%s.po is incomplete: %s" % (language, check.stderr.strip()))
    translated = msgids(path.read_text())
    for text in sorted(template - translated):
        problems.append("po/%s.po lacks %r" % (language, text))

for problem in problems:
    print(problem)
print("%d problem(s)" % len(problems))
sys.exit(1 if problems else 0)
