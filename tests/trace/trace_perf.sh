#!/usr/bin/env bash
# The perf recipe of doc/tracing.md works: perf probe turns USDT probes of
# the library into trace events, perf record follows trace_workload (and
# the members it starts), perf script shows every argument, including
# those after the sixth that bpftrace before 0.24 cannot read.
# Exits 77 (skipped) without perf, without the right to add uprobe events
# (root, and tracefs), or when another run's sdt_idd events exist.
# Usage: trace_perf.sh LIBIDD.so WORKLOAD FASTPATH
set -uo pipefail
lib=$(readlink -f "$1") workload=$2 fastpath=$3

if ! command -v perf >/dev/null; then
	echo "perf is not installed (Debian: linux-perf): skipped"
	exit 77
fi
work=$(mktemp -d /tmp/idd-trace-perf-XXXXXX)
export HOME=$work # perf keeps its build-id cache under $HOME/.debug
events=(vchan_setup event_member_left)
[ "$fastpath" = true ] && events+=(copy)
added=()
cleanup() {
	for e in "${added[@]}"; do
		perf probe -q -d "sdt_idd:$e" >/dev/null 2>&1
	done
	rm -rf "$work"
}
trap cleanup EXIT

for e in "${events[@]}"; do
	if ! perf probe -x "$lib" -a "%sdt_idd:$e" >"$work/probe.out" 2>&1; then
		if grep -q 'already exists' "$work/probe.out"; then
			echo "sdt_idd:$e exists already (another run, or left over: perf probe -d 'sdt_idd:*'): skipped"
		else
			echo "perf cannot add uprobe events here (needs root and tracefs): skipped"
			sed 's/^/  /' "$work/probe.out"
		fi
		exit 77
	fi
	added+=("$e")
done

list=$(printf 'sdt_idd:%s,' "${events[@]}")
if ! perf record -q -o "$work/perf.data" -e "${list%,}" -- "$workload" >"$work/workload.out" \
	2>"$work/record.err"; then
	cat "$work/workload.out" "$work/record.err" >&2
	echo "perf record of trace_workload failed" >&2
	exit 1
fi
perf script -i "$work/perf.data" -F event,trace >"$work/script.out" 2>"$work/script.err" || {
	cat "$work/script.err" >&2
	exit 1
}

# perf names the arguments arg1..argN (1-based).
expect=(
	'sdt_idd:vchan_setup: .* arg1=0 arg2=0 arg3=0 arg4=64 arg5=0 arg6=0 arg7=0 arg8=0 arg9=0 arg10=0 arg11=0 arg12=0$'
	'sdt_idd:vchan_setup: .* arg1=0 arg2=5 arg3=0 arg4=64 arg5=0 arg6=0 arg7=0 arg8=0 arg9=0 arg10=0 arg11=0 arg12=-22$'
	'sdt_idd:vchan_setup: .* arg1=1 arg2=0 arg3=0 arg4=64 .* arg12=0$'
	'sdt_idd:event_member_left: .* arg1=0 arg2=[0-9]+ arg3=[0-9]+$'
)
[ "$fastpath" = true ] &&
	expect+=('sdt_idd:copy: .* arg1=0 arg2=0 arg3=[0-9]+ arg4=[0-9]+ arg5=4096 arg6=0 arg7=0$')
fail=0
for re in "${expect[@]}"; do
	if ! grep -qE "$re" "$work/script.out"; then
		echo "perf script shows no line like: $re" >&2
		fail=1
	fi
done
if [ "$fail" != 0 ]; then
	echo "--- perf script:" >&2
	cat "$work/script.out" >&2
	exit 1
fi
echo "perf read ${events[*]}: $(wc -l <"$work/script.out") events, all arguments as expected"
