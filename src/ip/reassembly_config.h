#pragma once
// The bounds of IPv4 fragment reassembly, apart from the reassembler so that the public StackConfig can hold
// them without pulling the reassembler in.

#include <cstddef>
#include <cstdint>

namespace tcpp::ip {

struct ReassemblyConfig {
    // The memory all datagrams in progress may hold: their fragments' bytes in 2 KiB blocks, and each
    // datagram's record. A fragment that would go past high_threshold first evicts the oldest datagrams
    // until what is held is under low_threshold (Linux's net.ipv4.ipfrag_high_thresh and ipfrag_low_thresh).
    std::size_t high_threshold = 4 * 1024 * 1024;
    std::size_t low_threshold = 3 * 1024 * 1024;
    // Datagrams in progress at once; a new one beyond this evicts the oldest.
    std::size_t max_datagrams = 1024;
    // How long a datagram may take from its first fragment to its last (Linux's ipfrag_time, 30 s; RFC 791
    // suggests 15 s and RFC 1122 3.3.2 60 s to 120 s).
    std::uint64_t timeout_us = 30'000'000;
};

}  // namespace tcpp::ip
