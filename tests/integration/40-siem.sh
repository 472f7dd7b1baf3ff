#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# SIEM formats over a real scenario: allowed, denied, audit, refused
# socket, IPv6, policy applies (good and bad), runs, a refused control
# connection, daemon start and stop -- written at once to OCSF, ECS, CEF
# and sluice JSON file sinks, each checked by ../shared/siem/validate.py
# and for the values it carries; verdict and control filters; sluicectl
# events --format; SIGHUP reopening; sampling; config file errors.
. "$(dirname "$0")/lib.sh"
sl_setup

CLIENT=$HELPERS/client.py
EVQ=$HELPERS/evq.py

# count FILE KEY=VALUE...: matching JSON events in FILE.
count() {
	local f=$1
	shift
	"$PY" "$EVQ" count "$f" "$@"
}

# -- config file errors, before anything runs ------------------------------------------
cat >"$SL_TMP/bad.yaml" <<EOF
events:
  ringbuf_size: 5000
  sinks:
    - type: file
      format: xml
    - type: syslog
      transport: tcp
      rotate: { size: 1M }
    - type: file
      path: relative.jsonl
      verdicts: [deny, maybe]
      colour: blue
EOF
"$SLUICED" --config "$SL_TMP/bad.yaml" --check-config 2>"$SL_TMP/err"
check_eq "a bad config file is refused (exit 1)" 1 "$?"
check "bad ring buffer size at file:line:col" grep -q 'bad.yaml:2:17: bad "ringbuf_size" "5000"' "$SL_TMP/err"
check "bad format at file:line:col" grep -q 'bad.yaml:5:15: bad "format" "xml"' "$SL_TMP/err"
check "a syslog sink that rotates is refused" grep -q 'bad.yaml:6:7: only file sinks rotate' "$SL_TMP/err"
check "a relative path is refused" grep -q 'bad.yaml:10:13: "path" must be absolute' "$SL_TMP/err"
check "a bad verdict is refused" grep -q 'bad.yaml:11:24: bad "verdicts" "maybe" (expected one of allow, deny, audit, redirect)' "$SL_TMP/err"
check "an unknown key is refused" grep -q 'bad.yaml:12:7: unknown key "colour"' "$SL_TMP/err"
printf 'events:\n  sinks:\n    - type: syslog\n      transport: tcp\n' >"$SL_TMP/bad2.yaml"
"$SLUICED" --config "$SL_TMP/bad2.yaml" --check-config 2>"$SL_TMP/err"
check "a TCP syslog sink without an address is refused" \
	grep -q 'bad2.yaml:3:7: a syslog sink over tcp needs "address"' "$SL_TMP/err"

mkdir -p "$SL_TMP/policy"
cat >"$SL_TMP/policy/agents.yaml" <<EOF
agents:
  - name: coder
    spiffe_id: spiffe://test.example/agent/coder
    owner: alice@example.org
    egress:
      - to: $LA.1
        ports: [8080]
        protocol: tcp
        id: mirror
  - name: auditor
    mode: audit
    egress:
      - to: $LA.1
        ports: [8080]
EOF
cat >"$SL_TMP/sluiced.yaml" <<EOF
events:
  ringbuf_size: 8M
  sinks:
    - { type: file, path: $SL_TMP/ev.ocsf.jsonl, format: ocsf }
    - { type: file, path: $SL_TMP/ev.ecs.jsonl, format: ecs }
    - { type: file, path: $SL_TMP/ev.cef, format: cef, name: cef-file }
    - type: file
      path: $SL_TMP/ev.deny.jsonl
      verdicts: [deny]
    - type: file
      path: $SL_TMP/ev.decisions.jsonl
      control: false
EOF
check "the config file checks out" "$SLUICED" --config "$SL_TMP/sluiced.yaml" --check-config
tcp_server $LA.1 8080
tcp_server $LB.1 8080
sl_daemon "$SL_TMP/policy" --config "$SL_TMP/sluiced.yaml" || exit 1

# -- the scenario ----------------------------------------------------------------------
check "allowed: coder -> $LA.1:8080" as coder -- "$CLIENT" tcp $LA.1 8080
refute "denied: coder -> $LB.1:8080" as coder -- "$CLIENT" tcp $LB.1 8080
check "audit: auditor -> $LB.1:8080 goes through" as auditor -- "$CLIENT" tcp $LB.1 8080
refute "denied: coder's raw socket" as coder -- "$CLIENT" raw 0 0
refute "denied: coder -> [::1]:8080" as coder -- "$CLIENT" tcp ::1 8080
refute "denied: coder's UDP to a TCP-only rule" as coder -- "$CLIENT" udp-sendto $LA.1 8080
# The executable is read when sluiced handles the event: this one lingers.
check "denied, and the process stays a while" as coder -- "$PY" -c '
import socket, sys, time
try:
    socket.create_connection((sys.argv[1], 8080), 2)
    sys.exit(1)
except PermissionError:
    time.sleep(0.5)' $LB.2
ctl apply -f "$SL_TMP/policy" >/dev/null
check_eq "re-apply succeeds" 0 "$?"
printf 'agents:\n  - name: coder\n    egress:\n      - to: 10.0.0.0/33\n' >"$SL_TMP/broken.yaml"
ctl apply -f "$SL_TMP/broken.yaml" 2>/dev/null
check_eq "a broken apply is refused" 1 "$?"
chmod 0711 "$SL_TMP"	# let other users reach the socket file itself
chmod 0666 "$SL_SOCK"
refute "a stranger is refused on the control socket" \
	setpriv --reuid 65534 --regid 65534 --clear-groups "$SLUICECTL" status
ev_expect "the refusal reached the pipeline" type=control_refused uid=65534

# -- sluicectl events in each format --------------------------------------------------------
for f in ocsf ecs cef; do
	ctl events --format $f >"$SL_TMP/recent.$f"
	validates "sluicectl events --format $f: every event is valid $f" $f "$SL_TMP/recent.$f"
done
check_eq "sluicectl events --format cef --verdict deny --limit 2 prints 2 lines" 2 \
	"$(ctl events --format cef --verdict deny --limit 2 | grep -c '^CEF:0|sluice|sluice|')"
ctl events --follow --format ocsf --agent coder >"$SL_TMP/follow.ocsf" &
FOLLOW=$!
SL_PIDS+=($FOLLOW)
sleep 0.3
refute "denied while followed: coder -> $LB.1:8080" as coder -- "$CLIENT" tcp $LB.1 8080
for _ in $(seq 40); do
	[ "$(count "$SL_TMP/follow.ocsf" class_uid=4001 activity_id=5)" -ge 1 ] && break
	sleep 0.05
done
kill $FOLLOW 2>/dev/null
wait $FOLLOW 2>/dev/null
validates "sluicectl events --follow --format ocsf streams valid OCSF" ocsf "$SL_TMP/follow.ocsf"
check_eq "the follower saw the denial as a Refuse to $LB.1" 1 \
	"$(count "$SL_TMP/follow.ocsf" class_uid=4001 activity_id=5 dst_endpoint.ip=$LB.1)"
check_eq "the follower saw only coder's events" 0 "$(count "$SL_TMP/follow.ocsf" actor.app_name=auditor)"

# -- SIGHUP reopens the files ----------------------------------------------------------------
mv "$SL_TMP/ev.ocsf.jsonl" "$SL_TMP/ev.ocsf.jsonl.old"
kill -HUP "$SL_DAEMON_PID"
sleep 0.2
refute "denied after SIGHUP: coder -> $LB.1:8080" as coder -- "$CLIENT" tcp $LB.1 8080
ev_expect "the denial is in the native sink" verdict=deny dst_ip=$LB.1 since=$(($(ev_mark) - 2))
for _ in $(seq 40); do
	[ -s "$SL_TMP/ev.ocsf.jsonl" ] && [ "$(count "$SL_TMP/ev.ocsf.jsonl" class_uid=4001)" -ge 1 ] && break
	sleep 0.05
done
check_eq "after SIGHUP a new OCSF file holds the new denial" 1 \
	"$(count "$SL_TMP/ev.ocsf.jsonl" class_uid=4001 activity_id=5 dst_endpoint.ip=$LB.1)"

sl_daemon_stop
ev_expect "daemon_stop is the last event" type=daemon_stop

# -- what the files hold ------------------------------------------------------------------
cat "$SL_TMP/ev.ocsf.jsonl.old" "$SL_TMP/ev.ocsf.jsonl" >"$SL_TMP/all.ocsf"
validates "OCSF file: every event passes validate.py --format ocsf" ocsf "$SL_TMP/all.ocsf"
validates "ECS file: every event passes validate.py --format ecs" ecs "$SL_TMP/ev.ecs.jsonl"
validates "CEF file: every event passes validate.py --format cef" cef "$SL_TMP/ev.cef"
n=$(wc -l <"$SL_EVENTS")
check_eq "OCSF has every event the native sink has" "$n" "$(wc -l <"$SL_TMP/all.ocsf")"
check_eq "ECS has every event" "$n" "$(wc -l <"$SL_TMP/ev.ecs.jsonl")"
check_eq "CEF has every event" "$n" "$(wc -l <"$SL_TMP/ev.cef")"
check_eq "seq runs 1..$n without a gap" "$(seq -s, 1 "$n")" \
	"$("$PY" -c 'import json,sys; print(",".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1])))' "$SL_EVENTS")"
check_eq "event ids are unique" "$n" \
	"$("$PY" -c 'import json,sys; print(len({json.loads(l)["event_id"] for l in open(sys.argv[1])}))' "$SL_EVENTS")"

deny=$(ev_count verdict=deny)
check_eq "OCSF: each denial is a Network Activity Refuse (4001/5), Denied/Blocked" "$deny" \
	"$(count "$SL_TMP/all.ocsf" type_uid=400105 action_id=2 disposition_id=2)"
check_eq "OCSF: the allowed connection is an Open, Allowed" 1 \
	"$(count "$SL_TMP/all.ocsf" type_uid=400101 action_id=1 dst_endpoint.ip=$LA.1 dst_endpoint.port=8080)"
check_eq "OCSF: the audit is an Open, Observed/Logged, alert" 1 \
	"$(count "$SL_TMP/all.ocsf" type_uid=400101 action_id=3 disposition_id=17 is_alert=true actor.app_name=auditor)"
check_eq "OCSF: the IPv6 denial has its address" 1 \
	"$(count "$SL_TMP/all.ocsf" type_uid=400105 dst_endpoint.ip=::1 connection_info.protocol_ver_id=6)"
check_eq "OCSF: policy applies are Entity Management updates of a Policy" "$(ev_count type=policy_apply)" \
	"$(count "$SL_TMP/all.ocsf" type_uid=300403 entity.type_id=5)"
check_eq "OCSF: the refused apply is a failure" 1 \
	"$(count "$SL_TMP/all.ocsf" type_uid=300403 status_id=2)"
check_eq "OCSF: runs are Process Activity launches" "$(ev_count type=run_start)" \
	"$(count "$SL_TMP/all.ocsf" type_uid=100701 process.uid=~^r)"
check_eq "OCSF: the refused control connection is a failed logon" 1 \
	"$(count "$SL_TMP/all.ocsf" type_uid=300201 status_id=2 user.uid=65534)"
check_eq "OCSF: daemon start and stop are Application Lifecycle events" 2 \
	"$(count "$SL_TMP/all.ocsf" class_uid=6002 app.name=sluiced)"
check_eq "OCSF: coder's 3 denials name agent, SPIFFE ID, policy version, process, user, host" 3 \
	"$(count "$SL_TMP/all.ocsf" type_uid=400105 dst_endpoint.ip=$LB.1 actor.app_name=coder \
		actor.app_uid=spiffe://test.example/agent/coder policy.version=1 \
		actor.process.user.name=root 'actor.process.name=~python|client' \
		"device.hostname=$(hostname)" 'metadata.uid=~^[0-9a-f-]{36}$' \
		unmapped.owner=alice@example.org 'metadata.sequence=~^[0-9]+$')"
check_eq "OCSF: the executable of a process still running is there" 1 \
	"$(count "$SL_TMP/all.ocsf" type_uid=400105 dst_endpoint.ip=$LB.2 \
		"actor.process.file.path=$(readlink -f "$PY")")"
check_eq "OCSF: the allowed connection names its rule" 1 \
	"$(count "$SL_TMP/all.ocsf" type_uid=400101 action_id=1 firewall_rule.name=mirror \
		'firewall_rule.desc=~agents.yaml:6:9')"
seq_of() { "$PY" "$EVQ" get "$1" "$2" "${@:3}"; }
id_native=$(seq_of "$SL_EVENTS" event_id verdict=deny dst_ip=::1)
check_eq "OCSF and native JSON carry the same event id" "$id_native" \
	"$(seq_of "$SL_TMP/all.ocsf" metadata.uid dst_endpoint.ip=::1)"
check_eq "ECS: each denial is event.type [connection, denied], outcome failure" "$deny" \
	"$(count "$SL_TMP/ev.ecs.jsonl" 'event.type=~denied' event.outcome=failure network.direction=egress)"
check_eq "ECS: agent and SPIFFE ID are labels" 1 \
	"$(count "$SL_TMP/ev.ecs.jsonl" labels.agent_name=coder labels.spiffe_id=spiffe://test.example/agent/coder \
		destination.ip=::1)"
check_eq "CEF: each denial is act=blocked" "$deny" "$(grep -c '|egress-deny|.* act=blocked ' "$SL_TMP/ev.cef")"
check "CEF: the IPv6 destination is in c6a3, the SPIFFE ID in cs1" \
	grep -q 'cs1Label=agentSpiffeId cs1=spiffe://test.example/agent/coder .*c6a3Label=destinationIPv6Address c6a3=::1' "$SL_TMP/ev.cef"
check_eq "deny-only sink: no allowed or audit decision" 0 \
	"$(( $(count "$SL_TMP/ev.deny.jsonl" verdict=allow) + $(count "$SL_TMP/ev.deny.jsonl" verdict=audit) ))"
check_eq "deny-only sink: every denial" "$deny" "$(count "$SL_TMP/ev.deny.jsonl" verdict=deny)"
check_eq "deny-only sink: control events still pass" "$(ev_count type=policy_apply)" \
	"$(count "$SL_TMP/ev.deny.jsonl" type=policy_apply)"
check_eq "control: false sink: decisions only" "$(ev_count verdict=~.)" "$(wc -l <"$SL_TMP/ev.decisions.jsonl")"

# -- the simple case: --events PATH --event-format, and sampling ---------------------------------
rm -f "$SL_EVENTS"
"$SLUICED" --policy-dir "$SL_TMP/policy" --cgroup-root "$SL_ROOT" --bpffs "$SL_PINS" \
	--socket "$SL_SOCK" --events "$SL_TMP/simple.ocsf" --event-format ocsf \
	--state "$SL_TMP/state.json" --dns-port "$SL_DNS_PORT" --dns-upstream "$LA.53" \
	--sample-allowed 3 2>>"$SL_TMP/sluiced.log" &
SL_DAEMON_PID=$!
for _ in $(seq 100); do ctl status >/dev/null 2>&1 && break; sleep 0.05; done
allow0=$(ctl --json status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["counters"]["allow"])')
for i in 1 2 3 4 5 6; do as coder -- "$CLIENT" tcp $LA.1 8080 || fail "allowed connection $i"; done
refute "denied with sampling on" as coder -- "$CLIENT" tcp $LB.1 8080
sleep 0.3
ctl --json status >"$SL_TMP/status.json"
allow1=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["counters"]["allow"])' "$SL_TMP/status.json")
check_eq "the kernel counts every allowed decision" 6 "$((allow1 - allow0))"
check_eq "sampling 1 in 3 keeps 2 of 6 allowed events" 2 \
	"$(count "$SL_TMP/simple.ocsf" type_uid=400101 actor.app_name=coder)"
check_eq "denials are never sampled" 1 "$(count "$SL_TMP/simple.ocsf" type_uid=400105)"
check_eq "status counts what sampling left out" 4 \
	"$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"]["sampled_out"])' "$SL_TMP/status.json")"
check "status lists the --events sink with its counters" \
	"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["events"]["sinks"][0]; assert s["format"]=="ocsf" and s["written"]>=3 and s["dropped"]==0, s' "$SL_TMP/status.json"
ctl status >"$SL_TMP/status.txt"
check "sluicectl status prints the sink table" grep -qE "file:$SL_TMP/simple.ocsf +ocsf +[0-9]+ +[0-9]+ +0 +0" "$SL_TMP/status.txt"
sl_daemon_stop
validates "--event-format ocsf writes valid OCSF" ocsf "$SL_TMP/simple.ocsf"
sl_done
