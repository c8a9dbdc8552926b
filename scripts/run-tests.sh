#!/usr/bin/env bash
# The whole test suite, in five stages:
#   plain     build in build/        all suites
#   asan      build in build-asan/   all suites, AddressSanitizer + UBSan (and
#                                    LeakSanitizer at every process's exit)
#   tsan      build in build-tsan/   all suites, ThreadSanitizer (the engines, the
#                                    control thread, the window tables' RCU)
#   fuzz      build in build-fuzz/   every libFuzzer target of tests/fuzz for
#                                    IDD_FUZZ_SECONDS (default 20) each, with
#                                    clang (scripts/run-fuzz.sh)
#   valgrind  build in build-vg/     every test that can run under valgrind (see
#                                    its case below), under memcheck:
#                                    memory errors and leaks
#                                    (definite, indirect, possible) fail the
#                                    test, in forked children too
#
#   ./scripts/run-tests.sh                  all five
#   ./scripts/run-tests.sh plain tsan       only those
#
# Exits non-zero if any stage failed, after naming it. Every stage runs even
# when an earlier one failed (a build whose configure or compile failed skips
# its tests). The last lines give each step's duration and count the tests:
# "N passed, N failed, N skipped" (meson tests; fuzz counts as a step).
#
# Environment: IDD_BUILD (default "build") names the build directories;
# MESON_TESTTHREADS sets how many tests run at once (default: one per CPU);
# IDD_FUZZ_SECONDS the fuzzing time per target.
set -uo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IDD_TOP" || exit 1

passes=()
for arg in "$@"; do
	case $arg in
	plain | asan | tsan | fuzz | valgrind) passes+=("$arg") ;;
	-h | --help)
		sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run-tests: unknown argument '$arg' (want plain, asan, tsan, fuzz, valgrind)" >&2
		exit 2
		;;
	esac
done
[ ${#passes[@]} -ne 0 ] || passes=(plain asan tsan fuzz valgrind)

failed_stages=()
summary=()
n_pass=0
n_fail=0
n_skip=0

# stage NAME COMMAND...: run one step, time it, remember a failure.
stage() {
	local name=$1 start rc
	shift
	echo
	echo "==> [$name] $*"
	start=$(date +%s)
	"$@"
	rc=$?
	summary+=("$(printf '%-22s %-6s %4ss' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" $(($(date +%s) - start)))")
	if [ $rc -ne 0 ]; then
		echo "run-tests: stage '$name' FAILED (exit $rc)" >&2
		failed_stages+=("$name")
	fi
	return $rc
}

# count_results DIR: add the results of DIR's last meson test run.
count_results() {
	local log=$1/meson-logs/$test_log.json counts
	[ -f "$log" ] || return 0
	counts=$(python3 - "$log" <<'PY'
import json, sys
ok = fail = skip = 0
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        r = json.loads(line).get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r == "SKIP":
            skip += 1
        else:
            fail += 1
print(ok, fail, skip)
PY
	) || return 0
	read -r p f s <<<"$counts"
	n_pass=$((n_pass + p))
	n_fail=$((n_fail + f))
	n_skip=$((n_skip + s))
}

# has_tests DIR TEST-OPTIONS: true if those options select at least one test.
has_tests() {
	local dir=$1 n
	shift
	n=$(meson test -C "$dir" --no-rebuild --list "$@" 2>/dev/null | grep -c ' / ')
	echo "$n tests selected"
	[ "$n" -gt 0 ]
}

# select_tests DIR PATTERN TEST-OPTIONS: the names of the tests those options
# select, less those whose "suite / name" matches the extended regex PATTERN;
# into the array selected_tests.
select_tests() {
	local dir=$1 skip=$2
	shift 2
	mapfile -t selected_tests < <(meson test -C "$dir" --no-rebuild --list "$@" 2>/dev/null |
		grep ' / ' | grep -Ev -- "$skip" | sed 's|^.* / ||')
	echo "${#selected_tests[@]} tests selected (skipped: $skip)"
	[ ${#selected_tests[@]} -gt 0 ]
}

# run_pass NAME DIR SETUP-OPTIONS -- TEST-OPTIONS: configure, build, test.
# When skip_tests holds a pattern, the tests it matches are left out.
run_pass() {
	local name=$1 dir=$2 setup=() test=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		setup+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	test=("$@")

	rm -f "$dir/meson-logs/$test_log.json"
	stage "$name: configure" meson_setup "$dir" "${setup[@]}" || return 1
	stage "$name: build" meson compile -C "$dir" || return 1
	# meson test runs nothing, and succeeds, when a suite has no test.
	if [ -n "$skip_tests" ]; then
		stage "$name: list tests" select_tests "$dir" "$skip_tests" "${test[@]}" || return 1
		test+=("${selected_tests[@]}")
	else
		stage "$name: list tests" has_tests "$dir" "${test[@]}" || return 1
	fi
	stage "$name: test" "${test_wrapper[@]}" meson test -C "$dir" --no-rebuild --print-errorlogs "${test[@]}"
	count_results "$dir"
}

"$IDD_TOP/scripts/install-deps.sh" || {
	echo "run-tests: stage 'install dependencies' FAILED" >&2
	exit 1
}

# Sanitizers stop at the first report, with a stack, and fail the test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:print_summary=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:print_summary=1}

for pass in "${passes[@]}"; do
	test_wrapper=()
	skip_tests=
	# meson names its log after the --wrapper of meson test, if any.
	test_log=testlog
	case $pass in
	plain)
		run_pass plain "$IDD_BUILD" -Dsanitize=none
		;;
	asan)
		run_pass asan "$IDD_BUILD-asan" -Dsanitize=address -- --timeout-multiplier 3
		;;
	tsan)
		# ThreadSanitizer wants a narrow address-space layout; some kernels'
		# high-entropy mmap randomisation breaks it ("unexpected memory
		# mapping"). Running without ASLR avoids that everywhere, so do it
		# whenever setarch can.
		if setarch "$(uname -m)" -R true >/dev/null 2>&1; then
			test_wrapper=(setarch "$(uname -m)" -R)
			echo "run-tests: TSan tests run with ASLR off (setarch -R)"
		else
			echo "run-tests: setarch -R unavailable; TSan tests run with ASLR on"
		fi
		run_pass tsan "$IDD_BUILD-tsan" -Dsanitize=thread -- --timeout-multiplier 5
		;;
	fuzz)
		# Its own build directory ($IDD_BUILD-fuzz, clang); a finding
		# fails the stage and names its reproducer.
		stage "fuzz: ${IDD_FUZZ_SECONDS:-20} s per target" \
			"$IDD_TOP/scripts/run-fuzz.sh" --seconds "${IDD_FUZZ_SECONDS:-20}"
		;;
	valgrind)
		# memcheck over a plain build. Forked children (the multi-process
		# tests fork without exec) stay under valgrind and are checked at
		# their own exit; their failure exit code reaches the parent test,
		# which checks every child's status. Programs a test execs (idd-ctl)
		# are followed too, system programs are not. --fair-sched: the
		# thread engine's worker and a test that polls for its completions
		# otherwise starve each other under valgrind's one-thread-at-a-time
		# scheduler (first copies not done within the tests' bounds).
		# "possible" leaks count: the library keeps no interior pointers
		# as its only reference to a block.
		#
		# Left out:
		#   - suites doc and abi: doxygen, groff, python and nm scripts, no
		#     idd code runs in them; likewise sw_enqueue_frameless, which
		#     reads the library's code with objdump;
		#   - group_two_process and group_third_party (examples): they
		#     re-exec themselves through /proc/self/exe, which under
		#     valgrind is the memcheck tool, not the example (valgrind
		#     cannot load it: "mmap(0x58000000) failed in UME");
		#   - lim_fds: it lowers RLIMIT_NOFILE and runs out of descriptors
		#     on purpose; valgrind keeps descriptors of its own and
		#     emulates that limit, so the exhaustion does not happen where
		#     the test provokes it;
		#   - group_scale: 64 processes at once, each of which must answer
		#     within the harness's 60 s and join within 10 s; 64 valgrind
		#     processes on two cores miss that (the same joins, one or two
		#     at a time, run here in group_multiproc);
		#   - idd-perf dma smoke thread: the tool gives a copy 10 s before
		#     it calls the engine stalled, and its poll loop and the worker
		#     share valgrind's one running thread (the thread engine runs
		#     here in the sw_*_thread and dp_*_thread tests).
		#   - trace_bpftrace and trace_perf: they attach uprobes to the
		#     library's USDT probes, breakpoints the kernel writes into the
		#     library's code; valgrind runs its own translation of that
		#     code, so no probe fires and the tests wait out their time
		#     (trace_notes, which reads the ELF notes, stays).
		# All of them run in the asan pass, whose LeakSanitizer checks
		# each process's exit.
		skip_tests='^idd:(doc|abi)[+ ]|/ (group_two_process|group_third_party) |/ lim_fds$|/ group_scale$|/ idd-perf dma smoke thread$|/ trace_(bpftrace|perf)$|/ sw_enqueue_frameless$'
		vg=(valgrind -q --vgdb=no --fair-sched=yes --error-exitcode=99
			--leak-check=full "--errors-for-leak-kinds=definite,indirect,possible"
			"--show-leak-kinds=definite,indirect,possible"
			--trace-children=yes "--trace-children-skip=/usr/*,/bin/*,*/sh,*/python3*")
		[ -f "$IDD_TOP/scripts/valgrind.supp" ] && vg+=("--suppressions=$IDD_TOP/scripts/valgrind.supp")
		test_log=testlog-valgrind
		run_pass valgrind "$IDD_BUILD-vg" -Dsanitize=none -- --timeout-multiplier 10 \
			--wrapper "${vg[*]}"
		;;
	esac
done

echo
echo "run-tests: summary"
for line in "${summary[@]}"; do
	echo "  $line"
done
if [ ${#failed_stages[@]} -ne 0 ]; then
	echo "run-tests: FAILED stages: ${failed_stages[*]}"
	# A stage that failed before its tests ran counts as one failure.
	for s in "${failed_stages[@]}"; do
		case $s in
		*": test") ;;
		*) n_fail=$((n_fail + 1)) ;;
		esac
	done
	[ "$n_fail" -gt 0 ] || n_fail=1
	echo "run-tests: $n_pass passed, $n_fail failed, $n_skip skipped"
	exit 1
fi
echo "run-tests: $n_pass passed, $n_fail failed, $n_skip skipped"
