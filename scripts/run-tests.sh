#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run test suites and end with one line that sums them: "N passed, N failed".
#
#   run-tests.sh unit BIN...          Criterion unit test binaries
#   run-tests.sh integration          tests/integration/*.sh (root)
#   run-tests.sh all BIN...           both, then the fuzz corpus replay and the
#                                     benchmark smoke run
#
# Unit binaries report through Criterion's summary line; integration scripts
# print TAP lines ("ok N - name", "not ok N - name").  A suite that dies
# without reporting counts as one failure, so nothing fails silently.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=$1
shift
passed=0
failed=0
skipped=0
OUTPUT=${OUTPUT:-.output}

run_unit() {
	local bin out line t p f c
	for bin in "$@"; do
		out=$("$bin" --jobs 1 2>&1)
		line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -n 1)
		if [ -z "$line" ]; then
			printf '%s\n' "$out"
			echo "FAIL: $bin produced no summary"
			failed=$((failed + 1))
			continue
		fi
		t=$(sed -n 's/.*Tested: \([0-9]*\).*/\1/p' <<<"$line")
		p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
		f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line")
		c=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line")
		[ "$f" -gt 0 ] || [ "$c" -gt 0 ] && printf '%s\n' "$out"
		printf 'unit %-28s %s passed, %s failed\n' "$(basename "$bin")" "$p" "$((t - p))"
		passed=$((passed + p))
		failed=$((failed + t - p))
	done
}

# Runs one TAP-printing script; counts its ok / not ok lines.
run_tap() {
	local script=$1 log rc ok notok skip
	log=$(mktemp)
	timeout --kill-after=10 "${SUITE_TIMEOUT:-600}" "$script" >"$log" 2>&1
	rc=$?
	ok=$(grep '^ok ' "$log" | grep -vc '# SKIP')
	skip=$(grep '^ok ' "$log" | grep -c '# SKIP')
	notok=$(grep -c '^not ok ' "$log")
	if [ "$notok" -gt 0 ] || [ "$rc" -ne 0 ] || [ "${VERBOSE:-0}" = 1 ]; then
		cat "$log"
	else
		grep -E '^(ok|#)' "$log"
	fi
	if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		echo "FAIL: $script exited $rc"
		notok=1
	fi
	printf '%-33s %s passed, %s failed, %s skipped\n' "$(basename "$script")" "$ok" "$notok" "$skip"
	passed=$((passed + ok))
	skipped=$((skipped + skip))
	failed=$((failed + notok))
	rm -f "$log"
}

run_integration() {
	local s
	if [ "$(id -u)" -ne 0 ]; then
		echo "integration tests need root (real cgroups, BPF and network namespaces)"
		failed=$((failed + 1))
		return
	fi
	for s in tests/integration/[0-9]*.sh; do
		[ -e "$s" ] || continue
		run_tap "$s"
	done
}

case "$mode" in
unit) run_unit "$@" ;;
integration) run_integration ;;
all)
	run_unit "$@"
	run_integration
	for s in tests/fuzz/replay.sh bench/smoke.sh; do
		[ -x "$s" ] && run_tap "$s"
	done
	;;
*) echo "usage: run-tests.sh unit|integration|all [BIN...]" >&2; exit 2 ;;
esac

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
