#pragma once
// TCP segments (RFC 9293 section 3.1): a validated view over the bytes, and the segment as values.

#include <cstdint>
#include <vector>

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/parse_error.h"
#include "wire/seq.h"
#include "wire/tcp_options.h"

namespace tcpp::wire {

struct TcpFlags {
    static constexpr std::uint8_t fin = 0x01;
    static constexpr std::uint8_t syn = 0x02;
    static constexpr std::uint8_t rst = 0x04;
    static constexpr std::uint8_t psh = 0x08;
    static constexpr std::uint8_t ack = 0x10;
    static constexpr std::uint8_t urg = 0x20;
    static constexpr std::uint8_t ece = 0x40;
    static constexpr std::uint8_t cwr = 0x80;

    std::uint8_t bits = 0;

    constexpr bool has(std::uint8_t flag) const { return (bits & flag) != 0; }
    constexpr bool fin_set() const { return has(fin); }
    constexpr bool syn_set() const { return has(syn); }
    constexpr bool rst_set() const { return has(rst); }
    constexpr bool psh_set() const { return has(psh); }
    constexpr bool ack_set() const { return has(ack); }
    constexpr bool urg_set() const { return has(urg); }

    friend constexpr bool operator==(TcpFlags, TcpFlags) = default;
};

// What a segment's checksum field holds.
enum class ChecksumStatus : std::uint8_t {
    valid,
    // The folded pseudo-header sum alone: the sender left the rest to its NIC (checksum offload), and the
    // packet was captured before the NIC filled it in. Linux captures of outgoing packets look like this.
    offload_pending,
    bad,
};

// How emit() fills the checksum field.
enum class ChecksumMode : std::uint8_t {
    full,     // the real checksum
    offload,  // the folded pseudo-header sum, for a device that completes the checksum itself
};

// A validated view of one segment: the 20 fixed bytes are present, the data offset is at least 5 and
// within the segment, and the options area is well formed (no length byte of 0 or 1, none past the
// header). The checksum is checked separately, since it needs the IP addresses.
class TcpView {
public:
    static constexpr std::size_t min_header_size = 20;

    static Parsed<TcpView> parse(Bytes segment);
    // The TCP segment inside an IPv4 packet: the packet must carry TCP and not be a fragment
    // (ParseError::unsupported otherwise); with ChecksumCheck::verify a checksum that is not valid is
    // ParseError::bad_checksum, offload_pending included: a stack must not accept a segment it cannot
    // verify. Readers of captures taken on a sending host use ChecksumCheck::skip and checksum_status().
    static Parsed<TcpView> parse(const Ipv4View& packet, ChecksumCheck check = ChecksumCheck::verify);

    std::uint16_t source_port() const { return load_be16(bytes_.data()); }
    std::uint16_t destination_port() const { return load_be16(bytes_.data() + 2); }
    Seq seq() const { return Seq{load_be32(bytes_.data() + 4)}; }
    Seq ack() const { return Seq{load_be32(bytes_.data() + 8)}; }
    std::size_t header_length() const { return (load_u8(bytes_.data() + 12) >> 4) * 4u; }
    TcpFlags flags() const { return TcpFlags{load_u8(bytes_.data() + 13)}; }
    std::uint16_t window() const { return load_be16(bytes_.data() + 14); }
    std::uint16_t checksum() const { return load_be16(bytes_.data() + 16); }
    std::uint16_t urgent_pointer() const { return load_be16(bytes_.data() + 18); }
    Bytes options() const { return bytes_.subspan(min_header_size, header_length() - min_header_size); }
    Bytes payload() const { return bytes_.subspan(header_length()); }
    Bytes bytes() const { return bytes_; }

    // The sequence space the segment occupies: payload, plus one each for SYN and FIN (RFC 9293 3.4).
    std::uint32_t sequence_length() const;

    // A corrupted segment whose checksum field happens to equal the pseudo-header sum reads as
    // offload_pending: one chance in 65536, the price of recognising offloaded captures at all.
    ChecksumStatus checksum_status(Ipv4Address source, Ipv4Address destination) const;
    // What the checksum field should hold.
    std::uint16_t expected_checksum(Ipv4Address source, Ipv4Address destination) const;

private:
    explicit TcpView(Bytes bytes) : bytes_(bytes) {}

    // The pseudo-header's sum continued over the segment.
    ChecksumAccumulator sum_with(ChecksumAccumulator pseudo) const;

    Bytes bytes_;
};

// A segment as values: header fields, options and the payload (a view of bytes owned elsewhere).
struct TcpSegment {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    Seq seq;
    Seq ack;
    TcpFlags flags;
    std::uint16_t window = 0;
    std::uint16_t urgent_pointer = 0;
    TcpOptions options;
    Bytes payload;

    static TcpSegment from(const TcpView& view);
    static Parsed<TcpSegment> parse(Bytes segment);

    std::size_t header_size() const { return TcpView::min_header_size + options.size(); }
    std::size_t size() const { return header_size() + payload.size(); }
    std::uint32_t sequence_length() const;

    // Writes the whole segment, size() bytes, into out and fills the checksum for the given addresses.
    // The payload is copied unless it already sits at out[header_size()] (built in place).
    void emit(MutableBytes out, Ipv4Address source, Ipv4Address destination,
              ChecksumMode mode = ChecksumMode::full) const;
    // The same for a payload already in place at out[header_size()] whose sum the caller took while
    // copying it there (ChecksumAccumulator::add_copy): only the header is summed here.
    void emit_with_payload_sum(MutableBytes out, Ipv4Address source, Ipv4Address destination,
                               const ChecksumAccumulator& payload_sum) const;

    // Fields, options and payload bytes equal.
    friend bool operator==(const TcpSegment& a, const TcpSegment& b);

private:
    // Writes header_size() bytes with a zero checksum, and gives their sum as the checksum needs it (built
    // from the values: summing the bytes back would load 64 bits over two of the stores just made, which
    // the store buffer cannot forward, a stall of a dozen cycles).
    ChecksumAccumulator emit_header(MutableBytes out, std::size_t header) const;
};

// A whole IPv4 packet (default header fields) carrying `segment`, both checksums filled in. For tools and
// tests: it allocates.
std::vector<std::byte> ipv4_tcp_packet(const TcpSegment& segment, Ipv4Address source, Ipv4Address destination);

}  // namespace tcpp::wire
