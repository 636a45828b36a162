"""What the `tcpp bench` smoke tests share: run one mode with --json and check its one JSON object, and
check that bad input is one line on stderr and a non-zero exit. Each returns whether all was well, after
printing a line that says what it saw."""
import json
import subprocess


def run_mode(tcpp, mode, arguments, keys, check=lambda result: []):
    """Runs `tcpp bench MODE ARGUMENTS --json`: one JSON object with "mode" and `keys`, exit 0, and no
    problem named by check(result) (a list of strings)."""
    command = [tcpp, "bench", mode, *arguments, "--json", "--max-seconds", "60"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        print(f"{mode}: not one JSON object: {done.stdout!r} {done.stderr!r}")
        return False
    problems = []
    if done.returncode != 0:
        problems.append(f"exit {done.returncode}: {done.stderr.strip()}")
    missing = [k for k in ["mode", *keys] if k not in result]
    if missing:
        problems.append(f"missing keys {missing}")
    if result.get("mode") != mode:
        problems.append(f"mode is {result.get('mode')!r}")
    problems += check(result)
    print(f"{mode}: {'ok' if not problems else '; '.join(problems)}: {done.stdout.strip()}")
    return not problems


def rejects(tcpp, arguments):
    """`tcpp ARGUMENTS` fails with one line on stderr."""
    done = subprocess.run([tcpp, *arguments], capture_output=True, text=True, timeout=60)
    lines = done.stderr.strip().splitlines()
    ok = done.returncode != 0 and len(lines) == 1
    print(f"{' '.join(arguments)}: {'ok' if ok else 'expected one line on stderr and a non-zero exit'}: "
          f"{done.stderr.strip()}")
    return ok
