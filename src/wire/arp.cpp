#include "wire/arp.h"

#include <cassert>

#include "wire/ethernet.h"

namespace tcpp::wire {
namespace {

constexpr std::uint16_t hardware_ethernet = 1;

}  // namespace

Parsed<ArpPacket> ArpPacket::parse(Bytes packet) {
    if (packet.size() < 8) return fail(ParseError::truncated);
    const std::byte* p = packet.data();
    if (load_be16(p) != hardware_ethernet || load_be16(p + 2) != ethertype::ipv4 || load_u8(p + 4) != 6 ||
        load_u8(p + 5) != 4) {
        return fail(ParseError::unsupported);
    }
    if (packet.size() < wire_size) return fail(ParseError::truncated);
    std::uint16_t operation = load_be16(p + 6);
    if (operation != 1 && operation != 2) return fail(ParseError::unsupported);
    return ArpPacket{static_cast<ArpOperation>(operation), MacAddress::load(p + 8), Ipv4Address{load_be32(p + 14)},
                     MacAddress::load(p + 18), Ipv4Address{load_be32(p + 24)}};
}

void ArpPacket::emit(MutableBytes out) const {
    assert(out.size() >= wire_size);
    std::byte* p = out.data();
    store_be16(p, hardware_ethernet);
    store_be16(p + 2, ethertype::ipv4);
    store_u8(p + 4, 6);
    store_u8(p + 5, 4);
    store_be16(p + 6, static_cast<std::uint16_t>(operation));
    sender_mac.store(p + 8);
    store_be32(p + 14, sender_ip.value());
    target_mac.store(p + 18);
    store_be32(p + 24, target_ip.value());
}

}  // namespace tcpp::wire
