# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The benchmark's configurations: how each is set up, switched on for a
# measurement, switched off, and removed.  Sourced by bench/run.sh.
#
# Everything has a name unique to this run ($BID) and is removed on every
# exit path by bench_cleanup: our cgroups, our sluiced and its pins, our nft
# table, our iptables chains and the jumps to them, our ipsets, and the
# iptables filter tables if this run created them and left them empty.
# Built-in chains keep their policy; chains we did not create are never
# flushed.

BID=slb$$r$RANDOM
CG_MOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
BCG_REL=sluice-bench-$BID
BCG=$CG_MOUNT/$BCG_REL
SL_ROOT=sluice-bench-$BID-agents
SL_PINS=/sys/fs/bpf/sluice-bench-$BID
EMPTY_PINS=/sys/fs/bpf/sluice-bench-$BID-empty
NFT_TABLE=sl_bench_$BID
IPT_CHAIN=SLB-$BID
IPT_SCHAIN=SLB-$BID-S
IPSET=slb-$BID
SL_DAEMON_PID=
SERVER_PIDS=()
EMPTY_HOOKS="connect4:sl_nop_conn4 connect6:sl_nop_conn6 sendmsg4:sl_nop_send4 sendmsg6:sl_nop_send6 sock_create:sl_nop_sock"

# nft resolves "socket cgroupv2" paths below /sys/fs/cgroup, wherever
# cgroup2 is mounted; the level is the depth of our cgroup in cgroup2.
case $CG_MOUNT in
/sys/fs/cgroup) NFT_CG=$BCG_REL/nft ;;
/sys/fs/cgroup/*) NFT_CG=${CG_MOUNT#/sys/fs/cgroup/}/$BCG_REL/nft ;;
*) NFT_CG= ;;
esac

# Whether the filter tables existed before we touched iptables.
FILTER4_BEFORE=$(nft list table ip filter >/dev/null 2>&1 && echo 1 || echo 0)
FILTER6_BEFORE=$(nft list table ip6 filter >/dev/null 2>&1 && echo 1 || echo 0)

log() { printf '%s\n' "$*" >&2; }

# ---- cgroups, servers, the empty program -----------------------------------

bench_cgroups() {
	mkdir -p "$BCG" || return 1
	for c in server base empty nft ipt ipset; do
		mkdir -p "$BCG/$c" || return 1
	done
}

# start_server tcp|udp: one server per load on the server CPU, in its own cgroup.
start_server() {
	local f=$WORK/server-$1.out
	"$BIN/loadgen" server --load "$1" --addr "$LA,$LD,::1" --ports "$PORTS_ALL" \
		--cpu "$CPU_SERVER" --cgroup "$BCG/server" >"$f" 2>&1 &
	SERVER_PIDS+=($!)
	for _ in $(seq 100); do
		grep -q ready "$f" 2>/dev/null && return 0
		kill -0 "${SERVER_PIDS[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	log "server $1 did not start: $(cat "$f")"
	return 1
}

empty_attach() {
	local h
	bpftool prog loadall "$BIN/empty.bpf.o" "$EMPTY_PINS" || return 1
	for h in $EMPTY_HOOKS; do
		bpftool cgroup attach "$BCG/empty" "${h%%:*}" pinned "$EMPTY_PINS/${h#*:}" || return 1
	done
}

empty_detach() {
	local h
	[ -d "$EMPTY_PINS" ] || return 0
	for h in $EMPTY_HOOKS; do
		bpftool cgroup detach "$BCG/empty" "${h%%:*}" pinned "$EMPTY_PINS/${h#*:}" 2>/dev/null
	done
	rm -rf "$EMPTY_PINS"
}

# ---- sluice ----------------------------------------------------------------

# sluice_start [SLUICED OPTION...]: our sluiced on the server CPU.
sluice_start() {
	taskset -c "$CPU_SERVER" "$OUT/sluiced" --policy-dir "$WORK/empty-policy" \
		--cgroup-root "$SL_ROOT" --bpffs "$SL_PINS" --socket "$SLUICE_SOCKET" \
		--state "$WORK/state.json" "$@" 2>>"$WORK/sluiced.log" &
	SL_DAEMON_PID=$!
	for _ in $(seq 200); do
		"$OUT/sluicectl" status >/dev/null 2>&1 && return 0
		kill -0 "$SL_DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	log "sluiced did not start: $(cat "$WORK/sluiced.log")"
	return 1
}

sluice_stop() {
	if [ -n "$SL_DAEMON_PID" ] && kill -0 "$SL_DAEMON_PID" 2>/dev/null; then
		kill "$SL_DAEMON_PID"
		wait "$SL_DAEMON_PID" 2>/dev/null
	fi
	SL_DAEMON_PID=
	"$OUT/sluiced" --teardown --cgroup-root "$SL_ROOT" --bpffs "$SL_PINS" >/dev/null 2>&1
}

# ---- nftables --------------------------------------------------------------

nft_on() {
	nft -f - <<-EOF
	add chain inet $NFT_TABLE out { type filter hook output priority 0; policy accept; }
	add rule inet $NFT_TABLE out socket cgroupv2 level 2 "$NFT_CG" jump agent
	EOF
}

nft_off() { nft delete chain inet "$NFT_TABLE" out 2>/dev/null; }
nft_remove() { nft delete table inet "$NFT_TABLE" 2>/dev/null; }

# ---- iptables and ipset ------------------------------------------------------

# ipt_jump -I|-D CGROUP CHAIN: the per-agent jump, in both families.
ipt_jump() {
	iptables -w "$1" OUTPUT -m cgroup --path "/$BCG_REL/$2" -j "$3" &&
		ip6tables -w "$1" OUTPUT -m cgroup --path "/$BCG_REL/$2" -j "$3"
}

ipt_on() { ipt_jump -I ipt "$IPT_CHAIN"; }
ipt_off() { ipt_jump -D ipt "$IPT_CHAIN" 2>/dev/null; drop_empty_output; }
ipset_on() { ipt_jump -I ipset "$IPT_SCHAIN"; }
ipset_off() { ipt_jump -D ipset "$IPT_SCHAIN" 2>/dev/null; drop_empty_output; }

# iptables-nft makes the filter table and its OUTPUT chain on first use and
# keeps them; an empty hooked chain still costs every packet something, so
# while our chains stay loaded, an OUTPUT chain this run created goes as soon
# as it holds no rule (only that chain is listed: listing the table would
# dump a million rules), and at the end the table goes if it is empty.
drop_empty_output() {
	local fam before
	for fam in ip ip6; do
		before=$FILTER4_BEFORE
		[ "$fam" = ip6 ] && before=$FILTER6_BEFORE
		[ "$before" = 1 ] && continue
		[ "$(nft -j list chain "$fam" filter OUTPUT 2>/dev/null |
			jq '[.nftables[] | select(.rule)] | length')" = 0 ] &&
			nft delete chain "$fam" filter OUTPUT
	done
}

drop_empty_filter() {
	local fam before js
	for fam in ip ip6; do
		before=$FILTER4_BEFORE
		[ "$fam" = ip6 ] && before=$FILTER6_BEFORE
		[ "$before" = 1 ] && continue
		js=$(nft -j list table "$fam" filter 2>/dev/null) || continue
		# Only iptables' own built-in chains, and no rule at all.
		[ "$(jq '[.nftables[] | select(.rule or (.chain and (.chain.name |
			test("^(INPUT|FORWARD|OUTPUT)$") | not)))] | length' <<<"$js")" = 0 ] &&
			nft delete table "$fam" filter
	done
}

ipt_remove() {
	local t c
	for t in iptables ip6tables; do
		for c in "$IPT_CHAIN" "$IPT_SCHAIN"; do
			while $t -w -D OUTPUT -m cgroup --path "/$BCG_REL/ipt" -j "$c" 2>/dev/null; do :; done
			while $t -w -D OUTPUT -m cgroup --path "/$BCG_REL/ipset" -j "$c" 2>/dev/null; do :; done
			$t -w -F "$c" 2>/dev/null && $t -w -X "$c" 2>/dev/null
		done
	done
	ipset destroy "$IPSET-4" 2>/dev/null
	ipset destroy "$IPSET-6" 2>/dev/null
	drop_empty_filter
}

# ---- switching ---------------------------------------------------------------

cfg_on() {
	case $1 in
	nft) nft_on ;;
	ipt) ipt_on ;;
	ipset) ipset_on ;;
	*) return 0 ;;
	esac
}

cfg_off() {
	case $1 in
	nft) nft_off ;;
	ipt) ipt_off ;;
	ipset) ipset_off ;;
	*) return 0 ;;
	esac
}

# ---- cleanup -------------------------------------------------------------------

bench_cleanup() {
	local p
	set +e
	trap - EXIT INT TERM
	for p in "${SERVER_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${STATS_BEFORE:-}" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE"
	sluice_stop
	nft_remove
	ipt_remove
	empty_detach
	[ -d "$BCG" ] && find "$BCG" -depth -type d -exec rmdir {} \; 2>/dev/null
	[ -d "$SL_PINS" ] && rm -rf "$SL_PINS"
	[ -n "${EVF:-}" ] && rm -f "$EVF"
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
}
