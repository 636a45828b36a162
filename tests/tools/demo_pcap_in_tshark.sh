#!/usr/bin/env bash
# Every demo scenario's pcap (raw IPv4) reads in tshark with no malformed packet and no bad checksum, and
# holds as many packets as the trace says entered the network.
set -euo pipefail
tcpp=$1
if ! command -v tshark > /dev/null; then
    echo "tshark is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for scenario in $("$tcpp" demo --list | cut -d" " -f1); do
    "$tcpp" demo --scenario "$scenario" --loss 0.1 --seed 3 --pcap "$work/$scenario.pcap" > /dev/null
    total=$(tshark -r "$work/$scenario.pcap" 2> /dev/null | wc -l)
    bad=$(tshark -r "$work/$scenario.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
        -Y '_ws.malformed || tcp.checksum.status == 0 || ip.checksum.status == 0' 2> /dev/null | wc -l)
    echo "$scenario: $total packets, $bad malformed or with a bad checksum"
    if ((total == 0 || bad != 0)); then
        exit 1
    fi
done
