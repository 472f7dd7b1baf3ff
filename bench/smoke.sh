#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make test's check that the benchmark harness still works (root): a quick
# run (BENCH_QUICK=1: smallest sizes, two short rounds, a few seconds per
# configuration) into a scratch directory, then TAP lines: it ran without a
# harness error (every call got the verdict its configuration gives), the
# report and plots exist, and nothing is left behind.  Performance numbers
# never fail it.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
OUT=${OUTPUT:-.output}
N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
fail() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
check() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else fail "$desc"; fi
}
refute() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then fail "$desc"; else ok "$desc"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - the benchmark smoke run needs root"
	exit 1
fi
if ! make -s --no-print-directory OUTPUT="$OUT" all "$OUT/bench/loadgen" "$OUT/bench/dnsload" "$OUT/bench/lpm_batch" \
	"$OUT/bench/empty.bpf.o"; then
	echo "not ok 1 - building the benchmark"
	exit 1
fi
REP=$(mktemp -d /tmp/sluice-bench-smoke.XXXXXX)
trap 'rm -rf "$REP"' EXIT
CG_MOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
FILTER_BEFORE=$(nft list table ip filter >/dev/null 2>&1 && echo 1 || echo 0)

BENCH_QUICK=1 BENCH_OUT=$REP timeout --kill-after=10 120 bench/run.sh "$OUT" >"$REP/log" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
	ok "quick run finishes with no harness error"
else
	fail "quick run finishes with no harness error (exit $rc)"
	sed 's/^/#   /' "$REP/log" | tail -n 30
fi
ID=$(sed -n 's/^# bench id //p' "$REP/log")
PIDS=$(sed -n 's/^# pids //p' "$REP/log")
D=$REP/bench-data

check "report has the method, targets and each part" \
	grep -q '## How this was measured' "$REP/bench.md"
check "report has targets and parts a, b, c" bash -c \
	"grep -q '^## Targets' '$REP/bench.md' && grep -q '^## (a)' '$REP/bench.md' &&
	 grep -q '^## (b)' '$REP/bench.md' && grep -q '^## (c)' '$REP/bench.md'"
for p in connect sendto apply nsrun; do
	check "plot bench-$p.png is a PNG" bash -c "head -c 8 '$REP/bench-$p.png' | grep -q PNG"
done
for c in base empty sluice nft ipt ipset; do
	check "configuration $c measured at both sizes" bash -c \
		"[ \$(awk -F'\t' '\$3 == \"$c\"' '$D/results.tsv' | cut -f1 | sort -u | wc -l) = 2 ]"
done
check "every measurement made calls" bash -c "awk -F'\t' '\$7 == 0 { exit 1 }' '$D/results.tsv'"
check "program runs counted for empty and sluice" bash -c \
	"[ \$(awk -F'\t' '\$7 > 0' '$D/stats.tsv' | wc -l) -ge 32 ]"
for t in sluice nft iptables ipset; do
	check "$t apply timed" bash -c "awk -F'\t' '\$1 == \"$t\" && \$9 == \"ok\"' '$D/apply.tsv' | grep -q ."
done
check "map writes timed per key and in batches" grep -q batch_update_us "$D/lpm.tsv"
check "sluice apply reports its switch time" bash -c \
	"awk -F'\t' '\$1 == \"sluice\" && \$7 != \"-\" && \$7 != \"\"' '$D/apply.tsv' | grep -q ."

# Nothing left behind.
check "run id printed" test -n "$ID"
refute "no cgroup left" bash -c "ls -d '$CG_MOUNT'/sluice-bench-$ID* 2>/dev/null | grep -q ."
refute "no pins left" bash -c "ls -d /sys/fs/bpf/sluice-bench-$ID* 2>/dev/null | grep -q ."
refute "no nft table left" bash -c "nft list tables | grep -q 'sl_bench_$ID'"
refute "no iptables chain left" bash -c "{ iptables -S; ip6tables -S; } 2>/dev/null | grep -q 'SLB-$ID'"
refute "no ipset left" bash -c "ipset list -n | grep -q 'slb-$ID'"
if [ "$FILTER_BEFORE" = 0 ]; then
	refute "no iptables filter table left" nft list table ip filter
fi
refute "no process left" bash -c "for p in $PIDS; do kill -0 \$p 2>/dev/null && exit 0; done; exit 1"
check "kernel.bpf_stats_enabled restored" test "$(sysctl -n kernel.bpf_stats_enabled)" = "$STATS_BEFORE"
echo "# $N cases, $FAILED failed"
[ "$FAILED" -eq 0 ]
