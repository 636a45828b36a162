#pragma once
// An IPv4 packet carrying one ICMP message, for the tests that give a stack ICMP: echo requests, errors,
// and whole packets to cut into fragments.

#include <cstdint>
#include <vector>

#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace tcpp::testing {

inline std::vector<std::byte> icmp_packet(wire::Ipv4Address source, wire::Ipv4Address destination,
                                          const wire::Icmpv4Header& header, const std::vector<std::byte>& body,
                                          std::uint16_t identification = 0, bool dont_fragment = true) {
    std::vector<std::byte> packet(wire::Ipv4Header::size() + wire::Icmpv4Header::size() + body.size());
    wire::Ipv4Header ip;
    ip.identification = identification;
    ip.dont_fragment = dont_fragment;
    ip.protocol = wire::ip_protocol::icmp;
    ip.source = source;
    ip.destination = destination;
    ip.payload_length = static_cast<std::uint16_t>(wire::Icmpv4Header::size() + body.size());
    ip.emit(packet);
    header.emit(wire::MutableBytes{packet}.subspan(wire::Ipv4Header::size()), body);
    return packet;
}

}  // namespace tcpp::testing
