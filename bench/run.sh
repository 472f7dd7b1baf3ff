#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make bench (root): what sluice costs against what a user would use instead,
# measured in the same run and given as ratios.
#
#   bench/run.sh [OUTPUT]
#
# For each rule count N, the configurations -- no program, an empty program,
# sluice, nftables, an iptables chain, iptables with an ipset -- are all set
# up side by side (each in its own cgroup), then measured in rounds:
# base empty sluice nft ipt ipset, base empty sluice ..., so every ratio
# compares measurements taken seconds apart.  The netfilter hooks are
# switched on only while their configuration is measured.  Then a separate
# pass reads ns per program run from kernel.bpf_stats_enabled.  Apply times
# (sluicectl apply, nft -f, iptables-restore, ipset) are taken while the
# configurations are loaded.  Parts (d), events, and (e), the DNS proxy,
# follow with a sluiced of their own (bench/parts.sh).
#
# Environment:
#   BENCH_QUICK=1      smallest sizes, 2 short rounds: checks the harness only
#   BENCH_SIZES="..."  rule counts (default "1 1000 100000 1000000")
#   BENCH_ROUNDS=N     rounds (default 5)
#   BENCH_SECONDS=S    seconds per measurement (default 1)
#   BENCH_OUT=DIR      where bench.md and the plots go (default docs, or
#                      OUTPUT/bench/report with BENCH_QUICK=1)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
OUT=${1:-${OUTPUT:-.output}}
[ "${OUT#/}" != "$OUT" ] || OUT=$TOP/$OUT
BIN=$OUT/bench
PY=/usr/bin/python3

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	SIZES=${BENCH_SIZES:-1 1000}
	ROUNDS=${BENCH_ROUNDS:-2}
	SECS=${BENCH_SECONDS:-0.05}
	WARMUP=0.01
	APPLY_REPS=1
	LPM_KEYS=10000
	BURST=20000
	EV_REPS=1
	EV_FORMATS=json
	EV_SECS=0.2
	DNS_RATES=1000
	DNS_SECS=0.2
	REPORT=${BENCH_OUT:-$OUT/bench/report}
else
	SIZES=${BENCH_SIZES:-1 1000 100000 1000000}
	ROUNDS=${BENCH_ROUNDS:-5}
	SECS=${BENCH_SECONDS:-1}
	WARMUP=0.1
	APPLY_REPS=3
	LPM_KEYS=1000000
	BURST=1000000
	EV_REPS=3
	EV_FORMATS="json ocsf ecs cef"
	EV_SECS=2
	DNS_RATES="1000 10000"
	DNS_SECS=2
	REPORT=${BENCH_OUT:-$TOP/docs}
fi
LOAD_TIMEOUT=60		# a netfilter load slower than this "did not load"
RULES_MAX=$((1 << 22))	# room for two 1M-key sets during an update
CPU_CLIENT=0
CPU_SERVER=1
[ "$(nproc)" -ge 2 ] || CPU_SERVER=0

source "$TOP/bench/lib.sh"
source "$TOP/bench/parts.sh"

# Loopback targets unique to this run: $LA in the policy's /24, $LD outside
# it.  IPv6 has only ::1 on loopback, so its denied destination is ::1 on a
# port outside the policy's range.
_o2=$((RANDOM % 9 * 2 + 230))
_o3=$((RANDOM % 250 + 1))
LA=127.$_o2.$_o3.1
LA_NET=127.$_o2.$_o3.0/24
LD=127.$((_o2 + 1)).$_o3.1
_p=$((20000 + RANDOM % 300 * 32))
PORTS_OK=$_p-$((_p + 15))
PORTS_NO=$((_p + 16))-$((_p + 31))
PORTS_ALL=$_p-$((_p + 31))
# Part (e): the upstream resolver, the address it answers, the name asked.
LU=127.$((_o2 + 1)).$_o3.53
LA_ANS=127.$_o2.$_o3.2
DNS_NAME=a.$BID.bench.test
DNS_PORT=$((40000 + RANDOM % 20000))
SUSTAINED_RING=$((4 << 20))	# sluiced's default ring
EVF=/dev/shm/sluice-bench-$BID.events

LOADS="tcp udp"
FAMS="4 6"
DESTS="allow deny"
HARNESS_ERRORS=0

harness_error() {
	HARNESS_ERRORS=$((HARNESS_ERRORS + 1))
	printf '%s\n' "$*" >>"$WORK/errors"
	log "bench: $*"
}

# ---- one measurement ------------------------------------------------------------

target() {
	case $1$2 in
	4allow) echo "$LA $PORTS_OK" ;;
	4deny) echo "$LD $PORTS_OK" ;;
	6allow) echo "::1 $PORTS_OK" ;;
	6deny) echo "::1 $PORTS_NO" ;;
	esac
}

# client CFG LOAD FAM DEST: one run of the load generator in CFG's cgroup.
client() {
	local addr ports args
	read -r addr ports <<<"$(target "$3" "$4")"
	args=(client --load "$2" --to "$addr" --ports "$ports" --cpu "$CPU_CLIENT"
		--seconds "$SECS" --warmup "$WARMUP")
	if [ "$1" = sluice ]; then
		timeout 60 "$OUT/sluicectl" run --agent bench -- "$BIN/loadgen" "${args[@]}"
	else
		timeout 60 "$BIN/loadgen" "${args[@]}" --cgroup "$BCG/$1"
	fi
}

field() { tr '\t' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# Did every call get the verdict this configuration should give it?
verdict_check() {
	local cfg=$1 dest=$2 ok=$3 failed=$4 what=$5
	if [ "$cfg" = base ] || [ "$cfg" = empty ] || [ "$dest" = allow ]; then
		[ "$failed" = 0 ] || harness_error "$what: $failed of $((ok + failed)) calls failed"
	else
		[ "$ok" = 0 ] || harness_error "$what: $ok calls got through"
	fi
}

# measure N ROUND CFG LOAD FAM DEST
measure() {
	local line what="N=$1 $3 $4 IPv$5 $6"
	line=$(client "$3" "$4" "$5" "$6" 2>>"$WORK/client.err")
	if [[ $line != load=* ]]; then
		harness_error "$what: no result ($(tail -n 2 "$WORK/client.err" | tr '\n' ' '))"
		return 1
	fi
	verdict_check "$3" "$6" "$(field "$line" ok)" "$(field "$line" failed)" "$what"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
		"$(field "$line" ops)" "$(field "$line" failed)" "$(field "$line" errno)" \
		"$(field "$line" rate)" "$(field "$line" cpu_rate)" >>"$WORK/results.tsv"
}

# ---- (c) policy apply ------------------------------------------------------------

# timed CMD...: run it; ELAPSED_US is its wall-clock time.
timed() {
	local t0 t1 rc
	t0=$(date +%s%N)
	"$@"
	rc=$?
	t1=$(date +%s%N)
	ELAPSED_US=$(((t1 - t0) / 1000))
	return "$rc"
}

# apply_row TOOL N REP STATUS [COMPILE WRITE SWITCH RELEASE]
apply_row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$ELAPSED_US" \
		"${5:--}" "${6:--}" "${7:--}" "${8:--}" "$4" >>"$WORK/apply.tsv"
}

# Rep 0 brings the agent from the previous size to N; reps 1.. replace N
# with N (the rule label alternates, so each is a real update).
sluice_series() {
	local n=$1 rep f t
	for f in a b; do
		"$PY" "$TOP/bench/gen.py" sluice "$n" "$LA_NET" "$PORTS_OK" "bench-$f" \
			>"$WORK/sluice-$f.yaml" || return 1
	done
	for rep in $(seq 0 "$APPLY_REPS"); do
		f=a
		[ $((rep % 2)) = 1 ] && f=b
		if ! timed "$OUT/sluicectl" --json apply -f "$WORK/sluice-$f.yaml" >"$WORK/apply.json" \
			2>>"$WORK/apply.err"; then
			apply_row sluice "$n" "$rep" failed
			harness_error "N=$n: sluicectl apply failed: $(tail -n 3 "$WORK/apply.err" | tr '\n' ' ')"
			return 1
		fi
		t=$(jq -r '.timing_us | [.compile, .write, .switch, .release] | @tsv' "$WORK/apply.json")
		# shellcheck disable=SC2086
		apply_row sluice "$n" "$rep" ok $t
	done
}

nft_series() {
	local n=$1 rep f
	"$PY" "$TOP/bench/gen.py" nft "$n" "$NFT_TABLE" "$LA_NET" "$PORTS_OK" >"$WORK/nft.nft" || return 1
	{ echo "table inet $NFT_TABLE {}"; echo "delete table inet $NFT_TABLE"; cat "$WORK/nft.nft"; } \
		>"$WORK/nft-replace.nft"
	nft_remove
	for rep in $(seq 0 "$APPLY_REPS"); do
		f=$WORK/nft.nft
		[ "$rep" -gt 0 ] && f=$WORK/nft-replace.nft
		if ! timed timeout "$LOAD_TIMEOUT" nft -f "$f" 2>>"$WORK/apply.err"; then
			apply_row nft "$n" "$rep" "did not load"
			nft_remove
			return 1
		fi
		apply_row nft "$n" "$rep" ok
	done
}

# ipt_restore FILE4 FILE6: both families in one timed step.
ipt_restore() {
	timeout "$LOAD_TIMEOUT" iptables-restore -w --noflush "$1" 2>>"$WORK/apply.err" &&
		timeout "$LOAD_TIMEOUT" ip6tables-restore -w --noflush "$2" 2>>"$WORK/apply.err"
}

# A chain declaration in iptables-restore --noflush flushes that chain, so
# loading the file again is an atomic replace of the chain's rules.
ipt_series() {
	local n=$1 rep
	"$PY" "$TOP/bench/gen.py" ipt 4 "$n" "$IPT_CHAIN" "$LA_NET" "$PORTS_OK" >"$WORK/ipt4" &&
		"$PY" "$TOP/bench/gen.py" ipt 6 "$n" "$IPT_CHAIN" ::1 "$PORTS_OK" >"$WORK/ipt6" || return 1
	for rep in $(seq 0 "$APPLY_REPS"); do
		if ! timed ipt_restore "$WORK/ipt4" "$WORK/ipt6"; then
			apply_row iptables "$n" "$rep" "did not load"
			return 1
		fi
		apply_row iptables "$n" "$rep" ok
		# Past 20 s a load is not repeated: the answer is clear.
		[ "$ELAPSED_US" -gt 20000000 ] && break
	done
	return 0
}

# ipset: reps 1.. build a new set and swap it in (ipset's atomic replace).
ipset_series() {
	local n=$1 rep fam
	for fam in 4 6; do
		"$PY" "$TOP/bench/gen.py" ipset "$fam" "$n" "$IPSET-$fam" >"$WORK/set$fam" &&
			"$PY" "$TOP/bench/gen.py" ipset "$fam" "$n" "$IPSET-${fam}n" >"$WORK/set${fam}n" || return 1
	done
	"$PY" "$TOP/bench/gen.py" ipt 4 "$n" "$IPT_SCHAIN" "$LA_NET" "$PORTS_OK" "$IPSET-4" >"$WORK/ipts4" &&
		"$PY" "$TOP/bench/gen.py" ipt 6 "$n" "$IPT_SCHAIN" ::1 "$PORTS_OK" "$IPSET-6" >"$WORK/ipts6" ||
		return 1
	for rep in $(seq 0 "$APPLY_REPS"); do
		if [ "$rep" = 0 ]; then
			timed ipset_load
		else
			timed ipset_swap
		fi || { apply_row ipset "$n" "$rep" "did not load"; return 1; }
		apply_row ipset "$n" "$rep" ok
	done
}

ipset_load() {
	timeout "$LOAD_TIMEOUT" ipset restore -f "$WORK/set4" &&
		timeout "$LOAD_TIMEOUT" ipset restore -f "$WORK/set6" &&
		ipt_restore "$WORK/ipts4" "$WORK/ipts6"
}

ipset_swap() {
	local fam
	for fam in 4 6; do
		timeout "$LOAD_TIMEOUT" ipset restore -f "$WORK/set${fam}n" &&
			ipset swap "$IPSET-${fam}n" "$IPSET-$fam" &&
			ipset destroy "$IPSET-${fam}n" || return 1
	done
}

# ---- ns per program run ------------------------------------------------------------

hook_name() {
	case $1 in
	tcp) echo "connect$2" ;;
	udp) echo "sendmsg$2" ;;
	esac
}

# prog_id CGROUP HOOK: the program attached there.  bpftool shows the
# kernel's attach type names; the hooks are named as bpftool attach takes them.
prog_id() {
	local t
	case $2 in
	connect[46]) t=cgroup_inet${2#connect}_connect ;;
	sendmsg[46]) t=cgroup_udp${2#sendmsg}_sendmsg ;;
	sock_create) t=cgroup_inet_sock_create ;;
	esac
	bpftool -j cgroup show "$1" 2>/dev/null |
		jq -r --arg t "$t" '.[] | select(.attach_type == $t) | .id' | head -n 1
}

prog_stats() {
	bpftool -j prog show id "$1" | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

# A separate pass: stats cost a little on every run, so they are off while
# rates are measured.
stats_pass() {
	local n=$1 cfg cg load fam dest id sid r0 c0 r1 c1 s0 sc0 s1 sc1
	STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q -w kernel.bpf_stats_enabled=1
	for cfg in empty sluice; do
		cg=$BCG/empty
		[ "$cfg" = sluice ] && cg=$CG_MOUNT/$SL_ROOT
		for load in $LOADS; do
			for fam in $FAMS; do
				for dest in $DESTS; do
					id=$(prog_id "$cg" "$(hook_name "$load" "$fam")")
					sid=$(prog_id "$cg" sock_create)
					if [ -z "$id" ] || [ -z "$sid" ]; then
						harness_error "N=$n $cfg: no program found on $cg"
						continue
					fi
					read -r r0 c0 <<<"$(prog_stats "$id")"
					read -r s0 sc0 <<<"$(prog_stats "$sid")"
					client "$cfg" "$load" "$fam" "$dest" >/dev/null 2>>"$WORK/client.err"
					read -r r1 c1 <<<"$(prog_stats "$id")"
					read -r s1 sc1 <<<"$(prog_stats "$sid")"
					printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$cfg" "$load" \
						"$fam" "$dest" "$((r1 - r0))" "$((c1 - c0))" "$((s1 - s0))" \
						"$((sc1 - sc0))" >>"$WORK/stats.tsv"
				done
			done
		done
	done
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE"
	STATS_BEFORE=
}

# ---- one rule count ---------------------------------------------------------------------

# rounds N CFG...: A B C A B C ..., each configuration's hook on only while it runs.
rounds() {
	local n=$1 r cfg load fam dest
	shift
	for r in $(seq 1 "$ROUNDS"); do
		for cfg in "$@"; do
			cfg_on "$cfg" || { harness_error "N=$n: cannot switch $cfg on"; continue; }
			for load in $LOADS; do
				for fam in $FAMS; do
					for dest in $DESTS; do
						measure "$n" "$r" "$cfg" "$load" "$fam" "$dest"
					done
				done
			done
			cfg_off "$cfg"
		done
		log "bench: N=$n round $r of $ROUNDS done ($(cut -d' ' -f1-3 /proc/loadavg))"
	done
}

bench_size() {
	local n=$1 cfgs=(base empty)
	log "bench: N=$n: loading the policies"
	sluice_series "$n" && cfgs+=(sluice)
	if [ -z "$NFT_CG" ]; then
		log "bench: cgroup2 is not below /sys/fs/cgroup: nft cannot name our cgroup; skipped"
	elif nft_series "$n"; then
		cfgs+=(nft)
	fi
	ipt_series "$n" && cfgs+=(ipt)
	ipset_series "$n" && cfgs+=(ipset)
	printf '%s\t%s\n' "$n" "${cfgs[*]}" >>"$WORK/loaded.tsv"
	rounds "$n" "${cfgs[@]}"
	stats_pass "$n"
	nft_remove
	ipt_remove
}

# Per-key against batch map writes, on a trie of its own (bench/lpm_batch.c):
# where sluice's apply time goes and what batching would change.
lpm_pass() {
	local line
	line=$(taskset -c "$CPU_CLIENT" "$BIN/lpm_batch" "$LPM_KEYS" 2>>"$WORK/client.err")
	if [[ $line == keys=* ]]; then
		printf '%s\n' "$line" >"$WORK/lpm.tsv"
	else
		harness_error "lpm_batch: $(tail -n 1 "$WORK/client.err")"
	fi
}

# ---- main ---------------------------------------------------------------------------------

write_meta() {
	{
		echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "nproc	$(nproc)"
		echo "cpu	$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		echo "mem	$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
		echo "kernel	$(uname -r)"
		echo "nft	$(nft -v)"
		echo "iptables	$(iptables -V)"
		echo "ipset	$(ipset -v | head -n 1)"
		echo "quick	$QUICK"
		echo "rounds	$ROUNDS"
		echo "seconds	$SECS"
		echo "sizes	$SIZES"
		echo "cpu_client	$CPU_CLIENT"
		echo "cpu_server	$CPU_SERVER"
		echo "targets	$LA (allowed), $LD (denied), [::1]:$PORTS_OK (allowed), [::1]:$PORTS_NO (denied)"
		echo "git	$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)"
	} >>"$WORK/meta.tsv"
}

main() {
	local n t0
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: needs root (cgroups, BPF, nftables, iptables)" >&2
		exit 1
	fi
	for f in "$BIN/loadgen" "$BIN/dnsload" "$BIN/lpm_batch" "$BIN/empty.bpf.o" "$OUT/sluiced" "$OUT/sluicectl"; do
		[ -e "$f" ] || { echo "bench: $f is missing: run make bench" >&2; exit 1; }
	done
	WORK=$(mktemp -d "/tmp/sluice-bench-$BID.XXXXXX")
	export SLUICE_SOCKET=$WORK/sluiced.sock
	mkdir -p "$WORK/empty-policy" "$REPORT"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	echo "# bench id $BID"
	t0=$(date +%s)
	write_meta
	echo "load_start	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/meta.tsv"
	bench_cgroups && empty_attach && start_server tcp && start_server udp &&
		sluice_start --events /dev/null --dns-port 0 --rules-max "$RULES_MAX" || {
		harness_error "setup failed"
		exit 1
	}
	echo "# pids ${SERVER_PIDS[*]} $SL_DAEMON_PID"
	for n in $SIZES; do
		bench_size "$n"
	done
	lpm_pass
	# The kernel's decision and event counters over the whole run.
	"$OUT/sluicectl" --json status 2>/dev/null |
		jq -r '.counters | to_entries[] | "\(.key)\t\(.value)"' >"$WORK/counters.tsv"
	parts_policy
	bench_events
	bench_dns
	echo "load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/meta.tsv"
	echo "duration	$(($(date +%s) - t0)) s" >>"$WORK/meta.tsv"
	mkdir -p "$REPORT/bench-data"
	cp "$WORK"/*.tsv "$REPORT/bench-data/" 2>/dev/null
	"$PY" "$TOP/bench/report.py" "$WORK" "$REPORT" || harness_error "report failed"
	echo "# $HARNESS_ERRORS harness errors; report in $REPORT/bench.md"
	[ -f "$WORK/errors" ] && sed 's/^/# error: /' "$WORK/errors"
	[ "$HARNESS_ERRORS" = 0 ]
}

main "$@"
