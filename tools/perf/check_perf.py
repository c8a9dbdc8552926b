#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks of idd-perf's behaviour (suite 'perf'); no figure is judged.

    check_perf.py IDD_PERF smoke DIRECTION   one short run per direction, both
                                             engines: JSON rows and fields
    check_perf.py IDD_PERF group             join latency and storm rows
    check_perf.py IDD_PERF dma               the dma subcommand's JSON: one
                                             result per case, the round trip
    check_perf.py IDD_PERF outputs           --csv and --json agree, --plot
                                             writes a PNG
    check_perf.py IDD_PERF config            bad config lines: FILE:LINE, exit 2
    check_perf.py IDD_PERF usage             bad options: exit 2, --help, -V
    check_perf.py IDD_PERF cleanup           SIGINT, SIGTERM, SIGKILL of
                                             idd-perf, and repeated signals: no
                                             peer process survives
    check_perf.py IDD_PERF peer-death        a peer killed mid-run: exit 1, the
                                             reason, the other peer stopped

Every run gets its own TMPDIR, which must be empty afterwards (idd-perf
removes its runtime directory), and no process may be left that carries
idd-perf's namespace (IDD_NAMESPACE=idd-perf-PID, which every peer inherits).
"""

import atexit
import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

FAST = ["-d", "0.01", "-q"]
SIZES = ["64", "4096", "1048576"]
COPY_FIELDS = ["gbps", "mops", "lat_p50_ns", "lat_p99_ns", "memcpy_gbps", "vs_memcpy"]
ALL_FIELDS = ["case", "type", "direction", "engine", "size", "burst", "kick", "ring", "peers",
              "footprint", "ops", "gbps", "mops", "lat_p50_ns", "lat_p99_ns", "memcpy_gbps",
              "vs_memcpy", "pvm_gbps", "vs_pvm", "total_ns"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def leftovers(pid):
    """Processes (other than idd-perf itself) that carry idd-perf's namespace."""
    tag = ("IDD_NAMESPACE=idd-perf-%d" % pid).encode()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == pid:
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if tag in env:
            found.append(int(d))
    return found


def wait_no_leftovers(pid, secs=5.0):
    end = time.time() + secs
    while True:
        left = leftovers(pid)
        if not left:
            return
        if time.time() > end:
            fail("peer processes left behind: %s" % left)
        time.sleep(0.05)


def run(exe, args, expect=0, tmp=None):
    """Run idd-perf; check exit status, leftovers and the TMPDIR."""
    own = tmp is None
    if own:
        tmp = tempfile.mkdtemp(prefix="check-perf-")
    env = dict(os.environ, TMPDIR=tmp)
    p = subprocess.Popen([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate(timeout=600)
    out, err = out.decode(), err.decode()
    if p.returncode != expect:
        fail("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(args), p.returncode, expect, out, err))
    wait_no_leftovers(p.pid)
    if own:
        rest = os.listdir(tmp)
        if rest:
            fail("idd-perf left %s in TMPDIR" % rest)
        os.rmdir(tmp)
    return out, err


def number(row, key):
    v = row[key]
    if not isinstance(v, (int, float)) or math.isnan(v) or v < 0:
        fail("row %s: %s = %r" % (row.get("case"), key, v))
    return v


def check_copy_rows(rows, direction, engines, sizes):
    want = [(e, int(s)) for e in engines for s in sizes]
    got = [(r["engine"], r["size"]) for r in rows
           if r["type"] == "copy" and r["direction"] == direction]
    if got != want:
        fail("%s: rows %s, want %s" % (direction, got, want))
    for r in rows:
        if r["type"] != "copy" or r["direction"] != direction:
            continue
        for k in COPY_FIELDS:
            number(r, k)
        if r["ops"] <= 0:
            fail("no copy counted: %r" % r)
        if r["lat_p99_ns"] < r["lat_p50_ns"]:
            fail("p99 below the median: %r" % r)
        if direction == "local":
            if r["pvm_gbps"] is not None or r["vs_pvm"] is not None:
                fail("local copies have no process_vm reference: %r" % r)
        elif r["pvm_gbps"] is None:
            # Allowed only where ptrace rules forbid process_vm_*.
            print("note: no process_vm figure (ptrace rules?)")
        if direction == "local" and r["peers"] != 0:
            fail("local row with peers: %r" % r)
        if direction == "peer-to-peer" and r["peers"] != 2:
            fail("peer-to-peer row without 2 peers: %r" % r)


def check_round_trip(doc, measured=True):
    """round_trip_ns: [before, after] in ns where it was measured; null
    otherwise, and where there are not two CPUs for the caller and the
    worker."""
    trip = doc.get("round_trip_ns", "missing")
    if trip is None and (not measured or len(os.sched_getaffinity(0)) < 2):
        return
    if not measured or not (isinstance(trip, list) and len(trip) == 2 and
                            all(isinstance(t, (int, float)) and 0 < t < 1e6 for t in trip)):
        fail("round_trip_ns %r: want %s" % (trip, "[before, after] in ns" if measured
                                             else "null"))


def smoke(exe, direction):
    out, _ = run(exe, ["copy", "-D", direction, "-e", "both", "-s", ",".join(SIZES),
                       "-R", "256", "--json"] + FAST)
    doc = json.loads(out)
    if doc.get("tool") != "idd-perf" or not doc.get("version"):
        fail("JSON header: %r" % {k: doc.get(k) for k in ("tool", "version")})
    page = doc.get("page_size")
    if not isinstance(page, int) or page < 4096 or page & (page - 1):
        fail("page_size %r: want the buffers' page size, a power of two" % (page,))
    check_round_trip(doc)
    check_copy_rows(doc["rows"], direction, ["inline", "thread"], SIZES)
    if len(doc["rows"]) != 2 * len(SIZES):
        fail("%d rows, want %d" % (len(doc["rows"]), 2 * len(SIZES)))
    # A walk through a footprint larger than the copies, several peers.
    if direction != "local":
        out, _ = run(exe, ["copy", "-D", direction, "-e", "inline", "-s", "4K", "-f", "1M",
                           "-p", "3", "-b", "8", "-k", "2", "--json"] + FAST)
        rows = json.loads(out)["rows"]
        if len(rows) != 1 or rows[0]["peers"] != 3 or rows[0]["footprint"] != 1 << 20 \
                or rows[0]["burst"] != 8 or rows[0]["kick"] != 2:
            fail("footprint/peers/burst/kick not as asked: %r" % rows)


def dma(exe):
    base = ["dma", "--json", "-q", "-d", "0.01", "-n", "1", "-s", "64,4K", "-w", "8M",
            "-R", "256"]
    out, _ = run(exe, base)
    doc = json.loads(out)
    if doc.get("tool") != "idd-perf" or doc.get("subcommand") != "dma":
        fail("dma JSON header: %r" % {k: doc.get(k) for k in ("tool", "subcommand")})
    check_round_trip(doc)
    cases = [(r["engine"], r["regime"], r["size"]) for r in doc["results"]]
    want = [(e, g, s) for e in ("inline", "thread") for g in ("cached", "rotating")
            for s in (64, 4096)]
    if cases != want:
        fail("dma cases %r, want %r" % (cases, want))
    for r in doc["results"]:
        if not (r["ops"] > 0 and r["gbps"] > 0 and r["memcpy_gbps"] > 0 and r["ratio"] > 0):
            fail("dma result without figures: %r" % r)
    # No thread engine, or no second CPU for its worker: nothing to measure.
    for extra in (["-e", "inline"], ["-W", "none"]):
        check_round_trip(json.loads(run(exe, base + extra)[0]), measured=False)
    # The table's header names the working set only where a regime walks it.
    table = ["dma", "-q", "-d", "0.01", "-n", "1", "-s", "64", "-e", "inline"]
    for regime, shown in (("cached", False), ("rotating", True)):
        out, _ = run(exe, table + ["-r", regime])
        if ("working set" in out) != shown:
            fail("dma -r %s: header %s the working set:\n%s"
                 % (regime, "lacks" if shown else "names", out[:300]))


def group(exe):
    out, _ = run(exe, ["group", "--cycles", "20", "--storm", "6", "--json", "-q"])
    rows = json.loads(out)["rows"]
    kinds = [(r["type"], r["direction"], r["size"]) for r in rows]
    if kinds != [("group", "join", 20), ("group", "storm", 6)]:
        fail("group rows: %r" % kinds)
    number(rows[0], "lat_p50_ns")
    number(rows[0], "lat_p99_ns")
    number(rows[1], "total_ns")
    if rows[1]["lat_p50_ns"] is not None:
        fail("the storm has no per-join latency: %r" % rows[1])


def outputs(exe):
    tmp = tempfile.mkdtemp(prefix="check-perf-out-")
    csv_path = os.path.join(tmp, "out.csv")
    png_path = os.path.join(tmp, "out.png")
    rt = os.path.join(tmp, "rt")
    os.mkdir(rt)
    args = ["-D", "local,to-peer", "-e", "inline", "-s", "64,4K", "--csv", csv_path, "--json"]
    have_gnuplot = subprocess.call(["sh", "-c", "command -v gnuplot"],
                                   stdout=subprocess.DEVNULL) == 0
    if have_gnuplot:
        args += ["--plot", png_path]
    out, _ = run(exe, args + FAST, tmp=rt)
    if os.listdir(rt):
        fail("idd-perf left %s in TMPDIR" % os.listdir(rt))
    doc = json.loads(out)
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if list(rows[0].keys()) != ALL_FIELDS:
        fail("CSV columns %s" % list(rows[0].keys()))
    if len(rows) != len(doc["rows"]) or len(rows) != 4:
        fail("CSV has %d rows, JSON %d, want 4" % (len(rows), len(doc["rows"])))
    for c, j in zip(rows, doc["rows"]):
        for k in ("case", "type", "direction", "engine"):
            if c[k] != j[k]:
                fail("CSV and JSON differ in %s: %r vs %r" % (k, c[k], j[k]))
        for k in ("size", "ops"):
            if int(c[k]) != j[k]:
                fail("CSV and JSON differ in %s" % k)
        for k in COPY_FIELDS:
            if abs(float(c[k]) - j[k]) > 1e-3 * abs(j[k]) + 1e-9:
                fail("CSV and JSON differ in %s: %s vs %s" % (k, c[k], j[k]))
        if (c["pvm_gbps"] == "") != (j["pvm_gbps"] is None):
            fail("CSV and JSON disagree on the pvm figure")
    # --list counts the peers as the rows do (none for a local copy).
    p = subprocess.run([exe, "--list"] + args[:6], capture_output=True, text=True)
    listed = [(line.split(" direction=")[1].split()[0], int(line.split(" peers=")[1].split()[0]))
              for line in p.stdout.splitlines()]
    rowed = sorted({(r["direction"], r["peers"]) for r in doc["rows"]})
    if p.returncode != 0 or sorted(listed) != rowed:
        fail("--list says peers %r, the rows %r" % (listed, rowed))
    if have_gnuplot:
        with open(png_path, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                fail("--plot did not write a PNG")
        # One size alone: a plot, and nothing from gnuplot on stderr.
        _, err = run(exe, ["-D", "local", "-e", "inline", "-s", "4K", "--plot", png_path] + FAST)
        if err:
            fail("--plot of a single size: stderr %r" % err)
        for name in (".png", os.path.join(tmp, ".png")):
            p = subprocess.run([exe, "--plot", name] + FAST, capture_output=True, text=True,
                               timeout=10)
            if p.returncode != 2 or "name before .png is empty" not in p.stderr:
                fail("--plot %s: exit %d, %r" % (name, p.returncode, p.stderr))
        # Without gnuplot on PATH: a clear error before anything runs.
        p = subprocess.run([exe, "--plot", png_path] + FAST, env=dict(os.environ, PATH="/nonexistent"),
                           capture_output=True, text=True)
        if p.returncode != 2 or "gnuplot" not in p.stderr:
            fail("--plot without gnuplot: exit %d, %r" % (p.returncode, p.stderr))
        # A PNG that cannot be written: one line before the run, not
        # gnuplot's complaint after it.
        p = subprocess.run([exe, "--plot", "/nonexistent/x.png"] + FAST, capture_output=True,
                           text=True, timeout=10)
        if p.returncode != 2 or p.stdout or p.stderr.count("\n") != 1 \
                or "cannot write" not in p.stderr:
            fail("--plot to a missing directory: exit %d, %r" % (p.returncode, p.stderr))
    else:
        print("note: gnuplot missing, --plot not checked")
    # The progress line shows a process_vm phase only where there is one.
    for direction, shown in (("local", False), ("to-peer", True)):
        _, err = run(exe, ["-D", direction, "-e", "inline", "-s", "64", "-d", "0.01",
                           "--progress"])
        if ("process_vm" in err) != shown:
            fail("-D %s: progress %s a process_vm phase: %r"
                 % (direction, "lacks" if shown else "shows", err[-300:]))
    # The table, with its ratio columns.
    out, _ = run(exe, ["-D", "to-peer", "-e", "thread", "-s", "4K"] + FAST)
    for word in ("GB/s", "Mops/s", "lat p50", "lat p99", "x memcpy", "x pvm", "to-peer", "4 KiB"):
        if word not in out:
            fail("table lacks %r:\n%s" % (word, out))
    for p in (csv_path, png_path):
        if os.path.exists(p):
            os.unlink(p)
    os.rmdir(rt)
    os.rmdir(tmp)


# (file content, line named in the message, part of the reason)
BAD_CONFIGS = [
    ("[a]\ndirection = to-peer\nsizes = 64,4x\n", 3, "bad size"),
    ("sizes = 64\n", 1, "before the first"),
    ("[a]\n[a]\n", 2, "defined twice"),
    ("[a]\ntype = group\nsizes = 64\n", 3, "does not apply"),
    ("[a]\nfoo = 1\n", 2, "unknown key"),
    ("[a]\n\n# fine\ndirection = sideways\n", 4, "unknown value"),
    ("[a]\nring = 100\n", 2, "power of two"),
    ("[a]\nburst = 0\n", 2, "whole number"),
    ("[a]\nduration = soon\n", 2, "seconds"),
    ("[a]\nfootprint = lots\n", 2, "cache"),
    ("[a]\nstorm = 500\n", 2, "whole number"),
    ("[a]\ntype = teleport\n", 2, "unknown case type"),
    ("[a b]\n", 1, "bad case name"),
    ("[a\n", 1, "section header"),
    ("[a]\njunk\n", 2, "expected"),
    ("[a]\nsizes =\n", 2, "empty"),
    ("[a]\nengine = inline\nengine = thread\n", 3, "twice"),
    ("[a]\ndirection = peer-to-peer\npeers = 1\n", 1, "peers >= 2"),
    ("[a]\nring = 32\nburst = 64\n", 1, "exceeds ring"),
    ("[a]\ntype = group\ncycles = 0\nstorm = 0\n", 1, "nothing to measure"),
]


def config(exe):
    tmp = tempfile.mkdtemp(prefix="check-perf-cfg-")
    path = os.path.join(tmp, "cases.ini")
    for text, line, reason in BAD_CONFIGS:
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([exe, "--config", path], capture_output=True, text=True, timeout=60)
        want = "%s:%d: " % (path, line)
        if p.returncode != 2 or not p.stderr.startswith(want) or reason not in p.stderr:
            fail("config %r: exit %d, stderr %r; want exit 2 and %r...%r"
                 % (text, p.returncode, p.stderr, want, reason))
        if p.stdout:
            fail("a bad config printed results: %r" % p.stdout)
    with open(path, "w") as f:
        f.write("# empty\n")
    p = subprocess.run([exe, "--config", path], capture_output=True, text=True)
    if p.returncode != 2 or "no [case] section" not in p.stderr:
        fail("empty config: %d %r" % (p.returncode, p.stderr))
    p = subprocess.run([exe, "--config", os.path.join(tmp, "missing.ini")],
                       capture_output=True, text=True)
    if p.returncode != 2 or "missing.ini" not in p.stderr:
        fail("missing config: %d %r" % (p.returncode, p.stderr))
    # A good file: sections expand into (direction x engine) cases, the
    # command line fills what a section leaves out; and it really runs.
    with open(path, "w") as f:
        f.write("; cases\n[small]\ndirection = to-peer, from-peer\nengine = inline\n"
                "sizes = 64-256\nburst = 16\n\n[ctl]\ntype = group\ncycles = 5\nstorm = 2\n")
    p = subprocess.run([exe, "--config", path, "--list", "-d", "0.01", "-R", "64"],
                       capture_output=True, text=True)
    lines = p.stdout.splitlines()
    if p.returncode != 0 or len(lines) != 3 or "sizes=64,128,256" not in lines[0] \
            or "burst=16" not in lines[0] or "ring=64" not in lines[0] \
            or "from-peer" not in lines[1] or "type=group" not in lines[2]:
        fail("--list of a good config: %d %r %r" % (p.returncode, p.stdout, p.stderr))
    out, _ = run(exe, ["--config", path, "--json"] + FAST)
    rows = json.loads(out)["rows"]
    got = [(r["case"], r["direction"], r["size"]) for r in rows]
    want = [("small", d, s) for d in ("to-peer", "from-peer") for s in (64, 128, 256)] + \
        [("ctl", "join", 5), ("ctl", "storm", 2)]
    if got != want:
        fail("config run rows %r, want %r" % (got, want))
    os.unlink(path)
    os.rmdir(tmp)


# idd-perf mem, where the build has it: one line naming option, value and
# range, not the whole usage text.
MEM_USAGE = [(["mem", "--windows", "18014398509481985K"],
              "--windows: '18014398509481985K' is not a number from 1 to 1000000"),
             (["mem", "--threads", "0"], "--threads: '0' is not a number from 1 to 1024"),
             (["mem", "--sizes", "64,2G"], "--sizes: size '2G' out of range"),
             (["mem", "-Zq"], "mem: unknown option '-Z'"),
             (["mem", "--batch"], "option '--batch' needs a value"),
             (["mem", "--iters", "10", "--batch", "100"], "below --batch")]


def usage(exe):
    have_mem = subprocess.run([exe, "mem", "--help"], capture_output=True).returncode == 0
    for args, reason in (MEM_USAGE if have_mem else []) + [
                         (["--sizes", "0"], "out of range"), (["--bogus"], "unknown option"),
                         (["-s"], "needs a value"), (["group", "-s", "64"], "does not apply"),
                         (["--plot", "x.jpg"], ".png"), (["sideways"], "unknown subcommand"),
                         (["-D", "up"], "unknown value"), (["--cpu", "x"], "CPU"),
                         (["group", "-e", "inline"], "copy cases"),
                         (["copy", "--config", "x"], "--config"),
                         # Output paths are checked before anything runs.
                         (["--csv", "/nonexistent/x.csv"], "cannot write '/nonexistent/x.csv'"),
                         (["--csv", "/"], "Is a directory"),
                         (["dma", "--csv", "/nonexistent/x.csv"], "cannot write"),
                         # dma: usage errors, not run failures.
                         (["dma", "-R", "16"], "32 to 16384"),
                         (["dma", "-R", "32768"], "32 to 16384"),
                         (["dma", "-R", "100"], "power of two"),
                         (["dma", "-c", "1000"], "--cpu 1000: not a CPU"),
                         (["dma", "-W", "1000"], "--worker-cpu 1000: not a CPU"),
                         (["dma", "-w", "1", "-s", "64"], "needs at least 256 B"),
                         (["dma", "-d", "1e-9"], "0.001 to 3600"),
                         (["dma", "-b", "64", "-R", "32"], "larger than --ring"),
                         # The value or option that is wrong, not its neighbour.
                         (["-s", "64-2G"], "size '2G' out of range"),
                         (["dma", "-s", "2G-4G"], "size '2G' out of range"),
                         (["-Zq"], "unknown option '-Z'"), (["dma", "-Zq"], "unknown option '-Z'"),
                         (["--json", "-Zq"], "unknown option '-Z'"),
                         (["-q", "--bogus"], "unknown option '--bogus'"),
                         (["-qs"], "option -s needs"), (["dma", "-qs"], "option '-s' needs"),
                         # A footprint too small to walk is refused, not a cached
                         # run under its name; 0 is not 'cache'.
                         (["copy", "-D", "local,to-peer", "-e", "inline", "-s", "1M", "-f", "1"],
                          "at least 4 MiB"),
                         (["copy", "-s", "64,4K", "-f", "15K"], "at least 16 KiB"),
                         (["-f", "0"], "neither 'cache'")]:
        p = subprocess.run([exe] + args, capture_output=True, text=True, timeout=60)
        lines = p.stderr.splitlines()
        # One line that says it all; at most a pointer to --help after it.
        if p.returncode != 2 or not lines or reason not in lines[0] or p.stdout \
                or len(lines) > 2 or (len(lines) == 2 and not lines[1].startswith("Try ")):
            fail("%s: exit %d, %r; want exit 2 and one line with %r"
                 % (args, p.returncode, p.stderr, reason))
    p = subprocess.run([exe, "--help"], capture_output=True, text=True)
    for opt in ("--config", "--direction", "--engine", "--sizes", "--burst", "--kick", "--ring",
                "--peers", "--duration", "--footprint", "--cycles", "--storm", "--cpu",
                "--worker-cpu", "--list", "--csv", "--json", "--plot", "--progress", "--quiet",
                "--version", "Examples"):
        if opt not in p.stdout:
            fail("--help does not explain %s" % opt)
    # The ranges the man page gives.
    for rng in ("1 byte to 1G", "1..16384 and\n                           at most the ring",
                "at most the burst", "32..16384", "1..16", "0.001..3600", "0..100000", "0..127"):
        if rng not in p.stdout:
            fail("--help does not give the range %r" % rng)
    p = subprocess.run([exe, "dma", "--help"], capture_output=True, text=True)
    for rng in ("32..16384", "0.001..3600", "1..ring"):
        if rng not in p.stdout:
            fail("dma --help does not give the range %r" % rng)
    # --list: only the keys a type takes (fabric: no peers, no footprint).
    p = subprocess.run([exe, "fabric", "--list"], capture_output=True, text=True)
    if p.returncode == 0 and ("peers=" in p.stdout or "footprint=" in p.stdout):
        fail("fabric --list shows keys fabric refuses: %r" % p.stdout)
    p = subprocess.run([exe, "-V"], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.startswith("idd-perf "):
        fail("-V: %r" % p.stdout)
    # Peers only ever start from idd-perf itself.
    p = subprocess.run([exe, "--peer-process"], input="nonsense\n", capture_output=True, text=True)
    if p.returncode != 2:
        fail("a peer without its hello: exit %d" % p.returncode)


def start_measuring(exe, args, tmp, peers, **popen):
    """Start idd-perf with --progress and wait until it measures copies
    with @peers peer processes running."""
    p = subprocess.Popen([exe] + args + ["--progress"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(os.environ, TMPDIR=tmp), **popen)
    seen = b""
    end = time.time() + 120
    # The progress line says when the measuring starts.
    while b"throughput" not in seen:
        if time.time() > end or p.poll() is not None:
            p.kill()
            fail("no progress line: %r" % seen)
        seen += os.read(p.stderr.fileno(), 4096)
    if len(leftovers(p.pid)) != peers:
        p.kill()
        fail("expected %d peers running, found %s" % (peers, leftovers(p.pid)))
    return p, seen


def cleanup(exe):
    # Long cases, stopped once the copies run: idd-perf exits 128+N and
    # its peers are gone; SIGKILL: the kernel kills the peers. A repeated
    # signal takes the same orderly path: twice SIGTERM in a row, and
    # SIGTERM to idd-perf then to its whole process group (as timeout(1)
    # does) leave no peer and no runtime directory either.
    for how, want in (([signal.SIGINT], 130), ([signal.SIGTERM], 143), ([signal.SIGKILL], -9),
                      ([signal.SIGTERM, signal.SIGTERM], 143),
                      ([signal.SIGINT, signal.SIGTERM], (130, 143)),
                      ([signal.SIGHUP, signal.SIGHUP], 129), (["group"], 143)):
        tmp = tempfile.mkdtemp(prefix="check-perf-sig-")
        p, _ = start_measuring(exe, ["copy", "-D", "peer-to-peer,to-peer", "-p", "3", "-d", "30"],
                               tmp, 3, start_new_session=True)
        for sig in how:
            if sig == "group":
                p.send_signal(signal.SIGTERM)
                os.killpg(p.pid, signal.SIGTERM)
            else:
                p.send_signal(sig)
        name = "+".join(s if isinstance(s, str) else s.name for s in how)
        _, err = p.communicate(timeout=60)
        # Two different signals at once: either may be the one reported
        # (idd's worker threads take signals too).
        if p.returncode in (want if isinstance(want, tuple) else (want,)):
            want = p.returncode
        if p.returncode != want:
            fail("after %s: exit %d, want %r; stderr %r" % (name, p.returncode, want,
                                                          err[-300:]))
        if want > 0 and b"stopped by signal %d" % (want - 128) not in err:
            fail("after %s: no word on stderr: %r" % (name, err[-300:]))
        wait_no_leftovers(p.pid)
        rest = os.listdir(tmp)
        if want > 0 and rest:
            fail("after %s: TMPDIR holds %s" % (name, rest))
        for entry in rest:  # SIGKILL leaves the runtime directory
            subprocess.call(["rm", "-rf", os.path.join(tmp, entry)])
        os.rmdir(tmp)


def peer_death(exe):
    # A peer killed while copies run: the copies fail with a status, the
    # run ends with exit status 1 and says why, the other peer is stopped.
    tmp = tempfile.mkdtemp(prefix="check-perf-death-")
    p, seen = start_measuring(exe, ["copy", "-D", "to-peer", "-e", "thread", "-p", "2", "-s",
                                    "4K", "-d", "30"], tmp, 2)
    peers = leftovers(p.pid)
    os.kill(peers[0], signal.SIGKILL)
    out, err = p.communicate(timeout=120)
    err = (seen + err).decode(errors="replace")
    if p.returncode != 1:
        fail("after a peer died: exit %d, want 1" % p.returncode)
    if "failed" not in err or "peer process has died" not in err:
        fail("no word of the failed copy: %r" % err[-400:])
    if out:
        fail("a failed run printed results: %r" % out)
    wait_no_leftovers(p.pid)
    if os.listdir(tmp):
        fail("TMPDIR holds %s" % os.listdir(tmp))
    os.rmdir(tmp)


def main():
    exe, what = sys.argv[1], sys.argv[2]
    # Every temporary directory below lives in one, removed at exit even
    # when a check fails.
    base = tempfile.mkdtemp(prefix="check-perf-")
    atexit.register(shutil.rmtree, base, True)
    tempfile.tempdir = base
    if what == "smoke":
        smoke(exe, sys.argv[3])
    elif what == "dma":
        dma(exe)
    elif what == "group":
        group(exe)
    elif what == "outputs":
        outputs(exe)
    elif what == "config":
        config(exe)
    elif what == "usage":
        usage(exe)
    elif what == "cleanup":
        cleanup(exe)
    elif what == "peer-death":
        peer_death(exe)
    else:
        fail("unknown check %r" % what)
    print("ok")


if __name__ == "__main__":
    main()
