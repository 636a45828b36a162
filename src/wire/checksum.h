#pragma once
// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the data
// taken as big-endian 16-bit words; the TCP/UDP pseudo-header (RFC 9293 section 3.1); and the incremental
// update of a checksum when one field changes (RFC 1624).

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "wire/address.h"
#include "wire/bytes.h"

namespace tcpp::wire {

// The arithmetic the accumulator and the header fast paths share. Defined here, not in checksum.cpp, because
// each piece is a few instructions, fewer than a call to it (they run several times for every segment).
namespace checksum_detail {

// One's complement addition in 64 bits: the carry out comes back in at the bottom (RFC 1071 2(C)).
constexpr std::uint64_t add_with_carry(std::uint64_t sum, std::uint64_t value) {
    sum += value;
    return sum + (sum < value ? 1 : 0);
}

// A 64-bit one's complement sum folded to 16 bits. A word plus itself rotated by half its width holds in its
// upper half the sum of its two halves with the carry out of the lower half added back in: an end-around
// carry in one addition (as Linux's csum_fold), so 64 bits fold to 32 and then to 16 in two.
constexpr std::uint16_t fold(std::uint64_t sum) {
    const auto half = static_cast<std::uint32_t>((sum + std::rotl(sum, 32)) >> 32);
    return static_cast<std::uint16_t>((half + std::rotl(half, 16)) >> 16);
}

// A folded sum of words in the machine's byte order, as the sum of network-order words it stands for.
constexpr std::uint16_t network_order(std::uint16_t native) {
    if constexpr (std::endian::native == std::endian::little) {
        return static_cast<std::uint16_t>(native << 8 | native >> 8);
    } else {
        return native;
    }
}

// Bytes as the machine reads them from memory, at any alignment.
template <class T>
T load_native(const std::byte* p) {
    T value;
    std::memcpy(&value, p, sizeof value);
    return value;
}

// The sum of `size` bytes, a multiple of 4 known when compiling, as 64-bit words (and a last 32-bit one) in
// the machine's byte order. Summing native words of any width gives the same one's complement sum of 16-bit
// words, since 2^32 and 2^64 are 1 modulo 0xffff. The carries are counted apart and added back once, so the
// compiler unrolls this into an add and an add-carry a word: no loop, no length tests.
template <std::size_t size>
std::uint64_t sum_fixed(const std::byte* p) {
    static_assert(size % 4 == 0);
    std::uint64_t sum = size % 8 != 0 ? load_native<std::uint32_t>(p + size - 4) : 0;
    std::uint64_t carries = 0;
    for (std::size_t at = 0; at + 8 <= size; at += 8) {
        const auto word = load_native<std::uint64_t>(p + at);
        sum += word;
        carries += sum < word ? 1 : 0;
    }
    return add_with_carry(sum, carries);
}

// The general sum of an even number of bytes, as native words, not folded (checksum.cpp: vector loops).
std::uint64_t sum_native(const std::byte* data, std::size_t size);

// A header of whole 16-bit words: the sizes nearly every packet has unrolled, the others through the loop.
inline std::uint64_t sum_header(const std::byte* p, std::size_t size) {
    switch (size) {
    case 20: return sum_fixed<20>(p);  // IPv4 without options; TCP without options (an RST, a bare ACK)
    case 32: return sum_fixed<32>(p);  // TCP with timestamps: nearly every segment of a connection
    case 40: return sum_fixed<40>(p);  // a SYN with MSS, SACK-permitted, timestamps and window scale
    default: return sum_native(p, size);
    }
}

}  // namespace checksum_detail

// Accumulates the one's complement sum over any number of chunks. A chunk may have odd length: the next
// chunk continues the same 16-bit word, as if the chunks were one buffer.
class ChecksumAccumulator {
public:
    void add(Bytes data) {
        if (!data.empty()) add_chunk(data);
    }
    // A header (IPv4, TCP): an even number of bytes, while no odd-length chunk is pending. The same sum as
    // add(), without its call and odd-byte tests, and the usual header sizes summed as a few whole words.
    void add_header(Bytes header) {
        assert(!odd_ && header.size() % 2 == 0);
        add_native(checksum_detail::sum_header(header.data(), header.size()));
    }
    // Copies `source` into `destination` (the same size) and adds it, in one pass over the bytes.
    void add_copy(MutableBytes destination, Bytes source);
    // Adds what `other` summed, as if its chunks followed this one's: only while no odd-length chunk is
    // pending here (as after a header of whole words).
    void append(const ChecksumAccumulator& other) {
        assert(!odd_);
        add_native(other.sum_);
        odd_ = other.odd_;
    }
    // Whole words: only while no odd-length chunk is pending (as for a pseudo-header, added first).
    void add_u16(std::uint16_t word) {
        assert(!odd_);
        add_native(in_memory_order(word));
    }
    void add_u32(std::uint32_t value) {
        assert(!odd_);
        add_native(in_memory_order(value));
    }

    // The folded sum, not complemented: what a sender that offloads the checksum leaves in the field
    // when the accumulator holds only the pseudo-header.
    std::uint16_t folded_sum() const { return checksum_detail::network_order(checksum_detail::fold(sum_)); }
    // The checksum to write into a header: ~folded_sum().
    std::uint16_t checksum() const { return static_cast<std::uint16_t>(~folded_sum()); }
    // The same, stored into the checksum field at `field` (network order) without swapping it there and back.
    void store_checksum(std::byte* field) const {
        const auto native = static_cast<std::uint16_t>(~checksum_detail::fold(sum_));
        std::memcpy(field, &native, sizeof native);
    }
    // Whether data that holds its own checksum field checks out: checksum() == 0, a sum of all ones, which
    // reads the same in either byte order.
    bool verifies() const { return checksum_detail::fold(sum_) == 0xffff; }

private:
    // A big-endian value as the machine reads its bytes from memory.
    template <class T>
    static T in_memory_order(T value) {
        if constexpr (std::endian::native == std::endian::big) {
            return value;
        } else if constexpr (sizeof(T) == 2) {
            return __builtin_bswap16(value);
        } else {
            return __builtin_bswap32(value);
        }
    }
    void add_native(std::uint64_t value) { sum_ = checksum_detail::add_with_carry(sum_, value); }
    void add_chunk(Bytes data);  // not empty
    void add_odd_byte(std::byte byte, bool high);

    // The bytes summed as words in the machine's byte order, not folded: one's complement addition
    // commutes with byte swapping (RFC 1071 2(B)), so the swap to network order is made once, when folded.
    std::uint64_t sum_ = 0;
    bool odd_ = false;  // the last chunk ended in the middle of a word
};

// The checksum of one buffer, as written into a header.
std::uint16_t internet_checksum(Bytes data);

// Adds the IPv4 pseudo-header for a transport segment of `length` bytes to `accumulator`.
inline void add_pseudo_header(ChecksumAccumulator& accumulator, Ipv4Address source, Ipv4Address destination,
                              std::uint8_t protocol, std::uint16_t length) {
    accumulator.add_u32(source.value());
    accumulator.add_u32(destination.value());
    accumulator.add_u16(protocol);
    accumulator.add_u16(length);
}

// RFC 1624 equation 3: the checksum after one 16-bit word of the covered data changes from old_word to
// new_word, computed from the old checksum alone: HC' = ~(~HC + ~m + m'). It differs from recomputing
// only when all the covered data becomes zero (0x0000 instead of 0xffff), which no IPv4 or TCP header can.
std::uint16_t update_checksum(std::uint16_t old_checksum, std::uint16_t old_word, std::uint16_t new_word);
// The same for a 32-bit field (an address or a sequence number), as two words.
std::uint16_t update_checksum(std::uint16_t old_checksum, std::uint32_t old_value, std::uint32_t new_value);

}  // namespace tcpp::wire
