#!/usr/bin/env bash
# Installs the Debian packages that building and testing tcpp need, by name. Idempotent, and silent when
# everything is already present. Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

packages=(
    make cmake ninja-build pkg-config g++ clang libclang-rt-14-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    libpcap-dev libfmt-dev libcli11-dev libssl-dev liburing-dev python3
    tshark
    ethtool  # bench/compare-linux.sh turns Linux's loopback offloads off for its no-offload transfer
    iproute2 util-linux procps iputils-ping nftables  # the interop tests: ip netns, setpriv, sysctl, ping, nft
    curl wrk  # the interop tests of `serve --app http`
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
