#pragma once
// What the fuzz targets share: a check that aborts whatever NDEBUG says, and copies of input into buffers of
// exactly the right size, so that AddressSanitizer sees a read one byte past the end.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "wire/bytes.h"

namespace tcpp::fuzz {

// Aborts (a crash libFuzzer reports, with the stack, and keeps the input of) when a property does not hold.
inline void check(bool holds, const char* property) {
    if (holds) return;
    std::fprintf(stderr, "property failed: %s\n", property);
    std::abort();
}

// A heap block of exactly `size` bytes, zeroed, or a copy of some bytes. An empty one still has a block of its
// own (new[0]; std::vector would hold none), so a parser that reads it at all is caught.
class ExactBuffer {
public:
    explicit ExactBuffer(std::size_t size) : storage_(std::make_unique<std::byte[]>(size)), size_(size) {}
    explicit ExactBuffer(wire::Bytes bytes) : ExactBuffer(bytes.size()) {
        if (!bytes.empty()) std::memcpy(storage_.get(), bytes.data(), bytes.size());
    }

    wire::Bytes bytes() const { return {storage_.get(), size_}; }
    wire::MutableBytes mutable_bytes() { return {storage_.get(), size_}; }

private:
    std::unique_ptr<std::byte[]> storage_;
    std::size_t size_;
};

// Keeps a value the optimizer would otherwise drop, and with it the reads that produced it: an accessor that
// reads out of bounds must actually read for AddressSanitizer to notice.
inline volatile std::uint64_t sink = 0;
inline void use(std::uint64_t value) { sink = value; }

inline wire::Bytes input_bytes(const std::uint8_t* data, std::size_t size) { return wire::as_bytes(data, size); }

// One's complement values that differ only in the sign of zero (0x0000 and 0xffff) are the same number.
inline bool same_ones_complement(std::uint16_t a, std::uint16_t b) {
    return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0);
}

}  // namespace tcpp::fuzz
