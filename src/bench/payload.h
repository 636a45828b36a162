#pragma once
// The bytes a transfer benchmark sends: a deterministic pattern, never held whole. Byte i of the stream is
// pattern[i % period]; the period (a prime, about 1 MiB) is a multiple of no segment or buffer size, so a
// segment delivered at the wrong place, twice or not at all changes what the receiver hashes.

#include <cstdint>
#include <vector>

#include "wire/bytes.h"

namespace tcpp::bench {

class Payload {
public:
    static constexpr std::size_t period = 1'048'573;  // the largest prime below 2^20

    Payload();
    // Up to max_size bytes of the stream from offset on, without wrapping the pattern.
    wire::Bytes at(std::uint64_t offset, std::size_t max_size) const;

private:
    std::vector<std::byte> pattern_;
};

}  // namespace tcpp::bench
