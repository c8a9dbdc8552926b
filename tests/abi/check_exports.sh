#!/usr/bin/env bash
# The shared library exports the public API and nothing else: every defined
# dynamic symbol starts with idd_, and every function declared in the public
# headers is there. Usage: check_exports.sh LIBIDD.so INCLUDE_DIR
set -euo pipefail
lib=$1 incdir=$2

exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
# IDD_0 is the version node itself, not a symbol of ours.
exported=$(grep -v '^IDD_[0-9]*$' <<<"$exported")
stray=$(grep -v '^idd_' <<<"$exported" || true)
if [ -n "$stray" ]; then
	echo "internal symbols exported by $lib:" >&2
	echo "$stray" >&2
	exit 1
fi
# Non-inline functions declared in the public headers: a line that starts
# with a return type and names idd_xxx( , outside static inline bodies.
declared=$(cat "$incdir"/idd/*.h | grep -v '^static' |
	grep -oE '^[a-z][a-z0-9_ ]*[ *]+idd_[a-z0-9_]+\(' | grep -oE 'idd_[a-z0-9_]+\($' |
	tr -d '(' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [ -n "$missing" ]; then
	echo "declared in the public headers but not exported by $lib:" >&2
	echo "$missing" >&2
	exit 1
fi
echo "$(wc -l <<<"$exported") symbols exported, all idd_*; $(wc -l <<<"$declared") declared functions present"
