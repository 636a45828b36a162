#pragma once
// SipHash-2-4 (Aumasson and Bernstein, 2012): a fast keyed hash, the pseudo-random function F that
// RFC 6528 asks of initial sequence numbers, and a hash that keeps an attacker from flooding one bucket
// of the connection table.

#include <array>
#include <cstdint>

#include "wire/bytes.h"

namespace tcpp::tcp {

using SipKey = std::array<std::uint64_t, 2>;

std::uint64_t siphash24(const SipKey& key, wire::Bytes message);

}  // namespace tcpp::tcp
