#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A TCP receiver that stops reading: accepts on ADDR PORT and reads until
the file STALL exists, then never reads again, so that the socket buffers
on both sides fill and the sender's writes block.

  stall.py ADDR PORT STALL
"""
import os
import select
import socket
import sys
import time


def main():
    addr, port, stall = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(4)
    conns = []
    while True:
        if os.path.exists(stall):
            time.sleep(3600)
        r, _, _ = select.select([ls] + conns, [], [], 0.05)
        for s in r:
            if s is ls:
                c, _ = ls.accept()
                conns.append(c)
            elif not s.recv(65536):
                conns.remove(s)
                s.close()


sys.exit(main())
