#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""idd-ctl against a live demo: list, show and watch, as tables and JSON.

Starts examples/group_two_process with --hold (both of its processes serve
telemetry while they hold), runs idd-ctl against them and checks what it
prints against what the demo did: three inter-process vchans (local ->
remote, remote -> local, remote -> remote with the joiner's handler on
both sides), a group of two members, the joiner's three windows. A fake
process that greets with garbage checks that `list --json` reports it
with the same members as a good entry, and that a failed `show --json`
prints nothing on stdout. Then the hold is ended (a line on the demo's
stdin) and the demo must finish cleanly, MEMBER_LEFT printed.

Usage: test_ctl_demo.py IDD_CTL GROUP_TWO_PROCESS ENGINE
"""

import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time

LIST_KEYS = ["pid", "uid", "namespace", "program", "idd_version", "protocol",
             "devices", "groups", "windows", "comm", "error"]
TIMEOUT_S = 60


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def ctl(tool, env, *args):
    r = subprocess.run([tool, *args], env=env, capture_output=True, text=True,
                       timeout=TIMEOUT_S, check=False)
    print(f"$ idd-ctl {' '.join(args)}  -> exit {r.returncode}")
    print(r.stdout, end="")
    if r.stderr:
        print("stderr: " + r.stderr, end="")
    return r


class Reader:
    """The demo's stdout, line by line, from a thread (select() on a
    buffered pipe would miss lines already read into the buffer)."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        self.seen = []
        self.thread = threading.Thread(target=self.run, args=(stream,), daemon=True)
        self.thread.start()

    def run(self, stream):
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def until(self, prefix):
        """Lines until one that starts with prefix (returned)."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise Failed(f"the demo never printed a line starting with {prefix!r}")
            self.seen.append(line)
            print("demo| " + line, end="")
            if line.startswith(prefix):
                return line

    def rest(self):
        """Every line until the end of the stream."""
        self.thread.join(TIMEOUT_S)
        while not self.lines.empty():
            line = self.lines.get()
            if line is not None:
                self.seen.append(line)
                print("demo| " + line, end="")
        return "".join(self.seen)


class FakeProcess:
    """A telemetry socket whose owner greets every tool with garbage."""

    def __init__(self, rundir, ns):
        self.path = os.path.join(rundir, f"{ns}.telemetry.{os.getpid()}.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            try:
                conn.send(b"this is not a greeting")
            finally:
                conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()
        os.unlink(self.path)


def check_list(tool, env, ns, creator, joiner_pid):
    r = ctl(tool, env, "list", "--namespace", ns, "--json")
    check(r.returncode == 0, "list --json failed")
    doc = json.loads(r.stdout)
    check(doc["namespace"] == ns, "list --json: wrong namespace")
    procs = {p["pid"]: p for p in doc["processes"]}
    check(sorted(procs) == sorted([creator, joiner_pid]),
          f"list --json: want pids {creator} and {joiner_pid}, got {sorted(procs)}")
    for p in procs.values():
        check(list(p.keys()) == LIST_KEYS, f"list --json: members {list(p.keys())}")
        check(p["error"] is None, "list --json: error set for a live process")
        check(p["uid"] == os.geteuid(), "list --json: wrong uid")
        check(p["devices"] == 1 and p["groups"] == 1, "list --json: counts")
        check(p["program"] == "group_two_process", "list --json: program")
    check(procs[joiner_pid]["windows"] == 3, "list --json: the joiner has 3 windows")
    check(procs[creator]["windows"] == 0, "list --json: the creator has no window")

    r = ctl(tool, env, "list", "--namespace", ns)
    check(r.returncode == 0, "list failed")
    check("PID" in r.stdout and "WINDOWS" in r.stdout, "list: no table header")
    check(str(creator) in r.stdout and str(joiner_pid) in r.stdout, "list: pids missing")
    check("group_two_process " in r.stdout, "list: the program's full name is missing")


def check_show(tool, env, creator, joiner_pid):
    r = ctl(tool, env, "show", str(creator), "--json")
    check(r.returncode == 0, "show --json failed")
    doc = json.loads(r.stdout)
    check(doc["process"]["pid"] == creator, "show: process.pid")
    check(len(doc["devices"]) == 1, "show: one device")
    dev = doc["devices"][0]
    check(dev["state"] == "started" and dev["nb_vchans"] == 3, "show: device state")
    check("inter_process_domain" in dev["capabilities"], "show: capability")
    groups = doc["groups"]
    check(len(groups) == 1 and groups[0]["role"] == "creator", "show: group role")
    check(groups[0]["directory_entries"] == 3, "show: the three published buffers")
    members = groups[0]["members"]
    check(len(members) == 2, "show: two members")
    me = [m for m in members if m["self"]][0]
    peer = [m for m in members if not m["self"]][0]
    check(me["creator"] and me["pid"] == creator, "show: the creator member")
    check(peer["pid"] == joiner_pid and peer["windows_total"] == 3, "show: the joiner member")
    check(sorted(w["perms"] for w in peer["windows"]) == ["r", "w", "w"],
          "show: the joiner's windows' permissions")
    local, remote = me["handler"], peer["handler"]
    check(local != remote and local > 0 and remote > 0, "show: handlers")
    want = {0: (local, remote), 1: (remote, local), 2: (remote, remote)}
    vchans = {v["vchan"]: v for v in dev["vchans"]}
    check(sorted(vchans) == [0, 1, 2], "show: vchans 0..2")
    chunk, per_direction = 64 << 10, 64 << 20
    for n, (src, dst) in want.items():
        v = vchans[n]
        check(v["domain"]["type"] == "inter-process", f"show: vchan {n} domain type")
        check((v["domain"]["src_handler"], v["domain"]["dst_handler"]) == (src, dst),
              f"show: vchan {n} handlers {v['domain']}, want {src} -> {dst}")
        st = v["stats"]
        check(st["errors"] == 0, f"show: vchan {n} errors")
        check(st["completed"] >= per_direction // chunk, f"show: vchan {n} completed")
        check(st["bytes"] >= per_direction, f"show: vchan {n} bytes")
    check(dev["stats"]["completed"] >= 3 * per_direction // chunk and dev["stats"]["errors"] == 0,
          "show: device counters")

    r = ctl(tool, env, "show", str(creator))
    check(r.returncode == 0, "show failed")
    for title in ("devices (1)", "vchans (3)", "groups (1)", "members (2)", "peer windows (3)"):
        check(title in r.stdout, f"show: no '{title}' table")
    check("inter-process" in r.stdout, "show: domain type missing")

    r = ctl(tool, env, "show", str(joiner_pid), "--json")
    check(r.returncode == 0, "show joiner --json failed")
    doc = json.loads(r.stdout)
    check(len(doc["windows"]) == 3, "show joiner: three windows")
    check(all(w["kind"] == "heap" and w["length"] >= 8 << 20 for w in doc["windows"]),
          "show joiner: heap windows of 8 MiB")
    check(doc["groups"][0]["role"] == "member", "show joiner: role member")


def check_watch(tool, env, creator):
    # The default: a refresh every second.
    r = ctl(tool, env, "watch", str(creator), "--count", "2")
    check(r.returncode == 0, "watch failed")
    blocks = r.stdout.split("idd-ctl watch: every 1.0 s")
    check(len(blocks) == 3, "watch: want two refreshes")
    check("rates from the next refresh" in blocks[1], "watch: first refresh has no rates")
    check("rates from the next refresh" not in blocks[2], "watch: second refresh lacks rates")
    # The demo copies during its hold: the second refresh shows a rate.
    check("/s" in blocks[2] and "creator" in blocks[2], "watch: no rates in the second refresh")


def check_errors(tool, env, rundir, ns, creator, joiner_pid):
    fake = FakeProcess(rundir, ns)
    try:
        r = ctl(tool, env, "list", "--namespace", ns, "--json")
        check(r.returncode == 1, "list --json: want exit 1 when a process cannot be asked")
        doc = json.loads(r.stdout)
        procs = {p["pid"]: p for p in doc["processes"]}
        check(sorted(procs) == sorted([creator, joiner_pid, os.getpid()]),
              "list --json: the fake process is listed")
        for p in procs.values():
            check(list(p.keys()) == LIST_KEYS,
                  f"list --json: entry members {list(p.keys())}, want {LIST_KEYS}")
        bad = procs[os.getpid()]
        check(isinstance(bad["error"], str) and "not a telemetry server" in bad["error"],
              f"list --json: error {bad['error']!r}")
        check(bad["namespace"] == ns and bad["uid"] is None and bad["devices"] is None,
              "list --json: the failed entry's members")
        check(procs[creator]["error"] is None, "list --json: good entry has error null")

        r = ctl(tool, env, "show", str(os.getpid()), "--json")
        check(r.returncode == 1, "show --json of the fake: want exit 1")
        check(r.stdout == "", "show --json: nothing on stdout on failure")
        check(r.stderr.startswith("idd-ctl: "), "show --json: the reason on stderr")
    finally:
        fake.close()


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    tool, demo, engine = argv[1:]
    rundir = tempfile.mkdtemp(prefix="idd-ctl-demo-")
    env = dict(os.environ, IDD_RUNTIME_DIR=rundir)
    env.pop("IDD_TELEMETRY", None)
    proc = subprocess.Popen([demo, engine, "--hold", "120"], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    reader = Reader(proc.stdout)
    try:
        line = reader.until("hold: ")
        fields = dict(f.split("=", 1) for f in line.split()[1:])
        creator, joiner_pid, ns = int(fields["creator"]), int(fields["joiner"]), fields["namespace"]

        check_list(tool, env, ns, creator, joiner_pid)
        check_show(tool, env, creator, joiner_pid)
        check_watch(tool, env, creator)
        check_errors(tool, env, rundir, ns, creator, joiner_pid)

        # End the hold; the demo finishes, the joiner leaves.
        proc.stdin.write("\n")
        proc.stdin.close()
        check(proc.wait(timeout=TIMEOUT_S) == 0, f"the demo exited with {proc.returncode}")
        text = reader.rest()
        check("event MEMBER_LEFT" in text, "the demo did not print MEMBER_LEFT")
        check("summary:" in text and "OK" in text, "the demo printed no summary")

        # Both processes exited: their sockets are gone.
        r = ctl(tool, env, "list", "--namespace", ns, "--json")
        check(r.returncode == 0 and json.loads(r.stdout)["processes"] == [],
              "list after the demo: want no process")
    except Failed as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for name in os.listdir(rundir):
            os.unlink(os.path.join(rundir, name))
        os.rmdir(rundir)
    print("idd-ctl on the demo: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
