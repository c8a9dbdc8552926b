#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz for a fixed time each.
#
#   ./scripts/run-fuzz.sh                      every target, 30 s each
#   ./scripts/run-fuzz.sh --seconds 20 wire    one target, 20 s
#   ./scripts/run-fuzz.sh --merge              also keep new inputs
#
# Targets: wire (group wire decoder), wire_encode (its encoder), kvargs
# (driver arguments and their getters), tel (telemetry request and reply
# checks, idd-ctl's JSON reader). Each is built with clang and
# -fsanitize=fuzzer,address,undefined in $IDD_BUILD-fuzz (default
# build-fuzz), and starts from tests/fuzz/corpus/<target>/ and
# tests/fuzz/regressions/<target>/. What it finds new goes to
# $IDD_BUILD-fuzz/fuzz-work/<target>/corpus/, never into the repository,
# unless --merge is given: then the inputs that add coverage are merged
# into tests/fuzz/corpus/<target>/ (review and commit them).
#
# Exits non-zero if a target crashed, leaked, hung or failed an oracle (or
# the build failed), after printing the reproducer's path and how to replay
# it. A finding is fixed, then its input goes to
# tests/fuzz/regressions/<target>/, where the normal suite replays it
# (meson test fuzz_replay_<target>) in every build.
#
# Options: --seconds N (time per target, default 30), --merge, -h/--help.
set -uo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IDD_TOP" || exit 1

all_targets=(wire wire_encode kvargs tel)
seconds=30
merge=0
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds)
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
			echo "run-fuzz: --seconds wants a positive whole number" >&2
			exit 2
		fi
		seconds=$2
		shift
		;;
	--seconds=*)
		seconds=${1#--seconds=}
		[[ $seconds =~ ^[1-9][0-9]*$ ]] || {
			echo "run-fuzz: --seconds wants a positive whole number" >&2
			exit 2
		}
		;;
	--merge) merge=1 ;;
	-h | --help)
		sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "run-fuzz: unknown option '$1' (see --help)" >&2
		exit 2
		;;
	*)
		if [[ " ${all_targets[*]} " != *" $1 "* ]]; then
			echo "run-fuzz: unknown target '$1' (want: ${all_targets[*]})" >&2
			exit 2
		fi
		targets+=("$1")
		;;
	esac
	shift
done
[ ${#targets[@]} -ne 0 ] || targets=("${all_targets[@]}")

dir=$IDD_BUILD-fuzz
work=$dir/fuzz-work

# libFuzzer is part of clang; the other build directories stay gcc's. The
# build's output goes to a log, shown when it fails.
mkdir -p "$work"
build_log=$work/build.log
{
	if [ -d "$dir/meson-private" ]; then
		meson_setup "$dir" -Dfuzzing=true
	else
		CC=clang meson setup "$dir" -Dfuzzing=true
	fi && meson compile -C "$dir" "${targets[@]/#/fuzz_}"
} >"$build_log" 2>&1 || {
	tail -n 40 "$build_log" >&2
	echo "run-fuzz: build FAILED (log: $build_log)" >&2
	exit 1
}

failed=()
for t in "${targets[@]}"; do
	bin=$dir/tests/fuzz/fuzz_$t
	corpus=tests/fuzz/corpus/$t
	regress=tests/fuzz/regressions/$t
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	rm -f "$work/$t"/artifacts/*
	log=$work/$t/fuzz.log
	opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$work/$t/artifacts/")
	[ -f "tests/fuzz/dict/$t.dict" ] && opts+=(-dict="tests/fuzz/dict/$t.dict")
	dirs=("$work/$t/corpus" "$corpus")
	[ -d "$regress" ] && dirs+=("$regress")

	echo "==> fuzz $t: $seconds s (log: $log)"
	# The first directory receives new inputs; the others are only read.
	# timeout: a libFuzzer that does not stop on its own is a finding too.
	timeout --signal=KILL $((seconds + 300)) "$bin" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ $rc -ne 0 ]; then
		failed+=("$t")
		repro=$(find "$work/$t/artifacts" -type f | head -n 1)
		echo "run-fuzz: $t FAILED (exit $rc) after ${runs:-?} runs; the end of its log:" >&2
		grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|deadly signal|Test unit written' "$log" |
			tail -n 12 >&2
		if [ -n "$repro" ]; then
			echo "run-fuzz: reproducer: $repro" >&2
			echo "run-fuzz:   replay it:   $bin $repro" >&2
			echo "run-fuzz:   once fixed:  mkdir -p $regress && cp $repro $regress/" >&2
		else
			echo "run-fuzz: no reproducer was written; see $log" >&2
		fi
		continue
	fi
	echo "    $t: ${runs:-?} runs, ${cov:-cov: ?}, $(find "$work/$t/corpus" -type f | wc -l) inputs of its own, no finding"
	if [ $merge -eq 1 ]; then
		before=$(find "$corpus" -type f | wc -l)
		# Only inputs that add coverage to what the corpus has are copied.
		"$bin" -merge=1 "$corpus" "$work/$t/corpus" >"$work/$t/merge.log" 2>&1 || {
			echo "run-fuzz: merge into $corpus FAILED (see $work/$t/merge.log)" >&2
			failed+=("$t (merge)")
			continue
		}
		echo "    $t: merged $(($(find "$corpus" -type f | wc -l) - before)) new inputs into $corpus"
	fi
done

if [ ${#failed[@]} -ne 0 ]; then
	echo "run-fuzz: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "run-fuzz: ${targets[*]}: no finding in $seconds s each"
