#!/usr/bin/env bash
# Attach bpftrace to every USDT probe of the library, run trace_workload,
# and check what the probes reported against expected_calls.txt: every
# expected firing with its argument values, no firing more (one call, one
# firing), and never the group token, in any form.
# Exits 77 (skipped) when bpftrace is missing or may not attach probes
# (it needs root, or CAP_BPF with CAP_PERFMON).
# Usage: trace_bpftrace.sh LIBIDD.so WORKLOAD EXPECTED_PROBES EXPECTED_CALLS FASTPATH
set -uo pipefail
lib=$(readlink -f "$1") workload=$2 probes=$3 calls=$4 fastpath=$5

if ! command -v bpftrace >/dev/null; then
	echo "bpftrace is not installed: skipped"
	exit 77
fi
work=$(mktemp -d /tmp/idd-trace-test-XXXXXX)
bt_pid=
cleanup() {
	[ -n "$bt_pid" ] && kill -INT "$bt_pid" 2>/dev/null && wait "$bt_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ulimit -l unlimited 2>/dev/null || ulimit -l 8192 2>/dev/null || true
if ! timeout 60 bpftrace -e 'BEGIN { exit(); }' >"$work/probe.out" 2>&1; then
	echo "bpftrace cannot load programs here (needs root or CAP_BPF+CAP_PERFMON): skipped"
	sed 's/^/  /' "$work/probe.out"
	exit 77
fi

# The operands of each probe's arguments (readelf -n: SIZE@OPERAND), by
# probe name; a name with several sites gets none.
operands() {
	readelf -n "$lib" | awk -v want="$1" '
		/^ *Name: / { name = $2 }
		/^ *Arguments:/ && name == want { n++; $1 = ""; line = $0 }
		END { if (n == 1) print line }'
}

# bpftrace before 0.24 reads only arg0..arg5 of a USDT probe on x86-64. The
# arguments after those are read the way bpftrace itself would: from the
# register, memory or constant that the note names, with its size and sign.
operand_expr() {
	local spec=$1 size=${1%%@*} op=${1#*@} type reg
	case $size in
	-1) type=int8 ;; 1) type=uint8 ;; -2) type=int16 ;; 2) type=uint16 ;;
	-4) type=int32 ;; 4) type=uint32 ;; *) type=int64 ;;
	esac
	reg_name() {
		local r=${1#%}
		case $r in
		r8* | r9* | r1[0-5]*) r=${r%[bwd]} ;;
		[re]?? | ?? | ?l) r=${r#[re]}; r=${r%l}; [ ${#r} = 1 ] && r=${r}x ;;
		esac
		case $r in
		ax | bx | cx | dx | si | di | bp | sp | r8 | r9 | r1[0-5]) echo "$r" ;;
		*) return 1 ;;
		esac
	}
	case $op in
	\$*) echo "($type)${op#\$}" ;;
	%*) reg=$(reg_name "$op") && echo "($type)reg(\"$reg\")" ;;
	*\(%*\)) local off=${op%%(*} base=${op#*(}
		base=${base%)}
		reg=$(reg_name "$base") && echo "*($type *)(reg(\"$reg\") + ${off:-0})" ;;
	*) return 1 ;;
	esac
}

# One bpftrace action per probe: "name pid arg0 arg1 ...", one printf so
# that the fields of a firing stay on one line.
{
	echo 'BEGIN { printf("READY\n"); }'
	grep -vE '^\s*(#|$)' "$probes" | while read -r name class args; do
		[ "$class" = fp ] && [ "$fastpath" != true ] && continue
		read -ra ops <<<"$(operands "$name")"
		fmt="$name %d" vals="pid" i=0
		for a in $args; do
			if [ "$i" -ge 6 ]; then
				expr=$(operand_expr "${ops[$i]:-none}") || expr=
				if [ -n "$expr" ]; then
					fmt+=" %ld"; vals+=", $expr"
				else
					fmt+=" ?"
				fi
			else
				case $a in
				*:str) fmt+=" [%s]"; vals+=", str(arg$i)" ;;
				*:id) fmt+=" [%r]"; vals+=", buf(arg$i, 16)" ;;
				*) fmt+=" %ld"; vals+=", (int64)arg$i" ;;
				esac
			fi
			i=$((i + 1))
		done
		echo "usdt:$lib:idd:$name { printf(\"$fmt\\n\", $vals); }"
	done
} >"$work/probes.bt"

bpftrace "$work/probes.bt" >"$work/trace.out" 2>"$work/bpftrace.err" &
bt_pid=$!
for _ in $(seq 600); do
	grep -q '^READY' "$work/trace.out" && break
	if ! kill -0 "$bt_pid" 2>/dev/null; then
		echo "bpftrace failed to attach:" >&2
		cat "$work/bpftrace.err" >&2
		exit 1
	fi
	sleep 0.1
done
if ! grep -q '^READY' "$work/trace.out"; then
	echo "bpftrace did not attach within a minute" >&2
	exit 1
fi

"$workload" >"$work/workload.out"
rc=$?
cat "$work/workload.out"
# Let the last firings reach bpftrace's buffers, then stop it (it prints
# what is left on SIGINT).
sleep 1
kill -INT "$bt_pid"
wait "$bt_pid"
bt_pid=
if [ "$rc" != 0 ]; then
	echo "trace_workload failed ($rc)" >&2
	exit 1
fi

fail=0
if grep -qiE 'TOKEN-SECRET|544f4b454e2d534543524554|\\x54\\x4f\\x4b' "$work/trace.out"; then
	echo "the group token appears in the trace:" >&2
	grep -iE 'TOKEN-SECRET|544f4b454e|\\x54\\x4f\\x4b' "$work/trace.out" >&2
	fail=1
fi

# The firings of this run (its processes only), pid dropped.
pids=$(awk '$1 == "pid" { print $2 }' "$work/workload.out" | paste -sd' ')
awk -v pids="$pids" 'BEGIN { n = split(pids, p, " "); for (i = 1; i <= n; i++) mine[p[i]] = 1 }
	$2 in mine { $2 = ""; sub(/  /, " "); print }' "$work/trace.out" >"$work/firings"

# Match each expected line to one firing, in the order they came.
awk -v fastpath="$fastpath" '
	FNR == NR { fired[++nf] = $0; next }
	/^[ \t]*(#|$)/ { next }
	$1 == "fp" && fastpath != "true" { next }
	{
		want = $0; sub(/^[a-z]+ /, "", want)
		nw = split(want, w, " ")
		found = 0
		for (i = 1; i <= nf && !found; i++) {
			if (used[i]) continue
			ng = split(fired[i], g, " ")
			if (ng != nw) continue
			ok = 1
			for (k = 1; k <= nw && ok; k++)
				if (w[k] != "*" && w[k] != g[k]) ok = 0
			if (ok) { used[i] = 1; found = 1 }
		}
		if (!found) { print "expected firing not seen: " want; bad = 1 }
	}
	END {
		for (i = 1; i <= nf; i++)
			if (!used[i]) { print "firing not expected: " fired[i]; bad = 1 }
		exit bad
	}' "$work/firings" "$calls" >&2 || fail=1

if [ "$fail" != 0 ]; then
	echo "--- firings of this run:" >&2
	cat "$work/firings" >&2
	exit 1
fi
echo "$(wc -l <"$work/firings") probe firings as expected (trace_fastpath=$fastpath), no token"
