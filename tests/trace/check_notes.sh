#!/usr/bin/env bash
# The USDT probes in the library's ELF notes are exactly the expected ones:
# every control-plane probe, the data-path probes when the library was
# built with -Dtrace_fastpath=true and none of them otherwise, each with the
# expected number of arguments and the expected size and signedness of each
# (readelf -n shows them as SIZE@OPERAND, SIZE negative when signed).
# Usage: check_notes.sh LIBIDD.so EXPECTED_PROBES.txt FASTPATH(true|false)
set -euo pipefail
lib=$1 expected=$2 fastpath=$3

notes=$(readelf -n "$lib")
# One line per probe site: provider name arg-sizes...
sites=$(awk '
	/^ *Provider: / { prov = $2 }
	/^ *Name: / { name = $2 }
	/^ *Arguments:/ {
		line = prov " " name
		for (i = 2; i <= NF; i++) { split($i, a, "@"); line = line " " a[1] }
		print line
	}' <<<"$notes")
if [ -z "$sites" ]; then
	echo "no USDT probes (.note.stapsdt) in $lib" >&2
	exit 1
fi

fail=0
other=$(awk '$1 != "idd" { print $1 ":" $2 }' <<<"$sites" | sort -u)
if [ -n "$other" ]; then
	echo "probes of another provider in $lib: $other" >&2
	fail=1
fi

# Expected: name -> "sizes" (suffixes dropped), and whether it must be there.
declare -A want_args want_present
while read -r name class args; do
	want_args[$name]=$(sed -E 's/:[a-z]+//g' <<<"$args")
	if [ "$class" = cp ] || [ "$fastpath" = true ]; then
		want_present[$name]=1
	else
		want_present[$name]=0
	fi
done < <(grep -vE '^\s*(#|$)' "$expected")

declare -A found
while read -r prov name args; do
	[ "$prov" = idd ] || continue
	found[$name]=1
	if [ -z "${want_args[$name]+x}" ]; then
		echo "unexpected probe idd:$name in $lib (add it to $expected and doc/tracing.md)" >&2
		fail=1
	elif [ "${want_present[$name]}" = 0 ]; then
		echo "data-path probe idd:$name present although trace_fastpath is off" >&2
		fail=1
	elif [ "$args" != "${want_args[$name]}" ]; then
		echo "idd:$name has arguments '$args', expected '${want_args[$name]}'" >&2
		fail=1
	fi
done <<<"$sites"

n_cp=0 n_fp=0
for name in "${!want_present[@]}"; do
	if [ "${want_present[$name]}" = 1 ] && [ -z "${found[$name]+x}" ]; then
		echo "probe idd:$name missing from $lib" >&2
		fail=1
	fi
	if [ -n "${found[$name]+x}" ]; then
		if grep -qE "^$name\s+fp\s" "$expected"; then n_fp=$((n_fp + 1)); else n_cp=$((n_cp + 1)); fi
	fi
done
[ "$fail" = 0 ] || exit 1
echo "$lib: $n_cp control-plane and $n_fp data-path probes (trace_fastpath=$fastpath)," \
	"$(wc -l <<<"$sites") probe sites, arguments as expected"
