#pragma once
// IPv4 headers (RFC 791). Header options are skipped by IHL; fragments are recognised, never reassembled
// here.

#include <cstdint>

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/parse_error.h"

namespace tcpp::wire {

namespace ip_protocol {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
}  // namespace ip_protocol

enum class ChecksumCheck : std::uint8_t { verify, skip };

// A validated view of one IPv4 packet. After parse, every accessor is in bounds: the header fits, IHL is
// at least 5, and the total length covers the header and fits the bytes at hand. Bytes past the total
// length (link-layer padding) are not part of the view.
class Ipv4View {
public:
    static constexpr std::size_t min_header_size = 20;

    // With ChecksumCheck::verify a header whose checksum fails is ParseError::bad_checksum.
    static Parsed<Ipv4View> parse(Bytes packet, ChecksumCheck check = ChecksumCheck::verify);
    // For the packet quoted inside an ICMP error (RFC 792): the header must be whole, but the payload may
    // be cut short of the total length. The checksum is not checked (routers may have changed the TTL).
    static Parsed<Ipv4View> parse_quoted(Bytes quoted);

    std::size_t header_length() const { return (load_u8(bytes_.data()) & 0x0f) * 4u; }
    std::uint8_t tos() const { return load_u8(bytes_.data() + 1); }
    std::uint16_t total_length() const { return load_be16(bytes_.data() + 2); }
    std::uint16_t identification() const { return load_be16(bytes_.data() + 4); }
    bool dont_fragment() const { return (load_u8(bytes_.data() + 6) & 0x40) != 0; }
    bool more_fragments() const { return (load_u8(bytes_.data() + 6) & 0x20) != 0; }
    // In bytes (the field counts 8-byte units).
    std::uint16_t fragment_offset() const { return static_cast<std::uint16_t>((load_be16(bytes_.data() + 6) & 0x1fff) * 8); }
    bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
    std::uint8_t ttl() const { return load_u8(bytes_.data() + 8); }
    std::uint8_t protocol() const { return load_u8(bytes_.data() + 9); }
    std::uint16_t header_checksum() const { return load_be16(bytes_.data() + 10); }
    Ipv4Address source() const { return Ipv4Address{load_be32(bytes_.data() + 12)}; }
    Ipv4Address destination() const { return Ipv4Address{load_be32(bytes_.data() + 16)}; }

    // Inline: every packet received asks (the 20 bytes of nearly every header are summed without a loop).
    bool header_checksum_ok() const {
        ChecksumAccumulator sum;
        sum.add_header(header());
        return sum.verifies();
    }
    Bytes header() const { return bytes_.first(header_length()); }
    Bytes options() const { return header().subspan(min_header_size); }
    Bytes payload() const { return bytes_.subspan(header_length()); }
    // The packet: header and payload, without link padding (and, when quoted, as much as was quoted).
    Bytes bytes() const { return bytes_; }

private:
    explicit Ipv4View(Bytes bytes) : bytes_(bytes) {}

    Bytes bytes_;
};

// The header as plain fields. Emitted without options (IHL 5); total length is 20 + payload_length.
struct Ipv4Header {
    static constexpr std::size_t size() { return Ipv4View::min_header_size; }

    std::uint8_t tos = 0;
    std::uint16_t identification = 0;
    bool dont_fragment = true;
    bool more_fragments = false;
    std::uint16_t fragment_offset = 0;  // in bytes, a multiple of 8
    std::uint8_t ttl = 64;
    std::uint8_t protocol = 0;
    Ipv4Address source;
    Ipv4Address destination;
    std::uint16_t payload_length = 0;

    // From a view: payload_length is the total length less the header, options included in neither.
    static Ipv4Header from(const Ipv4View& view);
    static Parsed<Ipv4Header> parse(Bytes packet, ChecksumCheck check = ChecksumCheck::verify);
    // Writes the 20-byte header with its checksum into out[0, 20).
    void emit(MutableBytes out) const;

    friend bool operator==(const Ipv4Header&, const Ipv4Header&) = default;
};

}  // namespace tcpp::wire
