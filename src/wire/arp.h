#pragma once
// ARP (RFC 826) for IPv4 over Ethernet, the only pairing tcpp resolves. Other hardware or protocol types
// parse as ParseError::unsupported.

#include <cstdint>

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/parse_error.h"

namespace tcpp::wire {

enum class ArpOperation : std::uint16_t { request = 1, reply = 2 };

struct ArpPacket {
    static constexpr std::size_t wire_size = 28;

    ArpOperation operation = ArpOperation::request;
    MacAddress sender_mac;
    Ipv4Address sender_ip;
    MacAddress target_mac;
    Ipv4Address target_ip;

    static constexpr std::size_t size() { return wire_size; }
    // Bytes past the 28 of the packet (Ethernet padding) are ignored.
    static Parsed<ArpPacket> parse(Bytes packet);
    void emit(MutableBytes out) const;

    friend bool operator==(const ArpPacket&, const ArpPacket&) = default;
};

}  // namespace tcpp::wire
