#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The examples' command lines: --help prints the usage on stdout and exits
0; a bad argument is named on stderr, with the usage, and exits 2. Nothing
is copied: every case stops before the example creates a device.

Usage: test_usage.py EXAMPLE...   (the built programs, by path)
"""

import os
import subprocess
import sys

# Per example: (arguments, what the error line must say).
BAD = {
    "local_copy": [(["-x"], "unexpected argument '-x'"),
                   (["engine=inline", "extra"], "unexpected argument 'extra'")],
    "group_two_process": [(["--hold", "4000"], "bad --hold '4000' (want 1..3600 seconds)"),
                          (["--hold", "0"], "bad --hold '0'"),
                          (["thread", "--hold"], "bad --hold ''"),
                          (["turbo"], "unexpected argument 'turbo'")],
    "group_third_party": [(["turbo"], "unexpected argument 'turbo'"),
                          (["inline", "extra"], "unexpected argument 'extra'")],
    "inter_os": [(["--bogus"], "unexpected argument '--bogus'")],
}


def run(prog, *args):
    r = subprocess.run([prog, *args], capture_output=True, text=True, timeout=30,
                       check=False)
    print(f"$ {os.path.basename(prog)} {' '.join(args)}  -> exit {r.returncode}")
    print(r.stdout, end="")
    if r.stderr:
        print("stderr: " + r.stderr, end="")
    return r


def problems(prog):
    """What is wrong with one example's command line, as sentences."""
    name = os.path.basename(prog)
    found = []
    r = run(prog, "--help")
    if r.returncode != 0 or not r.stdout.startswith(f"Usage: {name}") or r.stderr:
        found.append(f"{name} --help: want the usage on stdout, nothing on stderr, exit 0")
    for args, what in BAD[name]:
        r = run(prog, *args)
        first = (r.stderr.splitlines() or [""])[0]
        if (r.returncode != 2 or not first.startswith(f"{name}: ") or what not in first
                or f"Usage: {name}" not in r.stderr):
            found.append(f"{name} {' '.join(args)}: want exit 2 and, on stderr, "
                         f"'{name}: ...{what}...' then the usage")
    return found


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    found = [p for prog in argv[1:] for p in problems(prog)]
    for p in found:
        print(f"FAIL: {p}")
    if not found:
        print("examples' command lines: OK")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
