#!/usr/bin/env bash
# The four workloads of `tcpp bench` over the Linux kernel on 127.0.0.1 (bench/linux/linux_bench) and over
# tcpp (tcpp bench), in the same run, and a table of each figure with the ratio tcpp / Linux. Then tcpp's
# scale figure (`tcpp bench scale`): churn with SCALE_IDLE idle connections open beside it, next to churn
# without them (tcpp only: on Linux both ends of each idle connection are file descriptors of this process).
#
#   bench/compare-linux.sh                      # the defaults below
#   BYTES=$((64 << 20)) ROUND_TRIPS=200000 bench/compare-linux.sh
#
# Every run is bounded: in count (the sizes below) and in time (MAX_SECONDS each, enforced by the
# programs and by timeout(1)). Traffic stays on 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build-bench2}
BYTES=${BYTES:-268435456}          # transfer: 256 MiB
LIFECYCLES=${LIFECYCLES:-200000}   # churn
CONCURRENCY=${CONCURRENCY:-1000}   # churn: lifecycles in flight
ROUND_TRIPS=${ROUND_TRIPS:-1000000}
CONNECTIONS=${CONNECTIONS:-100000} # idle
LARGE_CONNECTIONS=${LARGE_CONNECTIONS:-1000000}  # idle, tcpp only (see the note on file descriptors)
SCALE_IDLE=${SCALE_IDLE:-1000000}  # scale, tcpp only: idle connections beside the churn (0: skip)
SCALE_REPEAT=${SCALE_REPEAT:-3}    # scale: pairs of runs (without, with), medians reported
MAX_SECONDS=${MAX_SECONDS:-300}
TRANSFER_MTU=${TRANSFER_MTU:-1500} # transfer: the MTU of the Linux side's loopback (tcpp's link is 1500)
OFFLOAD=${OFFLOAD:-65455}          # transfer: tcpp's segmentation offload, bytes per segment (Linux's lo: 64 KiB)

if [[ ! -x $BUILD/tools/tcpp/tcpp || ! -x $BUILD/bench/linux/linux_bench ]] || ! command -v ethtool > /dev/null; then
    scripts/install-deps.sh
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
cmake --build "$BUILD" --target tcpp_cli linux_bench > /dev/null
tcpp=$BUILD/tools/tcpp/tcpp
linux=$BUILD/bench/linux/linux_bench

# Both ends of every Linux connection are file descriptors of this one process: idle needs 2N of them.
# Raise the limit as far as we may; without CAP_SYS_RESOURCE the hard limit caps it, and the Linux idle
# run shrinks to fit (its figures are per connection; note the count in the table).
wanted=$((2 * CONNECTIONS + 1024))
ulimit -n "$wanted" 2> /dev/null || ulimit -n "$(ulimit -Hn)"
fds=$(ulimit -n)
linux_connections=$(( (fds - 256) / 2 < CONNECTIONS ? (fds - 256) / 2 : CONNECTIONS ))
if ((linux_connections < CONNECTIONS)); then
    echo "compare-linux: file descriptors limited to $fds (ulimit -Hn): Linux idle runs $linux_connections connections" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bound=$((MAX_SECONDS + 60))
run() {  # name, command...: one JSON line into $work/name.json
    local name=$1
    shift
    echo "compare-linux: $name: $*" >&2
    if ! timeout "$bound" "$@" > "$work/$name.json"; then
        echo "compare-linux: $name failed" >&2
        echo '{}' > "$work/$name.json"
    fi
}
common=(--max-seconds "$MAX_SECONDS")
# Transfer is compared at MTU 1500, as tcpp's simulated link has it, twice:
# - with segmentation offload on both sides: Linux as it comes (TSO/GSO build 64 KiB segments that lo passes
#   whole, and GRO), tcpp with --offload (segments of whole MSSes up to OFFLOAD bytes cross its link whole);
# - without: Linux with `ethtool -K lo tso off gso off gro off`, tcpp with every segment at most one MSS.
# Linux runs on the loopback device of a network namespace of its own, set to MTU 1500 (the host's lo, MTU
# 65536, is left alone). For reference, Linux also runs on the host's lo at 65536. tcpp computes and checks
# every checksum either way; Linux's lo skips them.
if unshare -n true 2> /dev/null; then
    run linux_transfer unshare -n sh -c 'ip link set lo mtu "$0" up && exec "$@"' "$TRANSFER_MTU" \
        "$linux" "${common[@]}" transfer --bytes "$BYTES"
    run linux_transfer_no_offload unshare -n sh -c \
        'ip link set lo mtu "$0" up && ethtool -K lo tso off gso off gro off > /dev/null && exec "$@"' "$TRANSFER_MTU" \
        "$linux" "${common[@]}" transfer --bytes "$BYTES"
    transfer_mtu=$TRANSFER_MTU
else
    echo "compare-linux: cannot make a network namespace (needs root): Linux transfer runs on lo at its MTU" >&2
    echo '{}' > "$work/linux_transfer.json"
    echo '{}' > "$work/linux_transfer_no_offload.json"
    transfer_mtu=""
fi
run linux_transfer_lo "$linux" "${common[@]}" transfer --bytes "$BYTES"
[[ -n $transfer_mtu ]] || cp "$work/linux_transfer_lo.json" "$work/linux_transfer.json"
run tcpp_transfer "$tcpp" bench transfer --bytes "$BYTES" --offload "$OFFLOAD" --json "${common[@]}"
run tcpp_transfer_no_offload "$tcpp" bench transfer --bytes "$BYTES" --json "${common[@]}"
run linux_rr "$linux" "${common[@]}" rr --round-trips "$ROUND_TRIPS"
run tcpp_rr "$tcpp" bench rr --round-trips "$ROUND_TRIPS" --json "${common[@]}"
run linux_churn "$linux" "${common[@]}" churn --lifecycles "$LIFECYCLES" --concurrency "$CONCURRENCY"
run tcpp_churn "$tcpp" bench churn --lifecycles "$LIFECYCLES" --concurrency "$CONCURRENCY" --json "${common[@]}"
run linux_idle "$linux" "${common[@]}" idle --connections "$linux_connections"
run tcpp_idle "$tcpp" bench idle --connections "$CONNECTIONS" --json "${common[@]}"
if ((LARGE_CONNECTIONS > 0)); then
    run tcpp_idle_large "$tcpp" bench idle --connections "$LARGE_CONNECTIONS" --json "${common[@]}"
else
    echo '{}' > "$work/tcpp_idle_large.json"
fi
if ((SCALE_IDLE > 0)); then
    # Each of its 2 * SCALE_REPEAT churn runs is bounded by MAX_SECONDS (and so is opening the idle connections).
    run_bound=$bound
    bound=$((4 * SCALE_REPEAT * (MAX_SECONDS + 60)))
    run tcpp_scale "$tcpp" bench scale --idle "$SCALE_IDLE" --repeat "$SCALE_REPEAT" --lifecycles "$LIFECYCLES" \
        --concurrency "$CONCURRENCY" --json "${common[@]}"
    bound=$run_bound
else
    echo '{}' > "$work/tcpp_scale.json"
fi

python3 - "$work" "$transfer_mtu" <<'PY'
import json, sys, os
work = sys.argv[1]
transfer_mtu = sys.argv[2]
def load(name):
    try:
        with open(os.path.join(work, name + ".json")) as f:
            return json.loads(f.read().strip() or "{}")
    except (OSError, ValueError):
        return {}
r = {n: load(n) for n in ["linux_transfer", "linux_transfer_lo", "tcpp_transfer", "linux_transfer_no_offload",
                          "tcpp_transfer_no_offload", "linux_rr", "tcpp_rr", "linux_churn", "tcpp_churn",
                          "linux_idle", "tcpp_idle", "tcpp_idle_large", "tcpp_scale"]}
rows = [
    (f"transfer Gbit/s, MTU {transfer_mtu or 'of lo'}, offload", "transfer", "goodput_gbps", "higher"),
    ("transfer intact", "transfer", "intact", None),
    (f"transfer Gbit/s, MTU {transfer_mtu or 'of lo'}, no offload", "transfer_no_offload", "goodput_gbps", "higher"),
    ("transfer intact", "transfer_no_offload", "intact", None),
    ("rr round trips/s", "rr", "round_trips_per_s", "higher"),
    ("churn lifecycles/s", "churn", "lifecycles_per_s", "higher"),
    ("churn TIME_WAIT held at end", "churn", "time_wait_entries", None),
    ("idle connections", "idle", "connections", None),
    ("idle bytes per established end", "idle", "bytes_per_established", "lower"),
    ("idle bytes per TIME_WAIT", "idle", "bytes_per_time_wait", "lower"),
]
def cell(v):
    if v is None: return "-"
    if isinstance(v, bool): return "yes" if v else "NO"
    if isinstance(v, float): return f"{v:,.3f}" if v < 100 else f"{v:,.0f}"
    return f"{v:,}"
print(f"{'figure':<34} {'Linux (loopback)':>18} {'tcpp':>18} {'tcpp/Linux':>11}")
for label, mode, key, better in rows:
    a = r["linux_" + mode].get(key)
    b = r["tcpp_" + mode].get(key)
    ratio = "-"
    if better and isinstance(a, (int, float)) and isinstance(b, (int, float)) and a:
        ratio = f"{b / a:.2f}"
    print(f"{label:<34} {cell(a):>18} {cell(b):>18} {ratio:>11}")
lo = r["linux_transfer_lo"]
if transfer_mtu and lo:
    print(f"{'Linux transfer on lo, MTU 65536':<34} {cell(lo.get('goodput_gbps')):>18} {'':>18} {'':>11}  Gbit/s, for reference")
large = r["tcpp_idle_large"]
if large:
    print(f"{'tcpp idle at ' + format(large.get('connections', 0), ','):<34} {'':>18} "
          f"{cell(large.get('bytes_per_established')):>18} {'':>11}  bytes per established end")
    print(f"{'':<34} {'':>18} {cell(large.get('bytes_per_time_wait')):>18} {'':>11}  bytes per TIME_WAIT")
scale = r["tcpp_scale"]
if scale:
    print(f"\ntcpp scale: churn with {scale.get('idle_connections', 0):,} idle connections open beside it, "
          f"{cell(scale.get('lifecycles_per_s_with'))} lifecycles/s, without {cell(scale.get('lifecycles_per_s_without'))}: "
          f"ratio {scale.get('ratio', 0):.3f} (medians of {scale.get('repeat')}; target >= 0.8)")
li = r["linux_idle"]
if li:
    print(f"\nLinux idle, by parts: per established end {li.get('slab_per_established', 0):,.0f} B kernel slab "
          f"(TCP socket object {li.get('tcp_object_size')} B) + {li.get('rss_per_established', 0):,.0f} B process RSS; "
          f"per TIME_WAIT {li.get('tw_sock_per_time_wait', 0):,.0f} B of tw_sock_TCP objects "
          f"(slab delta {li.get('slab_per_time_wait', 0):,.0f} B)")
print("\nRaw JSON:")
for name, value in r.items():
    print(f"  {name}: {json.dumps(value)}")
PY
