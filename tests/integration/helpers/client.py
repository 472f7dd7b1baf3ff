#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Test client: one socket operation, reported by exit status.

  client.py MODE ADDR PORT [PAYLOAD]

Exit 0 when the operation succeeded, 1 when it was refused with EPERM
(what sluice's hooks return), 2 on any other error (printed).

Modes: tcp (connect and read the greeting), tcp6mapped (AF_INET6 socket to
::ffff:ADDR), tfo (TCP Fast Open sendto), udp-connect, udp-sendto,
udp-sendmsg, udp6-mapped (AF_INET6 sendto ::ffff:ADDR), raw, icmp, packet
(socket creation only; ADDR PORT ignored), hold FILE ADDR PORT (wait for
FILE to exist, then tcp).
"""
import errno
import os
import socket
import sys
import time


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp(addr, port, family=None):
    s = socket.socket(family or fam(addr), socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((addr, port))
    data = s.recv(100)
    if not data.startswith(b"hello"):
        raise OSError(errno.EPROTO, f"unexpected greeting {data!r}")
    s.close()


def tfo(addr, port, payload):
    s = socket.socket(fam(addr), socket.SOCK_STREAM)
    # Blocking: with a timeout Python makes the socket non-blocking and
    # a Fast Open sendto returns EINPROGRESS.
    s.sendto(payload, socket.MSG_FASTOPEN, (addr, port))
    s.settimeout(3)
    s.recv(100)
    s.close()


def udp(mode, addr, port, payload):
    if mode == "udp6-mapped":
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.sendto(payload, ("::ffff:" + addr, port))
        return
    s = socket.socket(fam(addr), socket.SOCK_DGRAM)
    if mode == "udp-connect":
        s.connect((addr, port))
        s.send(payload)
    elif mode == "udp-sendto":
        s.sendto(payload, (addr, port))
    elif mode == "udp-sendmsg":
        s.sendmsg([payload], [], 0, (addr, port))


def create(mode):
    if mode == "raw":
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    elif mode == "icmp":
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    elif mode == "packet":
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))


def main():
    mode = sys.argv[1]
    try:
        if mode in ("raw", "icmp", "packet"):
            create(mode)
        elif mode == "hold":
            while not os.path.exists(sys.argv[2]):
                time.sleep(0.02)
            tcp(sys.argv[3], int(sys.argv[4]))
        else:
            addr, port = sys.argv[2], int(sys.argv[3])
            payload = (sys.argv[4] if len(sys.argv) > 4 else "probe").encode()
            if mode == "tcp":
                tcp(addr, port)
            elif mode == "tcp6mapped":
                tcp("::ffff:" + addr, port, socket.AF_INET6)
            elif mode == "tfo":
                tfo(addr, port, payload)
            else:
                udp(mode, addr, port, payload)
    except PermissionError:
        print("EPERM")
        return 1
    except OSError as e:
        print(f"error: {e}")
        return 2
    return 0


sys.exit(main())
