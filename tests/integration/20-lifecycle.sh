#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The daemon's life: fail-closed after kill -9, adoption on restart, events
# kept across the gap, atomic apply and its refusals, check and validate,
# the control socket's peer check, and teardown leaving nothing behind.
. "$(dirname "$0")/lib.sh"
sl_setup

CLIENT=$HELPERS/client.py
mkdir -p "$SL_TMP/policy" "$SL_TMP/v2"
cat >"$SL_TMP/policy/base.yaml" <<EOF
agents:
  - name: coder
    egress:
      - to: $LA.0/24
        ports: [8080]
        protocol: tcp
        id: mirror
  - name: helper
    egress:
      - to: $LA.1
EOF
tcp_server $LA.1 8080
tcp_server $LB.1 8080
sl_daemon "$SL_TMP/policy" || exit 1

# -- check and validate --------------------------------------------------------------
ctl check --agent coder --to $LA.1:8080 >"$SL_TMP/out"
check_eq "check: allowed destination exits 0" 0 "$?"
check "check: names the deciding rule" grep -q "allow $LA.1:8080/tcp: rule (egress rule at .*base.yaml:4:9, mirror)" "$SL_TMP/out"
ctl check --agent coder --to $LB.1:8080 >/dev/null
check_eq "check: denied destination exits 1" 1 "$?"
ctl check --agent coder --to $LA.1:8080 --proto udp >/dev/null
check_eq "check: wrong protocol exits 1" 1 "$?"
ctl check --agent nobody --to $LA.1:8080 2>/dev/null
check_eq "check: unknown agent exits 2" 2 "$?"
ctl check --agent coder --to $LA.1 2>/dev/null
check_eq "check: a destination without a port exits 2" 2 "$?"

cat >"$SL_TMP/bad.yaml" <<EOF
agents:
  - name: coder
    egress:
      - to: $LA.0/24
        ports: [8080]
      - to: 10.0.0.0/33
        ports: [70000]
        protcol: tcp
EOF
ctl validate -f "$SL_TMP/bad.yaml" 2>"$SL_TMP/err"
check_eq "validate: invalid policy exits 1" 1 "$?"
check "validate: bad CIDR at file:line:col" grep -q "bad.yaml:6:13: bad CIDR \"10.0.0.0/33\"" "$SL_TMP/err"
check "validate: port out of range at file:line:col" grep -q "bad.yaml:7:17: .*70000" "$SL_TMP/err"
check "validate: unknown key at file:line:col" grep -q 'bad.yaml:8:9: unknown key "protcol"' "$SL_TMP/err"
check "validate: a valid policy exits 0 and says so" ctl validate -f "$SL_TMP/policy"

# -- apply: refusal, atomic change, no-op, prune ------------------------------------------
ctl apply -f "$SL_TMP/bad.yaml" 2>"$SL_TMP/err"
check_eq "apply: an invalid policy is refused (exit 1)" 1 "$?"
check "apply: the refusal names file, line and column" grep -q "bad.yaml:6:13" "$SL_TMP/err"
check "after a refused apply the old policy still allows $LA.1" as coder -- "$CLIENT" tcp $LA.1 8080
refute "after a refused apply the old policy still denies $LB.1" as coder -- "$CLIENT" tcp $LB.1 8080
ev_expect "event: failed apply is audited with its errors" type=policy_apply outcome=failure \
	'errors=~bad.yaml:6:13' version_before=1 version_after=1

ctl apply -f "$SL_TMP/policy" >"$SL_TMP/out"
check "re-applying the policy in force is a no-op that says so" grep -q "no change" "$SL_TMP/out"
cat >"$SL_TMP/v2/coder.yaml" <<EOF
agents:
  - name: coder
    egress:
      - to: [$LA.0/24, $LB.1]
        ports: [8080]
        protocol: tcp
        id: mirror-and-two
EOF
ctl apply -f "$SL_TMP/v2/coder.yaml" >"$SL_TMP/out"
check "apply prints what changed" grep -qE 'coder +updated' "$SL_TMP/out"
check "apply prints the new version" grep -q "policy version 2 in force" "$SL_TMP/out"
check "the updated policy allows $LB.1" as coder -- "$CLIENT" tcp $LB.1 8080
ev_expect "event: allowed by the new rule, version 2" agent=coder verdict=allow dst_ip=$LB.1 \
	policy_version=2 rule_label=mirror-and-two
ev_expect "event: apply is audited with operator and versions" type=policy_apply outcome=success \
	version_before=1 version_after=2 'operator=~uid.: 0'
check "an agent the file does not name is kept without --prune" as helper -- "$CLIENT" tcp $LA.1 8080

# -- kill -9: enforcement stays, events are kept, restart adopts ---------------------------------
as coder -- "$CLIENT" hold "$SL_TMP/go" $LB.1 8080 &
held_allowed=$!
as helper -- "$CLIENT" hold "$SL_TMP/go" $LB.1 8080 &
held_denied=$!
SL_PIDS+=($held_allowed $held_denied)
sleep 0.3
sl_daemon_stop KILL
refute "sluiced is gone after kill -9" ctl status
check "the programs stay attached at the agents root" sh -c "bpftool cgroup tree '$CG_ROOT' | grep -q sl_connect4"
check "links and maps stay pinned" test -e "$SL_PINS/link_sl_connect4" -a -e "$SL_PINS/sl_rules"
touch "$SL_TMP/go"
wait $held_denied
check_eq "with the daemon dead a denied connection is still refused" 1 "$?"
wait $held_allowed
check_eq "with the daemon dead an allowed connection still works" 0 "$?"
refute "with the daemon dead a new cgroup under the root is denied" sh -c \
	"mkdir $CG_ROOT/intruder && echo \$\$ > $CG_ROOT/intruder/cgroup.procs && exec $CLIENT tcp $LA.1 8080"
check "with the daemon dead a process outside the root is untouched" "$CLIENT" tcp $LB.1 8080

lines_before=$(ev_mark)
sl_daemon "$SL_TMP/policy" || exit 1
check "the restarted daemon adopted the pinned programs" grep -q "adopted programs" "$SL_TMP/sluiced.log"
ev_expect "the denial made while the daemon was dead reaches the sink after restart" \
	"since=$lines_before" type=connection agent=helper verdict=deny dst_ip=$LB.1
ev_expect "and the intruder's denial too" "since=$lines_before" verdict=deny reason=not_enrolled
check "after restart the policy dir is in force again (coder denied $LB.1)" sh -c \
	"! $SLUICECTL run --agent coder -- $CLIENT tcp $LB.1 8080"
check "after restart new runs work" as coder -- "$CLIENT" tcp $LA.1 8080

# -- prune: a removed agent's running processes are denied -------------------------------------
cat >"$SL_TMP/v2/only-helper.yaml" <<EOF
agents:
  - name: helper
    egress:
      - to: $LA.1
EOF
as coder -- "$CLIENT" hold "$SL_TMP/go2" $LA.1 8080 &
held=$!
SL_PIDS+=($held)
sleep 0.3
ctl apply --prune -f "$SL_TMP/v2/only-helper.yaml" >"$SL_TMP/out"
check "apply --prune removes agents the policy does not name" grep -qE 'coder +removed' "$SL_TMP/out"
touch "$SL_TMP/go2"
wait $held
check_eq "a removed agent's running process is denied" 1 "$?"
ev_expect "event: no_agent for the removed agent's run" verdict=deny reason=no_agent dst_ip=$LA.1

# -- control socket: who may talk ---------------------------------------------------------------
chmod 0711 "$SL_TMP"	# let other users reach the socket file itself
chmod 0666 "$SL_SOCK"
refute "a user who is not root or in the group is refused" \
	setpriv --reuid 65534 --regid 65534 --clear-groups "$SLUICECTL" status
ev_expect "event: the refusal is logged with the peer's uid" type=control_refused uid=65534
check "the refusal is in the daemon log" grep -q "refused control connection from uid 65534" "$SL_TMP/sluiced.log"
sl_daemon_stop
sl_daemon "$SL_TMP/policy" --group nogroup || exit 1
check "a member of --group may use the socket" \
	setpriv --reuid 65534 --regid 65534 --clear-groups "$SLUICECTL" status
check "the socket is 0660 and group-owned" sh -c "stat -c '%a %G' '$SL_SOCK' | grep -qx '660 nogroup'"

# -- an invalid policy dir at start: nothing applied ------------------------------------------------
sl_daemon_stop
cp "$SL_TMP/bad.yaml" "$SL_TMP/policy/"
"$SLUICED" --policy-dir "$SL_TMP/policy" --cgroup-root "$SL_ROOT-2" --bpffs "$SL_PINS-2" \
	--socket "$SL_TMP/s2" --state "$SL_TMP/s2.state" --dns-port 0 2>"$SL_TMP/err"
check_eq "sluiced refuses to start on an invalid policy dir (exit 1)" 1 "$?"
check "and says where" grep -q "bad.yaml:6:13" "$SL_TMP/err"
refute "and attached nothing" test -e "$SL_PINS-2"
refute "and made no agents root" test -e "$CG_MOUNT/$SL_ROOT-2"
rm "$SL_TMP/policy/bad.yaml"

# -- teardown ---------------------------------------------------------------------------------------
sl_daemon "$SL_TMP/policy" || exit 1
as helper -- sleep 60 &
SL_PIDS+=($!)
sleep 0.3
sl_daemon_stop
"$SLUICED" --teardown --cgroup-root "$SL_ROOT" --bpffs "$SL_PINS" --socket "$SL_SOCK" \
	--state "$SL_TMP/state.json"
check_eq "teardown succeeds" 0 "$?"
refute "teardown detached every program" sh -c "bpftool cgroup tree | grep -q '$SL_ROOT'"
refute "teardown removed the pins" test -e "$SL_PINS"
refute "teardown removed the agents root" test -e "$CG_ROOT"
refute "teardown stopped the agents (no process left in the root)" pgrep -f "sleep 60"

sl_done
