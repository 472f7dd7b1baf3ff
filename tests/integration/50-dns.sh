#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Policy by name: agents' DNS (to any resolver, UDP and TCP, IPv4 and IPv6)
# goes to sluiced's proxy, which answers only allowed names and installs
# their addresses before the answer is out.  A real dnsmasq in a test
# namespace serves the zone; real clients (getent, dig, curl) resolve.
. "$(dirname "$0")/lib.sh"
sl_setup

CLIENT=$HELPERS/client.py
CONN=$HELPERS/conn.py
sl_netns || exit 1
N=${NS_IP4%.2}		# the namespace's /24: $N.2 is NS_IP4
for i in 3 4 5 6 7 100; do ip -n "$SL_NS" addr add "$N.$i/24" dev eth0; done

big=()
for i in $(seq 100 139); do big+=(--host-record="big.sluice.test,$N.$i"); done
bg ip netns exec "$SL_NS" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
	--user=root --port=53 --listen-address="$NS_IP4" --listen-address="$NS_IP6" --bind-interfaces \
	--log-queries --log-facility="$SL_TMP/dnsmasq.log" --local-ttl=300 \
	--host-record="api.sluice.test,$NS_IP4,300" --host-record="www.sluice.test,$N.3,300" \
	--host-record="short.sluice.test,$N.4,1" --host-record="a.wild.sluice.test,$N.5" \
	--host-record="a.b.wild.sluice.test,$N.5" --host-record="wild.sluice.test,$N.5" \
	--host-record="evilwild.sluice.test,$N.5" --host-record="target.sluice.test,$N.6" \
	--cname="alias.sluice.test,target.sluice.test" --host-record="v6.sluice.test,$NS_IP6" \
	--host-record="evil.sluice.test,$N.7" "${big[@]}"
sl_wait_port udp "$NS_IP4" 53 "$SL_NS" || exit 1
for ip in "$NS_IP4" "$N.3" "$N.4" "$N.6" "$N.100" "$NS_IP6"; do
	tcp_server "$ip" 8080 "$SL_NS"
done

mkdir -p "$SL_TMP/policy"
cat >"$SL_TMP/policy/agents.yaml" <<EOF
agents:
  - name: named
    egress:
      - to: [api.sluice.test, "*.wild.sluice.test", alias.sluice.test, v6.sluice.test,
             big.sluice.test, short.sluice.test]
        ports: [8080]
        protocol: tcp
        id: names
  - name: other
    egress:
      - to: www.sluice.test
        ports: [8080]
  - name: twin
    egress:
      - to: api.sluice.test
        ports: [8080]
  - name: asker
    ask:
      - to: api.sluice.test
        ports: [8080]
        id: ask-api
  - name: direct
    dns: direct
    egress:
      - to: $NS_IP4
        ports: [8080]
EOF
# The agents' resolver is whatever /etc/resolv.conf says: redirected anyway.
RESOLVER=$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)
SL_DNS_UPSTREAM=$NS_IP4 sl_daemon "$SL_TMP/policy" --dns-grace 1s --config "$(sl_siem_config allow deny audit)" || exit 1
diag "agents' resolver: $RESOLVER; upstream: $NS_IP4 (dnsmasq)"

# -- an allowed name resolves and connects; the address alone does not ---------------------
refute "before resolving, the address of an allowed name is refused" \
	as named -- "$CLIENT" tcp "$NS_IP4" 8080
check "getent resolves an allowed name through the proxy" \
	sh -c "$SLUICECTL run --agent named -- getent hosts api.sluice.test | grep -q '$NS_IP4'"
check "curl by name connects" as named -- curl --http0.9 -sS --max-time 3 http://api.sluice.test:8080/
ev_expect "event: the connection names the DNS name and the rule" agent=named verdict=allow \
	dst_ip="$NS_IP4" dns_name=api.sluice.test rule_label=names
ev_expect "event: dns_query with its answer" type=dns_query agent=named query=api.sluice.test \
	'answers=~'"$NS_IP4"
check "after resolving, the bare address works too (the learned rule)" \
	as named -- "$CLIENT" tcp "$NS_IP4" 8080
refute "an agent whose policy names only other names is refused that address" \
	as other -- "$CLIENT" tcp "$NS_IP4" 8080
check "and its own name works" as other -- curl --http0.9 -sS --max-time 3 http://www.sluice.test:8080/

# -- a name not allowed: REFUSED, an event, never upstream --------------------------------------
as named -- dig +time=2 +tries=1 evil.sluice.test >"$SL_TMP/dig.out" 2>&1
check "a name not allowed is answered REFUSED" grep -q "status: REFUSED" "$SL_TMP/dig.out"
ev_expect "event: dns_denied with the name and type" type=dns_denied agent=named \
	query=evil.sluice.test qtype=A verdict=deny
check_eq "the upstream never saw the refused name" 0 "$(grep -c 'evil.sluice.test' "$SL_TMP/dnsmasq.log")"
as named -- dig +time=2 +tries=1 @198.18.250.250 evil.sluice.test >"$SL_TMP/dig.out" 2>&1
check "a query to any resolver address goes to the proxy (REFUSED, not a timeout)" \
	grep -q "status: REFUSED" "$SL_TMP/dig.out"
check "the answer comes from the resolver the agent asked" grep -q "SERVER: 198.18.250.250#53" "$SL_TMP/dig.out"

# -- wildcards ----------------------------------------------------------------------------------------
for name in a.wild.sluice.test a.b.wild.sluice.test; do
	check "wildcard *.wild.sluice.test allows $name" \
		sh -c "$SLUICECTL run --agent named -- dig +short $name | grep -q '$N.5'"
done
for name in wild.sluice.test evilwild.sluice.test; do
	as named -- dig +time=2 +tries=1 "$name" >"$SL_TMP/dig.out" 2>&1
	check "wildcard *.wild.sluice.test refuses $name" grep -q "status: REFUSED" "$SL_TMP/dig.out"
done

# -- CNAME chains, AAAA and IPv6, DNS over TCP, truncation -------------------------------------------
check "a CNAME chain is followed: the target's address is installed" \
	as named -- curl --http0.9 -sS --max-time 3 http://alias.sluice.test:8080/
ev_expect "event: the chain's address carries the name asked" agent=named verdict=allow \
	dst_ip="$N.6" dns_name=alias.sluice.test
check "AAAA resolves and an IPv6 connect by name works" \
	as named -- curl -6 --http0.9 -sS --max-time 3 http://v6.sluice.test:8080/
ev_expect "event: IPv6 connection to the learned AAAA" agent=named verdict=allow hook=connect6 \
	dst_ip="$NS_IP6" dns_name=v6.sluice.test
check "a query over IPv6 to an IPv6 resolver is redirected too" \
	sh -c "$SLUICECTL run --agent named -- dig +short @2001:db8:ffff::53 AAAA v6.sluice.test | grep -q '$NS_IP6'"
check "DNS over TCP works" \
	sh -c "$SLUICECTL run --agent named -- dig +tcp +short api.sluice.test | grep -q '$NS_IP4'"
before=$(ctl --json status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["dns"]["tcp_retries"])')
as named -- dig +noedns +time=3 big.sluice.test >"$SL_TMP/dig.out" 2>&1
after=$(ctl --json status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["dns"]["tcp_retries"])')
check "a truncated UDP answer is fetched again over TCP (proxy to upstream)" test "$((after - before))" -ge 1
check_eq "and the agent gets all 40 addresses (over TCP from the proxy)" 40 \
	"$(grep -c "^big.sluice.test.*IN.*A.*$N\." "$SL_TMP/dig.out")"
check "every address of the big answer was installed" as named -- "$CLIENT" tcp "$N.100" 8080

# -- two agents, separate grants -------------------------------------------------------------------
refute "twin has not resolved api.sluice.test: refused" as twin -- "$CLIENT" tcp "$NS_IP4" 8080
ctl check --agent twin --to "$NS_IP4:8080" >/dev/null
check_eq "check agrees: twin denied while named is allowed" 1 "$?"
check "named is allowed the same address" ctl check --agent named --to "$NS_IP4:8080"
check "twin resolves and gets its own entry" as twin -- curl --http0.9 -sS --max-time 3 http://api.sluice.test:8080/

# -- TTL expiry: new connections need a fresh answer; established ones stay --------------------------
check "short.sluice.test (TTL 1 s) resolves" \
	sh -c "$SLUICECTL run --agent named -- getent hosts short.sluice.test | grep -q '$N.4'"
as named -- "$CONN" tcp "$N.4" 8080 "$SL_TMP/ttl.log" 8 &
SL_PIDS+=($!)
for _ in $(seq 40); do grep -q connected "$SL_TMP/ttl.log" 2>/dev/null && break; sleep 0.05; done
check "a connection to it is open" grep -q connected "$SL_TMP/ttl.log"
sleep 3	# past TTL 1 s + grace 1 s
refute "after the TTL, a new connection to the address is refused" as named -- "$CLIENT" tcp "$N.4" 8080
ev_expect "event: that refusal is a default deny" agent=named verdict=deny dst_ip="$N.4" reason=default_deny
g=$(ctl grant --agent named --to 198.18.251.1 --ttl 1m)
ctl revoke "$g" >/dev/null	# a revocation sweeps every live socket: this one must survive it
check "the established connection keeps working past the TTL and a sweep" \
	sh -c "sleep 5; grep -q alive '$SL_TMP/ttl.log' && ! grep -q error '$SL_TMP/ttl.log'"
check "resolving again restores new connections" \
	sh -c "$SLUICECTL run --agent named -- getent hosts short.sluice.test >/dev/null && $SLUICECTL run --agent named -- $CLIENT tcp $N.4 8080"

# -- name grants --------------------------------------------------------------------------------------
as other -- dig +time=2 +tries=1 api.sluice.test >"$SL_TMP/dig.out" 2>&1
check "other may not resolve api.sluice.test" grep -q "status: REFUSED" "$SL_TMP/dig.out"
g=$(ctl grant --agent other --to api.sluice.test --ports 8080 --ttl 1m)
check "a name grant lets it resolve and connect" \
	as other -- curl --http0.9 -sS --max-time 3 http://api.sluice.test:8080/
ev_expect "event: allowed through the grant's learned address" agent=other verdict=allow \
	dst_ip="$NS_IP4" dns_name=api.sluice.test rule_section=grant rule_label="$g"
ctl revoke "$g" >/dev/null
refute "revoking the name grant takes the address back" as other -- "$CLIENT" tcp "$NS_IP4" 8080

# -- an ask rule on a name: resolvable, its connection needs approval ---------------------------
check "an ask name resolves" sh -c "$SLUICECTL run --agent asker -- getent hosts api.sluice.test | grep -q '$NS_IP4'"
mark=$(ev_mark)
refute "but the connection is refused pending approval" \
	as asker -- curl --http0.9 -sS --max-time 3 http://api.sluice.test:8080/
ev_expect "event: reason ask, with the name and a request id" since="$mark" agent=asker \
	verdict=deny reason=ask dst_ip="$NS_IP4" dns_name=api.sluice.test 'request_id=~^req-'
req=$("$PY" "$HELPERS/evq.py" get "$SL_EVENTS" request_id since="$mark" agent=asker reason=ask)
ctl approve "$req" --ttl 1m >/dev/null
check "after approval the retry connects" as asker -- curl --http0.9 -sS --max-time 3 http://api.sluice.test:8080/

# -- what is not redirected is judged ----------------------------------------------------------------
refute "DNS to another port is a destination like any other (refused)" \
	as named -- dig +time=1 +tries=1 -p 5353 @"$NS_IP4" api.sluice.test
ev_expect "event: that query was judged and denied" agent=named verdict=deny dst_ip="$NS_IP4" dst_port=5353
refute "an agent with dns: direct is not redirected: port 53 is judged (refused)" \
	as direct -- dig +time=1 +tries=1 @"$NS_IP4" api.sluice.test
ev_expect "event: direct agent's DNS denied as a destination" agent=direct verdict=deny dst_port=53

# -- hostile packets ------------------------------------------------------------------------------------
for kind in garbage loop label short; do
	as named -- "$HELPERS/dnsjunk.py" "$RESOLVER" "$kind" >"$SL_TMP/junk.out" 2>&1
	check "hostile query ($kind) is dropped, not answered" grep -q "no answer" "$SL_TMP/junk.out"
done
ev_expect "event: dns_malformed" type=dns_malformed
check "the daemon is still up" ctl status
check "and the proxy still answers" \
	sh -c "$SLUICECTL run --agent named -- dig +short api.sluice.test | grep -q '$NS_IP4'"

# -- --dns-refuse nxdomain --------------------------------------------------------------------------
sl_daemon_stop
SL_DNS_UPSTREAM=$NS_IP4 sl_daemon "$SL_TMP/policy" --dns-refuse nxdomain --config "$SL_TMP/siem.yaml" || exit 1
as named -- dig +time=2 +tries=1 evil.sluice.test >"$SL_TMP/dig.out" 2>&1
check "with --dns-refuse nxdomain a name not allowed is answered NXDOMAIN" \
	grep -q "status: NXDOMAIN" "$SL_TMP/dig.out"
check "after a restart the learned addresses are still enforced (named, resolved before)" \
	as named -- "$CLIENT" tcp "$NS_IP4" 8080

# -- every event of this scenario, in every SIEM format ------------------------------------
validates_siem "the DNS scenario's"

sl_done
