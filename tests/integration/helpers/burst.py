#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Many decisions, fast: N UDP datagrams from one unconnected socket,
alternating between ALLOW_ADDR and DENY_ADDR (each sendto is a decision of
the sendmsg4 hook).  Prints "allowed=A denied=D other=O seconds=S rate=R".

  burst.py N ALLOW_ADDR DENY_ADDR PORT
"""
import errno
import socket
import sys
import time


def main():
    n, allow, deny, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    counts = {"allowed": 0, "denied": 0, "other": 0}
    start = time.monotonic()
    for i in range(n):
        try:
            s.sendto(b"x", (allow if i % 2 == 0 else deny, port))
            counts["allowed"] += 1
        except OSError as e:
            counts["denied" if e.errno == errno.EPERM else "other"] += 1
    secs = time.monotonic() - start
    print(" ".join(f"{k}={v}" for k, v in counts.items()) +
          f" seconds={secs:.3f} rate={n / secs if secs else 0:.0f}")
    return 0


sys.exit(main())
