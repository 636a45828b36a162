// Fuzzes an IPv4 packet carrying TCP, as the stack receives one:
//   - Ipv4View::parse with and without the checksum check, which must agree with each other, and every accessor;
//     the header's emit/parse round trip;
//   - TcpView::parse of the packet (both checksum modes) and of its payload alone, TcpSegment::from, and the
//     round trip parse(emit(x)) == x, whose checksum must then be valid, in a buffer of its own, in place
//     after an emitted IPv4 header, and over the bytes it was parsed from;
//   - the Internet checksum against a byte-at-a-time RFC 1071 model, in one piece and in chunks, and the
//     RFC 1624 incremental update against recomputing;
//   - trace::PacketPrinter on the bytes as a raw-IPv4 capture.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "pcap/pcap_file.h"
#include "trace/packet_printer.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp::fuzz {
namespace {

using wire::Bytes;

// RFC 1071 the slow way: big-endian words one at a time, an odd last byte padded with zero, carries folded in
// as they happen.
std::uint16_t reference_checksum(Bytes data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < data.size(); i += 2) {
        std::uint32_t high = std::to_integer<std::uint32_t>(data[i]);
        std::uint32_t low = i + 1 < data.size() ? std::to_integer<std::uint32_t>(data[i + 1]) : 0;
        sum += high << 8 | low;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

void check_checksum(Bytes data) {
    const std::uint16_t expected = reference_checksum(data);
    check(wire::internet_checksum(data) == expected, "internet_checksum agrees with RFC 1071 computed bytewise");

    // In chunks whose lengths (0 to 40, odd ones included) come from the data itself; every other chunk has at
    // least one byte, so the loop ends.
    wire::ChecksumAccumulator chunked;
    std::size_t at = 0;
    for (std::size_t i = 0; at < data.size(); ++i) {
        std::size_t length = std::to_integer<std::size_t>(data[i % data.size()]) % 41;
        if (i % 2 == 1) length = std::max<std::size_t>(length, 1);
        length = std::min(length, data.size() - at);
        chunked.add(data.subspan(at, length));
        at += length;
    }
    check(chunked.checksum() == expected, "a checksum taken in chunks equals the one taken whole");

    // RFC 1624: change one 16-bit word, then one 32-bit field, and update the checksum from the old one alone.
    if (data.size() < 4) return;
    ExactBuffer changed{data};
    wire::MutableBytes bytes = changed.mutable_bytes();
    std::size_t word_at = std::to_integer<std::size_t>(data[0]) % (data.size() / 2) * 2;  // a whole word
    std::uint16_t old_word = wire::load_be16(bytes.data() + word_at);
    std::uint16_t new_word = static_cast<std::uint16_t>(~old_word ^ wire::load_be16(data.data() + 2));
    wire::store_be16(bytes.data() + word_at, new_word);
    std::uint16_t updated = wire::update_checksum(expected, old_word, new_word);
    check(same_ones_complement(updated, reference_checksum(bytes)), "update_checksum(16 bits) matches recomputing");

    std::size_t field_at = word_at / 4 * 4;
    if (field_at + 4 > data.size()) return;
    std::uint16_t before = reference_checksum(bytes);
    std::uint32_t old_value = wire::load_be32(bytes.data() + field_at);
    std::uint32_t new_value = old_value * 2654435761u + 1;
    wire::store_be32(bytes.data() + field_at, new_value);
    updated = wire::update_checksum(before, old_value, new_value);
    check(same_ones_complement(updated, reference_checksum(bytes)), "update_checksum(32 bits) matches recomputing");
}

void check_ipv4_accessors(const wire::Ipv4View& ip, Bytes packet) {
    check(ip.bytes().data() == packet.data(), "the view starts where the packet does");
    check(ip.header_length() >= wire::Ipv4View::min_header_size, "IHL is at least 5");
    check(ip.header_length() <= ip.total_length(), "the total length covers the header");
    check(ip.total_length() == ip.bytes().size(), "the view is the total length, without link padding");
    check(ip.bytes().size() <= packet.size(), "the view lies within the packet");
    check(ip.header().size() == ip.header_length(), "header() is IHL * 4 bytes");
    check(ip.options().size() == ip.header_length() - wire::Ipv4View::min_header_size, "options() fill the header");
    check(ip.payload().size() == ip.total_length() - ip.header_length(), "payload() is the rest");
    check(ip.fragment_offset() % 8 == 0, "the fragment offset is in 8-byte units");
    check(ip.is_fragment() == (ip.more_fragments() || ip.fragment_offset() != 0), "is_fragment() says MF or offset");
    check(wire::load_u8(packet.data()) >> 4 == 4, "the version is 4");
    use(ip.tos() + ip.identification() + ip.dont_fragment() + ip.ttl() + ip.protocol() +
        ip.header_checksum() + ip.source().value() + ip.destination().value());
}

// Ipv4Header::from, emit, parse: the same fields (a header emitted without options, so shorter).
void check_ipv4_header_round_trip(const wire::Ipv4View& ip) {
    auto header = wire::Ipv4Header::from(ip);
    check(header.payload_length == ip.payload().size(), "payload_length is the payload's size");
    auto parsed = wire::Ipv4Header::parse(ip.bytes(), wire::ChecksumCheck::skip);
    check(parsed && *parsed == header, "Ipv4Header::parse equals Ipv4Header::from of the view");

    ExactBuffer out{wire::Ipv4Header::size() + header.payload_length};
    header.emit(out.mutable_bytes());
    std::copy(ip.payload().begin(), ip.payload().end(), out.mutable_bytes().begin() + wire::Ipv4Header::size());
    auto reparsed = wire::Ipv4View::parse(out.bytes(), wire::ChecksumCheck::verify);
    check(reparsed.has_value(), "an emitted IPv4 header parses, checksum verified");
    check(wire::Ipv4Header::from(*reparsed) == header, "Ipv4Header: parse(emit(x)) == x");
    check(std::ranges::equal(reparsed->payload(), ip.payload()), "the payload follows the emitted header");
}

void check_tcp_accessors(const wire::TcpView& tcp) {
    Bytes bytes = tcp.bytes();
    check(tcp.header_length() >= wire::TcpView::min_header_size, "the data offset is at least 5");
    check(tcp.header_length() <= bytes.size(), "the header fits the segment");
    check(tcp.options().size() == tcp.header_length() - wire::TcpView::min_header_size, "options() fill the header");
    check(tcp.payload().size() == bytes.size() - tcp.header_length(), "payload() is the rest");
    check(wire::validate_tcp_options(tcp.options()) == wire::ParseError{}, "a parsed view's options are well formed");
    wire::TcpFlags flags = tcp.flags();
    check(tcp.sequence_length() == tcp.payload().size() + flags.syn_set() + flags.fin_set(),
          "sequence length: payload, SYN and FIN");
    use(tcp.source_port() + tcp.destination_port() + tcp.seq().raw() + tcp.ack().raw() +
        tcp.window() + tcp.checksum() + tcp.urgent_pointer() + flags.rst_set() + flags.psh_set() + flags.ack_set() +
        flags.urg_set());
}

// What emit() keeps of a segment: everything, except the SACK blocks that do not fit beside the other options.
wire::TcpSegment as_emitted(wire::TcpSegment segment) {
    segment.options.sack_block_count = static_cast<std::uint8_t>(segment.options.sack_blocks_that_fit());
    return segment;
}

void check_segment_round_trip(const wire::TcpSegment& segment, wire::Ipv4Address source,
                              wire::Ipv4Address destination) {
    const wire::TcpSegment expected = as_emitted(segment);
    check(segment.options.size() % 4 == 0 && segment.options.size() <= wire::tcp_option::max_space,
          "options emit as whole words, at most 40 bytes");
    check(segment.size() == segment.header_size() + segment.payload.size(), "size() is header and payload");

    ExactBuffer out{segment.size()};
    segment.emit(out.mutable_bytes(), source, destination);
    auto parsed = wire::TcpSegment::parse(out.bytes());
    check(parsed.has_value(), "an emitted segment parses");
    check(*parsed == expected, "TcpSegment: parse(emit(x)) == x");
    check(parsed->sequence_length() == segment.sequence_length(), "the round trip keeps the sequence length");
    auto view = wire::TcpView::parse(out.bytes());
    check(view && view->checksum_status(source, destination) == wire::ChecksumStatus::valid,
          "an emitted segment's checksum is valid");
    check(view->expected_checksum(source, destination) == view->checksum(), "expected_checksum() is what emit wrote");

    // emit is a function of the value: emitting what was parsed gives the same bytes.
    ExactBuffer again{parsed->size()};
    parsed->emit(again.mutable_bytes(), source, destination);
    check(std::ranges::equal(again.bytes(), out.bytes()), "emit(parse(emit(x))) == emit(x)");

    // With the checksum left to the device: the field holds the pseudo-header sum.
    ExactBuffer offload{segment.size()};
    segment.emit(offload.mutable_bytes(), source, destination, wire::ChecksumMode::offload);
    auto offload_view = wire::TcpView::parse(offload.bytes());
    check(offload_view && offload_view->checksum_status(source, destination) != wire::ChecksumStatus::bad,
          "an offload segment's checksum is pending (or happens to be valid)");

    // A whole packet, the segment built in place after the IPv4 header (payload first, then emit around it).
    if (segment.size() > 0xffff - wire::Ipv4Header::size()) return;
    wire::Ipv4Header header;
    header.protocol = wire::ip_protocol::tcp;
    header.source = source;
    header.destination = destination;
    header.payload_length = static_cast<std::uint16_t>(segment.size());
    ExactBuffer packet{wire::Ipv4Header::size() + segment.size()};
    wire::MutableBytes bytes = packet.mutable_bytes();
    header.emit(bytes);
    wire::MutableBytes tcp_bytes = bytes.subspan(wire::Ipv4Header::size());
    std::copy(segment.payload.begin(), segment.payload.end(), tcp_bytes.begin() + segment.header_size());
    wire::TcpSegment in_place = segment;
    in_place.payload = tcp_bytes.subspan(segment.header_size());
    in_place.emit(tcp_bytes, source, destination);
    auto ip = wire::Ipv4View::parse(packet.bytes(), wire::ChecksumCheck::verify);
    check(ip.has_value(), "an emitted IPv4+TCP packet parses");
    auto tcp = wire::TcpView::parse(*ip, wire::ChecksumCheck::verify);
    check(tcp.has_value(), "the segment built in place parses, checksum verified");
    check(wire::TcpSegment::from(*tcp) == expected, "built in place: parse(emit(x)) == x");
    check(std::ranges::equal(tcp->bytes(), out.bytes()), "in place or not, emit writes the same bytes");
}

// Emitted over the very bytes it was parsed from, its payload where it was and the header growing or shrinking
// around it (options re-laid out): the same bytes as emitted into a buffer of its own.
void check_emit_over_itself(const wire::TcpView& view, const wire::TcpSegment& segment, wire::Ipv4Address source,
                            wire::Ipv4Address destination) {
    ExactBuffer elsewhere{segment.size()};
    segment.emit(elsewhere.mutable_bytes(), source, destination);

    ExactBuffer buffer{std::max(view.bytes().size(), segment.size())};
    std::ranges::copy(view.bytes(), buffer.mutable_bytes().begin());
    wire::TcpSegment over = segment;
    over.payload = buffer.bytes().subspan(view.header_length(), view.payload().size());
    over.emit(buffer.mutable_bytes(), source, destination);
    check(std::ranges::equal(buffer.bytes().first(segment.size()), elsewhere.bytes()),
          "emit over the parsed bytes (payload overlapping) writes the same bytes");
}

void check_tcp(const wire::Ipv4View& ip) {
    auto skipped = wire::TcpView::parse(ip, wire::ChecksumCheck::skip);
    auto verified = wire::TcpView::parse(ip, wire::ChecksumCheck::verify);
    if (ip.protocol() != wire::ip_protocol::tcp || ip.is_fragment()) {
        check(!skipped && skipped.error() == wire::ParseError::unsupported, "only unfragmented TCP is parsed");
        check(!verified && verified.error() == wire::ParseError::unsupported, "... with or without the checksum");
        return;
    }
    // The segment alone, in a buffer of its own: the same answer.
    ExactBuffer alone{ip.payload()};
    auto view = wire::TcpView::parse(alone.bytes());
    check(view.has_value() == skipped.has_value(), "TcpView::parse of the packet and of its payload agree");
    if (!view) {
        check(view.error() == skipped.error(), "... on the error too");
        check(!verified && verified.error() == skipped.error(), "... and so does the checksum-verifying parse");
        return;
    }
    check_tcp_accessors(*view);
    check_tcp_accessors(*skipped);

    wire::ChecksumStatus status = view->checksum_status(ip.source(), ip.destination());
    check(status == skipped->checksum_status(ip.source(), ip.destination()), "the same bytes, the same status");
    check(verified.has_value() == (status == wire::ChecksumStatus::valid), "verify accepts exactly valid checksums");
    if (!verified) check(verified.error() == wire::ParseError::bad_checksum, "... and names the failure");
    std::uint16_t expected = view->expected_checksum(ip.source(), ip.destination());
    if (status == wire::ChecksumStatus::valid) {
        check(same_ones_complement(expected, view->checksum()), "a valid checksum is the expected one");
    } else {
        check(expected != view->checksum(), "an invalid checksum is not the expected one");
    }

    wire::TcpSegment segment = wire::TcpSegment::from(*view);
    auto parsed = wire::TcpSegment::parse(alone.bytes());
    check(parsed && *parsed == segment, "TcpSegment::parse equals TcpSegment::from of the view");
    check(segment == wire::TcpSegment::from(*skipped), "from() of either view gives the same segment");
    check(segment.sequence_length() == view->sequence_length(), "the segment's sequence length is the view's");
    check_segment_round_trip(segment, ip.source(), ip.destination());
    check_emit_over_itself(*view, segment, ip.source(), ip.destination());
}

void check_printer(Bytes packet) {
    constexpr std::int64_t time_us = 1'700'000'000'123'456;
    pcap::Packet captured{time_us, packet, static_cast<std::uint32_t>(packet.size())};
    trace::PacketPrinter printer{pcap::LinkType::raw_ipv4};
    check(!printer.format(captured).empty(), "the printer prints a line");
    check(!printer.format(captured).empty(), "... again, with the connection known");
    trace::PacketPrinter verbose{pcap::LinkType::raw_ipv4, {.absolute = true, .verbose = true}};
    captured.original_length += 100;
    check(!verbose.format(captured).empty(), "the verbose printer prints a line");
}

void run(Bytes input) {
    ExactBuffer buffer{input};
    Bytes packet = buffer.bytes();
    check_checksum(packet);
    check_printer(packet);

    auto skipped = wire::Ipv4View::parse(packet, wire::ChecksumCheck::skip);
    auto verified = wire::Ipv4View::parse(packet, wire::ChecksumCheck::verify);
    if (!skipped) {
        check(!verified && verified.error() == skipped.error(), "both checksum modes fail alike");
        return;
    }
    check(verified.has_value() == skipped->header_checksum_ok(), "verify accepts exactly good header checksums");
    if (!verified) check(verified.error() == wire::ParseError::bad_checksum, "... and names the failure");
    check(skipped->header_checksum_ok() == (reference_checksum(skipped->header()) == 0),
          "header_checksum_ok() is RFC 1071");
    check_ipv4_accessors(*skipped, packet);
    check_ipv4_header_round_trip(*skipped);
    check_tcp(*skipped);
}

}  // namespace
}  // namespace tcpp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tcpp::fuzz::run(tcpp::fuzz::input_bytes(data, size));
    return 0;
}
