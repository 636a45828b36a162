#include "wire/ipv4.h"

#include <algorithm>
#include <cassert>

#include "wire/checksum.h"

namespace tcpp::wire {
namespace {

// The checks that a whole packet and a quoted one share: version, IHL, and a total length that at least
// covers the header.
ParseError check_header(Bytes packet) {
    if (packet.size() < Ipv4View::min_header_size) return ParseError::truncated;
    std::uint8_t version_ihl = load_u8(packet.data());
    if (version_ihl >> 4 != 4) return ParseError::bad_version;
    std::size_t header_length = (version_ihl & 0x0f) * 4u;
    if (header_length < Ipv4View::min_header_size || header_length > packet.size()) return ParseError::bad_ihl;
    if (load_be16(packet.data() + 2) < header_length) return ParseError::total_length_mismatch;
    return ParseError{};
}

}  // namespace

Parsed<Ipv4View> Ipv4View::parse(Bytes packet, ChecksumCheck check) {
    if (ParseError error = check_header(packet); error != ParseError{}) return fail(error);
    std::uint16_t total_length = load_be16(packet.data() + 2);
    if (total_length > packet.size()) return fail(ParseError::total_length_mismatch);
    Ipv4View view{packet.first(total_length)};
    if (check == ChecksumCheck::verify && !view.header_checksum_ok()) return fail(ParseError::bad_checksum);
    return view;
}

Parsed<Ipv4View> Ipv4View::parse_quoted(Bytes quoted) {
    if (ParseError error = check_header(quoted); error != ParseError{}) return fail(error);
    std::size_t total_length = load_be16(quoted.data() + 2);
    return Ipv4View{quoted.first(std::min(total_length, quoted.size()))};
}

Ipv4Header Ipv4Header::from(const Ipv4View& view) {
    Ipv4Header header;
    header.tos = view.tos();
    header.identification = view.identification();
    header.dont_fragment = view.dont_fragment();
    header.more_fragments = view.more_fragments();
    header.fragment_offset = view.fragment_offset();
    header.ttl = view.ttl();
    header.protocol = view.protocol();
    header.source = view.source();
    header.destination = view.destination();
    header.payload_length = static_cast<std::uint16_t>(view.total_length() - view.header_length());
    return header;
}

Parsed<Ipv4Header> Ipv4Header::parse(Bytes packet, ChecksumCheck check) {
    auto view = Ipv4View::parse(packet, check);
    if (!view) return fail(view.error());
    return from(*view);
}

void Ipv4Header::emit(MutableBytes out) const {
    assert(out.size() >= size());
    assert(fragment_offset % 8 == 0);
    assert(payload_length <= 0xffff - size());
    std::byte* p = out.data();
    store_u8(p, 0x45);
    store_u8(p + 1, tos);
    store_be16(p + 2, static_cast<std::uint16_t>(size() + payload_length));
    store_be16(p + 4, identification);
    std::uint16_t flags_offset = static_cast<std::uint16_t>((dont_fragment ? 0x4000 : 0) |
                                                            (more_fragments ? 0x2000 : 0) | fragment_offset / 8);
    store_be16(p + 6, flags_offset);
    store_u8(p + 8, ttl);
    store_u8(p + 9, protocol);
    store_be16(p + 10, 0);
    store_be32(p + 12, source.value());
    store_be32(p + 16, destination.value());
    ChecksumAccumulator sum;
    sum.add_header(out.first(size()));  // 20 bytes: unrolled, no loop
    sum.store_checksum(p + 10);
}

}  // namespace tcpp::wire
