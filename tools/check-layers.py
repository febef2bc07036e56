#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks the layers of src/ (README "Layout"): core, media, sip, daemon.

Fails when a file of a layer includes a header of a layer above it, when
modules include each other in a circle (a module is sipcast-NAME.c with
its sipcast-NAME.h, sipcast-NAME-private.h and sipcast-NAME-internal.h,
the last shared by the files of one object split in several), or when a
source file sits outside the layer folders.  The meson build already refuses an upward
include (each layer's library sees only the folders below it); this also
catches one between headers that no .c of the lower layer happens to
include yet, and cycles inside a layer.

    tools/check-layers.py [SRC_DIR]    (default: src/ next to tools/)

Before checking SRC_DIR it checks itself on small made-up trees, so that
a check that can no longer fail does not pass unnoticed.
"""

import os
import re
import sys
import tempfile

LAYERS = ['core', 'media', 'sip', 'daemon']

# Headers made at build time, as (layer, module) of what they come from.
GENERATED = {'sipcast-enums.h': ('core', 'sipcast-types')}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def module_of(filename):
    name = os.path.splitext(filename)[0]
    for suffix in ('-private', '-internal'):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def read_tree(src):
    """{path: (layer, module, [included names])}, and misplaced files."""
    files = {}
    misplaced = []
    for dirpath, _dirs, names in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        for name in sorted(names):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(rel, name) if rel != '.' else name
            layer = rel.split(os.sep)[0]
            if rel == '.' or layer not in LAYERS or os.sep in rel:
                misplaced.append(path)
                continue
            with open(os.path.join(dirpath, name), encoding='utf-8') as f:
                includes = INCLUDE.findall(f.read())
            files[path] = (layer, module_of(name), includes)
    return files, misplaced


def strongly_connected(edges):
    """The groups of modules that include each other (Tarjan), largest
    first; a module in no cycle is a group of one."""
    index = {}
    low = {}
    on_stack = set()
    stack = []
    groups = []

    def visit(m):
        index[m] = low[m] = len(index)
        stack.append(m)
        on_stack.add(m)
        for n in sorted(edges.get(m, ())):
            if n not in index:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in on_stack:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            group = []
            while True:
                n = stack.pop()
                on_stack.discard(n)
                group.append(n)
                if n == m:
                    break
            groups.append(sorted(group))

    for m in sorted(edges):
        if m not in index:
            visit(m)
    return sorted(groups, key=len, reverse=True)


def find_cycle(edges):
    """One cycle of the module graph as a list of modules, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {m: WHITE for m in edges}
    stack = []

    def visit(m):
        colour[m] = GREY
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if colour.get(n, WHITE) == GREY:
                return stack[stack.index(n):] + [n]
            if colour.get(n, WHITE) == WHITE:
                cycle = visit(n)
                if cycle:
                    return cycle
        stack.pop()
        colour[m] = BLACK
        return None

    for m in sorted(edges):
        if colour[m] == WHITE:
            cycle = visit(m)
            if cycle:
                return cycle
    return None


def check(src):
    """The problems found in the tree at @src, as sentences."""
    files, misplaced = read_tree(src)
    problems = ['%s is in no layer folder (%s)' % (p, ', '.join(LAYERS)) for p in misplaced]

    headers = dict(GENERATED)
    for path, (layer, module, _) in files.items():
        if path.endswith('.h'):
            headers[os.path.basename(path)] = (layer, module)

    edges = {}
    for path, (layer, module, includes) in sorted(files.items()):
        edges.setdefault(module, set())
        for name in includes:
            if name not in headers:
                continue  # config.h, sipcast-pipelines.h, the plugin's
            their_layer, their_module = headers[name]
            if LAYERS.index(their_layer) > LAYERS.index(layer):
                problems.append('%s (layer %s) includes %s of the upper layer %s'
                                % (path, layer, name, their_layer))
            if their_module != module:
                edges[module].add(their_module)

    # Each group of modules that include each other, with one of its
    # cycles to show how.
    for group in strongly_connected(edges):
        if len(group) < 2:
            continue
        inside = {m: edges[m] & set(group) for m in group}
        problems.append('include cycle: ' + ' -> '.join(find_cycle(inside)))
    return problems


def make_tree(root, files):
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), 'w', encoding='utf-8') as f:
            f.write(text)


def self_test():
    good = {
        'core/sipcast-a.h': '#include <glib.h>\n',
        'core/sipcast-a.c': '#include "config.h"\n#include "sipcast-a.h"\n',
        'sip/sipcast-b.h': '#include "sipcast-a.h"\n',
        'sip/sipcast-b-private.h': '#include "sipcast-b.h"\n',
        'sip/sipcast-b.c': '#include "sipcast-b-private.h"\n#include "sipcast-enums.h"\n',
    }
    cases = [
        ('a clean tree', {}, None),
        ('an upward include', {'core/sipcast-a.h': '#include "sipcast-b.h"\n'},
         'includes sipcast-b.h of the upper layer sip'),
        ('a cycle in a layer', {'sip/sipcast-c.h': '', 'sip/sipcast-c.c': '#include "sipcast-b.h"\n',
                                'sip/sipcast-b.c': '#include "sipcast-c.h"\n'},
         'include cycle: sipcast-b -> sipcast-c -> sipcast-b'),
        ('a file outside the layers', {'sipcast-d.c': ''}, 'sipcast-d.c is in no layer folder'),
    ]
    failures = []
    for what, change, expected in cases:
        with tempfile.TemporaryDirectory() as root:
            make_tree(root, dict(good, **change))
            problems = check(root)
        if expected is None and problems:
            failures.append('self-test, %s: unexpected %s' % (what, problems))
        if expected is not None and not any(expected in p for p in problems):
            failures.append('self-test, %s: not found (got %s)' % (what, problems))
    return failures


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, os.pardir, 'src')
    problems = self_test() + check(src)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print('layers %s: no upward include, no cycle' % ' < '.join(LAYERS))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
