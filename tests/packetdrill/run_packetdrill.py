#!/usr/bin/env python3
"""Runs packetdrill scripts against tcpp, through the shared object tools/packetdrill builds.

    run_packetdrill.py [--packetdrill PATH] --so PATH [--so-flags FLAGS] SCRIPT.pkt ...

Each script runs in a scratch copy of its directory whose ../common/ helpers (which google/packetdrill's
scripts call to set the kernel's sysctls and qdiscs) do nothing, so that no script touches this machine's
settings: tcpp's settings come from the shared object's flags. A script that runs longer than --timeout
seconds of real time fails. Prints one line per script and a count; the exit status is 0 only if all passed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

# packetdrill's addresses, given to packetdrill and to the shared object alike (it is told nothing else).
LOCAL_IP = "192.168.0.1"
REMOTE_IP = "192.0.2.1"

STUB = "#!/bin/sh\n# A stand-in for packetdrill's helper: tcpp takes its settings from --so_flags.\nexit 0\n"

# set_sysctls.py saves the old values in a script that the test's cleanup runs; the stand-in writes an
# empty one.
SET_SYSCTLS_STUB = """#!/bin/sh
# A stand-in for packetdrill's set_sysctls.py: tcpp takes its settings from --so_flags.
restore=/tmp/sysctl_restore_${PACKETDRILL_PID}.sh
printf '#!/bin/sh\\nexit 0\\n' > "$restore" && chmod +x "$restore"
"""


def stage(script, scratch):
    """Copies `script` to scratch/a/b/c/NAME, with stand-ins at common/ beside each level above it (scripts
    reach them as ../common, ../../common or ../../../common)."""
    directory = os.path.join(scratch, "a", "b", "c")
    os.makedirs(directory)
    for level in (scratch, os.path.join(scratch, "a"), os.path.join(scratch, "a", "b")):
        common = os.path.join(level, "common")
        os.makedirs(common)
        for name, text in (("defaults.sh", STUB), ("set_sysctls.py", SET_SYSCTLS_STUB)):
            path = os.path.join(common, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
    target = os.path.join(directory, os.path.basename(script))
    shutil.copyfile(script, target)
    return directory, target


def run(args, script):
    scratch = tempfile.mkdtemp(prefix="tcpp-packetdrill-")
    try:
        directory, staged = stage(script, scratch)
        flags = f"local={LOCAL_IP}" + (f",{args.so_flags}" if args.so_flags else "")
        command = [args.packetdrill, f"--so_filename={os.path.abspath(args.so)}", f"--so_flags={flags}",
                   "--ip_version=ipv4", f"--local_ip={LOCAL_IP}", f"--remote_ip={REMOTE_IP}"]
        command += args.extra + [os.path.basename(staged)]
        try:
            result = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=args.timeout)
            return result.returncode == 0, (result.stdout + result.stderr).strip()
        except subprocess.TimeoutExpired:
            return False, f"timed out after {args.timeout} s"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packetdrill", default=os.environ.get("PACKETDRILL"),
                        help="packetdrill's binary (default: $PACKETDRILL)")
    parser.add_argument("--skip-without-packetdrill", action="store_true",
                        help="exit 77 (a skipped test) when no packetdrill is given")
    parser.add_argument("--so", required=True, help="libtcpp_packetdrill.so")
    parser.add_argument("--so-flags", default="", help="more flags for the shared object (key=value,...)")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--extra", action="append", default=[], help="an argument for packetdrill")
    parser.add_argument("-q", "--quiet", action="store_true", help="print failures' output only")
    parser.add_argument("scripts", nargs="*")
    args = parser.parse_args()
    if not args.packetdrill:
        if args.skip_without_packetdrill:
            print("PACKETDRILL is not set: the scripts are not run (packetdrill_adapter_test drives the object)")
            return 77
        parser.error("give --packetdrill or set PACKETDRILL")
    if not args.scripts:
        parser.error("no scripts given")
    passed = 0
    for script in args.scripts:
        ok, output = run(args, script)
        passed += ok
        print(f"{'PASS' if ok else 'FAIL'} {script}")
        if output and (not ok or not args.quiet):
            print("    " + output.replace("\n", "\n    "))
    print(f"{passed} of {len(args.scripts)} scripts passed")
    return 0 if passed == len(args.scripts) else 1


if __name__ == "__main__":
    sys.exit(main())
