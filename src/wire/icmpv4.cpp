#include "wire/icmpv4.h"

#include <cassert>
#include <cstring>

#include "wire/checksum.h"

namespace tcpp::wire {

Parsed<Icmpv4View> Icmpv4View::parse(Bytes message, ChecksumCheck check) {
    if (message.size() < header_size) return fail(ParseError::truncated);
    Icmpv4View view{message};
    if (check == ChecksumCheck::verify && !view.checksum_ok()) return fail(ParseError::bad_checksum);
    return view;
}

bool Icmpv4View::checksum_ok() const { return internet_checksum(bytes_) == 0; }

Icmpv4Header Icmpv4Header::echo_request(std::uint16_t identifier, std::uint16_t sequence) {
    return {icmp_type::echo_request, 0, std::uint32_t{identifier} << 16 | sequence};
}

Icmpv4Header Icmpv4Header::echo_reply(std::uint16_t identifier, std::uint16_t sequence) {
    return {icmp_type::echo_reply, 0, std::uint32_t{identifier} << 16 | sequence};
}

Icmpv4Header Icmpv4Header::destination_unreachable(std::uint8_t code, std::uint16_t next_hop_mtu) {
    return {icmp_type::destination_unreachable, code, next_hop_mtu};
}

Icmpv4Header Icmpv4Header::time_exceeded(std::uint8_t code) { return {icmp_type::time_exceeded, code, 0}; }

Icmpv4Header Icmpv4Header::from(const Icmpv4View& view) {
    return {view.type(), view.code(), view.rest_of_header()};
}

void Icmpv4Header::emit(MutableBytes out, Bytes body) const {
    assert(out.size() >= size() + body.size());
    std::byte* p = out.data();
    // The body first: it may overlap the header's bytes (memmove), and must be read before they are written.
    if (!body.empty() && body.data() != p + size()) std::memmove(p + size(), body.data(), body.size());
    store_u8(p, type);
    store_u8(p + 1, code);
    store_be16(p + 2, 0);
    store_be32(p + 4, rest_of_header);
    store_be16(p + 2, internet_checksum(out.first(size() + body.size())));
}

Parsed<QuotedTcp> QuotedTcp::parse(Bytes body) {
    auto ip = Ipv4View::parse_quoted(body);
    if (!ip) return fail(ip.error());
    if (ip->protocol() != ip_protocol::tcp || ip->fragment_offset() != 0) return fail(ParseError::unsupported);
    Bytes tcp = ip->payload();
    if (tcp.size() < 8) return fail(ParseError::truncated);
    return QuotedTcp{ip->source(), ip->destination(), load_be16(tcp.data()), load_be16(tcp.data() + 2),
                     Seq{load_be32(tcp.data() + 4)}};
}

}  // namespace tcpp::wire
