#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Time how long a stopped sluiced takes to write a burst of events.

    drain.py PID FILE N TIMEOUT

FILE is sluiced's event file.  The lines already in it are skipped; then
SIGCONT goes to PID and the clock starts.  The file is read as it grows
until N more lines are in it, or nothing has been added for 5 s, or
TIMEOUT seconds have passed.  Prints "lines=L seconds=S" (tab-separated):
the new lines and the time from SIGCONT to the last of them.
"""
import os
import signal
import sys
import time

IDLE = 5.0


def main():
    pid, path, want, timeout = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                                float(sys.argv[4]))
    f = open(path, "rb")
    f.seek(0, os.SEEK_END)
    lines = 0
    t0 = time.monotonic()
    os.kill(pid, signal.SIGCONT)
    last = t0
    while lines < want:
        chunk = f.read(1 << 20)
        now = time.monotonic()
        if chunk:
            lines += chunk.count(b"\n")
            last = now
            continue
        if now - last > IDLE or now - t0 > timeout:
            break
        time.sleep(0.0002)
    print(f"lines={lines}\tseconds={last - t0:.6f}")


if __name__ == "__main__":
    main()
