#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Test servers: `server.py tcp|udp ADDR PORT LOG`.

tcp: accepts connections, answers "hello ADDR:PORT\n", then echoes what it
reads until the peer closes (an HTTP GET gets the greeting and a close, so
`curl --http0.9` works).  udp: appends "udp ADDR:PORT <payload>" to LOG
for every datagram and echoes it back.  Runs until killed.
"""
import socket
import sys
import threading

proto, addr, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET


def note(line):
    with open(log, "a") as f:
        f.write(line + "\n")


def serve_tcp(conn):
    with conn:
        try:
            conn.sendall(f"hello {addr}:{port}\n".encode())
            first = True
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                if first and data.startswith(b"GET "):
                    break  # curl --http0.9 takes the greeting as the body
                first = False
                conn.sendall(data)
        except OSError:
            pass


if proto == "tcp":
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "TCP_FASTOPEN"):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    s.bind((addr, port))
    s.listen(128)
    while True:
        c, peer = s.accept()
        note(f"tcp {addr}:{port} from {peer[0]}")
        threading.Thread(target=serve_tcp, args=(c,), daemon=True).start()
else:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65536)
        note(f"udp {addr}:{port} {data.decode(errors='replace')}")
        s.sendto(data, peer)
