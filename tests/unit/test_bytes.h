#pragma once
// Byte arrays for the wire tests: built from hex strings, printed as hex, and what a parser made of them.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "wire/bytes.h"
#include "wire/parse_error.h"

namespace tcpp::wire::test {

using ByteVector = std::vector<std::byte>;

// Pairs of hex digits, e.g. "45 00 00 73" or "02:00:00:00:00:01". Spaces, newlines and colons between the
// pairs are ignored; anything else, or an odd digit, throws (a typo in a test, never a test result).
inline ByteVector hex(std::string_view text) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    ByteVector bytes;
    int high = -1;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == ':') {
            if (high >= 0) throw std::invalid_argument{"hex: a lone digit"};
            continue;
        }
        int value = digit(c);
        if (value < 0) throw std::invalid_argument{"hex: not a hex digit"};
        if (high < 0) {
            high = value;
        } else {
            bytes.push_back(static_cast<std::byte>(high << 4 | value));
            high = -1;
        }
    }
    if (high >= 0) throw std::invalid_argument{"hex: a lone digit"};
    return bytes;
}

// The inverse of hex(): lowercase pairs separated by single spaces.
inline std::string to_hex(Bytes bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0) text += ' ';
        auto value = std::to_integer<unsigned>(bytes[i]);
        text += digits[value >> 4];
        text += digits[value & 0x0f];
    }
    return text;
}

inline Bytes view(const ByteVector& bytes) { return {bytes.data(), bytes.size()}; }
inline MutableBytes mutable_view(ByteVector& bytes) { return {bytes.data(), bytes.size()}; }

// Concatenates byte arrays: join(hex("45 00"), payload).
inline ByteVector join(std::initializer_list<ByteVector> parts) {
    ByteVector all;
    for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

// A parse that must fail with exactly `expected`; the message names what happened instead.
template <class T>
::testing::AssertionResult fails_with(const Parsed<T>& parsed, ParseError expected) {
    if (parsed) return ::testing::AssertionFailure() << "parsed, expected error \"" << to_string(expected) << '"';
    if (parsed.error() != expected) {
        return ::testing::AssertionFailure()
               << "failed with \"" << to_string(parsed.error()) << "\", expected \"" << to_string(expected) << '"';
    }
    return ::testing::AssertionSuccess();
}

// A parse that must succeed; the message names the error otherwise.
template <class T>
::testing::AssertionResult succeeds(const Parsed<T>& parsed) {
    if (parsed) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "failed with \"" << to_string(parsed.error()) << '"';
}

// True when `inner` lies wholly within `outer` (an empty span anywhere from its start to its end).
inline bool within(Bytes inner, Bytes outer) {
    if (inner.empty()) return true;
    const std::byte* first = outer.data();
    const std::byte* last = outer.data() + outer.size();
    return inner.data() >= first && inner.data() + inner.size() <= last;
}

}  // namespace tcpp::wire::test
