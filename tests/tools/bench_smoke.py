#!/usr/bin/env python3
"""Each `tcpp bench` mode runs at a small size with --json and prints one JSON object with its keys;
transfer's payload arrives intact; bad input is one line on stderr and a non-zero exit. No speed is
asserted."""
import sys

from bench_run import rejects, run_mode

tcpp = sys.argv[1]


def transfer_intact(result):
    return [] if result.get("intact") is True else ["transfer not intact"]


def offloaded_and_intact(result):
    problems = transfer_intact(result)
    if result.get("segmentation_offload") != 65000:
        problems.append("segmentation_offload is not the 65000 asked for")
    # 3,000,000 bytes in segments of one MSS would be over 2,000 data segments alone.
    if not isinstance(result.get("packets"), int) or result["packets"] >= 1000:
        problems.append("offloaded segments should have made far fewer packets")
    return problems


def every_lifecycle(result):
    return [] if result.get("lifecycles") == 3000 else ["not every lifecycle completed"]


runs = [
    ("transfer", ["--bytes", "3000000"], ["bytes", "goodput_gbps", "intact"], transfer_intact),
    ("transfer", ["--bytes", "3000000", "--offload", "65000"], ["segmentation_offload"], offloaded_and_intact),
    ("churn", ["--lifecycles", "3000", "--concurrency", "200"], ["lifecycles", "lifecycles_per_s", "time_wait_entries"],
     every_lifecycle),
    ("rr", ["--round-trips", "2000"], ["round_trips_per_s"], lambda result: []),
    ("idle", ["--connections", "3000"], ["connections", "rss_bytes", "bytes_per_established", "bytes_per_time_wait"],
     lambda result: []),
]
ok = all([run_mode(tcpp, *run) for run in runs])
ok = all([rejects(tcpp, bad) for bad in (["bench", "transfer", "--bytes", "zero"],
                                         ["bench", "transfer", "--offload", "70000"], ["bench", "churn", "--lifecycles", "0"],
                                         ["bench", "nonesuch"])]) and ok
sys.exit(0 if ok else 1)
