#!/usr/bin/env python3
"""`tcpp bench scale` at a small size: churn without and with 2000 idle connections prints one JSON object
with both rates and a positive ratio; `tcpp bench churn --idle` keeps its churn keys and reports the idle
connections; bad input is one line on stderr and a non-zero exit. No speed is asserted."""
import json
import subprocess
import sys

tcpp = sys.argv[1]
runs = [
    ("scale", ["--idle", "2000", "--lifecycles", "3000", "--concurrency", "200", "--repeat", "2"],
     ["idle_connections", "lifecycles_per_s_without", "lifecycles_per_s_with", "ratio"]),
    ("churn", ["--idle", "2000", "--idle-keepalive", "--lifecycles", "3000", "--concurrency", "200"],
     ["lifecycles", "lifecycles_per_s", "wall_seconds", "concurrency", "clients", "time_wait_entries",
      "time_wait_expired", "packets", "virtual_us", "idle_connections"]),
]
failures = 0
for mode, arguments, keys in runs:
    command = [tcpp, "bench", mode, *arguments, "--json", "--max-seconds", "60"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        print(f"{mode}: not one JSON object: {done.stdout!r} {done.stderr!r}")
        failures += 1
        continue
    problems = []
    if done.returncode != 0:
        problems.append(f"exit {done.returncode}: {done.stderr.strip()}")
    missing = [k for k in ["mode", *keys] if k not in result]
    if missing:
        problems.append(f"missing keys {missing}")
    if result.get("mode") != mode:
        problems.append(f"mode is {result.get('mode')!r}")
    if result.get("idle_connections") != 2000:
        problems.append(f"idle_connections is {result.get('idle_connections')!r}")
    if mode == "scale":
        for key in ["lifecycles_per_s_without", "lifecycles_per_s_with", "ratio"]:
            value = result.get(key)
            if not isinstance(value, (int, float)) or not value > 0:
                problems.append(f"{key} is {value!r}, not positive")
    if mode == "churn" and (result.get("lifecycles") != 3000 or result.get("time_wait_entries") != 3000):
        problems.append("not every lifecycle completed")
    print(f"{mode}: {'ok' if not problems else '; '.join(problems)}: {done.stdout.strip()}")
    failures += bool(problems)

for bad in (["bench", "scale", "--idle", "0"], ["bench", "churn", "--idle", "many"]):
    done = subprocess.run([tcpp, *bad], capture_output=True, text=True, timeout=60)
    lines = done.stderr.strip().splitlines()
    ok = done.returncode != 0 and len(lines) == 1
    print(f"{' '.join(bad)}: {'ok' if ok else 'expected one line on stderr and a non-zero exit'}: {done.stderr.strip()}")
    failures += not ok
sys.exit(1 if failures else 0)
