#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""idd-ctl without any idd process: the runtime directory and usage errors.

idd-ctl only reads: a missing runtime directory means that no process
serves telemetry, and idd-ctl must not create it (nor its parent). An
existing one still gets the library's checks. Usage errors keep the
promise of idd-ctl(1) DIAGNOSTICS: one line starting with "idd-ctl: ".

Usage: test_ctl_cli.py IDD_CTL
"""

import json
import os
import sys
import tempfile

# The demo test's helpers (this directory is on sys.path: it holds the script).
from test_ctl_demo import Failed, check, ctl


def env_with(**kv):
    env = dict(os.environ)
    for k in ("IDD_RUNTIME_DIR", "XDG_RUNTIME_DIR", "IDD_NAMESPACE", "IDD_TELEMETRY"):
        env.pop(k, None)
    env.update(kv)
    return env


def check_missing_dir(tool, top):
    missing = os.path.join(top, "missing")
    cases = [("IDD_RUNTIME_DIR", missing, missing),
             ("XDG_RUNTIME_DIR", missing, os.path.join(missing, "idd"))]
    for var, value, rundir in cases:
        env = env_with(**{var: value})
        r = ctl(tool, env, "list")
        check(r.returncode == 0, f"list with {var} missing: want exit 0")
        check("no idd process" in r.stdout and rundir in r.stdout,
              f"list with {var} missing: want 'no idd process' naming {rundir}")
        r = ctl(tool, env, "list", "--all", "--json")
        check(r.returncode == 0 and json.loads(r.stdout)["processes"] == [],
              f"list --json with {var} missing: want no process, exit 0")
        r = ctl(tool, env, "show", str(os.getpid()))
        check(r.returncode == 1 and "does not serve telemetry" in r.stderr
              and rundir in r.stderr, f"show with {var} missing: want exit 1, naming {rundir}")
        check(not os.path.exists(missing), f"idd-ctl created {missing} ({var})")


def check_unsafe_dir(tool, top):
    # The library's checks still apply to a directory that exists.
    shared = os.path.join(top, "writable-by-all")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    r = ctl(tool, env_with(IDD_RUNTIME_DIR=shared), "list")
    check(r.returncode == 1 and "writable by others" in r.stderr,
          "list in a directory writable by others: want it refused, exit 1")
    os.rmdir(shared)


# A usage error is one line "idd-ctl: ..." that names the bad option or
# value, then one line that points to the help; exit status 2.
USAGE_ERRORS = [
    (["show", "-1"], "unknown option '-1'"),
    (["show", "-jx", "1"], "unknown option '-x'"),
    (["list", "--bogus"], "unknown option '--bogus'"),
    (["--bogus"], "unknown option '--bogus'"),
    (["-x", "list"], "unknown option '-x'"),
    (["list", "--json=yes"], "option '--json' takes no value"),
    (["list", "--namespace"], "option '--namespace' needs a value"),
    (["list", "-jn"], "option '-n' needs a value"),
    (["watch", "1", "--count", "0"], "bad count '0'"),
    (["watch", "1", "--interval", "9999"], "bad interval '9999'"),
    (["show", "abc"], "'abc' is not a pid"),
    (["show"], "which PID?"),
    (["list", "extra"], "unexpected argument 'extra'"),
    (["frobnicate"], "no command 'frobnicate'"),
    (["help", "frobnicate"], "no command 'frobnicate'"),
    ([], "which command?"),
]


def check_usage(tool, top):
    env = env_with(IDD_RUNTIME_DIR=os.path.join(top, "missing"))
    for args, what in USAGE_ERRORS:
        r = ctl(tool, env, *args)
        lines = r.stderr.splitlines()
        check(r.returncode == 2, f"{args}: want exit 2")
        check(r.stdout == "", f"{args}: nothing on stdout")
        check(len(lines) == 2 and lines[0].startswith("idd-ctl: ") and what in lines[0],
              f"{args}: want one line 'idd-ctl: ...{what}...' and one line of help")
        check("--help" in lines[1], f"{args}: the second line points to --help")
    for flag in ("-V", "--version"):
        r = ctl(tool, env, flag)
        check(r.returncode == 0 and r.stdout.startswith("idd-ctl "), f"{flag}: the version")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    tool = argv[1]
    with tempfile.TemporaryDirectory(prefix="idd-ctl-cli-") as top:
        try:
            check_missing_dir(tool, top)
            check_unsafe_dir(tool, top)
            check_usage(tool, top)
        except Failed as e:
            print(f"FAIL: {e}")
            return 1
    print("idd-ctl command line: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
