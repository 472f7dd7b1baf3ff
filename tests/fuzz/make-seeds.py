#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write the hand-made seeds of tests/fuzz/corpus/dns (stdlib only).

Seeds are named for what they are: q-* agent queries, a-* upstream answers,
bad-* hostile or malformed messages, tcp-* framed streams, match-* pattern
and name pairs.  Inputs the fuzzer found are added beside them by
`make fuzz FUZZ_MERGE=1` (hash names) and are not rewritten here.

    tests/fuzz/make-seeds.py [DIR]
"""
import os
import struct
import sys


def name(text):
    out = b""
    for label in text.split(".") if text else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def hdr(ident=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def rr(owner, rtype, data, ttl=300, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(data)) + data


OPT = b"\0" + struct.pack(">HHIH", 41, 4096, 0x8000, 0)
WWW = name("www.example.com")
AT_WWW = b"\xc0\x0c"
Q_A = WWW + struct.pack(">HH", 1, 1)
ANS = 0x8180  # QR RD RA


def answer(an, ns=b"", ar=b"", n=(0, 0, 0), flags=ANS):
    return hdr(0x1234, flags, 1, *n) + Q_A + an + ns + ar


def chain_answer():
    # www -> a.cdn.net -> b.cdn.net, compressed (a.cdn.net at 45, cdn.net at 47)
    an = rr(AT_WWW, 5, name("a.cdn.net"), 60)
    an += rr(b"\xc0\x2d", 5, b"\x01b\xc0\x2f", 600)
    an += rr(b"\xc0\x44", 1, bytes([1, 2, 3, 4]))
    an += rr(b"\xc0\x44", 1, bytes([1, 2, 3, 5]), 30)
    return answer(an, n=(4, 0, 0))


def long_chain(n):
    an = b""
    owner = AT_WWW
    for i in range(1, n + 1):
        an += rr(owner, 5, name("c%d" % i))
        owner = name("c%d" % i)
    an += rr(owner, 1, bytes([10, 0, 0, 1]))
    return answer(an, n=(n + 1, 0, 0))


def hop_chain(hops):
    # pointers in a NULL record's data, each to the one before; an owner enters last
    first = 12 + len(Q_A) + 2 + 10
    data = b"".join(struct.pack(">H", 0xc000 | (first + 2 * (i - 1) if i else 12))
                    for i in range(hops))
    an = rr(AT_WWW, 10, data)
    an += rr(struct.pack(">H", 0xc000 | (first + 2 * (hops - 1))), 1, bytes([1, 2, 3, 4]))
    return answer(an, n=(2, 0, 0))


SEEDS = {
    "q-plain-a": hdr() + Q_A,
    "q-mixed-case-aaaa": hdr() + name("WwW.ExAmple.COM") + struct.pack(">HH", 28, 1),
    "q-edns-do": hdr(ar=1) + Q_A + OPT,
    "q-edns-v1": hdr(ar=1) + Q_A + b"\0" + struct.pack(">HHIH", 41, 1232, 0x10000, 0),
    "q-root-ns": hdr() + b"\0" + struct.pack(">HH", 2, 1),
    "q-underscore-txt": hdr() + name("_dmarc.example.com") + struct.pack(">HH", 16, 1),
    "q-axfr": hdr() + WWW + struct.pack(">HH", 252, 1),
    "q-chaos": hdr() + name("version.bind") + struct.pack(">HH", 16, 3),
    "q-opcode-status": hdr(flags=0x1100) + Q_A,
    "q-max-name": hdr() + name(".".join(["a" * 63] * 3 + ["a" * 61])) + b"\0\x01\0\x01",
    "q-dot-in-label": hdr() + b"\x08api.evil\x03com\x00" + b"\0\x01\0\x01",
    "q-extra-additional": hdr(ar=2) + Q_A + OPT + rr(AT_WWW, 16, b"\x01x"),
    "a-one-a": answer(rr(AT_WWW, 1, bytes([93, 184, 216, 34])), n=(1, 0, 0)),
    "a-aaaa": hdr(0x1234, ANS, 1, 1, 0, 0) + WWW + b"\0\x1c\0\x01" +
    rr(AT_WWW, 28, bytes.fromhex("26062800022000010248189325c81946")),
    "a-cname-chain": chain_answer(),
    "a-chain-16": long_chain(16),
    "a-other-owners": answer(rr(name("evil.com"), 1, b"\x06\x06\x06\x06") +
                             rr(AT_WWW, 1, b"\x01\x02\x03\x04") +
                             rr(AT_WWW, 1, b"\x07\x07\x07\x07", rclass=4),
                             ar=rr(AT_WWW, 1, b"\x08\x08\x08\x08") + OPT, n=(3, 0, 2)),
    "a-nxdomain-soa": answer(b"", rr(b"\xc0\x10", 6, b"\x02ns\xc0\x10\x02hm\xc0\x10" +
                                     struct.pack(">5I", 1, 2, 3, 4, 5)),
                             n=(0, 1, 0), flags=0x8183),
    "a-truncated": answer(b"\xc0", n=(5, 0, 0), flags=0x8380),
    "a-ttl-top-bit": answer(rr(AT_WWW, 1, b"\x01\x02\x03\x04", 0x80000010), n=(1, 0, 0)),
    "a-hops-32": hop_chain(31),
    "a-70-addresses": answer(b"".join(rr(AT_WWW, 1, bytes([10, 0, 0, i])) for i in range(70)),
                             n=(70, 0, 0)),
    "bad-short-header": b"\x12\x34\x01\x00\x00",
    "bad-qdcount-0": hdr(qd=0),
    "bad-qdcount-2": hdr(qd=2) + Q_A + Q_A,
    "bad-label-64": hdr() + b"\x40" + b"a" * 64 + b"\0\0\x01\0\x01",
    "bad-label-0x80": hdr() + b"\x03www\x80\0\0\x01\0\x01",
    "bad-name-256": hdr() + name(".".join(["a" * 63] * 3 + ["a" * 62])) + b"\0\x01\0\x01",
    "bad-pointer-self": hdr() + b"\xc0\x0c\0\x01\0\x01",
    "bad-pointer-forward": hdr() + b"\xc0\x20\0\x01\0\x01",
    "bad-pointer-header": hdr() + b"\xc0\x04\0\x01\0\x01",
    "bad-pointer-loop": answer(rr(AT_WWW, 10, b"\xc0\x2f\xc0\x2d") +
                               rr(b"\xc0\x2f", 1, b"\x01\x02\x03\x04"), n=(2, 0, 0)),
    "bad-pointer-hops-41": hop_chain(40),
    "bad-rdlength-past-end": answer(AT_WWW + struct.pack(">HHIH", 1, 1, 300, 8) +
                                    b"\x01\x02\x03\x04", n=(1, 0, 0)),
    "bad-a-rdlength-5": answer(rr(AT_WWW, 1, b"\x01\x02\x03\x04\x05"), n=(1, 0, 0)),
    "bad-huge-counts": hdr(0x1234, ANS, 1, 0xffff, 0xffff, 0xffff) + Q_A,
    "bad-cname-loop": answer(rr(AT_WWW, 5, name("a")) + rr(name("a"), 5, AT_WWW),
                             n=(2, 0, 0)),
    "bad-chain-17": long_chain(17),
    "bad-two-opt": hdr(ar=2) + Q_A + OPT + OPT,
    "bad-trailing": hdr() + Q_A + b"\0",
    "tcp-two-frames": struct.pack(">H", 12 + len(Q_A)) + hdr() + Q_A +
    struct.pack(">H", 12 + len(Q_A) + len(OPT)) + hdr(ar=1) + Q_A + OPT,
    "tcp-zero-frame": b"\0\0",
    "match-wild-deep": b"*.github.com\0a.b.github.com",
    "match-wild-apex": b"*.github.com\0github.com",
    "match-lookalike": b"*.github.com\0evilgithub.com",
    "match-exact-dot": b"api.github.com.\0API.GITHUB.COM",
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "dns")
    os.makedirs(out, exist_ok=True)
    for fname, data in sorted(SEEDS.items()):
        with open(os.path.join(out, fname), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(SEEDS), out))


if __name__ == "__main__":
    main()
