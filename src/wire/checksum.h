#pragma once
// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the data
// taken as big-endian 16-bit words; the TCP/UDP pseudo-header (RFC 9293 section 3.1); and the incremental
// update of a checksum when one field changes (RFC 1624).

#include <bit>
#include <cassert>
#include <cstdint>

#include "wire/address.h"
#include "wire/bytes.h"

namespace tcpp::wire {

// Accumulates the one's complement sum over any number of chunks. A chunk may have odd length: the next
// chunk continues the same 16-bit word, as if the chunks were one buffer.
class ChecksumAccumulator {
public:
    void add(Bytes data);
    // Copies `source` into `destination` (the same size) and adds it, in one pass over the bytes.
    void add_copy(MutableBytes destination, Bytes source);
    // Adds what `other` summed, as if its chunks followed this one's: only while no odd-length chunk is
    // pending here (as after a header of whole words).
    void append(const ChecksumAccumulator& other);
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
    std::uint16_t folded_sum() const;
    // The checksum to write into a header: ~folded_sum().
    std::uint16_t checksum() const { return static_cast<std::uint16_t>(~folded_sum()); }

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
    // One's complement addition in 64 bits: the carry out comes back in at the bottom (RFC 1071 2(C)).
    void add_native(std::uint64_t value) {
        sum_ += value;
        sum_ += sum_ < value ? 1 : 0;
    }
    void add_odd_byte(std::byte byte, bool high);

    // The bytes summed as words in the machine's byte order, not folded: one's complement addition
    // commutes with byte swapping (RFC 1071 2(B)), so the swap to network order is made once, when folded.
    std::uint64_t sum_ = 0;
    bool odd_ = false;  // the last chunk ended in the middle of a word
};

// The checksum of one buffer, as written into a header.
std::uint16_t internet_checksum(Bytes data);

// Adds the IPv4 pseudo-header for a transport segment of `length` bytes to `accumulator`.
void add_pseudo_header(ChecksumAccumulator& accumulator, Ipv4Address source, Ipv4Address destination,
                       std::uint8_t protocol, std::uint16_t length);

// RFC 1624 equation 3: the checksum after one 16-bit word of the covered data changes from old_word to
// new_word, computed from the old checksum alone: HC' = ~(~HC + ~m + m'). It differs from recomputing
// only when all the covered data becomes zero (0x0000 instead of 0xffff), which no IPv4 or TCP header can.
std::uint16_t update_checksum(std::uint16_t old_checksum, std::uint16_t old_word, std::uint16_t new_word);
// The same for a 32-bit field (an address or a sequence number), as two words.
std::uint16_t update_checksum(std::uint16_t old_checksum, std::uint32_t old_value, std::uint32_t new_value);

}  // namespace tcpp::wire
