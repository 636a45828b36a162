#!/usr/bin/env python3
"""The examples (examples/echo_server.cpp, examples/echo_client.cpp) against the Linux kernel over TUN.

Each test makes a network namespace of its own (and always deletes it): the coroutine echo server on a
TUN device answered by Linux sockets, and the coroutine echo client against a Linux echo server. No
traffic leaves the namespace. The conventions (and the Namespace helper) are tun_interop_test.py's.

Needs root and /dev/net/tun: without either every test is skipped, saying why; under CI (CI=true), where
both must be present, their absence fails the run instead.

    examples_interop_test.py PATH/TO/echo_server PATH/TO/echo_client [unittest options]
"""

import hashlib
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tun_interop_test import WAIT, Namespace, missing_requirement  # noqa: E402

ECHO_SERVER = None  # set from argv
ECHO_CLIENT = None

# Linux sockets sending to the example server and reading the echo: `count` connections at once, each
# with its own bytes, each half-closed after sending. Prints how many came back intact.
LINUX_CLIENTS = r"""
import hashlib, os, socket, sys, threading
count, size = int(sys.argv[1]), int(sys.argv[2])
intact = []
def one(i):
    data = os.urandom(size + i)
    s = socket.create_connection(("10.0.0.2", 7), timeout=20)
    got = bytearray()
    def read():
        while True:
            b = s.recv(65536)
            if not b:
                break
            got.extend(b)
    reader = threading.Thread(target=read)
    reader.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    reader.join(40)
    s.close()
    intact.append(hashlib.sha256(data).digest() == hashlib.sha256(bytes(got)).digest())
threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
print(sum(intact))
"""

# A Linux echo server for the example client: one connection, echoed until its end of stream.
LINUX_ECHO_SERVER = r"""
import socket, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("10.1.0.1", 9000))
listener.listen(4)
print("listening", flush=True)
listener.settimeout(30)
c, _ = listener.accept()
c.settimeout(30)
total = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    total += len(b)
    c.sendall(b)
c.close()
print(total, flush=True)
"""


@unittest.skipIf(missing_requirement(), missing_requirement() or "")
class ExamplesOverTun(unittest.TestCase):

    def start_server(self, ns):
        server = subprocess.Popen(ns.command(ECHO_SERVER, "tun0", "10.0.0.2", "7"), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        line = server.stdout.readline()
        if "listening on 10.0.0.2:7" not in line:
            server.kill()
            raise AssertionError(f"echo_server did not start: {line} {server.stderr.read()}")
        ns.run("ip", "addr", "add", "10.0.0.1/24", "dev", "tun0")
        ns.run("ip", "link", "set", "tun0", "up")
        return server

    def stop_server(self, server):
        server.send_signal(2)  # SIGINT
        try:
            out, err = server.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise AssertionError("echo_server did not stop on SIGINT")
        self.assertEqual(server.returncode, 0, err)

    def test_server_echoes_linux_clients(self):
        with Namespace() as ns:
            server = self.start_server(ns)
            try:
                # One large transfer, then twenty connections at once.
                self.assertEqual(ns.python(LINUX_CLIENTS, "1", str(4 << 20)), "1")
                self.assertEqual(ns.python(LINUX_CLIENTS, "20", "100000"), "20")
                self.stop_server(server)
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()

    def device_for_client(self, ns):
        ns.run("ip", "tuntap", "add", "dev", "tun1", "mode", "tun")
        ns.run("ip", "addr", "add", "10.1.0.1/24", "dev", "tun1")
        ns.run("ip", "link", "set", "tun1", "up")

    def test_client_against_a_linux_echo_server(self):
        data = os.urandom(3 << 20)
        with Namespace() as ns:
            self.device_for_client(ns)
            server = subprocess.Popen(ns.command(sys.executable, "-c", LINUX_ECHO_SERVER), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            try:
                self.assertEqual(server.stdout.readline().strip(), "listening")
                done = subprocess.run(ns.command(ECHO_CLIENT, "tun1", "10.1.0.2", "10.1.0.1", "9000"), input=data,
                                      capture_output=True, timeout=WAIT * 3)
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(len(done.stdout), len(data))
                self.assertEqual(hashlib.sha256(done.stdout).hexdigest(), hashlib.sha256(data).hexdigest())
                out, err = server.communicate(timeout=WAIT)
                self.assertEqual(out.split()[-1], str(len(data)), err)  # Linux read it all, to our FIN
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()

    def test_client_refused_by_a_port_nobody_listens_on(self):
        with Namespace() as ns:
            self.device_for_client(ns)
            done = subprocess.run(ns.command(ECHO_CLIENT, "tun1", "10.1.0.2", "10.1.0.1", "9001"), input=b"x",
                                  capture_output=True, timeout=WAIT)
            self.assertEqual(done.returncode, 1)
            self.assertEqual(done.stdout, b"")
            self.assertIn(b"connect to 10.1.0.1:9001: Connection refused", done.stderr)
            self.assertEqual(done.stderr.count(b"\n"), 1)

    def test_bad_arguments_get_the_usage(self):
        for program, args in ((ECHO_SERVER, ["tun0", "10.0.0.2"]), (ECHO_SERVER, ["tun0", "10.0.0.x", "7"]),
                              (ECHO_SERVER, ["tun0", "10.0.0.2", "70000"]),
                              (ECHO_CLIENT, ["tun1", "10.1.0.2", "10.1.0.1"])):
            done = subprocess.run([program, *args], capture_output=True, text=True, timeout=WAIT)
            self.assertEqual(done.returncode, 2, args)
            self.assertIn("usage:", done.stderr)


if __name__ == "__main__":
    ECHO_SERVER = os.path.abspath(sys.argv.pop(1))
    ECHO_CLIENT = os.path.abspath(sys.argv.pop(1))
    reason = missing_requirement()
    if reason:
        if os.environ.get("CI") == "true":
            print(f"examples_interop_test: under CI these tests must run, but: {reason}", file=sys.stderr)
            sys.exit(1)
        print(f"examples_interop_test: the tests over TUN are skipped: {reason}", file=sys.stderr)
    unittest.main(verbosity=2)
