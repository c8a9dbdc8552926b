#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that the guide's C code is taken from the examples, word for word.
With --links, check instead that the guide's relative links name files that
exist (the guide links the documents that sit beside it).

Every ```c block of the guide must follow a marker line

    <!-- snippet: examples/FILE.c -->

and its lines must appear in that file in the same order and next to each
other, leading whitespace aside (the guide may indent less). A line that is
only "..." (or "/* ... */") in the block stands for lines left out: the
pieces around it must each appear, in order. Exit 0 when every block
matches; otherwise name each block that does not, and exit 1.

Usage: check_snippets.py [--links] GUIDE.md SOURCE_ROOT
"""

import re
import sys
from pathlib import Path

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
MARKER = re.compile(r"^<!--\s*snippet:\s*(\S+)\s*-->\s*$")
ELISION = {"...", "/* ... */"}


def pieces(block):
    """Split a block's lines at elision lines; strip leading whitespace."""
    out, cur = [], []
    for line in block:
        text = line.strip()
        if text in ELISION:
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(line.rstrip().lstrip())
    if cur:
        out.append(cur)
    return out


def find_run(haystack, needle, start):
    """Index in haystack where needle begins as a run, at or after start."""
    for i in range(start, len(haystack) - len(needle) + 1):
        if haystack[i:i + len(needle)] == needle:
            return i
    return -1


def check_block(root, path, block):
    src = root / path
    if not src.is_file():
        return f"{path}: no such file"
    lines = [l.rstrip().lstrip() for l in src.read_text(encoding="utf-8").splitlines()]
    pos = 0
    for piece in pieces(block):
        at = find_run(lines, piece, pos)
        if at < 0:
            return f"{path}: these lines are not in it (in this order):\n    " + \
                "\n    ".join(piece)
        pos = at + len(piece)
    return None


def check_links(guide):
    """Every relative link target of the guide, outside code blocks, must
    exist (relative to the guide's directory)."""
    errors, links, in_code = [], 0, False
    for n, line in enumerate(guide.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        for target in LINK.findall(line):
            if "://" in target or target.startswith("mailto:"):
                continue
            links += 1
            if not (guide.parent / target).exists():
                errors.append(f"{guide}:{n}: link to {target}: no such file")
    for e in errors:
        print(e)
    print(f"{links} relative links checked, {len(errors)} broken")
    return 1 if errors else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "--links":
        return check_links(Path(argv[2]))
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    guide, root = Path(argv[1]), Path(argv[2])
    text = guide.read_text(encoding="utf-8").splitlines()
    errors, blocks = [], 0
    i = 0
    while i < len(text):
        line = text[i]
        if line.strip().startswith("```"):
            lang = line.strip()[3:].strip()
            start = i
            i += 1
            body = []
            while i < len(text) and not text[i].strip().startswith("```"):
                body.append(text[i])
                i += 1
            if lang == "c":
                blocks += 1
                m = MARKER.match(text[start - 1]) if start > 0 else None
                if m is None:
                    errors.append(f"{guide}:{start + 1}: C block without a "
                                  "'<!-- snippet: examples/FILE.c -->' line before it")
                else:
                    err = check_block(root, m.group(1), body)
                    if err is not None:
                        errors.append(f"{guide}:{start + 1}: {err}")
        i += 1
    for e in errors:
        print(e)
    print(f"{blocks} C blocks checked, {len(errors)} not from their example")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
