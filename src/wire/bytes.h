#pragma once
// Byte spans and network-order (big-endian) loads and stores. All packet code reads and writes through
// these, never through casts of structs onto buffers.

#include <cstddef>
#include <cstdint>
#include <span>

namespace tcpp::wire {

using Bytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

constexpr std::uint8_t load_u8(const std::byte* p) { return std::to_integer<std::uint8_t>(p[0]); }

constexpr std::uint16_t load_be16(const std::byte* p) {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) << 8 | std::to_integer<unsigned>(p[1]));
}

constexpr std::uint32_t load_be32(const std::byte* p) {
    return std::uint32_t{load_be16(p)} << 16 | load_be16(p + 2);
}

constexpr void store_u8(std::byte* p, std::uint8_t v) { p[0] = std::byte{v}; }

constexpr void store_be16(std::byte* p, std::uint16_t v) {
    p[0] = static_cast<std::byte>(v >> 8);
    p[1] = static_cast<std::byte>(v);
}

constexpr void store_be32(std::byte* p, std::uint32_t v) {
    store_be16(p, static_cast<std::uint16_t>(v >> 16));
    store_be16(p + 2, static_cast<std::uint16_t>(v));
}

// Views a byte string (e.g. from a test or a file) as wire bytes.
inline Bytes as_bytes(const void* data, std::size_t size) {
    return {static_cast<const std::byte*>(data), size};
}

}  // namespace tcpp::wire
