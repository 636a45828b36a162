#pragma once
// A connection's name: its local and remote address and port.

#include <cstdint>
#include <string>

#include "tcp/siphash.h"
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

// A four-tuple in 12 bytes, without FourTuple's padding: for entries that must stay small.
struct PackedTuple {
    std::uint32_t local_address = 0;
    std::uint32_t remote_address = 0;
    std::uint16_t local_port = 0;
    std::uint16_t remote_port = 0;

    static PackedTuple pack(const FourTuple& t) {
        return {t.local.address.value(), t.remote.address.value(), t.local.port, t.remote.port};
    }
    FourTuple unpack() const {
        return {{wire::Ipv4Address{local_address}, local_port}, {wire::Ipv4Address{remote_address}, remote_port}};
    }
};

// For the connection tables: keyed (SipHash-1-3 under the stack's secret), since peers choose the
// addresses and ports, and an unkeyed hash would let them aim every entry at one bucket.
struct FourTupleHash {
    SipKey key{};
    std::size_t operator()(const FourTuple& t) const {
        const std::uint64_t addresses = std::uint64_t{t.remote.address.value()} << 32 | t.local.address.value();
        const std::uint32_t ports = std::uint32_t{t.remote.port} << 16 | t.local.port;
        return static_cast<std::size_t>(siphash13(key, addresses, ports));
    }
};

}  // namespace tcpp::tcp
