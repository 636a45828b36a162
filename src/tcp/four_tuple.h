#pragma once
// A connection's name: its local and remote address and port.

#include <cstdint>
#include <string>

#include "wire/address.h"

namespace tcpp::tcp {

struct Endpoint {
    wire::Ipv4Address address;
    std::uint16_t port = 0;

    std::string to_string() const { return address.to_string() + ":" + std::to_string(port); }
    friend constexpr auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

struct FourTuple {
    Endpoint local;
    Endpoint remote;

    // "10.0.0.1:40000-10.0.0.2:80", local first, as the trace names connections.
    std::string to_string() const { return local.to_string() + "-" + remote.to_string(); }
    friend constexpr auto operator<=>(const FourTuple&, const FourTuple&) = default;
};

}  // namespace tcpp::tcp
