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

}  // namespace

Parsed<TcpView> TcpView::parse(Bytes segment) {
    if (segment.size() < min_header_size) return fail(ParseError::truncated);
    std::size_t header_length = (load_u8(segment.data() + 12) >> 4) * 4u;
    if (header_length < min_header_size || header_length > segment.size()) return fail(ParseError::bad_data_offset);
    TcpView view{segment};
    if (ParseError error = validate_tcp_options(view.options()); error != ParseError{}) return fail(error);
    return view;
}

Parsed<TcpView> TcpView::parse(const Ipv4View& packet, ChecksumCheck check) {
    if (packet.protocol() != ip_protocol::tcp || packet.is_fragment()) return fail(ParseError::unsupported);
    auto view = parse(packet.payload());
    if (view && check == ChecksumCheck::verify &&
        view->checksum_status(packet.source(), packet.destination()) != ChecksumStatus::valid) {
        return fail(ParseError::bad_checksum);
    }
    return view;
}

std::uint32_t TcpView::sequence_length() const { return sequence_length_of(flags(), payload().size()); }

ChecksumStatus TcpView::checksum_status(Ipv4Address source, Ipv4Address destination) const {
    const ChecksumAccumulator pseudo = pseudo_header(source, destination, bytes_.size());
    ChecksumAccumulator accumulator = pseudo;
    accumulator.add(bytes_);
    if (accumulator.checksum() == 0) return ChecksumStatus::valid;
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
    TcpSegment segment;
    segment.source_port = view.source_port();
    segment.destination_port = view.destination_port();
    segment.seq = view.seq();
    segment.ack = view.ack();
    segment.flags = view.flags();
    segment.window = view.window();
    segment.urgent_pointer = view.urgent_pointer();
    // The view has validated the options area, so parsing its contents cannot fail.
    [[maybe_unused]] const ParseError error = TcpOptions::parse_into(view.options(), segment.options);
    assert(error == ParseError{});
    segment.payload = view.payload();
    return segment;
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
    emit_header(out, header);
    ChecksumAccumulator accumulator = pseudo_header(source, destination, header + payload.size());
    if (mode == ChecksumMode::full) {
        accumulator.add(out.first(header + payload.size()));
        store_be16(out.data() + 16, accumulator.checksum());
    } else {
        store_be16(out.data() + 16, accumulator.folded_sum());
    }
}

void TcpSegment::emit_with_payload_sum(MutableBytes out, Ipv4Address source, Ipv4Address destination,
                                       const ChecksumAccumulator& payload_sum) const {
    const std::size_t header = header_size();
    assert(out.size() >= header + payload.size() && (payload.empty() || payload.data() == out.data() + header));
    emit_header(out, header);
    ChecksumAccumulator accumulator = pseudo_header(source, destination, header + payload.size());
    accumulator.add(out.first(header));  // whole 32-bit words: the payload's sum continues it
    accumulator.append(payload_sum);
    store_be16(out.data() + 16, accumulator.checksum());
}

void TcpSegment::emit_header(MutableBytes out, std::size_t header) const {
    std::byte* p = out.data();
    store_be16(p, source_port);
    store_be16(p + 2, destination_port);
    store_be32(p + 4, seq.raw());
    store_be32(p + 8, ack.raw());
    store_u8(p + 12, static_cast<std::uint8_t>(header / 4 << 4));
    store_u8(p + 13, flags.bits);
    store_be16(p + 14, window);
    store_be16(p + 16, 0);
    store_be16(p + 18, urgent_pointer);
    options.emit(out.subspan(TcpView::min_header_size));
}

bool operator==(const TcpSegment& a, const TcpSegment& b) {
    return a.source_port == b.source_port && a.destination_port == b.destination_port && a.seq == b.seq &&
           a.ack == b.ack && a.flags == b.flags && a.window == b.window && a.urgent_pointer == b.urgent_pointer &&
           a.options == b.options && std::ranges::equal(a.payload, b.payload);
}

}  // namespace tcpp::wire
