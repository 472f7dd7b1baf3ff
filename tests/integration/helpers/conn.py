#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A long-lived connection, to watch revocation reach it.

  conn.py tcp|udp ADDR PORT LOG [SECONDS]

Connects (TCP, or a connected UDP socket), writes "connected" to LOG, then
every 50 ms sends a line (and, for TCP, reads its echo).  On the first
error it appends "error NAME TIME" (TIME from time.time()) and exits 3;
after SECONDS (default 20) without one it appends "alive" and exits 0.
A refused connect writes "refused NAME" and exits 1.
"""
import errno
import socket
import sys
import time

proto, addr, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
limit = float(sys.argv[5]) if len(sys.argv) > 5 else 20.0
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET


def note(line):
    with open(log, "a") as f:
        f.write(line + "\n")


s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(2)
try:
    s.connect((addr, port))
    if proto == "tcp":
        s.recv(100)  # the greeting
except OSError as e:
    note(f"refused {errno.errorcode.get(e.errno, e.errno)}")
    sys.exit(1)
note("connected")
end = time.time() + limit
while time.time() < end:
    try:
        s.send(b"ping\n")
        if proto == "tcp":
            if not s.recv(100):
                raise OSError(errno.ECONNRESET, "closed by peer")
    except OSError as e:
        note(f"error {errno.errorcode.get(e.errno, e.errno)} {time.time():.3f}")
        sys.exit(3)
    time.sleep(0.05)
note("alive")
