#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Replay the DNS fuzz corpus under ASan/UBSan (no libFuzzer runtime): every
# file in tests/fuzz/corpus/dns goes through the fuzz target once.  TAP out;
# fails on any sanitizer report, broken invariant or crash.
set -uo pipefail
cd "$(dirname "$0")/../.."

OUTPUT=${OUTPUT:-.output}
corpus=tests/fuzz/corpus/dns
bin=$OUTPUT/fuzz/replay_dns

echo "1..1"
if ! build=$(make --no-print-directory OUTPUT="$OUTPUT" "$bin" 2>&1); then
	printf '%s\n' "$build" | sed 's/^/# /'
	echo "not ok 1 - build $bin"
	exit 1
fi
shopt -s nullglob
files=("$corpus"/*)
if [ ${#files[@]} -eq 0 ]; then
	echo "not ok 1 - no inputs in $corpus"
	exit 1
fi
out=$(ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$bin" "${files[@]}" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] || grep -qE 'Sanitizer|runtime error' <<<"$out"; then
	printf '%s\n' "$out" | sed 's/^/# /'
	echo "not ok 1 - replay ${#files[@]} inputs of $corpus (exit $rc)"
	exit 1
fi
echo "ok 1 - replay ${#files[@]} inputs of $corpus"
