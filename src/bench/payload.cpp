#include "bench/payload.h"

#include <algorithm>

namespace tcpp::bench {

Payload::Payload() : pattern_(period) {
    // xorshift64: fixed seed, the same bytes on every run and platform.
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    for (auto& byte : pattern_) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        byte = static_cast<std::byte>(x >> 56);
    }
}

wire::Bytes Payload::at(std::uint64_t offset, std::size_t max_size) const {
    std::size_t start = static_cast<std::size_t>(offset % period);
    return wire::Bytes{pattern_}.subspan(start, std::min(max_size, period - start));
}

}  // namespace tcpp::bench
