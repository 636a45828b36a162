#pragma once
// Link and network addresses as small value types.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpp::wire {

class Ipv4Address {
public:
    constexpr Ipv4Address() = default;
    // From the address as a host-order integer: 0x0a000001 is 10.0.0.1.
    constexpr explicit Ipv4Address(std::uint32_t value) : value_(value) {}
    constexpr Ipv4Address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d)
        : value_(std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d) {}

    // Dotted quad, strictly: four decimal parts 0-255, no leading zeros, nothing else.
    static std::optional<Ipv4Address> parse(std::string_view text);

    constexpr std::uint32_t value() const { return value_; }
    std::string to_string() const;

    friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;

private:
    std::uint32_t value_ = 0;
};

class MacAddress {
public:
    constexpr MacAddress() = default;
    constexpr explicit MacAddress(std::array<std::uint8_t, 6> octets) : octets_(octets) {}

    static constexpr MacAddress broadcast() { return MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    // Colon-separated hex pairs: "02:00:00:00:00:01".
    static std::optional<MacAddress> parse(std::string_view text);

    // Reads or writes the six octets at p, as they stand in a header.
    static MacAddress load(const std::byte* p) {
        std::array<std::uint8_t, 6> octets{};
        for (std::size_t i = 0; i < 6; ++i) octets[i] = std::to_integer<std::uint8_t>(p[i]);
        return MacAddress{octets};
    }
    void store(std::byte* p) const {
        for (std::size_t i = 0; i < 6; ++i) p[i] = std::byte{octets_[i]};
    }

    constexpr const std::array<std::uint8_t, 6>& octets() const { return octets_; }
    std::string to_string() const;

    friend constexpr auto operator<=>(const MacAddress&, const MacAddress&) = default;

private:
    std::array<std::uint8_t, 6> octets_{};
};

}  // namespace tcpp::wire
