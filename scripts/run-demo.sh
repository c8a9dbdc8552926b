#!/usr/bin/env bash
# The main job: build idd and run the demo.
#
#   1. local_copy: one process copies and fills through a software DMA device.
#   2. group_two_process, inline engine, then thread engine: two processes
#      form an access pair group, find each other's buffers in the group's
#      directory, copy 64 MiB in each of the three directions (local ->
#      remote, remote -> local, remote -> remote) with byte-for-byte checks,
#      print the MEMBER_LEFT event when the joiner leaves, and a summary with
#      the throughput of each direction.
#   3. The same demo held alive with telemetry on, looked at with idd-ctl
#      (list, show) while it runs.
#   4. inter_os: two "hosts" copying 64 MiB each way through the fabric
#      driver, across two network namespaces joined by a veth pair when it
#      can (root, and `ip netns add` works), else on 127.0.0.1; where
#      libfabric was found at configure.
#
#   ./scripts/run-demo.sh
#
# Environment: IDD_BUILD (default "build") names the build directory.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IDD_TOP"

"$IDD_TOP/scripts/install-deps.sh"

echo "==> configure and build ($IDD_BUILD/)"
meson_setup "$IDD_BUILD" >/dev/null
meson compile -C "$IDD_BUILD" local_copy group_two_process tools/ctl/idd-ctl >/dev/null
inter_os=
if grep -q '^build examples/inter_os:' "$IDD_BUILD/build.ninja"; then
	meson compile -C "$IDD_BUILD" examples/inter_os >/dev/null
	inter_os="$IDD_BUILD/examples/inter_os"
fi
demo="$IDD_BUILD/examples/group_two_process"
ctl="$IDD_BUILD/tools/ctl/idd-ctl"

echo
echo "==> local_copy: one process, a copy and a fill through a sw device"
"$IDD_BUILD/examples/local_copy" engine=inline
echo
echo "==> group_two_process, inline engine (copies run in the caller's submit)"
"$demo" inline
echo
echo "==> group_two_process, thread engine (a worker thread per device copies)"
"$demo" thread

echo
echo "==> idd-ctl looking at the demo while it holds (group_two_process --hold)"
work=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$work"' EXIT
mkfifo "$work/stdin"
"$demo" thread --hold 30 <"$work/stdin" >"$work/out" 2>&1 &
demo_pid=$!
exec 3>"$work/stdin" # the demo's stdin: a line on it ends the hold
hold_line=
for _ in $(seq 200); do
	hold_line=$(grep -m1 '^hold: ' "$work/out" || true)
	[ -n "$hold_line" ] || ! kill -0 "$demo_pid" 2>/dev/null || { sleep 0.1; continue; }
	break
done
if [ -z "$hold_line" ]; then
	cat "$work/out"
	echo "run-demo: the held demo did not start" >&2
	exit 1
fi
# "hold: creator=PID joiner=PID namespace=NS"
creator=$(sed -n 's/.*creator=\([0-9]*\).*/\1/p' <<<"$hold_line")
ns=$(sed -n 's/.*namespace=\([^ ]*\).*/\1/p' <<<"$hold_line")
echo "\$ idd-ctl list --namespace $ns"
"$ctl" list --namespace "$ns"
echo
echo "\$ idd-ctl show $creator        (the creator)"
"$ctl" show "$creator"
echo >&3 # end the hold
exec 3>&-
wait "$demo_pid"
echo
echo "(the held demo, after Enter ended its hold:)"
sed -n '/^creator: hold over/,/^$/p' "$work/out" | sed '/^$/d'

echo
if [ -z "$inter_os" ]; then
	echo "==> inter_os: not built (libfabric was not found at configure)"
elif [ "$(id -u)" = 0 ] && ip netns add "idd-demo-probe-$$" 2>/dev/null; then
	ip netns del "idd-demo-probe-$$"
	echo "==> inter_os: two hosts (network namespaces joined by a veth pair) over the fabric driver"
	"$inter_os"
else
	echo "==> inter_os --loopback: cannot make network namespaces here (needs root), so both"
	echo "    hosts are 127.0.0.1, over the fabric driver"
	"$inter_os" --loopback
fi

echo
echo "run-demo: OK"
