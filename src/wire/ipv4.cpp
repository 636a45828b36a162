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
    // Five 32-bit words, summed as they are built: summing them back from memory would load 64 bits over
    // two of the stores just made, which the store buffer cannot forward (a stall of a dozen cycles). Named
    // one by one, not in an array, which the compiler would build on the stack and read back whole.
    const std::uint32_t flags_offset = (dont_fragment ? 0x4000u : 0) | (more_fragments ? 0x2000u : 0) |
                                       static_cast<std::uint32_t>(fragment_offset / 8);
    const std::uint32_t word0 =
        std::uint32_t{0x45} << 24 | std::uint32_t{tos} << 16 | static_cast<std::uint32_t>(size() + payload_length);
    const std::uint32_t word1 = std::uint32_t{identification} << 16 | flags_offset;
    const std::uint32_t word2 = std::uint32_t{ttl} << 24 | std::uint32_t{protocol} << 16;  // checksum 0 for now
    std::byte* p = out.data();
    store_be32(p, word0);
    store_be32(p + 4, word1);
    store_be32(p + 8, word2);
    store_be32(p + 12, source.value());
    store_be32(p + 16, destination.value());
    // Five 32-bit words cannot carry out of 64 bits.
    const std::uint64_t sum = std::uint64_t{word0} + word1 + word2 + source.value() + destination.value();
    // The sum of big-endian words taken as numbers folds to the checksum as a number.
    store_be16(out.data() + 10, static_cast<std::uint16_t>(~checksum_detail::fold(sum)));
}

}  // namespace tcpp::wire
