#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: sluiced on policies/, one agent, one allowed and one refused
# connection, the events they left, then everything torn down.
set -euo pipefail
OUT=${1:-.output}
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (sluiced loads BPF programs and creates cgroups)" >&2
	exit 1
fi

ID=demo-$$
TMP=$(mktemp -d /tmp/sluice-demo.XXXXXX)
SOCK=$TMP/sluiced.sock
ROOT=sluice-$ID
PINS=/sys/fs/bpf/sluice-$ID
EVENTS=$TMP/events.jsonl
pids=()

ctl() { "$OUT/sluicectl" --socket "$SOCK" "$@"; }

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$OUT/sluiced" --teardown --cgroup-root "$ROOT" --bpffs "$PINS" --socket "$SOCK" \
		--state "$TMP/state.json" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "two local web servers: 127.0.1.1:8080 (the mirror) and 127.0.2.1:8080"
mkdir -p "$TMP/www"
echo "hello from the package mirror" > "$TMP/www/index.html"
for ip in 127.0.1.1 127.0.2.1; do
	python3 -m http.server --bind "$ip" --directory "$TMP/www" 8080 >/dev/null 2>&1 &
	pids+=($!)
done
for _ in $(seq 100); do
	[ "$(ss -Hltn 'sport = :8080' | wc -l)" -ge 2 ] && break
	sleep 0.05
done

step "the policy (policies/demo.yaml), validated offline"
grep -v '^#' policies/demo.yaml
"$OUT/sluicectl" validate -f policies/

step "sluiced: attach at <cgroup2>/$ROOT, pin in $PINS"
"$OUT/sluiced" --policy-dir policies/ --cgroup-root "$ROOT" --bpffs "$PINS" \
	--socket "$SOCK" --events "$EVENTS" --state "$TMP/state.json" --dns-port 0 \
	2>"$TMP/sluiced.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
cat "$TMP/sluiced.log"
ctl agents

step "what the kernel would decide"
ctl check --agent demo-coder --to 127.0.1.1:8080 || true
ctl check --agent demo-coder --to 127.0.2.1:8080 || true
ctl check --agent demo-coder --to 169.254.169.254:80 || true

step "the agent fetches from the mirror (allowed)"
ctl run --agent demo-coder -- curl -sS --max-time 3 http://127.0.1.1:8080/ || true

step "the agent tries the other server (refused by the kernel)"
ctl run --agent demo-coder -- curl -sS --max-time 3 http://127.0.2.1:8080/ || true

step "the same curl outside any agent is untouched"
curl -sS --max-time 3 http://127.0.2.1:8080/

step "a grant: 127.0.2.1:8080 for this agent, for 10 seconds"
gid=$(ctl grant --agent demo-coder --to 127.0.2.1 --ports 8080 --proto tcp --ttl 10s \
	--reason "demo: one fetch from the other server")
echo "granted $gid"
ctl grants
ctl run --agent demo-coder -- curl -sS --max-time 3 http://127.0.2.1:8080/ || true

step "revoked: refused again at once"
ctl revoke "$gid"
ctl run --agent demo-coder -- curl -sS --max-time 3 http://127.0.2.1:8080/ || true

step "the events (sluicectl events)"
sleep 0.3
ctl events --limit 14 | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    g = lambda k: str(e.get(k, "-"))
    if e["type"] == "connection":
        dst = g("dst_ip") + ":" + g("dst_port") + "/" + g("protocol")
        print(g("time"), g("agent"), g("comm"), g("verdict").upper(), dst,
              "reason=" + g("reason"), "rule=" + g("rule_label"), sep="  ")
    else:
        print(g("time"), g("type"), g("agent"), g("run") if "run" in e else g("grant_id"), sep="  ")
'

step "status"
ctl status

step "teardown: agents stopped, programs detached, pins and cgroups removed"
