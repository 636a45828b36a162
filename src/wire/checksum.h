#pragma once
// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the data
// taken as big-endian 16-bit words; the TCP/UDP pseudo-header (RFC 9293 section 3.1); and the incremental
// update of a checksum when one field changes (RFC 1624).

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
    void add_u16(std::uint16_t word) { add_word(word); }
    void add_u32(std::uint32_t value) { add_word(value >> 16); add_word(value & 0xffff); }

    // The folded sum, not complemented: what a sender that offloads the checksum leaves in the field
    // when the accumulator holds only the pseudo-header.
    std::uint16_t folded_sum() const;
    // The checksum to write into a header: ~folded_sum().
    std::uint16_t checksum() const { return static_cast<std::uint16_t>(~folded_sum()); }

private:
    void add_word(std::uint32_t word);

    std::uint64_t sum_ = 0;  // big-endian words, folded lazily
    bool odd_ = false;       // the last chunk ended in the middle of a word
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
