#!/usr/bin/env bash
# tcpp on a real link against Linux on a real link, in one run: bulk throughput and HTTP requests per
# second, over a TUN device (tcpp) and over a veth pair between two network namespaces (Linux at both
# ends, the baseline), and a table with the ratio tcpp / Linux. Not a test: run it by hand, as root.
#
#   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target tcpp_cli
#   bench/link-bench.sh build-rel/tools/tcpp/tcpp
#   BYTES=$((256 << 20)) DURATION=3 bench/link-bench.sh build-rel/tools/tcpp/tcpp
#   TCPP_OPTIONS=--io-uring bench/link-bench.sh build-rel/tools/tcpp/tcpp   # tcpp's device through io_uring
#
# The workloads, each over tcpp and over Linux:
# - bulk in: a Linux sender (Python, sendall of BYTES from a 1 MiB buffer, then shutdown) to `tcpp serve
#   --app discard`; timed by the sender from connect until the receiver's end of stream comes back, so
#   every byte was read. Baseline: the same sender to a Linux receiver (Python, recv_into, then close).
# - bulk out: `tcpp connect --send -` (BYTES from /dev/zero through a pipe) to a Linux receiver, timed by
#   the receiver from accept to end of stream. Baseline: the receiver's clock in the run above.
# - http: wrk (-t THREADS -c CONNECTIONS -d DURATION, keep-alive) fetching /bytes/BODY from `tcpp serve
#   --app http`; baseline: nginx (Debian's, one worker process, as tcpp is one thread; keep-alive without a
#   request limit; no access log) serving a file of the same BODY bytes. nginx is installed if missing.
# The veth baseline runs twice for bulk: as veth comes (TSO/GSO and GRO on: 64 KiB segments cross it
# whole, no checksum computed) and with `ethtool -K tso off gso off gro off` on both ends.
#
# Everything runs in network namespaces this script makes (tcpp-lb-PID-*) and deletes on any exit; no
# traffic leaves them. Every run is bounded by MAX_SECONDS (timeout(1)).
set -euo pipefail

tcpp=${1:?usage: bench/link-bench.sh PATH/TO/tcpp (a Release build)}
tcpp=$(realpath "$tcpp")
BYTES=${BYTES:-1073741824}     # bulk: 1 GiB each way
DURATION=${DURATION:-5}        # http: seconds of wrk
THREADS=${THREADS:-1}          # http: wrk threads
CONNECTIONS=${CONNECTIONS:-8}  # http: wrk connections, all kept alive
BODY=${BODY:-100}              # http: bytes per response body
MAX_SECONDS=${MAX_SECONDS:-120}
read -r -a TCPP_OPTIONS <<< "${TCPP_OPTIONS:-}"  # more options for every tcpp serve and connect: --io-uring

[[ $(id -u) -eq 0 ]] || { echo "link-bench: needs root (network namespaces, TUN devices)" >&2; exit 1; }
cd "$(dirname "$0")/.."
for tool in wrk ethtool python3; do
    command -v "$tool" > /dev/null || scripts/install-deps.sh
done
if ! command -v nginx > /dev/null; then
    echo "link-bench: installing nginx-light for the baseline" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light > /dev/null
fi

prefix=tcpp-lb-$$
tun_ns=$prefix-tun  # tcpp on tun0 (10.0.0.2), the kernel's side 10.0.0.1
a_ns=$prefix-a      # veth: Linux client 10.1.0.1
b_ns=$prefix-b      # veth: Linux server 10.1.0.2
veth_a=lb$$a         # the veth pair's ends (interface names are at most 15 characters)
veth_b=lb$$b
work=$(mktemp -d)
chmod 755 "$work"   # nginx's workers read the files it serves
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
    for ns in "$tun_ns" "$a_ns" "$b_ns"; do ip netns del "$ns" 2> /dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bounded() { timeout "$MAX_SECONDS" "$@"; }
note() { echo "link-bench: $*" >&2; }

for ns in "$tun_ns" "$a_ns" "$b_ns"; do
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$veth_a" netns "$a_ns" type veth peer name "$veth_b" netns "$b_ns"
in_ns "$a_ns" ip addr add 10.1.0.1/24 dev "$veth_a"
in_ns "$b_ns" ip addr add 10.1.0.2/24 dev "$veth_b"
in_ns "$a_ns" ip link set "$veth_a" up
in_ns "$b_ns" ip link set "$veth_b" up

cat > "$work/send.py" << 'PY'
# Sends N bytes to HOST:PORT, half-closes, and waits for the receiver's end of stream: every byte read.
import json, socket, sys, time
host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunk = memoryview(bytes(1 << 20))
s = socket.create_connection((host, port), timeout=60)
start = time.monotonic()
left = total
while left:
    n = min(left, len(chunk))
    s.sendall(chunk[:n])
    left -= n
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
seconds = time.monotonic() - start
print(json.dumps({"bytes": total, "seconds": seconds, "gbps": total * 8 / seconds / 1e9}))
PY
cat > "$work/receive.py" << 'PY'
# Accepts one connection on HOST:PORT, reads to its end of stream, closes; the time from accept to the end.
import json, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((host, port))
listener.listen(1)
print("ready", flush=True)
c, _ = listener.accept()
start = time.monotonic()
buffer = bytearray(1 << 20)
total = 0
while True:
    n = c.recv_into(buffer)
    if not n:
        break
    total += n
seconds = time.monotonic() - start
c.close()
print(json.dumps({"bytes": total, "seconds": seconds, "gbps": total * 8 / seconds / 1e9}))
PY

# Starts a receiver in a namespace; its output goes to FILE; returns once it listens.
start_receiver() {
    local ns=$1 host=$2 file=$3
    bounded ip netns exec "$ns" python3 "$work/receive.py" "$host" 9000 > "$file" &
    pids+=($!)
    for _ in $(seq 100); do grep -q ready "$file" 2> /dev/null && return; sleep 0.1; done
    note "the receiver in $ns did not start"
    return 1
}
last_line() { tail -n 1 "$1" 2> /dev/null | grep '^{' || echo '{}'; }

# `tcpp serve` on tun0 in the TUN namespace; its pid in $serve_pid, its output in FILE.
start_serve() {
    local file=$1
    shift
    ip netns exec "$tun_ns" "$tcpp" serve --tun tun0 --addr 10.0.0.2/24 "${TCPP_OPTIONS[@]}" "$@" > "$file" 2>&1 &
    serve_pid=$!
    pids+=("$serve_pid")
    for _ in $(seq 100); do grep -q 'tcpp serve:' "$file" 2> /dev/null && break; sleep 0.1; done
    in_ns "$tun_ns" ip addr add 10.0.0.1/24 dev tun0
    in_ns "$tun_ns" ip link set tun0 up
}
stop_serve() {
    kill -INT "$serve_pid" 2> /dev/null || true
    timeout 20 tail --pid="$serve_pid" -f /dev/null || kill -KILL "$serve_pid" 2> /dev/null || true
}

wrk_run() {  # namespace, url, output file
    note "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s $2"
    bounded ip netns exec "$1" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s "$2" > "$3" || true
}

# --- Linux over veth ---
note "Linux -> Linux over veth, $BYTES bytes, offloads as veth comes"
start_receiver "$b_ns" 10.1.0.2 "$work/veth_receive.out"
bounded ip netns exec "$a_ns" python3 "$work/send.py" 10.1.0.2 9000 "$BYTES" > "$work/veth_send.out" || true
wait "${pids[-1]}" || true

note "Linux -> Linux over veth, $BYTES bytes, no offload"
in_ns "$a_ns" ethtool -K "$veth_a" tso off gso off gro off > /dev/null
in_ns "$b_ns" ethtool -K "$veth_b" tso off gso off gro off > /dev/null
start_receiver "$b_ns" 10.1.0.2 "$work/veth_no_offload_receive.out"
bounded ip netns exec "$a_ns" python3 "$work/send.py" 10.1.0.2 9000 "$BYTES" > "$work/veth_no_offload_send.out" || true
wait "${pids[-1]}" || true
in_ns "$a_ns" ethtool -K "$veth_a" tso on gso on gro on > /dev/null
in_ns "$b_ns" ethtool -K "$veth_b" tso on gso on gro on > /dev/null

mkdir -p "$work/www/bytes" "$work/nginx"
python3 -c '
import sys
size = int(sys.argv[1])
printable = bytes(range(32, 127))
period = b"".join((printable * 2)[n:n + 72] + b"\r\n" for n in range(95))
sys.stdout.buffer.write((period * (size // len(period) + 1))[:size])' "$BODY" > "$work/www/bytes/$BODY"
chmod -R a+rX "$work/www"
cat > "$work/nginx/nginx.conf" << EOF
# One worker (tcpp serves from one thread), keep-alive without a request limit, no log per request, the
# file's descriptor cached.
user root;
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16;  # no open() and close() per request for the one file
    default_type application/octet-stream;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    server {
        listen 10.1.0.2:80;
        root $work/www;
    }
}
EOF
ip netns exec "$b_ns" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
for _ in $(seq 50); do
    in_ns "$a_ns" curl -s -o /dev/null --max-time 1 "http://10.1.0.2/bytes/$BODY" && break
    sleep 0.1
done
packets() { in_ns "$b_ns" cat /sys/class/net/"$veth_b"/statistics/rx_packets /sys/class/net/"$veth_b"/statistics/tx_packets | paste -sd ' '; }
before=$(packets)
wrk_run "$a_ns" "http://10.1.0.2/bytes/$BODY" "$work/veth_wrk.out"
echo "$before $(packets)" > "$work/veth_packets.out"  # nginx's side: packets in and out, before and after

# --- tcpp over TUN ---
note "Linux -> tcpp serve --app discard over TUN, $BYTES bytes"
start_serve "$work/serve_discard.out" --port 9 --app discard
bounded ip netns exec "$tun_ns" python3 "$work/send.py" 10.0.0.2 9 "$BYTES" > "$work/tun_send.out" || true
stop_serve

note "tcpp connect --send -> Linux over TUN, $BYTES bytes"
in_ns "$tun_ns" ip tuntap add dev tun1 mode tun
in_ns "$tun_ns" ip addr add 10.2.0.1/24 dev tun1
in_ns "$tun_ns" ip link set tun1 up
start_receiver "$tun_ns" 10.2.0.1 "$work/tun_receive.out"
head -c "$BYTES" /dev/zero | bounded ip netns exec "$tun_ns" "$tcpp" connect --tun tun1 --addr 10.2.0.2/24 "${TCPP_OPTIONS[@]}" \
    10.2.0.1:9000 --send - --shutdown-after-send > "$work/connect.out" 2>&1 || note "tcpp connect failed: $(tail -n 1 "$work/connect.out")"
wait "${pids[-1]}" || true

note "wrk -> tcpp serve --app http over TUN"
start_serve "$work/serve_http.out" --port 80 --app http
wrk_run "$tun_ns" "http://10.0.0.2/bytes/$BODY" "$work/tun_wrk.out"
stop_serve

python3 - "$work" "$BYTES" "$BODY" "$THREADS" "$CONNECTIONS" "$DURATION" << 'PY'
import json, os, re, sys
work, total, body, threads, connections, duration = sys.argv[1:]
def last_json(name):
    try:
        lines = [l for l in open(os.path.join(work, name)).read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except OSError:
        return {}
def wrk(name):
    try:
        text = open(os.path.join(work, name)).read()
    except OSError:
        return {}
    found = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m: found["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m: found["requests"] = int(m.group(1))
    found["errors"] = " ".join(l.strip() for l in text.splitlines() if "errors" in l or "Non-2xx" in l) or "none"
    return found
linux_send, linux_receive = last_json("veth_send.out"), last_json("veth_receive.out")
linux_send_no, linux_receive_no = last_json("veth_no_offload_send.out"), last_json("veth_no_offload_receive.out")
tcpp_send, tcpp_receive = last_json("tun_send.out"), last_json("tun_receive.out")
linux_http, tcpp_http = wrk("veth_wrk.out"), wrk("tun_wrk.out")
def cell(v, digits=2):
    if v is None: return "-"
    return f"{v:,.{digits}f}" if isinstance(v, float) and v < 1000 else f"{v:,.0f}"
def ratio(a, b):
    return f"{b / a:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a else "-"
size = f"{int(total) / (1 << 30):g} GiB" if int(total) >= 1 << 30 else f"{int(total) / (1 << 20):g} MiB"
rows = [
    (f"bulk in: Linux sends to it, Gbit/s, {size}", linux_send.get("gbps"), tcpp_send.get("gbps"), linux_send_no.get("gbps")),
    (f"bulk out: it sends to Linux, Gbit/s, {size}", linux_receive.get("gbps"), tcpp_receive.get("gbps"), linux_receive_no.get("gbps")),
    (f"http requests/s, /bytes/{body}, wrk -t{threads} -c{connections} -d{duration}s", linux_http.get("rps"), tcpp_http.get("rps"), None),
]
print(f"{'figure':<52} {'Linux (veth)':>13} {'tcpp (TUN)':>11} {'tcpp/Linux':>10} {'Linux, veth no offload':>23}")
for label, a, b, c in rows:
    print(f"{label:<52} {cell(a):>13} {cell(b):>11} {ratio(a, b):>10} {cell(c):>23}")
print()
print(f"bulk bytes delivered: Linux {linux_receive.get('bytes')}, Linux no offload {linux_receive_no.get('bytes')}, "
      f"to tcpp {tcpp_send.get('bytes')} (sender's count, read back to the end), from tcpp {tcpp_receive.get('bytes')}")
print(f"wrk errors: Linux (nginx): {linux_http.get('errors')}; tcpp: {tcpp_http.get('errors')}")
try:
    rx0, tx0, rx1, tx1 = map(int, open(os.path.join(work, "veth_packets.out")).read().split())
    if linux_http.get("requests"):
        print(f"nginx's veth end during wrk: {rx1 - rx0} packets in, {tx1 - tx0} out: "
              f"{(rx1 - rx0) / linux_http['requests']:.2f} in and {(tx1 - tx0) / linux_http['requests']:.2f} out a request")
except (OSError, ValueError):
    pass
for name in ["serve_discard.out", "serve_http.out", "connect.out"]:
    try:
        lines = [l for l in open(os.path.join(work, name)).read().splitlines()
                 if "stopped" in l or "http:" in l or "closed;" in l or "device:" in l]
        print(f"{name}: " + " | ".join(l.strip() for l in lines))
    except OSError:
        pass
PY
