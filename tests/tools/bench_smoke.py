#!/usr/bin/env python3
"""Each `tcpp bench` mode runs at a small size with --json and prints one JSON object with its keys;
transfer's payload arrives intact; bad input is one line on stderr and a non-zero exit. No speed is
asserted."""
import json
import subprocess
import sys

tcpp = sys.argv[1]
runs = {
    "transfer": (["--bytes", "3000000"], ["bytes", "goodput_gbps", "intact"]),
    "churn": (["--lifecycles", "3000", "--concurrency", "200"], ["lifecycles", "lifecycles_per_s", "time_wait_entries"]),
    "rr": (["--round-trips", "2000"], ["round_trips_per_s"]),
    "idle": (["--connections", "3000"], ["connections", "rss_bytes", "bytes_per_established", "bytes_per_time_wait"]),
}
failures = 0
for mode, (arguments, keys) in runs.items():
    command = [tcpp, "bench", mode, *arguments, "--json", "--max-seconds", "60"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        print(f"{mode}: not one JSON object: {done.stdout!r} {done.stderr!r}")
        failures += 1
        continue
    missing = [k for k in ["mode", *keys] if k not in result]
    problems = []
    if done.returncode != 0:
        problems.append(f"exit {done.returncode}: {done.stderr.strip()}")
    if missing:
        problems.append(f"missing keys {missing}")
    if result.get("mode") != mode:
        problems.append(f"mode is {result.get('mode')!r}")
    if mode == "transfer" and result.get("intact") is not True:
        problems.append("transfer not intact")
    if mode == "churn" and result.get("lifecycles") != 3000:
        problems.append("not every lifecycle completed")
    print(f"{mode}: {'ok' if not problems else '; '.join(problems)}: {done.stdout.strip()}")
    failures += bool(problems)

for bad in (["bench", "transfer", "--bytes", "zero"], ["bench", "churn", "--lifecycles", "0"], ["bench", "nonesuch"]):
    done = subprocess.run([tcpp, *bad], capture_output=True, text=True, timeout=60)
    lines = done.stderr.strip().splitlines()
    ok = done.returncode != 0 and len(lines) == 1
    print(f"{' '.join(bad)}: {'ok' if ok else 'expected one line on stderr and a non-zero exit'}: {done.stderr.strip()}")
    failures += not ok
sys.exit(1 if failures else 0)
