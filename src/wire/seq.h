#pragma once
// Sequence numbers live on a circle of 2^32 (RFC 9293 section 3.4): a < b means b is ahead of a by less
// than 2^31. The comparisons are therefore not a total order; never sort Seq values with them.

#include <cstdint>

namespace tcpp::wire {

class Seq {
public:
    constexpr Seq() = default;
    constexpr explicit Seq(std::uint32_t value) : value_(value) {}

    constexpr std::uint32_t raw() const { return value_; }

    constexpr Seq& operator+=(std::uint32_t n) { value_ += n; return *this; }
    constexpr Seq& operator-=(std::uint32_t n) { value_ -= n; return *this; }
    friend constexpr Seq operator+(Seq s, std::uint32_t n) { return s += n; }
    friend constexpr Seq operator-(Seq s, std::uint32_t n) { return s -= n; }

    // The signed distance from b to a: positive when a is ahead of b.
    friend constexpr std::int32_t operator-(Seq a, Seq b) {
        return static_cast<std::int32_t>(a.value_ - b.value_);
    }

    friend constexpr bool operator==(Seq a, Seq b) = default;
    friend constexpr bool operator<(Seq a, Seq b) { return a - b < 0; }
    friend constexpr bool operator<=(Seq a, Seq b) { return a - b <= 0; }
    friend constexpr bool operator>(Seq a, Seq b) { return a - b > 0; }
    friend constexpr bool operator>=(Seq a, Seq b) { return a - b >= 0; }

private:
    std::uint32_t value_ = 0;
};

// True when left <= s < left + size, on the circle (RFC 9293 section 3.4). An empty window holds nothing.
constexpr bool in_window(Seq s, Seq left, std::uint32_t size) {
    return s.raw() - left.raw() < size;
}

constexpr Seq max(Seq a, Seq b) { return a < b ? b : a; }
constexpr Seq min(Seq a, Seq b) { return a < b ? a : b; }

}  // namespace tcpp::wire
