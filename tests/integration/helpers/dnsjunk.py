#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile DNS: `dnsjunk.py RESOLVER KIND` sends one bad query over UDP to
RESOLVER:53 (which sluice redirects to its proxy) and waits 1 s for any
answer.  KIND: garbage, loop (a compression pointer to itself), label (a
label longer than 63), short (a truncated header).  Prints "answered" or
"no answer"; exits 0 either way (the daemon's survival is checked apart)."""
import socket
import struct
import sys

resolver, kind = sys.argv[1], sys.argv[2]
hdr = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
msgs = {
    "garbage": b"\xff" * 40,
    "loop": hdr + b"\xc0\x0c" + b"\x00\x01\x00\x01",
    "label": hdr + b"\x50" + b"a" * 80 + b"\x00\x00\x01\x00\x01",
    "short": b"\x12\x34\x01",
}
fam = socket.AF_INET6 if ":" in resolver else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(msgs[kind], (resolver, 53))
try:
    s.recv(4096)
    print("answered")
except OSError:
    print("no answer")
