#pragma once
// IPv4 fragmentation of the packets we originate that do not fit the MTU (RFC 791 3.2, "Fragmentation"):
// only for what is not TCP, which sizes its segments to the MSS and sets DF. Today that is an echo reply
// to a request that itself came in fragments (`ping -s 3000`).
//
// Every fragment carries a copy of the header (no options: we send none), the same identification, DF
// clear, its offset in 8-octet units, and MF on all but the last; all but the last carry the most whole
// 8-octet units the MTU allows.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/bytes.h"
#include "wire/ipv4.h"

namespace tcpp::ip {

// The payload each fragment but the last carries under this MTU: what follows a 20-byte header, in whole
// 8-octet units; 0 for an MTU under 28, which cannot carry a fragment.
constexpr std::size_t fragment_payload_size(std::size_t mtu) {
    return mtu < wire::Ipv4Header::size() + 8 ? 0 : (mtu - wire::Ipv4Header::size()) / 8 * 8;
}

// How many fragments a payload of this length takes under this MTU.
constexpr std::size_t fragment_count(std::size_t payload_length, std::size_t mtu) {
    const std::size_t each = fragment_payload_size(mtu);
    return each == 0 ? 0 : payload_length == 0 ? 1 : (payload_length + each - 1) / each;
}

// Writes the fragment of the datagram `whole` (payload_length: the whole payload, at most 65,515 bytes)
// that carries bytes [offset, offset + length) of its payload into out, which must hold 20 + length bytes.
// The payload is given in pieces, read as one run of bytes. Returns the fragment's size.
std::size_t emit_fragment(const wire::Ipv4Header& whole, std::span<const wire::Bytes> payload, std::size_t offset,
                          std::size_t length, wire::MutableBytes out);

// The whole datagram as fragments of at most `mtu` bytes, each written into output.reserve() and queued
// with output.commit(size), in order. Returns how many (0 when the MTU is too small to carry one).
template <class Output>
std::size_t fragment(const wire::Ipv4Header& whole, std::span<const wire::Bytes> payload, std::size_t mtu,
                     Output& output) {
    const std::size_t each = fragment_payload_size(mtu);
    if (each == 0) return 0;
    std::size_t count = 0;
    std::size_t offset = 0;
    do {
        const std::size_t length = std::min<std::size_t>(each, whole.payload_length - offset);
        output.commit(emit_fragment(whole, payload, offset, length, output.reserve()));
        offset += length;
        ++count;
    } while (offset < whole.payload_length);
    return count;
}

}  // namespace tcpp::ip
