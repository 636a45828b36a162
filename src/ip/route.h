#pragma once
// Routes of a host with one interface (RFC 1122 3.3.1): a destination on the interface's network is sent
// to directly; any other goes to the default gateway, if there is one, and is unreachable otherwise.

#include <cstdint>
#include <optional>

#include "wire/address.h"

namespace tcpp::ip {

using wire::Ipv4Address;

// An address and the length of its network's prefix: 10.0.0.2/24.
struct Subnet {
    Ipv4Address address;
    unsigned prefix = 32;

    std::uint32_t mask() const { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
    bool contains(Ipv4Address other) const { return (other.value() & mask()) == (address.value() & mask()); }
    // The network's directed broadcast address (10.0.0.255 for a /24); none for /31 and /32 (RFC 3021).
    std::optional<Ipv4Address> broadcast() const {
        if (prefix >= 31) return std::nullopt;
        return Ipv4Address{address.value() | ~mask()};
    }
};

struct Routes {
    Subnet interface;
    std::optional<Ipv4Address> gateway;  // on the interface's network

    // Where a packet for `destination` goes next: itself (connected), the gateway, or nowhere.
    std::optional<Ipv4Address> next_hop(Ipv4Address destination) const {
        if (interface.contains(destination)) return destination;
        return gateway;
    }
};

}  // namespace tcpp::ip
