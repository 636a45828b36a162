#pragma once
// A small deterministic generator (splitmix64) for property tests: the same seed gives the same cases on
// every compiler and standard library, unlike the std:: distributions.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tcpp::wire::test {

class TestRandom {
public:
    explicit TestRandom(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
    }
    std::uint32_t u32() { return static_cast<std::uint32_t>(next() >> 32); }
    std::uint16_t u16() { return static_cast<std::uint16_t>(next() >> 48); }
    std::uint8_t u8() { return static_cast<std::uint8_t>(next() >> 56); }
    bool coin() { return (next() >> 63) != 0; }
    // Uniform enough in [0, bound) for test case generation; bound must be positive.
    std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }
    std::vector<std::byte> bytes(std::size_t size) {
        std::vector<std::byte> out(size);
        for (auto& b : out) b = std::byte{u8()};
        return out;
    }

private:
    std::uint64_t state_;
};

}  // namespace tcpp::wire::test
