#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Syslog sinks against a real receiver: Debian's rsyslogd, started by this
# suite with its own configuration on loopback ports and a Unix socket
# (never the system instance), receiving RFC 5424 over UDP, TCP
# (octet-counted) and a Unix datagram socket.  The count received on each
# equals the decisions made; every message passes validate.py --format
# syslog; after the receiver restarts, TCP and Unix sinks reconnect and
# deliver what was queued meanwhile.
. "$(dirname "$0")/lib.sh"
sl_setup

BURST=$HELPERS/burst.py
VALIDATE=$TOP/../shared/siem/validate.py
RS=$SL_TMP/rsyslog
RS_PID=
UDP_PORT=$((20000 + RANDOM % 20000))
TCP_PORT=$((UDP_PORT + 1))
TCP2_PORT=$((UDP_PORT + 2))

if ! command -v rsyslogd >/dev/null; then
	echo "not ok 1 - rsyslogd is not installed (scripts/deps.sh installs it)"
	exit 1
fi

mkdir -p "$RS" "$SL_TMP/policy"
cat >"$RS/rsyslog.conf" <<EOF
global(workDirectory="$RS" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="imuxsock" SysSock.Use="off")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="udp") { action(type="omfile" file="$RS/udp.log" template="raw") }
ruleset(name="tcp") { action(type="omfile" file="$RS/tcp.log" template="raw") }
ruleset(name="tcp2") { action(type="omfile" file="$RS/tcp2.log" template="raw") }
ruleset(name="unix") { action(type="omfile" file="$RS/unix.log" template="raw") }
input(type="imudp" address="127.0.0.1" port="$UDP_PORT" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="$TCP_PORT" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$TCP2_PORT" ruleset="tcp2")
input(type="imuxsock" socket="$RS/log.sock" ruleset="unix" rateLimit.interval="0")
EOF

rsyslog_start() {
	rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/pid" >>"$SL_TMP/rsyslog.log" 2>&1 &
	RS_PID=$!
	SL_PIDS+=($RS_PID)
	sl_wait_port tcp 127.0.0.1 "$TCP2_PORT" "" && sl_wait_port udp 127.0.0.1 "$UDP_PORT" "" &&
		for _ in $(seq 100); do [ -S "$RS/log.sock" ] && return 0; sleep 0.05; done
	return 1
}

rsyslog_stop() {
	kill "$RS_PID" 2>/dev/null
	wait "$RS_PID" 2>/dev/null
	RS_PID=
}

# wait_lines FILE N: until FILE has N lines (5 s at most); prints the count.
wait_lines() {
	local n=0
	for _ in $(seq 100); do
		n=$(cat "$1" 2>/dev/null | wc -l)
		[ "$n" -ge "$2" ] && break
		sleep 0.05
	done
	sleep 0.2	# and no more than N
	cat "$1" 2>/dev/null | wc -l
}

validates() {
	if [ ! -r "$VALIDATE" ]; then
		ok "$1 # SKIP $VALIDATE not found"
	elif "$PY" "$VALIDATE" --format syslog --quiet "$2" >"$SL_TMP/val.out" 2>&1; then
		ok "$1 ($(tail -n 1 "$SL_TMP/val.out"))"
	else
		fail "$1"
		head -20 "$SL_TMP/val.out" | sed 's/^/#   /'
	fi
}

counter() { ctl --json status | "$PY" -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"; }
decisions() { echo $(($(counter allow) + $(counter deny) + $(counter audit))); }

cat >"$SL_TMP/policy/agents.yaml" <<EOF
agents:
  - name: coder
    spiffe_id: spiffe://test.example/agent/coder
    egress:
      - to: $LA.1
        ports: [7000]
        protocol: udp
        id: loop-udp
EOF
# Decisions only on the counted sinks, so received == decisions made.
cat >"$SL_TMP/sluiced.yaml" <<EOF
events:
  sinks:
    - { type: syslog, transport: udp, address: "127.0.0.1:$UDP_PORT", format: cef, control: false }
    - { type: syslog, transport: tcp, address: "127.0.0.1:$TCP_PORT", format: json, control: false }
    - { type: syslog, transport: unix, path: $RS/log.sock, format: ocsf, control: false }
    - type: syslog
      transport: tcp
      address: "127.0.0.1:$TCP2_PORT"
      format: ecs
      facility: auth
      sd_id: acme@12345
EOF
check "rsyslogd starts on 127.0.0.1:$UDP_PORT, :$TCP_PORT, :$TCP2_PORT and $RS/log.sock" rsyslog_start
udp_server $LA.1 7000
sl_daemon "$SL_TMP/policy" --config "$SL_TMP/sluiced.yaml" || exit 1

# -- every decision arrives, on every transport ---------------------------------------------
d0=$(decisions)
as coder -- "$PY" "$BURST" 200 $LA.1 $LB.1 7000 >"$SL_TMP/burst.out"
check "200 datagrams: 100 allowed, 100 denied" grep -q 'allowed=100 denied=100 other=0' "$SL_TMP/burst.out"
made=$(($(decisions) - d0))
check_eq "the kernel made 200 decisions" 200 "$made"
check_eq "UDP: rsyslog received one message per decision" "$made" "$(wait_lines "$RS/udp.log" "$made")"
check_eq "TCP: rsyslog received one message per decision" "$made" "$(wait_lines "$RS/tcp.log" "$made")"
check_eq "Unix socket: rsyslog received one message per decision" "$made" "$(wait_lines "$RS/unix.log" "$made")"
validates "UDP messages are valid RFC 5424 with valid CEF" "$RS/udp.log"
validates "TCP messages are valid RFC 5424" "$RS/tcp.log"
validates "Unix socket messages are valid RFC 5424" "$RS/unix.log"
check_eq "structured data carries agent, verdict, destination and rule" 100 \
	"$(grep -c "sluiced [0-9]* connection \[sluice@32473 type=\"connection\" agent=\"coder\" verdict=\"allow\" dst=\"$LA.1\" dport=\"7000\" proto=\"udp\" rule=\"loop-udp\" seq=\"[0-9]*\" eventId=\"[0-9a-f-]*\"\]" "$RS/tcp.log")"
check_eq "a denial is local0.warning (<132>) with a CEF body" 100 \
	"$(grep -c "^<132>1 .* verdict=\"deny\" dst=\"$LB.1\".*\] CEF:0|sluice|sluice|[^|]*|egress-deny|" "$RS/udp.log")"
check_eq "the Unix socket carries OCSF Refuse events" 100 "$(grep -c '"type_uid":400105' "$RS/unix.log")"
n2=$(wait_lines "$RS/tcp2.log" 202)
check "the control-event sink has the decisions and control events too" test "$n2" -gt 200
validates "ECS over TCP with a custom SD-ID and facility auth" "$RS/tcp2.log"
check "facility auth, custom SD-ID" grep -q '^<38>1 .* \[acme@12345 type="daemon_start"' "$RS/tcp2.log"

# -- the receiver restarts: TCP and Unix reconnect and catch up ------------------------------
rsyslog_stop

as coder -- "$PY" "$BURST" 20 $LA.1 $LB.1 7000 >/dev/null
sleep 0.5
ctl --json status >"$SL_TMP/down.json"
check "while the receiver is down, the TCP sink says disconnected" "$PY" -c '
import json, sys
s = [k for k in json.load(open(sys.argv[1]))["events"]["sinks"] if k["name"].startswith("syslog:tcp:")][0]
assert not s["connected"] and s["errors"] > 0, s' "$SL_TMP/down.json"
check "rsyslogd starts again" rsyslog_start
as coder -- "$PY" "$BURST" 20 $LA.1 $LB.1 7000 >/dev/null
made=$(($(decisions) - d0))
check_eq "200 + 20 + 20 decisions in all" 240 "$made"
check_eq "TCP: every decision arrived, including those made while the receiver was down" \
	"$made" "$(wait_lines "$RS/tcp.log" "$made")"
check_eq "Unix socket: every decision arrived across the restart" "$made" "$(wait_lines "$RS/unix.log" "$made")"
check "UDP: decisions after the restart arrive" test "$(wait_lines "$RS/udp.log" 220)" -ge 220
ctl status >"$SL_TMP/status.txt"
check "sluicectl status shows the syslog sinks connected again" \
	grep -qE "syslog:tcp:127.0.0.1:$TCP_PORT +json +0 +$made +0 +[1-9][0-9]* +connected" "$SL_TMP/status.txt"
validates "TCP messages after the restart are valid" "$RS/tcp.log"
sl_daemon_stop
sl_done
