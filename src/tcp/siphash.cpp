#include "tcp/siphash.h"

#include <bit>
#include <cstring>

namespace tcpp::tcp {
namespace {

std::uint64_t load_le64(const std::byte* p, std::size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
        if (n == 8) {
            std::uint64_t value;
            std::memcpy(&value, p, 8);
            return value;
        }
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < n; ++i) value |= std::to_integer<std::uint64_t>(p[i]) << (8 * i);
    return value;
}

struct State {
    std::uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1; v1 = std::rotl(v1, 13); v1 ^= v0; v0 = std::rotl(v0, 32);
        v2 += v3; v3 = std::rotl(v3, 16); v3 ^= v2;
        v0 += v3; v3 = std::rotl(v3, 21); v3 ^= v0;
        v2 += v1; v1 = std::rotl(v1, 17); v1 ^= v2; v2 = std::rotl(v2, 32);
    }
    template <int rounds>
    void absorb(std::uint64_t m) {
        v3 ^= m;
        for (int i = 0; i < rounds; ++i) round();
        v0 ^= m;
    }
};

// SipHash-c-d: c rounds per 8-byte word of the message, d to finish.
template <int c, int d>
std::uint64_t siphash(const SipKey& key, wire::Bytes message) {
    State s{key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull, key[0] ^ 0x6c7967656e657261ull,
            key[1] ^ 0x7465646279746573ull};
    std::size_t whole = message.size() & ~std::size_t{7};
    for (std::size_t i = 0; i < whole; i += 8) s.absorb<c>(load_le64(message.data() + i, 8));
    std::uint64_t last = std::uint64_t{message.size() & 0xff} << 56;
    last |= load_le64(message.data() + whole, message.size() - whole);
    s.absorb<c>(last);
    s.v2 ^= 0xff;
    for (int i = 0; i < d; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

std::uint64_t siphash24(const SipKey& key, wire::Bytes message) { return siphash<2, 4>(key, message); }
std::uint64_t siphash13(const SipKey& key, wire::Bytes message) { return siphash<1, 3>(key, message); }

std::uint64_t siphash13(const SipKey& key, std::uint64_t word, std::uint32_t tail) {
    State s{key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull, key[0] ^ 0x6c7967656e657261ull,
            key[1] ^ 0x7465646279746573ull};
    s.absorb<1>(word);
    s.absorb<1>(std::uint64_t{12} << 56 | tail);
    s.v2 ^= 0xff;
    for (int i = 0; i < 3; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace tcpp::tcp
