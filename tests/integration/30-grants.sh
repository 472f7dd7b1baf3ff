#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Zero trust over time: grants with a TTL the kernel enforces (even with
# sluiced dead), task-scoped grants, task end and task TTL, revocation that
# closes live connections, atomic apply under load, step-up approval,
# delegation, --watch, and the audit events of each.
. "$(dirname "$0")/lib.sh"
sl_setup

CLIENT=$HELPERS/client.py
CONN=$HELPERS/conn.py
mkdir -p "$SL_TMP/policy"
cat >"$SL_TMP/policy/agents.yaml" <<EOF
agents:
  - name: coder
    egress:
      - to: $LA.1
        ports: [8080]
        protocol: tcp
        id: base
    ask:
      - to: $LB.0/24
        ports: [9090]
        protocol: tcp
        id: ask-b
  - name: lead
    egress:
      - to: $LA.0/24
        ports: [8080]
  - name: helper
    egress:
      - to: [$LA.1, $LB.1]
        ports: [8080]
EOF
tcp_server "$LA.1" 8080
tcp_server "$LA.2" 8080
tcp_server "$LB.1" 8080
tcp_server "$LB.1" 9090
tcp_server "$LB.2" 9090
udp_server "$LB.1" 7000
SIEM_CFG=$(sl_siem_config allow)
sl_daemon "$SL_TMP/policy" --config "$SIEM_CFG" || exit 1

wait_for() {	# wait_for FILE PATTERN [seconds]
	for _ in $(seq $((${3:-5} * 20))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# -- a grant allows; its expiry denies, with sluiced killed in between -------------------
refute "before any grant coder is denied $LB.1:8080" as coder -- "$CLIENT" tcp "$LB.1" 8080
g1=$(ctl grant --agent coder --to "$LB.1" --ports 8080 --proto tcp --ttl 3s --reason "test short")
check "grant prints its id" test -n "$g1"
ev_expect "event: grant with agent, destination, TTL and operator" type=grant grant_id="$g1" \
	agent=coder to="$LB.1/32" protocol=tcp reason="test short" 'operator=~uid.: 0'
check "the grant allows coder to $LB.1:8080" as coder -- "$CLIENT" tcp "$LB.1" 8080
ev_expect "event: allowed by the grant" agent=coder verdict=allow dst_ip="$LB.1" \
	rule_section=grant rule_label="$g1"
g2=$(ctl grant --agent coder --to "$LB.1" --ports 8080 --proto tcp --ttl 2m)
check "grants lists both with time left" sh -c \
	"$SLUICECTL grants --agent coder | grep -q '$g1' && $SLUICECTL grants | grep -q '$g2'"
ctl revoke "$g2" >/dev/null
as coder -- "$CLIENT" hold "$SL_TMP/go1" "$LB.1" 8080 &
held=$!
SL_PIDS+=($held)
sleep 0.3
g3=$(ctl grant --agent coder --to "$LA.2" --ports 8080 --ttl 2m --reason "survives a restart")
sl_daemon_stop KILL
sleep 3.2
touch "$SL_TMP/go1"
wait $held
check_eq "after the TTL, with sluiced dead, the kernel denies" 1 "$?"
sl_daemon "$SL_TMP/policy" --config "$SIEM_CFG" || exit 1
ev_expect "the restarted daemon records the expiry" type=expiry grant_id="$g1" agent=coder
check "the expired grant is gone from the list" sh -c "! $SLUICECTL grants | grep -q '$g1'"
check "a live grant survives the restart" sh -c "$SLUICECTL grants | grep -q '$g3'"
check "and still allows" as coder -- "$CLIENT" tcp "$LA.2" 8080
ctl revoke "$g3" >/dev/null
refute "revoking it after the restart denies at once" as coder -- "$CLIENT" tcp "$LA.2" 8080
ev_expect "event: revoke names the grant and the operator" type=revoke grant_id="$g3" \
	reason="revoked by an operator" 'operator=~uid.: 0'
ctl grant --agent coder --to "$LB.1" --ttl 25h >/dev/null 2>"$SL_TMP/err"
check_eq "a TTL above --max-ttl is refused" 1 "$?"
check "and says the maximum" grep -q "at most 1d" "$SL_TMP/err"
ctl grant --agent coder --to "$LB.1" 2>/dev/null
check_eq "a grant without a TTL is refused (usage)" 2 "$?"

# -- task-scoped grants; the end of a task revokes them --------------------------------------
ctl grant --agent coder --task t1 --to "$LB.1" --ports 8080 --ttl 1m >/dev/null
check "a task grant allows inside its task" as coder --task t1 -- "$CLIENT" tcp "$LB.1" 8080
ev_expect "event: the task's call names the task" agent=coder task=t1 verdict=allow dst_ip="$LB.1"
refute "another task of the same agent does not see it" as coder --task t2 -- "$CLIENT" tcp "$LB.1" 8080
refute "the agent outside any task does not see it" as coder -- "$CLIENT" tcp "$LB.1" 8080
ev_expect "t1's grant was revoked when its command exited" type=revoke task=t1 \
	reason="its last run exited"
ev_expect "event: task_end when its last run exited" type=task_end task=t1 reason="its last run exited"
check "after its run exited the task is gone" sh -c "! $SLUICECTL tasks | grep -q '^t1 '"

ctl grant --agent coder --task t3 --to "$LB.1" --ports 8080 --ttl 1m >/dev/null
as coder --task t3 -- "$CONN" tcp "$LB.1" 8080 "$SL_TMP/t3.log" &
t3run=$!
SL_PIDS+=($t3run)
wait_for "$SL_TMP/t3.log" connected
check "a long-lived run of t3 is connected through its task grant" grep -q connected "$SL_TMP/t3.log"
ctl task end t3 >"$SL_TMP/out"
check "task end says so" grep -q "task t3 ended" "$SL_TMP/out"
ev_expect "event: task_end by an operator" type=task_end task=t3 reason="ended by an operator"
ev_expect "event: its grant revoked with it" type=revoke task=t3
wait $t3run
check_eq "the task's processes were stopped (killed: 128+9)" 137 "$?"
refute "the task's cgroups were removed" sh -c "ls -d $CG_ROOT/coder/t-t3-* 2>/dev/null | grep -q ."

as coder --task t4 --ttl 2s -- "$CLIENT" hold "$SL_TMP/go4" "$LB.1" 8080 &
held=$!
SL_PIDS+=($held)
sleep 0.3
ctl grant --agent coder --task t4 --to "$LB.1" --ports 8080 --ttl 1m >/dev/null
check "check: before its TTL the task's grant allows" ctl check --agent coder --task t4 --to "$LB.1:8080"
sleep 3.2	# past the TTL and past the daemon's next 1 s tick
touch "$SL_TMP/go4"
wait $held
check_eq "past the task TTL its grants die: denied" 1 "$?"
ev_expect "event: task_expired" type=task_expired task=t4

# -- revocation reaches established connections ------------------------------------------------
g=$(ctl grant --agent coder --to "$LB.1" --ports 8080 --proto tcp --ttl 1m)
as coder -- "$CONN" tcp "$LB.1" 8080 "$SL_TMP/c1.log" &
SL_PIDS+=($!)
wait_for "$SL_TMP/c1.log" connected
t0=$(date +%s.%N)
ctl revoke "$g" >/dev/null
check "revoke cuts the live TCP connection (the client sees an error)" wait_for "$SL_TMP/c1.log" error 3
t1=$(awk '/^error/ { print $3 }' "$SL_TMP/c1.log")
check "within one second of the revoke" awk -v a="$t0" -v b="${t1:-99999999999}" 'BEGIN { exit !(b - a < 1.0) }'
ev_expect "event: connection_terminated for the revoked destination" type=connection_terminated \
	agent=coder dst_ip="$LB.1" dst_port=8080 verdict=deny reason=default_deny hook=sweep

g=$(ctl grant --agent coder --to "$LB.1" --ports 8080 --ttl 2s)
as coder -- "$CONN" tcp "$LB.1" 8080 "$SL_TMP/c2.log" &
SL_PIDS+=($!)
wait_for "$SL_TMP/c2.log" connected
check "expiry cuts a live TCP connection too (within the 1 s tick)" wait_for "$SL_TMP/c2.log" error 5

g=$(ctl grant --agent coder --to "$LB.1" --ports 7000 --proto udp --ttl 1m)
as coder -- "$CONN" udp "$LB.1" 7000 "$SL_TMP/u1.log" &
SL_PIDS+=($!)
wait_for "$SL_TMP/u1.log" connected
ctl revoke "$g" >/dev/null
check "revoke closes a connected UDP socket: its sends fail" wait_for "$SL_TMP/u1.log" error 3
refute "and new datagrams are refused" as coder -- "$CLIENT" udp-sendto "$LB.1" 7000

as coder -- "$CONN" tcp "$LA.1" 8080 "$SL_TMP/c3.log" &
SL_PIDS+=($!)
wait_for "$SL_TMP/c3.log" connected
sed -i "s/ports: \[8080\]\n        protocol: tcp\n        id: base//" "$SL_TMP/policy/agents.yaml"
cat >"$SL_TMP/narrow.yaml" <<EOF
agents:
  - name: coder
    egress:
      - to: $LA.2
        ports: [8080]
EOF
ctl apply -f "$SL_TMP/narrow.yaml" >/dev/null
check "an apply that removes access cuts the live connection" wait_for "$SL_TMP/c3.log" error 3
ctl apply -f "$SL_TMP/policy" >/dev/null

# -- atomic apply under load ----------------------------------------------------------------
cat >"$SL_TMP/v1.yaml" <<EOF
agents:
  - name: lead
    egress:
      - to: $LA.1
        ports: [8080]
      - to: $LA.2
        ports: [8080]
EOF
cat >"$SL_TMP/v2.yaml" <<EOF
agents:
  - name: lead
    egress:
      - to: $LA.1
        ports: [8080]
      - to: $LB.1
        ports: [8080]
      - to: 10.0.0.0/8
EOF
mark=$(ev_mark)
as lead -- "$HELPERS/loop.py" "$LA.1" 8080 4 >"$SL_TMP/loop.out" &
loop=$!
as lead -- "$HELPERS/loop.py" "$LA.2" 8080 4 >"$SL_TMP/loop2.out" &
loop2=$!
for i in $(seq 10); do
	ctl apply -f "$SL_TMP/v1.yaml" >/dev/null
	ctl apply -f "$SL_TMP/v2.yaml" >/dev/null
done
wait $loop $loop2
diag "allowed by both versions: $(cat "$SL_TMP/loop.out"); by v1 only: $(cat "$SL_TMP/loop2.out")"
check "under 20 applies a destination both versions allow never failed" grep -q "fail 0 " "$SL_TMP/loop.out"
check_eq "and no event denied it" 0 "$(ev_count since="$mark" agent=lead dst_ip="$LA.1" verdict=deny)"
check "every verdict for the v1-only destination matches its policy version" "$PY" - \
	"$SL_EVENTS" "$mark" "$LA.2" <<'PYEOF'
import json, sys
path, since, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
evs = [json.loads(l) for l in open(path).readlines()[since:]]
# Versions come from the applies: record which version each apply produced.
v1 = set()
for e in evs:
    if e.get("type") == "policy_apply" and e.get("outcome") == "success":
        for c in e.get("changes", []):
            if c.get("agent") == "lead" and c.get("rules") == 2:
                v1.add(c["version"])
bad = [e for e in evs if e.get("dst_ip") == dst and e.get("agent") == "lead"
       and (e["verdict"] == "allow") != (e["policy_version"] in v1)]
n = sum(1 for e in evs if e.get("dst_ip") == dst and e.get("agent") == "lead")
print(f"{n} decisions, {len(bad)} not matching their version")
sys.exit(1 if bad or n == 0 else 0)
PYEOF
ctl apply -f "$SL_TMP/policy" >/dev/null

# -- step-up approval ----------------------------------------------------------------------------
mark=$(ev_mark)
refute "an ask destination is refused now" as coder -- "$CLIENT" tcp "$LB.1" 9090
ev_expect "event: deny with reason ask and a request id" since="$mark" agent=coder verdict=deny \
	reason=ask rule_label=ask-b 'request_id=~^req-'
req=$("$PY" "$HELPERS/evq.py" get "$SL_EVENTS" request_id since="$mark" reason=ask)
ev_expect "event: approval_request" since="$mark" type=approval_request request_id="$req" dst_ip="$LB.1"
refute "the same call again is refused" as coder -- "$CLIENT" tcp "$LB.1" 9090
check "identical requests are coalesced (one request, count 2)" sh -c \
	"$SLUICECTL --json pending | $PY -c 'import json,sys; p=json.load(sys.stdin); assert len(p)==1 and p[0][\"count\"]==2 and p[0][\"request_id\"]==\"$req\", p'"
gid=$(ctl approve "$req" --ttl 1m)
check "approve turns the request into a grant" test -n "$gid"
ev_expect "event: approve with the grant and the operator" type=approve request_id="$req" \
	grant_id="$gid" 'operator=~uid'
check "the agent's retry succeeds" as coder -- "$CLIENT" tcp "$LB.1" 9090
refute "the approval is exact: another address of the ask range is still refused" \
	as coder -- "$CLIENT" tcp "$LB.2" 9090
req2=$("$PY" "$HELPERS/evq.py" get "$SL_EVENTS" request_id reason=ask dst_ip="$LB.2")
ctl deny "$req2" >"$SL_TMP/out"
check "deny closes the request" grep -q "request $req2 denied" "$SL_TMP/out"
ev_expect "event: approval_denied" type=approval_denied request_id="$req2"
check "nothing is pending after approve and deny" sh -c "test \"\$($SLUICECTL --json pending)\" = '[ ]' -o \"\$($SLUICECTL --json pending)\" = '[]'"

# -- delegation: attenuation, and the end of the delegator ----------------------------------------
as lead --task job -- sleep 30 &
SL_PIDS+=($!)
sleep 0.3
check "delegated helper: allowed when both helper and its delegator allow" \
	as helper --delegated-by job -- "$CLIENT" tcp "$LA.1" 8080
refute "delegated helper: refused when only helper's own policy allows" \
	as helper --delegated-by job -- "$CLIENT" tcp "$LB.1" 8080
ev_expect "event: reason delegator, with the delegator chain" agent=helper verdict=deny \
	reason=delegator dst_ip="$LB.1" 'delegators=~job'
refute "delegated helper never exceeds its own policy ($LA.2: lead yes, helper no)" \
	as helper --delegated-by job -- "$CLIENT" tcp "$LA.2" 8080
ctl grant --agent lead --task job --to "$LB.1" --ports 8080 --ttl 1m >/dev/null
check "what the delegator's task is granted, the helper may use" \
	as helper --delegated-by job -- "$CLIENT" tcp "$LB.1" 8080
as helper --delegated-by job --task sub1 -- "$CLIENT" hold "$SL_TMP/go5" "$LA.1" 8080 &
held=$!
SL_PIDS+=($held)
as helper --delegated-by job --task sub2 -- "$CONN" tcp "$LA.1" 8080 "$SL_TMP/d1.log" &
SL_PIDS+=($!)
wait_for "$SL_TMP/d1.log" connected
sleep 0.2
ctl task end job >/dev/null
touch "$SL_TMP/go5"
wait $held
check_eq "when the delegator's task ends, the helper loses access" 1 "$?"
check "and its live connection is closed" wait_for "$SL_TMP/d1.log" error 3
ev_expect "event: the helper's refusal names the ended delegator" agent=helper task=sub1 \
	verdict=deny reason=delegator

# -- every event of this scenario, in every SIEM format ------------------------------------
validates_siem "the grant, task and approval scenario's"

# -- --watch ---------------------------------------------------------------------------------------
sl_daemon_stop
sl_daemon "$SL_TMP/policy" --watch --config "$SIEM_CFG" || exit 1
mark=$(ev_mark)
cat >"$SL_TMP/policy/extra.yaml" <<EOF
agents:
  - name: watcher
    egress:
      - to: $LB.1
        ports: [8080]
EOF
ev_expect "--watch applies a new file in the policy dir" since="$mark" type=policy_apply \
	operator=watch outcome=success
check "and its agent works" as watcher -- "$CLIENT" tcp "$LB.1" 8080
echo "agents: [ {name: watcher, bogus: 1} ]" >"$SL_TMP/policy/extra.yaml"
ev_expect "--watch refuses an invalid change and records why" since="$mark" type=policy_apply \
	operator=watch outcome=failure 'errors=~extra.yaml:1:'
check "the policy in force stays" as watcher -- "$CLIENT" tcp "$LB.1" 8080

sl_done
