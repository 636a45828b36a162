#!/usr/bin/env python3
"""tcpp against the Linux kernel over a TUN device.

Each test makes a network namespace of its own (and always deletes it), starts `tcpp serve` inside it on a
TUN device with 10.0.0.2/24, gives the kernel's side of the device 10.0.0.1/24, and runs Linux sockets in
the same namespace against tcpp. No traffic leaves the namespace.

Needs root and /dev/net/tun: without either every test is skipped, saying why; under CI (CI=true), where
both must be present, their absence fails the run instead.

    tun_interop_test.py PATH/TO/tcpp [unittest options]
"""

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

TCPP = None  # set from argv
SERVER = "10.0.0.2"
HOST_SIDE = "10.0.0.1/24"
WAIT = 20  # seconds: the bound on any one wait in these tests


def missing_requirement():
    if os.geteuid() != 0:
        return "needs root (network namespaces and a TUN device)"
    if not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun (modprobe tun)"
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        return "needs iproute2 with network namespaces (ip netns)"
    return None


class Namespace:
    """A network namespace made for one test and deleted after it, whatever happens."""

    count = 0

    def __init__(self):
        Namespace.count += 1
        self.name = f"tcpp-it-{os.getpid()}-{Namespace.count}"

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.run("ip", "link", "set", "lo", "up")
        # No IPv6 on the devices made here: the kernel's router solicitations would only be ignored by
        # tcpp (IPv4 only), and would clutter the captures.
        self.run("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", check=False)
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        return False

    def command(self, *args):
        return ["ip", "netns", "exec", self.name, *args]

    def run(self, *args, check=True):
        return subprocess.run(self.command(*args), check=check, capture_output=True, text=True, timeout=WAIT)

    def python(self, code, *args):
        """Runs Python code in the namespace (sockets are then the namespace's); its stdout, stripped."""
        done = subprocess.run(self.command(sys.executable, "-c", code, *args), capture_output=True, text=True,
                              timeout=WAIT * 3)
        if done.returncode != 0:
            raise AssertionError(f"client failed: {done.stderr.strip()}")
        return done.stdout.strip()


class Serve:
    """`tcpp serve` running in a namespace, on tun0 with 10.0.0.2/24; the host side given 10.0.0.1/24."""

    def __init__(self, ns, *options, port=7, kind="tun"):
        self.ns = ns
        self.port = port
        self.process = subprocess.Popen(
            ns.command(TCPP, "serve", f"--{kind}", f"{kind}0", "--addr", f"{SERVER}/24", "--port", str(port), *options),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The device exists once serve says it listens.
        line = self.process.stdout.readline()
        if "tcpp serve:" not in line:
            self.process.kill()
            raise AssertionError(f"tcpp serve did not start: {line} {self.process.stderr.read()}")
        ns.run("ip", "addr", "add", HOST_SIDE, "dev", f"{kind}0")
        ns.run("ip", "link", "set", f"{kind}0", "up")

    def stop(self):
        """Ctrl-C; its output after the first line (the counters)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            out, err = self.process.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            raise AssertionError("tcpp serve did not stop on SIGINT")
        return self.process.returncode, out, err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        return False


def counters(output):
    """The counters serve printed when it stopped, by name."""
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


ECHO_CLIENT = r"""
import hashlib, os, socket, sys, threading
size = int(sys.argv[1])
data = os.urandom(size)
s = socket.create_connection(("10.0.0.2", 7), timeout=40)  # a few backed-off RTOs under loss fit
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
s.shutdown(socket.SHUT_WR)   # half close: we still read the echo
reader.join(40)
port = s.getsockname()[1]
s.close()
print(len(got), hashlib.sha256(data).hexdigest() == hashlib.sha256(bytes(got)).hexdigest(), port)
"""


class NamespaceTest(unittest.TestCase):
    """A test with a network namespace of its own, self.ns, deleted after it whatever happens."""

    def setUp(self):
        self.ns = Namespace().__enter__()
        self.addCleanup(self.ns.__exit__, None, None, None)


@unittest.skipIf(missing_requirement(), missing_requirement() or "")
class TunInterop(unittest.TestCase):

    def stopped(self, serve):
        """Ctrl-C to serve, which must exit 0; what it printed."""
        code, out, err = serve.stop()
        self.assertEqual(code, 0, err)
        return out

    def test_echo_10_mib_intact_and_linux_closes_first_into_time_wait(self):
        with Namespace() as ns, Serve(ns) as serve:
            received, same, port = ns.python(ECHO_CLIENT, str(10 << 20)).split()
            self.assertEqual(int(received), 10 << 20)
            self.assertEqual(same, "True")
            # Linux sent the first FIN (shutdown after sending), so Linux holds TIME_WAIT.
            states = ns.run("ss", "-tan", "state", "time-wait").stdout
            self.assertIn(f"10.0.0.1:{port}", states)
            out = self.stopped(serve)
            c = counters(out)
            self.assertEqual(c.get("PassiveOpens"), 1)
            self.assertGreater(c.get("InSegs", 0), (10 << 20) // 1460)
            self.assertNotIn("InErrs", c)  # every segment from Linux checked out

    def test_two_hundred_concurrent_connections(self):
        client = r"""
import socket, os
conns = [socket.create_connection(("10.0.0.2", 7), timeout=20) for _ in range(200)]
payloads = [os.urandom(1000 + i) for i in range(200)]
for c, p in zip(conns, payloads):
    c.sendall(p)
ok = 0
for c, p in zip(conns, payloads):
    got = b""
    while len(got) < len(p):
        b = c.recv(65536)
        if not b:
            break
        got += b
    ok += got == p
    c.close()
print(ok)
"""
        with Namespace() as ns, Serve(ns) as serve:
            self.assertEqual(ns.python(client), "200")
            out = self.stopped(serve)
            self.assertEqual(counters(out).get("PassiveOpens"), 200)

    def test_a_port_nobody_listens_on_is_refused(self):
        client = r"""
import socket
try:
    socket.create_connection(("10.0.0.2", 9), timeout=10)
    print("connected")
except ConnectionRefusedError:
    print("refused")
"""
        with Namespace() as ns, Serve(ns) as serve:
            self.assertEqual(ns.python(client), "refused")
            out = self.stopped(serve)
            self.assertGreaterEqual(counters(out).get("OutRsts", 0), 1)

    def test_linger_zero_aborts_and_linux_reads_econnreset(self):
        client = r"""
import socket
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
s.sendall(b"ping")
got = b""
while len(got) < 4:
    got += s.recv(16)
s.shutdown(socket.SHUT_WR)   # serve closes once it has echoed everything and seen our FIN
try:
    more = s.recv(16)
    print("eof" if more == b"" else "data")
except ConnectionResetError:
    print("reset", got.decode())
"""
        with Namespace() as ns, Serve(ns, "--linger", "0") as serve:
            self.assertEqual(ns.python(client), "reset ping")
            # No TIME_WAIT on either side: the RST ended it.
            self.assertEqual(ns.run("ss", "-tan", "state", "time-wait").stdout.count("10.0.0.2"), 0)
            out = self.stopped(serve)
            self.assertGreaterEqual(counters(out).get("OutRsts", 0), 1)

    def test_trace_and_pcap_of_a_real_connection(self):
        import json
        import tempfile
        client = r"""
import socket
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
s.sendall(b"hello")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(16)
    if not b:
        break
    got += b
print(got.decode())
"""
        with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
            trace, pcap = os.path.join(tmp, "run.jsonl"), os.path.join(tmp, "run.pcap")
            before = time.time()
            with Serve(ns, "--trace", trace, "--pcap", pcap) as serve:
                self.assertEqual(ns.python(client), "hello")
                out = self.stopped(serve)
            with open(trace) as lines:
                events = [json.loads(line) for line in lines]
            states = [(e["from"], e["to"]) for e in events if e.get("type") == "state"]
            for step in [("CLOSED", "LISTEN"), ("CLOSED", "SYN_RECEIVED"), ("SYN_RECEIVED", "ESTABLISHED"),
                         ("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"), ("LAST_ACK", "CLOSED"),
                         ("LISTEN", "CLOSED")]:
                self.assertIn(step, states)
            # Wall-clock times, within this test's run.
            self.assertTrue(all(before - 1 <= e["t_us"] / 1e6 <= time.time() + 1 for e in events))
            decoded = subprocess.run([TCPP, "decode", pcap], capture_output=True, text=True, timeout=WAIT)
            self.assertEqual(decoded.returncode, 0, decoded.stderr)
            lines = [line for line in decoded.stdout.splitlines() if "10.0.0.2.7" in line]
            self.assertIn("[S]", lines[0])       # Linux's SYN first
            self.assertIn("[S.]", lines[1])      # then tcpp's SYN,ACK
            self.assertNotIn("bad", decoded.stdout.lower())
            self.assertNotIn("malformed", decoded.stdout.lower())

    def test_tcpps_own_impaired_link_data_still_intact(self):
        with Namespace() as ns, Serve(ns, "--loss", "0.02", "--duplicate", "0.01", "--reorder", "0.01",
                                      "--corrupt", "0.01", "--delay-ms", "1", "--seed", "7") as serve:
            received, same, port = ns.python(ECHO_CLIENT, str(2 << 20)).split()
            self.assertEqual((int(received), same), (2 << 20, "True"))
            out = self.stopped(serve)
            c = counters(out)
            self.assertGreater(c.get("RetransSegs", 0), 0)
            impaired = [line for line in out.splitlines() if "impaired link:" in line]
            self.assertEqual(len(impaired), 1, out)
            lost, duplicated, corrupted, delayed = [int(w) for w in impaired[0].replace(",", "").split()
                                                    if w.isdigit()]
            self.assertGreater(lost, 0)
            self.assertGreater(duplicated, 0)
            self.assertGreater(corrupted, 0)
            self.assertGreater(delayed, 0)

    def test_sigusr1_lists_the_connections_as_ss_does(self):
        client = r"""
import socket, sys
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
s.sendall(b"x")
s.recv(1)
print(s.getsockname()[1], flush=True)
sys.stdin.readline()   # held open until the test has its listing
s.close()
"""
        with Namespace() as ns, Serve(ns) as serve:
            holder = subprocess.Popen(ns.command(sys.executable, "-c", client), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
            port = holder.stdout.readline().strip()
            serve.process.send_signal(signal.SIGUSR1)
            header = serve.process.stdout.readline()
            self.assertTrue(header.startswith("State"), header)
            rows = [serve.process.stdout.readline().split() for _ in range(2)]
            self.assertEqual(rows[0][:5], ["LISTEN", "0", "128", "0.0.0.0:7", "*:*"])
            self.assertEqual(rows[1][:5], ["ESTAB", "0", "0", "10.0.0.2:7", f"10.0.0.1:{port}"])
            holder.communicate("\n", timeout=WAIT)
            self.stopped(serve)

    def test_chargen_streams_rfc_864_lines_until_linux_closes(self):
        client = r"""
import socket
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
data = b""
while len(data) < (1 << 20):
    b = s.recv(65536)
    if not b:
        break
    data += b
s.close()
lines = data[:(1 << 20) // 74 * 74].split(b"\r\n")[:-1]
printable = bytes(range(32, 127))
ok = all(line == (printable * 2)[n % 95:n % 95 + 72] for n, line in enumerate(lines))
print(len(lines), ok)
"""
        with Namespace() as ns, Serve(ns, "--app", "chargen") as serve:
            count, ok = ns.python(client).split()
            self.assertEqual((int(count), ok), ((1 << 20) // 74, "True"))
            out = self.stopped(serve)
            self.assertIn("1 connections accepted, 0 still open", out)

    def test_ping_is_answered(self):
        with Namespace() as ns, Serve(ns) as serve:
            done = ns.run("ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "1000", SERVER, check=False)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertIn("3 received", done.stdout)
            out = self.stopped(serve)
            self.assertEqual(counters(out).get("IcmpOutEchoReps"), 3)

    def test_a_device_another_tcpp_holds_is_refused_in_one_line(self):
        with Namespace() as ns, Serve(ns):
            for command in (["serve", "--port", "8"], ["connect", "10.0.0.1:80"]):
                done = ns.run(TCPP, command[0], "--tun", "tun0", "--addr", "10.0.0.3/24", *command[1:], check=False)
                self.assertEqual(done.returncode, 1)
                self.assertEqual(done.stderr, f"tcpp {command[0]}: cannot open device tun0: it is in use by another process\n")

    def test_ping_in_fragments_is_answered_in_fragments(self):
        # -s 3000 and -s 8000 at MTU 1500: Linux sends each request in 3 and 6 fragments; tcpp reassembles it,
        # and sends the reply, as long, in fragments of its own, which Linux reassembles and checks.
        with Namespace() as ns, Serve(ns) as serve:
            for size in (3000, 8000):
                done = ns.run("ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", str(size), SERVER, check=False)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                self.assertIn("3 received", done.stdout)
                self.assertIn(f"{size + 8} bytes from {SERVER}", done.stdout)
                self.assertNotIn("wrong data", done.stdout)
            found = counters(self.stopped(serve))
            self.assertEqual(found.get("IcmpOutEchoReps"), 6)
            self.assertEqual(found.get("ReasmOKs"), 6)
            self.assertEqual(found.get("ReasmReqds"), 3 * 3 + 3 * 6)
            self.assertEqual(found.get("FragOKs"), 6)
            self.assertEqual(found.get("FragCreates"), 3 * 3 + 3 * 6)
            self.assertNotIn("ReasmFails", found)

    def test_tcpp_closes_first_holds_time_wait_and_re_acks_a_resent_fin(self):
        import json
        import tempfile
        client = r"""
import socket, time
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
banner = b""
while True:
    b = s.recv(256)
    if not b:
        break
    banner += b
port = s.getsockname()[1]
s.close()   # our FIN after tcpp's: tcpp's ACK of it is the one dropped
print(port, banner.decode().strip())
"""
        with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
            trace = os.path.join(tmp, "run.jsonl")
            with Serve(ns, "--app", "banner", "--trace", trace) as serve:
                # The kernel drops the first pure ACK from tcpp: the one that acknowledges Linux's FIN.
                ns.run("nft", "add table inet drop_once")
                ns.run("nft", "add chain inet drop_once input { type filter hook input priority 0; }")
                ns.run("nft", "add rule inet drop_once input ip saddr 10.0.0.2 tcp flags == ack "
                              "quota until 60 bytes counter drop")
                port, greeting = ns.python(client).split(" ", 1)
                self.assertIn("greets 10.0.0.1:" + port, greeting)
                # Linux is in LAST_ACK until its FIN, sent again after its RTO, is acknowledged.
                deadline = time.time() + WAIT
                while time.time() < deadline:
                    if f":{port} " not in ns.run("ss", "-tan").stdout:
                        break
                    time.sleep(0.1)
                self.assertNotIn(f":{port} ", ns.run("ss", "-tan").stdout)
                dropped = ns.run("nft", "list chain inet drop_once input").stdout
                self.assertIn("packets 1 ", dropped)
                out = self.stopped(serve)
                self.assertNotIn("OutRsts", counters(out))  # TIME_WAIT answered with an ACK, not an RST
                self.assertIn("1 in TIME_WAIT", out)
            with open(trace) as lines:
                events = [json.loads(line) for line in lines]
            mine = [e for e in events if e["conn"] == f"10.0.0.2:7-10.0.0.1:{port}"]
            states = [e["to"] for e in mine if e["type"] == "state"]
            # Our FIN first (FIN_WAIT_1); Linux's FIN came with the ACK of ours: straight to TIME_WAIT.
            self.assertEqual(states[-2:], ["FIN_WAIT_1", "TIME_WAIT"])
            segments = [e for e in mine if e["type"] == "segment"]
            fins_in = [e for e in segments if e["dir"] == "in" and "FIN" in e["flags"].split(",")]
            acks_out = [e for e in segments if e["dir"] == "out" and e["flags"] == "ACK"]
            self.assertEqual(len(fins_in), 2)   # Linux's FIN, and the same FIN again
            self.assertEqual(len(acks_out), 2)  # our ACK of each: the second from TIME_WAIT
            self.assertEqual(fins_in[0]["seq"], fins_in[1]["seq"])

    def test_loss_made_by_the_kernel_data_still_intact(self):
        with Namespace() as ns, Serve(ns) as serve:
            # nftables on the kernel's side drops 5% of the packets each way, at random.
            ns.run("nft", "add table inet lossy")
            ns.run("nft", "add chain inet lossy input { type filter hook input priority 0; }")
            ns.run("nft", "add chain inet lossy output { type filter hook output priority 0; }")
            ns.run("nft", "add rule inet lossy input ip saddr 10.0.0.2 numgen random mod 100 < 5 counter drop")
            ns.run("nft", "add rule inet lossy output ip daddr 10.0.0.2 numgen random mod 100 < 5 counter drop")
            received, same, port = ns.python(ECHO_CLIENT, str(2 << 20)).split()
            self.assertEqual((int(received), same), (2 << 20, "True"))
            rules = ns.run("nft", "list table inet lossy").stdout
            dropped = [int(word) for line in rules.splitlines() if "drop" in line
                       for word, before in zip(line.split()[1:], line.split()) if before == "packets"]
            self.assertEqual(len(dropped), 2)
            self.assertTrue(all(d > 0 for d in dropped), rules)
            out = self.stopped(serve)
            self.assertGreater(counters(out).get("RetransSegs", 0), 0)

    def test_ctrl_c_closes_open_connections_gracefully(self):
        client = r"""
import socket, time
s = socket.create_connection(("10.0.0.2", 7), timeout=10)
s.sendall(b"hello")
got = b""
while len(got) < 5:
    got += s.recv(16)
print("ready", flush=True)
# serve is interrupted now: its FIN arrives as end of stream
end = s.recv(16)
print("eof" if end == b"" else "data")
"""
        with Namespace() as ns, Serve(ns) as serve:
            process = subprocess.Popen(ns.command(sys.executable, "-c", client), stdout=subprocess.PIPE, text=True)
            self.assertEqual(process.stdout.readline().strip(), "ready")
            out = self.stopped(serve)
            rest, _ = process.communicate(timeout=WAIT)
            self.assertEqual(rest.strip(), "eof")
            self.assertIn("1 connections accepted, 0 still open, 1 in TIME_WAIT", out)  # we closed first


LINUX_SERVER = r"""
import hashlib, socket, sys
mode = sys.argv[1]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", 9000))
listener.listen(8)
print("ready", flush=True)
c, peer = listener.accept()
c.settimeout(20)
if mode == "echo":          # echo until the peer's end of stream, then close
    total = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        total += len(b)
        c.sendall(b)
    c.close()
    print(total, peer[1])
elif mode == "greet-close": # Linux closes first
    c.sendall(b"hello from linux\n")
    c.close()
    print(0, peer[1])
elif mode == "read":        # say when N bytes are in, then read until a reset or the end of stream
    wanted, got, told = int(sys.argv[2]), 0, False
    try:
        while True:
            b = c.recv(65536)
            if not b:
                print("eof", got, flush=True)
                break
            got += len(b)
            if got >= wanted and not told:
                print("got", got, flush=True)
                told = True
    except ConnectionResetError:
        print("reset", got, flush=True)
"""


def start_linux_server(test, ns, mode, *args):
    """LINUX_SERVER in the namespace, stopped (and its pipes closed) when the test ends; once it listens."""
    server = subprocess.Popen(ns.command(sys.executable, "-c", LINUX_SERVER, mode, *args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    def stop():
        if server.poll() is None:
            server.kill()
        server.communicate()
    test.addCleanup(stop)
    test.assertEqual(server.stdout.readline().strip(), "ready")
    return server


def echo_a_file(test, tcpp_connect, remote, size):
    """`tcpp connect` sends `size` random bytes from a file to an echo server, with a half close, and writes
    the echo to another file: they must be the same. Returns the finished tcpp connect."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        sent, got = os.path.join(tmp, "sent"), os.path.join(tmp, "got")
        with open(sent, "wb") as f:
            f.write(os.urandom(size))
        done = tcpp_connect(remote, "--send", sent, "--recv", got, "--shutdown-after-send")
        test.assertEqual(done.returncode, 0, done.stderr)
        with open(sent, "rb") as a, open(got, "rb") as b:
            test.assertEqual(hashlib.sha256(a.read()).hexdigest(), hashlib.sha256(b.read()).hexdigest())
    return done


@unittest.skipIf(missing_requirement(), missing_requirement() or "")
class TunConnect(NamespaceTest):
    """`tcpp connect` opening connections to Linux sockets. The TUN device is made first, with the kernel's
    address, and tcpp attaches to it by name."""

    def setUp(self):
        super().setUp()
        self.ns.run("ip", "tuntap", "add", "dev", "tun0", "mode", "tun")
        self.ns.run("ip", "addr", "add", HOST_SIDE, "dev", "tun0")
        self.ns.run("ip", "link", "set", "tun0", "up")

    def linux_server(self, mode, *args):
        return start_linux_server(self, self.ns, mode, *args)

    def tcpp_connect(self, *args, stdin=None):
        return subprocess.run(self.ns.command(TCPP, "connect", "--tun", "tun0", "--addr", f"{SERVER}/24", *args),
                              capture_output=True, timeout=WAIT * 2, input=stdin)

    def test_send_a_file_half_close_and_receive_the_echo_intact(self):
        server = self.linux_server("echo")
        done = echo_a_file(self, self.tcpp_connect, "10.0.0.1:9000", 10 << 20)
        total, port = server.communicate(timeout=WAIT)[0].split()
        self.assertEqual(int(total), 10 << 20)
        # tcpp sent the first FIN: tcpp holds TIME_WAIT, Linux does not.
        self.assertIn(b"1 in TIME_WAIT", done.stderr)
        self.assertNotIn(f":{port} ", self.ns.run("ss", "-tan", "state", "time-wait").stdout)

    def test_linux_closes_first_and_holds_time_wait(self):
        server = self.linux_server("greet-close")
        done = self.tcpp_connect("10.0.0.1:9000", "--recv", "-")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, b"hello from linux\n")
        _, port = server.communicate(timeout=WAIT)[0].split()
        self.assertIn(f"10.0.0.2:{port}", self.ns.run("ss", "-tan", "state", "time-wait").stdout)
        self.assertIn(b"0 in TIME_WAIT", done.stderr)

    def test_ctrl_c_closes_with_a_fin_or_with_linger_zero_an_rst(self):
        for linger, ending in ((), "eof"), (("--linger", "0"), "reset"):
            server = self.linux_server("read", "100000")
            tcpp = subprocess.Popen(self.ns.command(TCPP, "connect", "--tun", "tun0", "--addr", f"{SERVER}/24",
                                                    "10.0.0.1:9000", "--send", "-", *linger),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            tcpp.stdin.write(b"x" * 100000)
            tcpp.stdin.flush()  # left open: tcpp has more to send, and waits
            self.assertEqual(server.stdout.readline().split(), ["got", "100000"])
            tcpp.send_signal(signal.SIGINT)
            _, err = tcpp.communicate(timeout=WAIT)
            self.assertEqual(tcpp.returncode, 0, err)
            self.assertIn(b"interrupted: closing", err)
            self.assertEqual(server.stdout.readline().split(), [ending, "100000"])
            server.wait(timeout=WAIT)

    def test_refused_and_unreachable(self):
        done = self.tcpp_connect("10.0.0.1:9001")
        self.assertEqual(done.returncode, 1)
        self.assertIn(b"refused", done.stderr.lower())
        done = self.tcpp_connect("192.0.2.1:80")
        self.assertEqual(done.returncode, 1)
        self.assertIn(b"no route to 192.0.2.1", done.stderr)
        self.assertEqual(done.stderr.count(b"\n"), 1)


@unittest.skipIf(missing_requirement(), missing_requirement() or "")
class IcmpOnRealPaths(NamespaceTest):
    """ICMP errors from a Linux router reaching tcpp's connections: path MTU discovery (RFC 1191) through a
    narrower link, and a destination the router cannot reach. The namespace with tcpp's TUN device routes
    (ip_forward) to a second namespace over a veth pair."""

    def setUp(self):
        super().setUp()
        self.far = Namespace().__enter__()
        self.addCleanup(self.far.__exit__, None, None, None)
        self.ns.run("ip", "tuntap", "add", "dev", "tun0", "mode", "tun")
        self.ns.run("ip", "addr", "add", HOST_SIDE, "dev", "tun0")
        self.ns.run("ip", "link", "set", "tun0", "up")
        self.ns.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
        # The router's route to the far network carries 1280 bytes (a route MTU: the devices keep 1500, so
        # the far host announces an MSS of 1460 and its replies pass); only the router knows the path is
        # narrower, and says so with ICMP fragmentation needed.
        self.ns.run("ip", "link", "add", "rtr0", "type", "veth", "peer", "name", "far0", "netns", self.far.name)
        self.ns.run("ip", "addr", "add", "10.1.0.1/24", "dev", "rtr0")
        self.ns.run("ip", "link", "set", "rtr0", "up")
        self.ns.run("ip", "route", "replace", "10.1.0.0/24", "dev", "rtr0", "mtu", "1280")
        self.far.run("ip", "addr", "add", "10.1.0.2/24", "dev", "far0")
        self.far.run("ip", "link", "set", "far0", "up")
        self.far.run("ip", "route", "add", "default", "via", "10.1.0.1")

    def tcpp_connect(self, *args):
        return subprocess.run(self.ns.command(TCPP, "connect", "--tun", "tun0", "--addr", f"{SERVER}/24",
                                              "--gateway", "10.0.0.1", *args),
                              capture_output=True, timeout=WAIT * 2)

    def test_fragmentation_needed_lowers_the_mss_and_the_data_arrives_intact(self):
        start_linux_server(self, self.far, "echo")
        done = echo_a_file(self, self.tcpp_connect, "10.1.0.2:9000", 2 << 20)
        self.assertIn(b"the path's MTU was 1280 (learned from ICMP)", done.stderr)
        # The router told tcpp (its ICMP counters), rather than tcpp guessing after timeouts.
        snmp = self.ns.run("nstat", "-az", "IcmpOutDestUnreachs").stdout
        self.assertRegex(snmp, r"IcmpOutDestUnreachs\s+[1-9]")

    def test_a_destination_the_router_cannot_reach_fails_at_once_with_no_route_to_host(self):
        self.ns.run("ip", "route", "add", "unreachable", "192.0.2.0/24")
        done = self.tcpp_connect("192.0.2.1:80")
        self.assertEqual(done.returncode, 1)
        # EHOSTUNREACH from the router's ICMP host unreachable, not ETIMEDOUT after the SYN's retries.
        self.assertIn(b"tcpp connect: 192.0.2.1:80: No route to host", done.stderr)
        self.assertEqual(done.stderr.count(b"\n"), 1)


def pcap_frames(path):
    """The link type of a pcap file and its packets' bytes (the classic format, as tcpp writes it)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    link_type = struct.unpack_from("<I", data, 20)[0]
    frames, at = [], 24
    while at + 16 <= len(data):
        captured = struct.unpack_from("<I", data, at + 8)[0]
        frames.append(data[at + 16:at + 16 + captured])
        at += 16 + captured
    return link_type, frames


@unittest.skipIf(missing_requirement(), missing_requirement() or "")
class TapInterop(NamespaceTest):
    """tcpp on a TAP device: IPv4 over Ethernet, with ARP both ways, against the Linux kernel."""

    def test_linux_resolves_tcpp_pings_it_and_echoes_1_mib_intact(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            capture = os.path.join(tmp, "tap.pcap")
            with Serve(self.ns, "--pcap", capture, kind="tap") as serve:
                self.assertIn("2 received", self.ns.run("ping", "-c", "2", "-i", "0.2", "-W", "2", SERVER).stdout)
                got, intact, _ = self.ns.python(ECHO_CLIENT, str(1 << 20)).split()
                self.assertEqual((int(got), intact), (1 << 20, "True"))
                # Linux learned tcpp's hardware address, made from its IPv4 address.
                self.assertIn(f"{SERVER} dev tap0 lladdr 02:00:0a:00:00:02", self.ns.run("ip", "neigh").stdout)
                code, out, err = serve.stop()
            self.assertEqual(code, 0, err)
            self.assertRegex(out, r"arp: \d+ requests sent, \d+ answered; [1-9]\d* requests for us answered")
            link_type, frames = pcap_frames(capture)
        self.assertEqual(link_type, 1)  # Ethernet: the capture shows the frames, ARP included
        arp = [f for f in frames if f[12:14] == b"\x08\x06"]
        self.assertTrue(any(f[20:22] == b"\x00\x02" and f[6:12] == bytes.fromhex("02000a000002") for f in arp),
                        "tcpp's ARP reply is in the capture")

    def test_tcpp_resolves_linux_and_an_absent_neighbour_is_host_unreachable(self):
        self.ns.run("ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
        self.ns.run("ip", "addr", "add", HOST_SIDE, "dev", "tap0")
        self.ns.run("ip", "link", "set", "tap0", "up")
        start_linux_server(self, self.ns, "echo")
        connect = self.ns.command(TCPP, "connect", "--tap", "tap0", "--addr", f"{SERVER}/24")
        done = subprocess.run([*connect, "10.0.0.1:9000", "--send", "-", "--recv", "-", "--shutdown-after-send"],
                              input=b"over ethernet\n" * 1000, capture_output=True, timeout=WAIT)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, b"over ethernet\n" * 1000)
        # Nobody has 10.0.0.9: three ARP requests go unanswered, and the connection fails with EHOSTUNREACH
        # (not ETIMEDOUT after two minutes of SYNs).
        started = time.monotonic()
        done = subprocess.run([*connect, "10.0.0.9:80"], capture_output=True, timeout=WAIT)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr, b"tcpp connect: 10.0.0.9:80: No route to host\n")
        self.assertLess(time.monotonic() - started, WAIT)


@unittest.skipIf(missing_requirement(), missing_requirement() or "")
class IoUring(NamespaceTest):
    """The device driven through io_uring (`--io-uring`): the same traffic, many packets per system call."""

    def test_serve_echoes_10_mib_intact_in_fewer_system_calls_than_packets(self):
        for kind in "tun", "tap":
            with self.subTest(kind=kind), Serve(self.ns, "--io-uring", kind=kind) as serve:
                self.assertIn("1 received", self.ns.run("ping", "-c", "1", "-W", "2", SERVER).stdout)
                got, intact, _ = self.ns.python(ECHO_CLIENT, str(10 << 20)).split()
                self.assertEqual((int(got), intact), (10 << 20, "True"))
                code, out, err = serve.stop()
                self.assertEqual(code, 0, err)
                packets = re.search(r"device: (\d+) packets in, (\d+) out", out)
                calls = re.search(r"io_uring: (\d+) system calls", out)
                self.assertTrue(packets and calls, out)
                # Batching: far fewer system calls than packets (a plain device makes one per packet).
                self.assertLess(int(calls.group(1)) * 4, int(packets.group(1)) + int(packets.group(2)))
            subprocess.run(self.ns.command("ip", "link", "del", f"{kind}0"), capture_output=True)

    def test_connect_sends_a_file_and_reads_the_echo_intact(self):
        self.ns.run("ip", "tuntap", "add", "dev", "tun0", "mode", "tun")
        self.ns.run("ip", "addr", "add", HOST_SIDE, "dev", "tun0")
        self.ns.run("ip", "link", "set", "tun0", "up")
        start_linux_server(self, self.ns, "echo")
        tcpp_connect = lambda *args: subprocess.run(
            self.ns.command(TCPP, "connect", "--tun", "tun0", "--addr", f"{SERVER}/24", "--io-uring", *args),
            capture_output=True, timeout=WAIT * 2)
        echo_a_file(self, tcpp_connect, "10.0.0.1:9000", 4 << 20)


class BadInput(unittest.TestCase):
    """Errors a user makes: a one-line message and a non-zero exit, never a crash or a hang."""

    def run_tcpp(self, *args, user=None):
        command = [TCPP, *args]
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--inh-caps=-all", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=WAIT)

    def test_malformed_address(self):
        done = self.run_tcpp("serve", "--tun", "tcppx0", "--addr", "10.0.0.300/24", "--port", "7")
        self.assertEqual(done.returncode, 2)
        self.assertIn("is not an IPv4 address", done.stderr)
        self.assertEqual(done.stderr.count("\n"), 1)

    def test_bad_prefix_and_port(self):
        self.assertEqual(self.run_tcpp("serve", "--tun", "t0", "--addr", "10.0.0.2/33", "--port", "7").returncode, 2)
        done = self.run_tcpp("serve", "--tun", "t0", "--addr", "10.0.0.2/24", "--port", "70000")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("port", done.stderr)

    def test_connect_to_a_malformed_remote(self):
        for remote in ("10.0.0.1", "10.0.0.1:0", "10.0.0.1:65536", "host:80", "10.0.0.1:8x"):
            done = self.run_tcpp("connect", "--tun", "t0", "--addr", "10.0.0.2/24", remote)
            self.assertEqual(done.returncode, 2, remote)
            self.assertIn("is not HOST:PORT", done.stderr)
            self.assertEqual(done.stderr.count("\n"), 1)

    def test_a_gateway_off_our_network(self):
        done = self.run_tcpp("connect", "--tun", "t0", "--addr", "10.0.0.2/24", "--gateway", "10.9.0.1", "10.0.0.1:80")
        self.assertEqual(done.returncode, 2)
        self.assertIn("is not another address on 10.0.0.2/24", done.stderr)

    def test_tun_and_tap_together_or_neither(self):
        done = self.run_tcpp("serve", "--tun", "t0", "--tap", "t1", "--addr", "10.0.0.2/24", "--port", "7")
        self.assertEqual(done.returncode, 2)
        self.assertIn("excludes", done.stderr)
        done = self.run_tcpp("serve", "--addr", "10.0.0.2/24", "--port", "7")
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stderr, "tcpp serve: one of --tun IFNAME or --tap IFNAME is needed\n")

    def test_unknown_option(self):
        done = self.run_tcpp("serve", "--tun", "t0", "--addr", "10.0.0.2/24", "--port", "7", "--bogus")
        self.assertEqual(done.returncode, 2)
        self.assertIn("bogus", done.stderr)

    def test_a_bad_device_name(self):
        done = self.run_tcpp("serve", "--tun", "a/b", "--addr", "10.0.0.2/24", "--port", "7")
        self.assertEqual(done.returncode, 1)
        self.assertIn("not a usable name", done.stderr)

    @unittest.skipIf(os.geteuid() != 0, "needs root, to drop to an unprivileged user")
    def test_no_privilege_says_which(self):
        done = self.run_tcpp("serve", "--tun", "tcppnopriv0", "--addr", "10.0.0.2/24", "--port", "7", user=65534)
        self.assertEqual(done.returncode, 1)
        self.assertIn("CAP_NET_ADMIN", done.stderr)


def chargen_body(size):
    """What `serve --app http` sends for /bytes/SIZE: chargen lines (RFC 864) cut at SIZE bytes."""
    printable = bytes(range(32, 127))
    period = b"".join((printable * 2)[n:n + 72] + b"\r\n" for n in range(95))
    return (period * (size // len(period) + 1))[:size]


RAW_HTTP_CLIENT = r"""
import socket, sys
s = socket.create_connection(("10.0.0.2", 80), timeout=15)
s.sendall(sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1"))
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
s.close()
print(got.hex())   # as hex: the namespace's stdout is read as text, which would rewrite CR LF
"""


@unittest.skipIf(missing_requirement(), missing_requirement() or "")
class TunHttp(unittest.TestCase):
    """`tcpp serve --app http` against curl, wrk and raw Linux sockets."""

    def serve(self, ns):
        return Serve(ns, "--app", "http", port=80)

    def raw(self, ns, request):
        """Sends the request bytes (Python escapes allowed) and reads until tcpp closes the connection."""
        return bytes.fromhex(ns.python(RAW_HTTP_CLIENT, request)).decode("latin-1")

    def stopped(self, serve):
        code, out, err = serve.stop()
        self.assertEqual(code, 0, err)
        return out

    def test_curl_fetches_four_mebibytes_intact(self):
        size = 4 << 20
        with Namespace() as ns, self.serve(ns) as serve:
            done = ns.run("sh", "-c", f"curl -sS --max-time 15 -o - -w '' http://{SERVER}/bytes/{size} | sha256sum")
            self.assertEqual(done.stdout.split()[0], hashlib.sha256(chargen_body(size)).hexdigest())
            head = ns.run("curl", "-sS", "--max-time", "10", "-I", f"http://{SERVER}/bytes/{size}").stdout
            self.assertIn(f"Content-Length: {size}\n", head)  # read as text: CR LF is LF here
            self.assertIn("Content-Type: application/octet-stream\n", head)
            out = self.stopped(serve)
            self.assertIn("http: 2 responses: 2 2xx, 0 4xx, 0 5xx", out)

    def test_curl_keeps_one_connection_for_several_urls_and_connection_close_is_closed(self):
        with Namespace() as ns, self.serve(ns) as serve:
            urls = [f"http://{SERVER}/bytes/{n}" for n in (10, 100000, 1)] + [f"http://{SERVER}/"]
            done = ns.run("curl", "-sS", "--max-time", "10", *(["-o", "/dev/null"] * len(urls)),
                          "--write-out", "%{num_connects} %{http_code} %{size_download}\\n", *urls)
            self.assertEqual(done.stdout.split("\n")[:3], ["1 200 10", "0 200 100000", "0 200 1"])
            self.assertEqual(done.stdout.split("\n")[3].split()[:2], ["0", "200"])
            # Connection: close: the response says so, and tcpp ends the stream (the client reads to EOF).
            reply = self.raw(ns, r"GET /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertTrue(reply.startswith("HTTP/1.1 200 OK\r\n"), reply)
            self.assertIn("Connection: close\r\n", reply)
            self.assertTrue(reply.endswith("\r\n\r\n" + chargen_body(5).decode()), reply)
            # HTTP/1.0 closes by default, and two pipelined requests are answered in order first.
            reply = self.raw(ns, r"GET /bytes/3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                 r"HEAD /bytes/7 HTTP/1.0\r\n\r\n")
            self.assertEqual(reply.count("HTTP/1.1 200 OK"), 2, reply)
            self.assertIn("Connection: keep-alive\r\n", reply.split("HTTP/1.1 200 OK")[1])
            self.assertTrue(reply.endswith("Content-Length: 7\r\nConnection: close\r\n\r\n"), reply)
            out = self.stopped(serve)
            self.assertIn("3 connections accepted, 0 still open", out)   # curl's four URLs on one
            self.assertIn("http: 7 responses: 7 2xx", out)
            self.assertIn(" 2 in TIME_WAIT", out)  # tcpp closed the last two first

    def test_malformed_requests_get_400_and_the_connection_is_closed(self):
        with Namespace() as ns, self.serve(ns) as serve:
            reply = self.raw(ns, r"GET /bytes/1 HTTP/1.1\r\nHost : x\r\n\r\nGET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(reply.startswith("HTTP/1.1 400 Bad Request\r\n"), reply)
            self.assertEqual(reply.count("HTTP/1.1"), 1, reply)  # nothing after it is answered
            self.assertIn("Connection: close\r\n", reply)
            reply = self.raw(ns, r"\x00\xff\r\n\r\n")
            self.assertTrue(reply.startswith("HTTP/1.1 400 "), reply)
            reply = self.raw(ns, r"GET / HTTP/1.1\r\n" + "X-Long: " + "a" * 9000 + r"\r\n\r\n")
            self.assertTrue(reply.startswith("HTTP/1.1 431 "), reply)
            self.assertTrue(self.raw(ns, r"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            .startswith("HTTP/1.1 404 "))
            out = self.stopped(serve)
            self.assertIn("http: 4 responses: 0 2xx, 4 4xx, 0 5xx", out)
            self.assertNotIn("InErrs", counters(out))

    def test_an_idle_keep_alive_connection_is_closed_by_tcpp(self):
        client = r"""
import socket
s = socket.create_connection(("10.0.0.2", 80), timeout=20)
s.sendall(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n")
got = b""
while True:   # the response, then tcpp's FIN after its idle timeout (5 s)
    b = s.recv(4096)
    if not b:
        break
    got += b
print(got.endswith(b"\r\n\r\n ") and b"Connection" not in got)
"""
        with Namespace() as ns, self.serve(ns) as serve:
            self.assertEqual(ns.python(client), "True")
            out = self.stopped(serve)
            self.assertIn("1 connections accepted, 0 still open, 1 in TIME_WAIT", out)

    def test_wrk_runs_two_seconds_with_no_errors(self):
        with Namespace() as ns, self.serve(ns) as serve:
            done = ns.run("wrk", "-t1", "-c8", "-d2s", "--timeout", "5s", f"http://{SERVER}/bytes/100")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertNotIn("Socket errors", done.stdout)
            self.assertNotIn("Non-2xx", done.stdout)
            requests = int(next(line for line in done.stdout.splitlines() if "requests in" in line).split()[0])
            self.assertGreater(requests, 100)
            out = self.stopped(serve)
            self.assertGreaterEqual(int(out.split("stopped; ")[1].split()[0]), 8)  # wrk's 8, and a probe
            responses = int(next(line for line in out.splitlines() if "http:" in line).split()[3])
            self.assertGreaterEqual(responses, requests)  # wrk counts what it finished reading
            self.assertIn(" 0 4xx, 0 5xx", out)
            self.assertNotIn("InErrs", counters(out))


if __name__ == "__main__":
    TCPP = os.path.abspath(sys.argv.pop(1))
    reason = missing_requirement()
    if reason:
        if os.environ.get("CI") == "true":
            print(f"tun_interop_test: under CI these tests must run, but: {reason}", file=sys.stderr)
            sys.exit(1)
        print(f"tun_interop_test: the tests over TUN are skipped: {reason}", file=sys.stderr)
    unittest.main(verbosity=2)
