# SPDX-License-Identifier: GPL-2.0-only
"""Parts (d), events, and (e), the DNS proxy, of docs/bench.md (see report.py)."""
import statistics
from collections import defaultdict

T_EVENTS_PER_S = 1e6
T_DNS_P50_US = 100
T_DNS_P99_US = 1000
FORMAT_NAMES = {"json": "JSON lines", "ocsf": "OCSF", "ecs": "ECS", "cef": "CEF"}


def _rows(path):
    try:
        with open(path) as f:
            return [line.rstrip("\n").split("\t") for line in f if line.strip()]
    except FileNotFoundError:
        return []


def _spread(vals, fmt):
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med)
    return f"{fmt(med)} [{fmt(min(vals))}–{fmt(max(vals))}]"


def _verdict(ok, text):
    return f"- **{'met' if ok else 'missed'}**: {text}"


class Parts:
    def __init__(self, work, meta):
        self.meta = meta
        # bursts[fmt] = [(count, lines, seconds, lost, ring)]
        self.bursts = defaultdict(list)
        self.sustained = []
        for r in _rows(f"{work}/events.tsv"):
            kind, fmt, _rep, count, lines, secs, lost, ring = r[:8]
            row = (int(count), int(lines or 0), float(secs or 0), int(lost or 0), int(ring))
            if kind == "burst":
                self.bursts[fmt].append(row)
            else:
                self.sustained.append((fmt,) + row)
        # dns[(rate, path)][round] = (p50, p90, p99, p999, max) in µs
        self.dns = defaultdict(dict)
        for r in _rows(f"{work}/dns.tsv"):
            rnd, path, rate, _sent = r[:4]
            self.dns[(int(rate), path)][int(rnd)] = tuple(float(v) for v in r[4:9])
        self.rates = sorted({k[0] for k in self.dns})

    # ---- (d) --------------------------------------------------------------------

    def drain_rates(self, fmt):
        return [lines / secs for _c, lines, secs, _l, _r in self.bursts[fmt] if secs > 0]

    def zero_loss(self, fmt):
        return all(lines >= count and lost == 0 for count, lines, _s, lost, _r in self.bursts[fmt])

    def events_section(self):
        if not self.bursts:
            return "## (d) Events\n\nNot measured in this run (see the harness errors).\n"
        any_burst = next(iter(self.bursts.values()))[0]
        count, ring = any_burst[0], any_burst[4]
        rec = int(self.meta.get("event_record", "0") or 0)
        out = [f"""## (d) Events

**Method.** A burst of {count:,} denied connection attempts (TCP connect to
the denied target, one event each) is made while sluiced is stopped
(SIGSTOP), so every event waits in the ring buffer; then sluiced is
continued and `bench/drain.py` times how long it takes until the last of
them is a line in the event file (a file sink on /dev/shm, so the disk is
not what is measured; sluiced on CPU {self.meta.get('cpu_server', '?')},
the timer on the other). Zero loss is checked, not assumed: lines written =
attempts made, and the kernel's lost-events counter did not move.

**Ring size for a burst of {count:,}.** One event takes {rec} bytes in the
ring (struct sl_event, 96 bytes, plus the 8-byte record header), so the
burst needs {count * rec / 2**20:.0f} MiB: the next power of two is a
`--ringbuf-size` of {ring:,} ({ring // 2**20} MiB), and with it nothing was
lost in any burst below. The default ring (4 MiB) holds {4 * 2**20 // rec:,}
events.

| format | events/s drained (median [min–max]) | µs per event | bursts | zero loss |
|:--|---:|---:|---:|:--|"""]
        for fmt, runs in self.bursts.items():
            rates = self.drain_rates(fmt)
            if not rates:
                continue
            out.append(f"| {FORMAT_NAMES.get(fmt, fmt)} | "
                       f"{_spread(rates, lambda v: f'{v / 1000:.0f}k')} | "
                       f"{1e6 / statistics.median(rates):.1f} | {len(runs)} | "
                       f"{'yes' if self.zero_loss(fmt) else 'NO'} |")
        for fmt, count, lines, secs, lost, ring in self.sustained:
            out.append(f"""
**Sustained, with the default ring.** The fastest producer the harness has
(a denied UDP `sendto` flood, one process on CPU {self.meta.get('cpu_client', '?')})
ran {secs:.1f} s while sluiced drained on the other CPU into the same kind of file sink
({FORMAT_NAMES.get(fmt, fmt)}, a {ring // 2**20} MiB ring): {count:,} events were
made ({count / secs / 1000:.0f}k/s), {lines:,} written and {lost:,} lost in the
kernel because the ring was full{'' if lost else ' (none)'}. A full ring never changes a
verdict (the calls were all refused); the loss is counted and reported as an
`events_lost` event.""")
        return "\n".join(out) + "\n"

    def events_target(self):
        rates = self.drain_rates("json")
        if not rates:
            return None
        med = statistics.median(rates)
        return _verdict(med >= T_EVENTS_PER_S and self.zero_loss("json"),
                        f"at least 1M events/s from the ring buffer to a file sink with zero "
                        f"loss: {med / 1000:.0f}k events/s in JSON lines "
                        f"({1e6 / med:.1f} µs per event)"
                        + ("" if med >= T_EVENTS_PER_S else
                           f", {T_EVENTS_PER_S / med:.1f} times too slow (why, and what would "
                           "close it: *Events* under findings)")
                        + ("" if self.zero_loss("json") else "; events were lost") + ".")

    # ---- (e) --------------------------------------------------------------------

    def added(self, rate, idx):
        """Per round: proxy minus direct of percentile idx, µs."""
        d, p = self.dns.get((rate, "direct"), {}), self.dns.get((rate, "proxy"), {})
        return [p[r][idx] - d[r][idx] for r in sorted(p) if r in d]

    def dns_section(self):
        if not self.dns:
            return "## (e) DNS proxy\n\nNot measured in this run (see the harness errors).\n"
        out = [f"""## (e) DNS proxy

**Method.** `bench/dnsload` is both the upstream and the client. The
upstream (a loopback address, port 53, on CPU {self.meta.get('cpu_server', '?')}
with sluiced) answers every A query at once with one record. The client
sends queries for one name at a fixed rate (an absolute clock: a slow answer
never delays the next query) from one UDP socket on CPU
{self.meta.get('cpu_client', '?')}, and times each from just before `sendto()`
to just after `recv()`. **Direct**: the client in a cgroup without programs
asks the upstream. **Proxy**: the same client, through `sluicectl run
--agent bench`, asks the same address; the kernel sends the query to
sluiced's proxy, which checks the name against the agent's policy, forwards
it, installs the answer's address for the agent in the kernel before it
answers (one name asked over and over, so the same address each time). Rounds
alternate direct and proxy; the **added** latency is proxy minus direct
within a round, then the median over rounds.

| queries/s | path | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |
|---:|:--|---:|---:|---:|---:|---:|"""]
        for rate in self.rates:
            for path in ("direct", "proxy"):
                rounds = self.dns.get((rate, path), {})
                if not rounds:
                    continue
                cells = [_spread([v[i] for v in rounds.values()], lambda x: f"{x:.0f}")
                         for i in range(5)]
                out.append(f"| {rate:,} | {path} | " + " | ".join(cells) + " |")
        out.append("\n| queries/s | added p50 µs | added p99 µs |\n|---:|---:|---:|")
        for rate in self.rates:
            a50, a99 = self.added(rate, 0), self.added(rate, 2)
            if a50:
                out.append(f"| {rate:,} | {_spread(a50, lambda x: f'{x:.0f}')} | "
                           f"{_spread(a99, lambda x: f'{x:.0f}')} |")
        return "\n".join(out) + "\n"

    def dns_targets(self):
        out = []
        for rate in self.rates:
            a50, a99 = self.added(rate, 0), self.added(rate, 2)
            if not a50:
                continue
            m50, m99 = statistics.median(a50), statistics.median(a99)
            out.append(_verdict(m50 < T_DNS_P50_US,
                                f"DNS proxy adds under 100 µs at p50, {rate:,} queries/s: "
                                f"{m50:.0f} µs (rounds {min(a50):.0f} to {max(a50):.0f})."))
            out.append(_verdict(m99 < T_DNS_P99_US,
                                f"DNS proxy adds under 1 ms at p99, {rate:,} queries/s: "
                                f"{m99:.0f} µs (rounds {min(a99):.0f} to {max(a99):.0f})."))
        return out

    def targets(self):
        return [t for t in [self.events_target()] + self.dns_targets() if t]
