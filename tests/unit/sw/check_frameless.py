#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks that the sw driver's copy and fill enqueues compile to code with
no stack frame: no push, no stack-pointer adjustment, no call (tail jumps
are fine). With a frame, 64-byte copies ran at twice the cost for the whole
life of a vchan in a third of ring placements (see sw_enqueue.c); this
keeps a compiler or a code change from bringing that back unnoticed.

usage: check_frameless.py LIBRARY SYMBOL...
Exit 0 when every symbol is frameless, 1 when one is not (its code is
printed), 77 (skipped) where the check does not apply: not x86-64, or no
objdump.
"""
import platform
import re
import shutil
import subprocess
import sys

FRAME = re.compile(r"\b(push|call)\w*\s|\bsub\w*\s+\$0x[0-9a-f]+,%rsp|\benter\b")


def body(lib, symbol):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "--disassemble=" + symbol, lib],
                         check=True, capture_output=True, text=True).stdout
    lines, inside = [], False
    for line in out.splitlines():
        if re.match(r"^[0-9a-f]+ <%s>:$" % re.escape(symbol), line):
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            lines.append(line)
    return lines


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    if platform.machine() != "x86_64" or shutil.which("objdump") is None:
        print("check_frameless: skipped (needs x86-64 and objdump)")
        return 77
    lib, failed = argv[1], False
    for symbol in argv[2:]:
        code = body(lib, symbol)
        if not code:
            print("check_frameless: %s not found in %s" % (symbol, lib))
            failed = True
            continue
        framed = [l for l in code if FRAME.search(l)]
        if framed:
            failed = True
            print("check_frameless: %s has a stack frame or makes a call:" % symbol)
            print("\n".join(code))
        else:
            print("check_frameless: %s: %d instructions, no frame" % (symbol, len(code)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
