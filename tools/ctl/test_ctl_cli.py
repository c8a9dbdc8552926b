#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""idd-ctl without any idd process: the runtime directory and usage errors.

idd-ctl only reads: a missing runtime directory means that no process
serves telemetry, and idd-ctl must not create it (nor its parent). An
existing one still gets the library's checks.

Usage: test_ctl_cli.py IDD_CTL
"""

import json
import os
import subprocess
import sys
import tempfile


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def ctl(tool, env, *args):
    r = subprocess.run([tool, *args], env=env, capture_output=True, text=True,
                       timeout=30, check=False)
    print(f"$ idd-ctl {' '.join(args)}  -> exit {r.returncode}")
    print(r.stdout, end="")
    if r.stderr:
        print("stderr: " + r.stderr, end="")
    return r


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


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    tool = argv[1]
    with tempfile.TemporaryDirectory(prefix="idd-ctl-cli-") as top:
        try:
            check_missing_dir(tool, top)
            check_unsafe_dir(tool, top)
        except Failed as e:
            print(f"FAIL: {e}")
            return 1
    print("idd-ctl command line: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
