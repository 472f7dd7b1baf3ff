#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Sinks under load: a file sink rotating by size holds exactly one line per
# decision across all its files, none split; a TCP syslog receiver that
# stops reading neither slows enforcement nor delays the other sinks, and
# what it cannot take is counted (status, events_lost) with the seq range.
. "$(dirname "$0")/lib.sh"
sl_setup

BURST=$HELPERS/burst.py
PORT=$((20000 + RANDOM % 20000))
ROT=$SL_TMP/rot
N=12000

mkdir -p "$SL_TMP/policy" "$ROT"
cat >"$SL_TMP/policy/agents.yaml" <<EOF
agents:
  - name: coder
    egress:
      - to: $LA.1
        ports: [7000]
        protocol: udp
EOF
cat >"$SL_TMP/sluiced.yaml" <<EOF
events:
  ringbuf_size: 16M
  sinks:
    - type: file
      path: $ROT/ev.jsonl
      rotate: { size: 256K, keep: 500 }
      control: false
    - type: file
      path: $SL_TMP/other.jsonl
    - type: syslog
      transport: tcp
      address: 127.0.0.1:$PORT
      format: json
      queue: 16384
      control: false
EOF

status() { ctl --json status >"$SL_TMP/status.json"; }
# jq-like: a Python expression over the status JSON in s.
sq() { "$PY" -c "import json,sys; s=json.load(open(sys.argv[1])); print($1)" "$SL_TMP/status.json"; }
stalled='[k for k in s["events"]["sinks"] if k["name"].startswith("syslog:tcp:")][0]'

bg "$PY" "$HELPERS/stall.py" 127.0.0.1 "$PORT" "$SL_TMP/stall"
sl_wait_port tcp 127.0.0.1 "$PORT" ""
udp_server $LA.1 7000
sl_daemon "$SL_TMP/policy" --config "$SL_TMP/sluiced.yaml" || exit 1
status
d0=$(sq 's["counters"]["allow"] + s["counters"]["deny"]')

# -- before: every sink healthy --------------------------------------------------------------
as coder -- "$PY" "$BURST" $N $LA.1 $LB.1 7000 >"$SL_TMP/before.out"
check "$N decisions, half allowed" grep -q "allowed=$((N / 2)) denied=$((N / 2)) other=0" "$SL_TMP/before.out"
rate_before=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$SL_TMP/before.out")
diag "before the stall: $rate_before decisions/s"
for _ in $(seq 200); do
	status
	[ "$(sq "$stalled[\"written\"]")" -ge "$N" ] && break
	sleep 0.05
done
check_eq "the TCP receiver got all $N while it read" "$N" "$(sq "$stalled[\"written\"]")"

# -- the receiver stops reading ------------------------------------------------------------------
touch "$SL_TMP/stall"
sleep 0.2
as coder -- "$PY" "$BURST" $((N * 3)) $LA.1 $LB.1 7000 >"$SL_TMP/during.out"
rate_during=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$SL_TMP/during.out")
diag "during the stall: $rate_during decisions/s"
check "enforcement is not slowed by the stalled sink (within a factor of 3)" \
	test $((rate_during * 3)) -ge "$rate_before"
check "every call was still decided" grep -q "allowed=$((N * 3 / 2)) denied=$((N * 3 / 2)) other=0" "$SL_TMP/during.out"
status
made=$(($(sq 's["counters"]["allow"] + s["counters"]["deny"]') - d0))
check_eq "the kernel made $((N * 4)) decisions" $((N * 4)) "$made"
check_eq "no event was lost in the kernel ring buffer" 0 "$(sq 's["events"]["kernel_lost"]')"

# The other sinks keep up: all decisions within a few seconds.
other() { "$PY" "$HELPERS/evq.py" count "$SL_TMP/other.jsonl" verdict=~.; }
for _ in $(seq 100); do [ "$(other)" -ge "$made" ] && break; sleep 0.05; done
check_eq "the other file sink has every decision despite the stalled one" "$made" "$(other)"

# -- the stalled sink's losses are counted ------------------------------------------------------
for _ in $(seq 60); do
	"$PY" "$HELPERS/evq.py" count "$SL_TMP/other.jsonl" type=events_lost source=sink | grep -qv '^0$' && break
	sleep 0.05
done
status
dropped=$(sq "$stalled[\"dropped\"]")
check "status counts the stalled sink's drops" test "$dropped" -gt 0
diag "stalled sink: written $(sq "$stalled[\"written\"]"), queued $(sq "$stalled[\"queued\"]"), dropped $dropped"
check "no drop in the file sinks" "$PY" -c '
import json, sys
for k in json.load(open(sys.argv[1]))["events"]["sinks"]:
    assert k["type"] != "file" or (k["dropped"] == 0 and k["errors"] == 0), k' "$SL_TMP/status.json"
check_eq "an events_lost event names the sink" 1 \
	"$("$PY" "$HELPERS/evq.py" count "$SL_TMP/other.jsonl" type=events_lost source=sink \
		sink=syslog:tcp:127.0.0.1:$PORT 'lost=~^[1-9]' 'first_seq=~^[1-9]' 'last_seq=~^[1-9]' \
		| sed 's/^[1-9][0-9]*$/1/')"
ctl status >"$SL_TMP/status.txt"
check "sluicectl status shows the drops" \
	grep -qE "syslog:tcp:127.0.0.1:$PORT +json +[0-9]+ +[0-9]+ +[1-9][0-9]* +[0-9]+ +connected" "$SL_TMP/status.txt"

# -- rotation: one line per decision across the files, none split ---------------------------
for _ in $(seq 100); do
	[ "$(cat "$ROT"/ev.jsonl* | wc -l)" -ge "$made" ] && break
	sleep 0.05
done
files=$(ls "$ROT" | wc -l)
check "the file sink rotated (into $files files)" test "$files" -gt 10
check_eq "lines across all rotated files = decisions" "$made" "$(cat "$ROT"/ev.jsonl* | wc -l)"
check "no file is larger than the rotation size" \
	sh -c "! find '$ROT' -type f -size +256k | grep -q ."
check "every file ends with a whole line, and every line is one JSON event" "$PY" -c '
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/ev.jsonl*"):
    data = open(f, "rb").read()
    assert data.endswith(b"\n"), f
    for line in data.splitlines():
        json.loads(line)' "$ROT"
check "the rotated files hold exactly the decisions the other sink has (by seq)" "$PY" -c '
import glob, json, sys
rot = sorted(json.loads(l)["seq"] for f in glob.glob(sys.argv[1] + "/ev.jsonl*") for l in open(f))
other = sorted(e["seq"] for e in map(json.loads, open(sys.argv[2])) if "verdict" in e)
assert rot == other, (len(rot), len(other))
assert len(set(rot)) == len(rot)' "$ROT" "$SL_TMP/other.jsonl"

# -- stopping with a stalled sink takes its drain deadline, not forever ---------------------
start=$(date +%s%N)
sl_daemon_stop
secs=$((($(date +%s%N) - start) / 1000000000))
check "sluiced stops within 5 s despite the stalled sink (took ${secs}s)" test "$secs" -lt 5
sl_done
