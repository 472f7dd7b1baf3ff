#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Connect and close in a tight loop: `loop.py ADDR PORT SECONDS`.
Prints "ok N fail M" and the errno names of failures."""
import errno
import socket
import sys
import time

addr, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ok = fail = 0
names = {}
end = time.time() + secs
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((addr, port))
        ok += 1
    except OSError as e:
        fail += 1
        n = errno.errorcode.get(e.errno, str(e.errno))
        names[n] = names.get(n, 0) + 1
    finally:
        s.close()
print(f"ok {ok} fail {fail} {names}")
