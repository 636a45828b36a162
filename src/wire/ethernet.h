#pragma once
// Ethernet II frames (no 802.1Q tags; a tagged frame parses and reports ethertype 0x8100).

#include <cstdint>

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/parse_error.h"

namespace tcpp::wire {

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;
inline constexpr std::uint16_t ipv6 = 0x86dd;
}  // namespace ethertype

// A validated view of a frame: at least the 14-byte header is present.
class EthernetView {
public:
    static constexpr std::size_t header_size = 14;

    static Parsed<EthernetView> parse(Bytes frame);

    MacAddress destination() const { return mac_at(0); }
    MacAddress source() const { return mac_at(6); }
    std::uint16_t ethertype() const { return load_be16(bytes_.data() + 12); }
    Bytes payload() const { return bytes_.subspan(header_size); }
    Bytes bytes() const { return bytes_; }

private:
    explicit EthernetView(Bytes bytes) : bytes_(bytes) {}
    MacAddress mac_at(std::size_t offset) const;

    Bytes bytes_;
};

// The header as plain fields.
struct EthernetHeader {
    MacAddress destination;
    MacAddress source;
    std::uint16_t ethertype = 0;

    static constexpr std::size_t size() { return EthernetView::header_size; }
    static EthernetHeader from(const EthernetView& view);
    static Parsed<EthernetHeader> parse(Bytes frame);
    // Writes the header into out[0, 14); out must hold at least size() bytes.
    void emit(MutableBytes out) const;

    friend bool operator==(const EthernetHeader&, const EthernetHeader&) = default;
};

}  // namespace tcpp::wire
