#pragma once
// ICMPv4 (RFC 792): echo request and reply, destination unreachable (with the next-hop MTU of
// fragmentation-needed, RFC 1191), time exceeded; and the IP header plus the first 8 bytes of the
// transport header that an error quotes, which is where TCP learns which connection it concerns.

#include <cstdint>

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"
#include "wire/parse_error.h"
#include "wire/seq.h"

namespace tcpp::wire {

namespace icmp_type {
inline constexpr std::uint8_t echo_reply = 0;
inline constexpr std::uint8_t destination_unreachable = 3;
inline constexpr std::uint8_t echo_request = 8;
inline constexpr std::uint8_t time_exceeded = 11;
}  // namespace icmp_type

namespace icmp_unreachable {
inline constexpr std::uint8_t net = 0;
inline constexpr std::uint8_t host = 1;
inline constexpr std::uint8_t protocol = 2;
inline constexpr std::uint8_t port = 3;
inline constexpr std::uint8_t fragmentation_needed = 4;
inline constexpr std::uint8_t source_route_failed = 5;
}  // namespace icmp_unreachable

// A validated view of one ICMP message: the 8-byte header is present.
class Icmpv4View {
public:
    static constexpr std::size_t header_size = 8;

    // With ChecksumCheck::verify a message whose checksum fails is ParseError::bad_checksum.
    static Parsed<Icmpv4View> parse(Bytes message, ChecksumCheck check = ChecksumCheck::verify);

    std::uint8_t type() const { return load_u8(bytes_.data()); }
    std::uint8_t code() const { return load_u8(bytes_.data() + 1); }
    std::uint16_t checksum() const { return load_be16(bytes_.data() + 2); }
    // The second word of the header, whose meaning depends on the type.
    std::uint32_t rest_of_header() const { return load_be32(bytes_.data() + 4); }
    bool checksum_ok() const;
    // After the 8-byte header: echo data, or the quoted packet of an error.
    Bytes body() const { return bytes_.subspan(header_size); }
    Bytes bytes() const { return bytes_; }

private:
    explicit Icmpv4View(Bytes bytes) : bytes_(bytes) {}

    Bytes bytes_;
};

// The 8-byte header as values; the body travels separately.
struct Icmpv4Header {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t rest_of_header = 0;

    static Icmpv4Header echo_request(std::uint16_t identifier, std::uint16_t sequence);
    static Icmpv4Header echo_reply(std::uint16_t identifier, std::uint16_t sequence);
    static Icmpv4Header destination_unreachable(std::uint8_t code, std::uint16_t next_hop_mtu = 0);
    static Icmpv4Header time_exceeded(std::uint8_t code);

    static constexpr std::size_t size() { return Icmpv4View::header_size; }
    static Icmpv4Header from(const Icmpv4View& view);

    // Echo request and reply.
    std::uint16_t identifier() const { return static_cast<std::uint16_t>(rest_of_header >> 16); }
    std::uint16_t sequence() const { return static_cast<std::uint16_t>(rest_of_header); }
    // Destination unreachable, fragmentation needed (RFC 1191): the MTU of the next hop, 0 if not given.
    std::uint16_t next_hop_mtu() const { return static_cast<std::uint16_t>(rest_of_header); }
    bool is_error() const {
        return type == icmp_type::destination_unreachable || type == icmp_type::time_exceeded;
    }

    // Writes header and body (copied unless already in place after the header), with the checksum.
    void emit(MutableBytes out, Bytes body) const;

    friend bool operator==(const Icmpv4Header&, const Icmpv4Header&) = default;
};

// What an ICMP error says about the TCP segment that provoked it (RFC 5927 section 4): the quoted IP
// header's addresses and the first 8 bytes of the TCP header.
struct QuotedTcp {
    Ipv4Address source;
    Ipv4Address destination;
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    Seq seq;

    // From the body of an error message: the quoted IPv4 header must be whole, carry TCP, not be a
    // later fragment, and be followed by at least 8 bytes.
    static Parsed<QuotedTcp> parse(Bytes body);

    friend bool operator==(const QuotedTcp&, const QuotedTcp&) = default;
};

}  // namespace tcpp::wire
