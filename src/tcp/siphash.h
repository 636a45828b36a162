#pragma once
// SipHash (Aumasson and Bernstein, 2012): a fast keyed hash, the pseudo-random function F that RFC 6528
// asks of initial sequence numbers, and a hash that keeps an attacker from flooding one bucket of the
// connection table.

#include <array>
#include <cstdint>

#include "wire/bytes.h"

namespace tcpp::tcp {

using SipKey = std::array<std::uint64_t, 2>;

std::uint64_t siphash24(const SipKey& key, wire::Bytes message);
// SipHash-1-3: one round per word and three to finish instead of two and four, about half the work on a
// four-tuple. For hash tables, where its authors' margin is judged enough (Rust's HashMap and CPython use
// it); initial sequence numbers keep SipHash-2-4.
std::uint64_t siphash13(const SipKey& key, wire::Bytes message);
// SipHash-1-3 of the 12 bytes that are `word` then `tail`, each little-endian: a four-tuple, without the
// byte loop of the general function.
std::uint64_t siphash13(const SipKey& key, std::uint64_t word, std::uint32_t tail);

}  // namespace tcpp::tcp
