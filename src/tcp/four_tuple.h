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

// For hash tables. Not keyed: the stack's tables are sized by what it holds, not by what a peer sends.
struct FourTupleHash {
    std::size_t operator()(const FourTuple& t) const {
        std::uint64_t a = std::uint64_t{t.local.address.value()} << 32 | t.remote.address.value();
        std::uint64_t b = std::uint64_t{t.local.port} << 16 | t.remote.port;
        std::uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
        return static_cast<std::size_t>(h ^ (h >> 32));
    }
};

}  // namespace tcpp::tcp
