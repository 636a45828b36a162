#!/usr/bin/env python3
"""`tcpp bench scale` at a small size: churn without and with 2000 idle connections prints one JSON object
with both rates and a positive ratio; `tcpp bench churn --idle` keeps its churn keys and reports the idle
connections; bad input is one line on stderr and a non-zero exit. No speed is asserted."""
import sys

from bench_run import rejects, run_mode

tcpp = sys.argv[1]


def idle_counted(result):
    value = result.get("idle_connections")
    return [] if value == 2000 else [f"idle_connections is {value!r}"]


def positive_rates(result):
    problems = idle_counted(result)
    for key in ["lifecycles_per_s_without", "lifecycles_per_s_with", "ratio"]:
        value = result.get(key)
        if not isinstance(value, (int, float)) or not value > 0:
            problems.append(f"{key} is {value!r}, not positive")
    return problems


def every_lifecycle(result):
    problems = idle_counted(result)
    if result.get("lifecycles") != 3000 or result.get("time_wait_entries") != 3000:
        problems.append("not every lifecycle completed")
    return problems


runs = [
    ("scale", ["--idle", "2000", "--lifecycles", "3000", "--concurrency", "200", "--repeat", "2"],
     ["idle_connections", "lifecycles_per_s_without", "lifecycles_per_s_with", "ratio"], positive_rates),
    ("churn", ["--idle", "2000", "--idle-keepalive", "--lifecycles", "3000", "--concurrency", "200"],
     ["lifecycles", "lifecycles_per_s", "wall_seconds", "concurrency", "clients", "time_wait_entries",
      "time_wait_expired", "packets", "virtual_us", "idle_connections"], every_lifecycle),
]
ok = all([run_mode(tcpp, *run) for run in runs])
ok = all([rejects(tcpp, bad) for bad in (["bench", "scale", "--idle", "0"], ["bench", "churn", "--idle", "many"])]) and ok
sys.exit(0 if ok else 1)
