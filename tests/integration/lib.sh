# SPDX-License-Identifier: GPL-2.0-only
# Shared by the integration suites: a throwaway world per suite (agents root
# cgroup, bpffs pins, control socket, network namespace, servers) that is
# removed on every exit path, and TAP reporting with event assertions.
#
# A suite sources this file, calls sl_setup, writes a policy, starts
# sluiced with sl_daemon, and reports cases with ok/fail helpers.

set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUTPUT:-$TOP/.output}
[ "${OUT#/}" != "$OUT" ] || OUT=$TOP/$OUT
HELPERS=$TOP/tests/integration/helpers
SLUICED=$OUT/sluiced
SLUICECTL=$OUT/sluicectl
PY=/usr/bin/python3

SL_ID=slt$$r$RANDOM
SL_TMP=$(mktemp -d "/tmp/sluice-$SL_ID.XXXXXX")
SL_ROOT=sluice-test-$SL_ID
SL_PINS=/sys/fs/bpf/$SL_ROOT
SL_SOCK=$SL_TMP/sluiced.sock
SL_EVENTS=$SL_TMP/events.jsonl
SL_NS=$SL_ID
SL_DAEMON_PID=
SL_PIDS=()
SL_N=0
SL_FAILED=0
export SLUICE_SOCKET=$SL_SOCK

# Addresses unique to this run, so that suites can run side by side:
# two loopback /24s ($LA.x "allowed", $LB.x "other"), and the test host in
# our namespace (benchmarking range 198.18.0.0/15 and a documentation IPv6
# prefix, reachable only over our veth pair).
_o2=$((RANDOM % 100 * 2 + 20))
_o3=$((RANDOM % 250 + 1))
LA=127.$_o2.$_o3
LB=127.$((_o2 + 1)).$_o3
NS_IP4=198.18.$_o3.2
HOST_IP4=198.18.$_o3.1
NS_IP6=2001:db8:$_o3::2
HOST_IP6=2001:db8:$_o3::1
# This run's DNS proxy port; suites that need a resolver start their own.
SL_DNS_PORT=$((20000 + RANDOM % 30000))

sl_cgroup_mount() { awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo; }
CG_MOUNT=$(sl_cgroup_mount)
CG_ROOT=$CG_MOUNT/$SL_ROOT

sl_cleanup() {
	set +e
	trap - EXIT INT TERM
	if [ -n "$SL_DAEMON_PID" ] && kill -0 "$SL_DAEMON_PID" 2>/dev/null; then
		kill "$SL_DAEMON_PID"
		wait "$SL_DAEMON_PID" 2>/dev/null
	fi
	for p in "${SL_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	"$SLUICED" --teardown --cgroup-root "$SL_ROOT" --bpffs "$SL_PINS" --socket "$SL_SOCK" \
		--state "$SL_TMP/state.json" >/dev/null 2>&1
	ip netns del "$SL_NS" 2>/dev/null
	ip link del "v$SL_ID" 2>/dev/null
	# Teardown removes these; a leftover means a bug, but never leave it.
	[ -d "$CG_ROOT" ] && find "$CG_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
	[ -d "$SL_PINS" ] && rm -rf "$SL_PINS"
	rm -rf "$SL_TMP"
}

sl_setup() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "not ok 1 - integration tests need root"
		exit 1
	fi
	trap sl_cleanup EXIT
	trap 'exit 130' INT TERM
}

# ---- reporting ----------------------------------------------------------

ok() { SL_N=$((SL_N + 1)); echo "ok $SL_N - $*"; }
fail() {
	SL_N=$((SL_N + 1))
	SL_FAILED=$((SL_FAILED + 1))
	echo "not ok $SL_N - $*"
}
diag() { echo "# $*"; }

# check "description" command...: ok if the command succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$SL_TMP/last.out" 2>&1; then
		ok "$desc"
	else
		fail "$desc"
		sed 's/^/#   /' "$SL_TMP/last.out" | head -20
	fi
}

# refute "description" command...: ok if the command fails.
refute() {
	local desc=$1
	shift
	if "$@" >"$SL_TMP/last.out" 2>&1; then
		fail "$desc (it succeeded)"
		sed 's/^/#   /' "$SL_TMP/last.out" | head -20
	else
		ok "$desc"
	fi
}

# check_eq "description" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1 (expected '$2', got '$3')"
	fi
}

sl_done() {
	diag "$SL_N cases, $SL_FAILED failed"
	[ "$SL_FAILED" -eq 0 ]
}

# ---- daemon ----------------------------------------------------------------

# sl_daemon POLICY_DIR [extra sluiced args]: start and wait until it answers.
sl_daemon() {
	local dir=$1
	shift
	"$SLUICED" --policy-dir "$dir" --cgroup-root "$SL_ROOT" --bpffs "$SL_PINS" \
		--socket "$SL_SOCK" --events "$SL_EVENTS" --state "$SL_TMP/state.json" \
		--dns-port "$SL_DNS_PORT" --dns-upstream "${SL_DNS_UPSTREAM:-$LA.53}" "$@" \
		2>>"$SL_TMP/sluiced.log" &
	SL_DAEMON_PID=$!
	for _ in $(seq 200); do
		"$SLUICECTL" status >/dev/null 2>&1 && return 0
		kill -0 "$SL_DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# sluiced did not start:"
	sed 's/^/#   /' "$SL_TMP/sluiced.log"
	return 1
}

sl_daemon_stop() {
	local sig=${1:-TERM}
	[ -n "$SL_DAEMON_PID" ] || return 0
	kill "-$sig" "$SL_DAEMON_PID" 2>/dev/null
	wait "$SL_DAEMON_PID" 2>/dev/null
	SL_DAEMON_PID=
}

ctl() { "$SLUICECTL" "$@"; }

# as AGENT [--task T] -- cmd...: run a command as an agent.
as() {
	local agent=$1
	shift
	"$SLUICECTL" run --agent "$agent" "$@"
}

# ---- servers and the test namespace ----------------------------------------

# Background a server and remember its pid for cleanup.
bg() {
	"$@" >>"$SL_TMP/servers.log" 2>&1 &
	SL_PIDS+=($!)
}

# tcp_server ADDR PORT [netns]: a TCP server answering "hello ADDR".
tcp_server() {
	local ns=()
	[ $# -ge 3 ] && ns=(ip netns exec "$3")
	bg "${ns[@]}" "$PY" "$HELPERS/server.py" tcp "$1" "$2" "$SL_TMP/recv.log"
	sl_wait_port tcp "$1" "$2" "${3:-}"
}

# udp_server ADDR PORT [netns]: logs every datagram to $SL_TMP/recv.log.
udp_server() {
	local ns=()
	[ $# -ge 3 ] && ns=(ip netns exec "$3")
	bg "${ns[@]}" "$PY" "$HELPERS/server.py" udp "$1" "$2" "$SL_TMP/recv.log"
	sl_wait_port udp "$1" "$2" "${3:-}"
}

sl_wait_port() {
	local proto=$1 addr=$2 port=$3 ns=$4 flag=-ltn
	[ "$proto" = udp ] && flag=-lun
	for _ in $(seq 100); do
		if [ -n "$ns" ]; then
			ip netns exec "$ns" ss -H $flag "sport = :$port" | grep -q . && return 0
		else
			ss -H $flag "sport = :$port" | grep -q . && return 0
		fi
		sleep 0.05
	done
	echo "# server $proto $addr:$port did not start"
	return 1
}

# A namespace holding a test host, reachable over a veth pair with
# $NS_IP4/$NS_IP6 on its side and $HOST_IP4/$HOST_IP6 on ours.
sl_netns() {
	ip netns add "$SL_NS" || return 1
	ip link add "v$SL_ID" type veth peer name eth0 netns "$SL_NS" || return 1
	ip addr add "$HOST_IP4/24" dev "v$SL_ID"
	ip -6 addr add "$HOST_IP6/64" dev "v$SL_ID" nodad
	ip link set "v$SL_ID" up
	ip -n "$SL_NS" addr add "$NS_IP4/24" dev eth0
	ip -n "$SL_NS" -6 addr add "$NS_IP6/64" dev eth0 nodad
	ip -n "$SL_NS" link set eth0 up
	ip -n "$SL_NS" link set lo up
}

# ---- events ------------------------------------------------------------------

VALIDATE=$TOP/../shared/siem/validate.py

# validates "description" FORMAT FILE...: every line passes validate.py.
validates() {
	local desc=$1 fmt=$2
	shift 2
	if [ ! -r "$VALIDATE" ]; then
		ok "$desc # SKIP $VALIDATE not found"
		return
	fi
	if "$PY" "$VALIDATE" --format "$fmt" --quiet "$@" >"$SL_TMP/val.out" 2>&1; then
		ok "$desc ($(tail -n 1 "$SL_TMP/val.out"))"
	else
		fail "$desc"
		head -20 "$SL_TMP/val.out" | sed 's/^/#   /'
	fi
}

# sl_siem_config [VERDICT...]: a sluiced --config that also writes every
# control event and the decisions with those verdicts (default allow) in
# OCSF, ECS and CEF to $SL_TMP/siem.{ocsf,ecs,cef}; prints its path.
sl_siem_config() {
	local v=${*:-allow}
	cat >"$SL_TMP/siem.yaml" <<EOF
events:
  sinks:
    - { type: file, path: $SL_TMP/siem.ocsf, format: ocsf, verdicts: [${v// /, }] }
    - { type: file, path: $SL_TMP/siem.ecs, format: ecs, verdicts: [${v// /, }] }
    - { type: file, path: $SL_TMP/siem.cef, format: cef, verdicts: [${v// /, }] }
EOF
	echo "$SL_TMP/siem.yaml"
}

# validates_siem "scenario": the three files of sl_siem_config pass validate.py.
validates_siem() {
	for fmt in ocsf ecs cef; do
		validates "$1 events are valid $fmt" "$fmt" "$SL_TMP/siem.$fmt"
	done
}

# validates_recent "description" FORMAT: the daemon's recent events, rendered
# in FORMAT by sluicectl events, all pass validate.py.
validates_recent() {
	"$SLUICECTL" events --limit 1024 --format "$2" >"$SL_TMP/recent.$2"
	validates "$1" "$2" "$SL_TMP/recent.$2"
}

# ev_count KEY=VALUE...: how many events in the sink match every pair.
ev_count() { "$PY" "$HELPERS/evq.py" count "$SL_EVENTS" "$@"; }

# ev_expect "description" KEY=VALUE...: at least one matching event appears
# within 3 seconds (the sink is written asynchronously).
ev_expect() {
	local desc=$1
	shift
	if "$PY" "$HELPERS/evq.py" wait "$SL_EVENTS" "$@" >"$SL_TMP/last.out" 2>&1; then
		ok "$desc"
	else
		fail "$desc"
		sed 's/^/#   /' "$SL_TMP/last.out" | head -20
	fi
}

# ev_none "description" KEY=VALUE...: no matching event (after the sink settles).
ev_none() {
	local desc=$1 n
	shift
	sleep 0.3
	n=$(ev_count "$@")
	if [ "$n" = 0 ]; then
		ok "$desc"
	else
		fail "$desc ($n matching events)"
	fi
}

# A mark in the event stream: only events after it count for ev_* calls
# made with since=MARK.
ev_mark() { wc -l <"$SL_EVENTS" 2>/dev/null || echo 0; }
