#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write the same N-rule policy for sluice, nftables, iptables and ipset.

    gen.py sluice N TARGET4 PORTS LABEL          YAML for sluicectl apply
    gen.py nft N TABLE TARGET4 PORTS             nft -f input (no hooked chain)
    gen.py ipt 4|6 N CHAIN TARGET PORTS [SET]    iptables-restore --noflush input
    gen.py ipset 4|6 N SET                       ipset restore input

N counts prefixes: the two targets (TARGET4, a loopback /24, and ::1/128,
both limited to PORTS, "LO-HI") and N-2 fillers.  Fillers are /32s from
198.18.0.0/15 then 10.0.0.0/8 and /128s from 2001:db8::/32, alternating
IPv4 and IPv6: map content only, never a traffic target.  At N=1 the policy
is the target rule alone.

The sluice file has to stay under the policy parser's 16 MiB per file, so
fillers are one flow sequence of bare addresses (a bare address is a /32 or
/128): 1M prefixes take about 14 MB.
"""
import ipaddress
import sys

V4_BASES = ((ipaddress.IPv4Address("198.18.0.0"), 1 << 17),
            (ipaddress.IPv4Address("10.0.0.0"), 1 << 24))
V6_BASE = int(ipaddress.IPv6Address("2001:db8::"))


def counts(n):
    fill = max(n - 2, 0)
    return (fill + 1) // 2, fill // 2


def fill4(k):
    for i in range(k):
        for base, size in V4_BASES:
            if i < size:
                yield str(base + i)
                break
            i -= size


def fill6(k):
    for i in range(k):
        yield str(ipaddress.IPv6Address(V6_BASE + i + 1))


def interleave(n):
    k4, k6 = counts(n)
    a, b = fill4(k4), fill6(k6)
    for _ in range(k6):
        yield next(a)
        yield next(b)
    yield from a


def sluice(n, target4, ports, label):
    out = sys.stdout
    out.write("agents:\n  - name: bench\n    mode: enforce\n    log: denied\n"
              "    egress:\n"
              f"      - to: [{target4}, \"::1\"]\n        ports: [{ports}]\n"
              f"        id: {label}\n")
    if n > 2:
        out.write("      - id: filler\n        to: [")
        out.write(",".join(interleave(n)))
        out.write("]\n")


def nft_set(name, typ, elems):
    s = f"  set {name} {{\n    type {typ}; flags interval;\n"
    if elems:
        s += "    elements = { " + ", ".join(elems) + " }\n"
    return s + "  }\n"


def nft(n, table, target4, ports):
    k4, k6 = counts(n)
    w = sys.stdout.write
    w(f"table inet {table} {{\n")
    w(nft_set("f4", "ipv4_addr", list(fill4(k4))))
    w(nft_set("f6", "ipv6_addr", list(fill6(k6))))
    # The set lookups come first, so every packet pays for them, as every
    # sluice call pays for its trie lookup.
    w("  chain agent {\n"
      "    ip daddr @f4 accept\n"
      "    ip6 daddr @f6 accept\n"
      f"    ip daddr {target4} meta l4proto {{ tcp, udp }} th dport {ports} accept\n"
      f"    ip6 daddr ::1 meta l4proto {{ tcp, udp }} th dport {ports} accept\n"
      "    meta l4proto tcp reject with tcp reset\n"
      "    reject\n"
      "  }\n}\n")


def ipt(fam, n, chain, target, ports, setname=None):
    k4, k6 = counts(n)
    w = sys.stdout.write
    w(f"*filter\n:{chain} - [0:0]\n")
    if setname:
        w(f"-A {chain} -m set --match-set {setname} dst -j ACCEPT\n")
    else:
        for a in (fill4(k4) if fam == "4" else fill6(k6)):
            w(f"-A {chain} -d {a} -j ACCEPT\n")
    # The targets come last: the allowed destination walks the whole chain,
    # as a denied one does.
    lo, hi = ports.split("-")
    for p in ("tcp", "udp"):
        w(f"-A {chain} -d {target} -p {p} --dport {lo}:{hi} -j ACCEPT\n")
    w(f"-A {chain} -p tcp -j REJECT --reject-with tcp-reset\n")
    w(f"-A {chain} -j REJECT\nCOMMIT\n")


def ipset(fam, n, name):
    k4, k6 = counts(n)
    k = k4 if fam == "4" else k6
    family = "inet" if fam == "4" else "inet6"
    w = sys.stdout.write
    w(f"create {name} hash:net family {family} maxelem {max(k, 65536)}\n")
    for a in (fill4(k) if fam == "4" else fill6(k)):
        w(f"add {name} {a}\n")


def main(argv):
    what, args = argv[1], argv[2:]
    if what == "sluice":
        sluice(int(args[0]), args[1], args[2], args[3])
    elif what == "nft":
        nft(int(args[0]), args[1], args[2], args[3])
    elif what == "ipt":
        ipt(args[0], int(args[1]), args[2], args[3], args[4],
            args[5] if len(args) > 5 else None)
    elif what == "ipset":
        ipset(args[0], int(args[1]), args[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
