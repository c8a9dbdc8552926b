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


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def run(prog, *args):
    r = subprocess.run([prog, *args], capture_output=True, text=True, timeout=30,
                       check=False)
    print(f"$ {os.path.basename(prog)} {' '.join(args)}  -> exit {r.returncode}")
    print(r.stdout, end="")
    if r.stderr:
        print("stderr: " + r.stderr, end="")
    return r


def check_example(prog):
    name = os.path.basename(prog)
    r = run(prog, "--help")
    check(r.returncode == 0, f"{name} --help: want exit 0")
    check(r.stdout.startswith(f"Usage: {name}") and r.stderr == "",
          f"{name} --help: want the usage on stdout, nothing on stderr")
    for args, what in BAD[name]:
        r = run(prog, *args)
        check(r.returncode == 2, f"{name} {args}: want exit 2")
        check(r.stderr.startswith(f"{name}: ") and what in r.stderr.splitlines()[0],
              f"{name} {args}: want '{name}: ...{what}...' first on stderr")
        check(f"Usage: {name}" in r.stderr, f"{name} {args}: want the usage on stderr")


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        for prog in argv[1:]:
            check_example(prog)
    except Failed as e:
        print(f"FAIL: {e}")
        return 1
    print("examples' command lines: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
