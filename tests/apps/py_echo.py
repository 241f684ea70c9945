#!/usr/bin/env python3
"""A thread-per-connection server (socketserver.ThreadingTCPServer, one
thread per connection, each blocked in recv) and one client thread per
connection in the same process, all on 127.0.0.1.

usage: py_echo.py [CLIENTS]   (default 200)

The clients connect, meet at a barrier (so every connection and its server
thread is alive at once), then each sends ROUNDS lines of its own length and
checks that the upper-cased line comes back. Prints one digest per client
of all it received, then "done": the same bytes on every run.
"""
import hashlib
import socket
import socketserver
import sys
import threading

ROUNDS = 20


class Upper(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line.upper())


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 1024


def client(port, i, start, results):
    with socket.create_connection(("127.0.0.1", port)) as s, s.makefile("rwb") as f:
        start.wait()
        h = hashlib.sha256()
        for k in range(ROUNDS):
            msg = ("client %d round %d " % (i, k) + "x" * (i * 7 % 300) + "\n").encode()
            f.write(msg)
            f.flush()
            got = f.readline()
            if got != msg.upper():
                raise SystemExit("client %d round %d: got %r" % (i, k, got[:40]))
            h.update(got)
    results[i] = h.hexdigest()[:16]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    srv = Server(("127.0.0.1", 0), Upper)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    results = [None] * n
    start = threading.Barrier(n)
    ts = [threading.Thread(target=client, args=(port, i, start, results)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    srv.shutdown()
    srv.server_close()
    for i, r in enumerate(results):
        print("client", i, r)
    print("done")


if __name__ == "__main__":
    main()
