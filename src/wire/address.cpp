#include "wire/address.h"

#include <charconv>

#include <fmt/format.h>

namespace tcpp::wire {

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
    std::uint32_t value = 0;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
        if (p == end || *p < '0' || *p > '9') return std::nullopt;
        if (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9') return std::nullopt;  // leading zero
        unsigned octet = 0;
        auto [next, ec] = std::from_chars(p, end, octet);
        if (ec != std::errc{} || octet > 255) return std::nullopt;
        value = value << 8 | octet;
        p = next;
    }
    if (p != end) return std::nullopt;
    return Ipv4Address{value};
}

std::string Ipv4Address::to_string() const {
    return fmt::format("{}.{}.{}.{}", value_ >> 24, (value_ >> 16) & 0xff, (value_ >> 8) & 0xff, value_ & 0xff);
}

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    if (text.size() != 17) return std::nullopt;
    std::array<std::uint8_t, 6> octets{};
    for (std::size_t i = 0; i < 6; ++i) {
        if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
        const char* first = text.data() + i * 3;
        auto [next, ec] = std::from_chars(first, first + 2, octets[i], 16);
        if (ec != std::errc{} || next != first + 2) return std::nullopt;
    }
    return MacAddress{octets};
}

std::string MacAddress::to_string() const {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", octets_[0], octets_[1], octets_[2], octets_[3],
                       octets_[4], octets_[5]);
}

}  // namespace tcpp::wire
