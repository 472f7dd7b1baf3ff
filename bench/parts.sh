# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Parts (d), events, and (e), the DNS proxy.  Sourced by bench/run.sh; both
# run after the rule counts, each with a sluiced of its own (started by
# sluice_start, removed by sluice_stop or bench_cleanup like the first).

# ---- (d) events ----------------------------------------------------------------

# Bytes one event takes in the ring: struct sl_event (include/sluice/abi.h)
# rounded up to 8, plus the ring buffer's 8-byte record header.
ev_record_bytes() {
	local sz
	printf '#include <stdio.h>\n#include <linux/types.h>\n#include <sluice/abi.h>\nint main(void) { printf("%%zu\\n", sizeof(struct sl_event)); return 0; }\n' |
		cc -I"$TOP/include" -x c - -o "$WORK/evsize" 2>>"$WORK/client.err" || return 1
	sz=$("$WORK/evsize") || return 1
	echo $(((sz + 7) / 8 * 8 + 8))
}

pow2_at_least() {
	local p=4096
	while [ "$p" -lt "$1" ]; do p=$((p * 2)); done
	echo "$p"
}

counter() {
	"$OUT/sluicectl" --json status 2>/dev/null | jq -r --arg k "$1" '.counters[$k] // 0'
}

# Our sluiced again, writing FORMAT to the events file, with a ring of BYTES
# and its DNS proxy on DNS_PORT forwarding to the test upstream.
ev_daemon() {
	sluice_stop
	rm -f "$EVF"
	sluice_start --events "$EVF" --event-format "$1" --ringbuf-size "$2" \
		--dns-port "$DNS_PORT" --dns-upstream "$LU" &&
		"$OUT/sluicectl" apply -f "$WORK/parts.yaml" >/dev/null 2>>"$WORK/apply.err"
}

# One burst: the client makes BURST denied connects while sluiced is
# stopped (SIGSTOP), so every event waits in the ring; then drain.py
# continues sluiced and times how long it takes to write them all.
ev_burst() {
	local fmt=$1 rep=$2 go=$WORK/go.$1.$2 lost0 lost1 line pid
	lost0=$(counter events_lost_kernel)
	"$OUT/sluicectl" run --agent bench -- "$BIN/loadgen" client --load tcp --to "$LD" \
		--ports "$PORTS_OK" --cpu "$CPU_CLIENT" --count "$BURST" --seconds 0 \
		--warmup 0 --go "$go" >"$WORK/burst.out" 2>>"$WORK/client.err" &
	pid=$!
	for _ in $(seq 400); do
		[ -e "$go.ready" ] && break
		sleep 0.025
	done
	if [ ! -e "$go.ready" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		harness_error "events $fmt: the burst client did not start"
		return 1
	fi
	kill -STOP "$SL_DAEMON_PID"
	touch "$go"
	wait "$pid"
	line=$(taskset -c "$CPU_CLIENT" "$PY" "$TOP/bench/drain.py" "$SL_DAEMON_PID" "$EVF" \
		"$BURST" 60)
	lost1=$(counter events_lost_kernel)
	verdict_check sluice deny "$(field "$(cat "$WORK/burst.out")" ok)" 0 "events $fmt burst"
	printf 'burst\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fmt" "$rep" "$BURST" \
		"$(field "$line" lines)" "$(field "$line" seconds)" "$((lost1 - lost0))" \
		"$RING" >>"$WORK/events.tsv"
}

# Sustained: the fastest producer we have (a denied UDP flood on the client
# CPU) while sluiced drains on the other; did it keep up?
ev_sustained() {
	local fmt=$1 lost0 lost1 line lines0 lines1
	lost0=$(counter events_lost_kernel)
	lines0=$(wc -l <"$EVF")
	line=$("$OUT/sluicectl" run --agent bench -- "$BIN/loadgen" client --load udp \
		--to "$LD" --ports "$PORTS_OK" --cpu "$CPU_CLIENT" --seconds "$EV_SECS" \
		--warmup 0 2>>"$WORK/client.err")
	sleep 1
	lost1=$(counter events_lost_kernel)
	lines1=$(wc -l <"$EVF")
	printf 'sustained\t%s\t1\t%s\t%s\t%s\t%s\t%s\n' "$fmt" "$(field "$line" ops)" \
		"$((lines1 - lines0))" "$(field "$line" seconds)" "$((lost1 - lost0))" \
		"$SUSTAINED_RING" >>"$WORK/events.tsv"
}

bench_events() {
	local rec fmt rep
	rec=$(ev_record_bytes) || { harness_error "events: no sl_event in the BTF"; return 1; }
	RING=$(pow2_at_least $((BURST * rec)))
	echo "event_record	$rec" >>"$WORK/meta.tsv"
	for fmt in $EV_FORMATS; do
		log "bench: events: $fmt, bursts of $BURST into a $RING-byte ring"
		ev_daemon "$fmt" "$RING" || { harness_error "events: sluiced ($fmt) did not start"; continue; }
		# Repeats for the default format; one burst each for the others.
		for rep in $(seq 1 "$([ "$fmt" = json ] && echo "$EV_REPS" || echo 1)"); do
			ev_burst "$fmt" "$rep"
		done
	done
	# The default ring, as an operator runs it.
	ev_daemon json "$SUSTAINED_RING" || { harness_error "events: sluiced did not start"; return 1; }
	ev_sustained json
}

# ---- (e) the DNS proxy --------------------------------------------------------

dns_server() {
	"$BIN/dnsload" server --addr "$LU" --answer "$LA_ANS" --cpu "$CPU_SERVER" \
		--cgroup "$BCG/server" >"$WORK/dns-server.out" 2>&1 &
	SERVER_PIDS+=($!)
	for _ in $(seq 100); do
		grep -q ready "$WORK/dns-server.out" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# dns_measure ROUND PATH RATE: PATH direct (base cgroup) or proxy (the agent).
dns_measure() {
	local line args=(client --to "$LU" --name "$DNS_NAME" --rate "$3" --seconds "$DNS_SECS"
		--cpu "$CPU_CLIENT")
	if [ "$2" = proxy ]; then
		line=$(timeout 60 "$OUT/sluicectl" run --agent bench -- "$BIN/dnsload" "${args[@]}" \
			2>>"$WORK/client.err")
	else
		line=$(timeout 60 "$BIN/dnsload" "${args[@]}" --cgroup "$BCG/base" 2>>"$WORK/client.err")
	fi
	if [[ $line != rate=* ]]; then
		harness_error "dns $2 at $3/s: no result"
		return 1
	fi
	[ "$(field "$line" late)" = 0 ] ||
		harness_error "dns $2 at $3/s: $(field "$line" late) queries unanswered"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(field "$line" sent)" \
		"$(field "$line" p50_us)" "$(field "$line" p90_us)" "$(field "$line" p99_us)" \
		"$(field "$line" p999_us)" "$(field "$line" max_us)" >>"$WORK/dns.tsv"
}

bench_dns() {
	local r rate path
	dns_server || { harness_error "dns: the upstream did not start"; return 1; }
	# The proxy of the last events daemon serves the agent.
	for r in $(seq 1 "$ROUNDS"); do
		for rate in $DNS_RATES; do
			for path in direct proxy; do
				dns_measure "$r" "$path" "$rate"
			done
		done
		log "bench: dns round $r of $ROUNDS done"
	done
	"$OUT/sluicectl" --json status 2>/dev/null | jq -c '.dns // {}' >"$WORK/dns-status.json"
}

# The agent of parts (d) and (e): the allowed targets and one name.
parts_policy() {
	cat >"$WORK/parts.yaml" <<-EOF
	agents:
	  - name: bench
	    mode: enforce
	    log: denied
	    egress:
	      - id: targets
	        to: [$LA_NET, "::1"]
	        ports: [$PORTS_OK]
	      - id: name
	        to: [$DNS_NAME]
	        ports: [443]
	EOF
}
