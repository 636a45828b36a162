#include "wire/tcp.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "wire/checksum.h"

namespace tcpp::wire {
namespace {

ChecksumAccumulator pseudo_header(Ipv4Address source, Ipv4Address destination, std::size_t length) {
    ChecksumAccumulator accumulator;
    add_pseudo_header(accumulator, source, destination, ip_protocol::tcp, static_cast<std::uint16_t>(length));
    return accumulator;
}

std::uint32_t sequence_length_of(TcpFlags flags, std::size_t payload) {
    return static_cast<std::uint32_t>(payload) + (flags.syn_set() ? 1 : 0) + (flags.fin_set() ? 1 : 0);
}

// What TcpView::parse(Bytes) checks, for both parses.
ParseError check_segment(Bytes segment) {
    if (segment.size() < TcpView::min_header_size) return ParseError::truncated;
    std::size_t header_length = (load_u8(segment.data() + 12) >> 4) * 4u;
    if (header_length < TcpView::min_header_size || header_length > segment.size()) return ParseError::bad_data_offset;
    return validate_tcp_options(segment.subspan(TcpView::min_header_size, header_length - TcpView::min_header_size));
}

}  // namespace

Parsed<TcpView> TcpView::parse(Bytes segment) {
    if (ParseError error = check_segment(segment); error != ParseError{}) return fail(error);
    return TcpView{segment};
}

Parsed<TcpView> TcpView::parse(const Ipv4View& packet, ChecksumCheck check) {
    if (packet.protocol() != ip_protocol::tcp || packet.is_fragment()) return fail(ParseError::unsupported);
    const Bytes segment = packet.payload();
    if (ParseError error = check_segment(segment); error != ParseError{}) return fail(error);
    const TcpView view{segment};
    // Only `valid` passes, so the offload_pending test that checksum_status() adds is not needed here.
    if (check == ChecksumCheck::verify &&
        !view.sum_with(pseudo_header(packet.source(), packet.destination(), segment.size())).verifies()) {
        return fail(ParseError::bad_checksum);
    }
    return view;
}

std::uint32_t TcpView::sequence_length() const { return sequence_length_of(flags(), payload().size()); }

ChecksumAccumulator TcpView::sum_with(ChecksumAccumulator pseudo) const {
    pseudo.add_header(bytes_.first(header_length()));  // whole words: the payload's sum continues it
    pseudo.add(payload());
    return pseudo;
}

ChecksumStatus TcpView::checksum_status(Ipv4Address source, Ipv4Address destination) const {
    const ChecksumAccumulator pseudo = pseudo_header(source, destination, bytes_.size());
    if (sum_with(pseudo).verifies()) return ChecksumStatus::valid;
    if (checksum() == pseudo.folded_sum()) return ChecksumStatus::offload_pending;
    return ChecksumStatus::bad;
}

std::uint16_t TcpView::expected_checksum(Ipv4Address source, Ipv4Address destination) const {
    ChecksumAccumulator accumulator = pseudo_header(source, destination, bytes_.size());
    accumulator.add(bytes_.first(16));
    accumulator.add(bytes_.subspan(18));
    return accumulator.checksum();
}

TcpSegment TcpSegment::from(const TcpView& view) {
    // Every member initialised once, the options in place: the view has validated their area.
    return TcpSegment{
        .source_port = view.source_port(),
        .destination_port = view.destination_port(),
        .seq = view.seq(),
        .ack = view.ack(),
        .flags = view.flags(),
        .window = view.window(),
        .urgent_pointer = view.urgent_pointer(),
        .options = TcpOptions::parse_validated(view.options()),
        .payload = view.payload(),
    };
}

Parsed<TcpSegment> TcpSegment::parse(Bytes bytes) {
    auto view = TcpView::parse(bytes);
    if (!view) return fail(view.error());
    return from(*view);
}

std::uint32_t TcpSegment::sequence_length() const { return sequence_length_of(flags, payload.size()); }

void TcpSegment::emit(MutableBytes out, Ipv4Address source, Ipv4Address destination, ChecksumMode mode) const {
    const std::size_t header = header_size();
    assert(out.size() >= header + payload.size());
    // The payload first: it may overlap the header's bytes (memmove), and must be read before they are written.
    if (!payload.empty() && payload.data() != out.data() + header) {
        std::memmove(out.data() + header, payload.data(), payload.size());
    }
    const ChecksumAccumulator header_sum = emit_header(out, header);
    ChecksumAccumulator accumulator = pseudo_header(source, destination, header + payload.size());
    if (mode == ChecksumMode::full) {
        accumulator.append(header_sum);
        accumulator.add(out.subspan(header, payload.size()));
        accumulator.store_checksum(out.data() + 16);
    } else {
        store_be16(out.data() + 16, accumulator.folded_sum());
    }
}

void TcpSegment::emit_with_payload_sum(MutableBytes out, Ipv4Address source, Ipv4Address destination,
                                       const ChecksumAccumulator& payload_sum) const {
    const std::size_t header = header_size();
    assert(out.size() >= header + payload.size() && (payload.empty() || payload.data() == out.data() + header));
    ChecksumAccumulator accumulator = pseudo_header(source, destination, header + payload.size());
    accumulator.append(emit_header(out, header));  // whole 32-bit words: the payload's sum continues it
    accumulator.append(payload_sum);
    accumulator.store_checksum(out.data() + 16);
}

ChecksumAccumulator TcpSegment::emit_header(MutableBytes out, std::size_t header) const {
    // Named one by one, not in an array, which the compiler would build on the stack and read back whole.
    const std::uint32_t ports = std::uint32_t{source_port} << 16 | destination_port;
    const std::uint32_t offset_flags_window =
        static_cast<std::uint32_t>(header / 4) << 28 | std::uint32_t{flags.bits} << 16 | window;
    std::byte* p = out.data();
    store_be32(p, ports);
    store_be32(p + 4, seq.raw());
    store_be32(p + 8, ack.raw());
    store_be32(p + 12, offset_flags_window);
    store_be32(p + 16, urgent_pointer);  // the checksum field 0
    std::uint64_t sum = std::uint64_t{ports} + seq.raw() + ack.raw() + offset_flags_window + urgent_pointer;
    sum += options.emit(out.subspan(TcpView::min_header_size));  // fifteen 32-bit words at most: no carry out
    ChecksumAccumulator accumulator;
    accumulator.add_u16(checksum_detail::fold(sum));  // a sum of big-endian words as numbers: one such word
    return accumulator;
}

bool operator==(const TcpSegment& a, const TcpSegment& b) {
    return a.source_port == b.source_port && a.destination_port == b.destination_port && a.seq == b.seq &&
           a.ack == b.ack && a.flags == b.flags && a.window == b.window && a.urgent_pointer == b.urgent_pointer &&
           a.options == b.options && std::ranges::equal(a.payload, b.payload);
}

std::vector<std::byte> ipv4_tcp_packet(const TcpSegment& segment, Ipv4Address source, Ipv4Address destination) {
    std::vector<std::byte> packet(Ipv4Header::size() + segment.size());
    Ipv4Header ip;
    ip.protocol = ip_protocol::tcp;
    ip.source = source;
    ip.destination = destination;
    ip.payload_length = static_cast<std::uint16_t>(segment.size());
    ip.emit(packet);
    segment.emit(std::span{packet}.subspan(Ipv4Header::size()), source, destination);
    return packet;
}

}  // namespace tcpp::wire
