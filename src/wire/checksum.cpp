#include "wire/checksum.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tcpp::wire {
namespace {

std::uint16_t fold(std::uint64_t sum) {
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// Sums of native-order words, not folded: what the fast paths below add up, the byte swap and fold left to
// the caller (one's complement addition commutes with byte swapping, RFC 1071 section 2(B)).

// The portable loop: 32-bit words into a 64-bit sum, which cannot carry out before 16 GiB.
std::uint64_t sum_words(const std::byte* data, std::size_t size) {
    std::uint64_t sum = 0;
    const std::size_t words = size / 4;
    for (std::size_t k = 0; k < words; ++k) {
        std::uint32_t word;
        std::memcpy(&word, data + 4 * k, 4);
        sum += word;
    }
    if (size % 4 != 0) {  // two bytes left
        std::uint16_t word;
        std::memcpy(&word, data + 4 * words, 2);
        sum += word;
    }
    return sum;
}

std::uint64_t copy_sum_words(std::byte* destination, const std::byte* source, std::size_t size) {
    std::memcpy(destination, source, size);
    return sum_words(source, size);
}

#if defined(__x86_64__)
// With AVX2, 64 bytes a step: each 32-bit lane takes the low and the high 16-bit word of its 32 bits into
// two accumulators of 32-bit lanes. A lane gains at most 2 * 0xffff a step, so 16384 steps (1 MiB) cannot
// overflow it; the lanes are widened into the 64-bit total after each MiB. Over a cached 1500-byte segment
// this is about three times the portable loop (bench/micro/wire_bench), and copying while summing costs
// little more than summing: the bytes are in registers anyway.
template <bool copy>
__attribute__((target("avx2"))) std::uint64_t sum_words_avx2(std::byte* destination, const std::byte* source,
                                                              std::size_t size) {
    constexpr std::size_t step = 64;
    constexpr std::size_t steps_per_round = 16384;
    const __m256i low_mask = _mm256_set1_epi32(0xffff);
    std::uint64_t total = 0;
    std::size_t steps = size / step;
    while (steps > 0) {
        const std::size_t round = std::min(steps, steps_per_round);
        __m256i low = _mm256_setzero_si256();
        __m256i high = _mm256_setzero_si256();
        for (std::size_t k = 0; k < round; ++k) {
            const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(source));
            const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(source + 32));
            if constexpr (copy) {
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(destination), a);
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(destination + 32), b);
                destination += step;
            }
            low = _mm256_add_epi32(low, _mm256_add_epi32(_mm256_and_si256(a, low_mask), _mm256_and_si256(b, low_mask)));
            high = _mm256_add_epi32(high, _mm256_add_epi32(_mm256_srli_epi32(a, 16), _mm256_srli_epi32(b, 16)));
            source += step;
        }
        alignas(32) std::array<std::uint32_t, 8> lanes_low, lanes_high;
        _mm256_store_si256(reinterpret_cast<__m256i*>(lanes_low.data()), low);
        _mm256_store_si256(reinterpret_cast<__m256i*>(lanes_high.data()), high);
        for (std::size_t lane = 0; lane < 8; ++lane) total += std::uint64_t{lanes_low[lane]} + lanes_high[lane];
        steps -= round;
    }
    const std::size_t rest = size % step;
    if constexpr (copy) {
        return total + copy_sum_words(destination, source, rest);
    } else {
        return total + sum_words(source, rest);
    }
}

// Decided once, when the library loads. TCPP_NO_AVX2 in the environment takes the portable loop (the tests
// run the checksum's tests both ways).
const bool have_avx2 = [] {
    if (std::getenv("TCPP_NO_AVX2") != nullptr) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
}();
#endif

// Below this the vector loop's setup is not worth it (headers, pure ACKs).
constexpr std::size_t vector_threshold = 128;

std::uint64_t sum_native(const std::byte* data, std::size_t size) {
#if defined(__x86_64__)
    if (size >= vector_threshold && have_avx2) return sum_words_avx2<false>(nullptr, data, size);
#endif
    return sum_words(data, size);
}

std::uint64_t copy_sum_native(std::byte* destination, const std::byte* source, std::size_t size) {
#if defined(__x86_64__)
    if (size >= vector_threshold && have_avx2) return sum_words_avx2<true>(destination, source, size);
#endif
    return copy_sum_words(destination, source, size);
}

// A folded sum of words in the machine's byte order, as the sum of network-order words it stands for.
std::uint16_t network_order(std::uint16_t native) {
    if constexpr (std::endian::native == std::endian::little) {
        return static_cast<std::uint16_t>(native << 8 | native >> 8);
    } else {
        return native;
    }
}

}  // namespace

// A byte that is the high (first) or the low (second) byte of a network-order word, added where the
// machine's byte order puts it.
void ChecksumAccumulator::add_odd_byte(std::byte byte, bool high) {
    const std::uint64_t value = std::to_integer<std::uint64_t>(byte);
    const bool high_in_memory_order = std::endian::native == std::endian::big ? high : !high;
    add_native(high_in_memory_order ? value << 8 : value);
}

void ChecksumAccumulator::add(Bytes data) {
    if (data.empty()) return;
    if (odd_) {  // the previous chunk left the high byte of a word; this byte is its low byte
        add_odd_byte(data[0], false);
        data = data.subspan(1);
        odd_ = false;
    }
    const std::size_t even = data.size() & ~std::size_t{1};
    add_native(sum_native(data.data(), even));
    if (even != data.size()) {
        add_odd_byte(data[even], true);
        odd_ = true;
    }
}

void ChecksumAccumulator::add_copy(MutableBytes destination, Bytes source) {
    assert(destination.size() == source.size());
    if (source.empty()) return;
    std::byte* out = destination.data();
    if (odd_) {
        *out++ = source[0];
        add_odd_byte(source[0], false);
        source = source.subspan(1);
        odd_ = false;
    }
    const std::size_t even = source.size() & ~std::size_t{1};
    add_native(copy_sum_native(out, source.data(), even));
    if (even != source.size()) {
        out[even] = source[even];
        add_odd_byte(source[even], true);
        odd_ = true;
    }
}

void ChecksumAccumulator::append(const ChecksumAccumulator& other) {
    assert(!odd_);
    add_native(other.sum_);
    odd_ = other.odd_;
}

std::uint16_t ChecksumAccumulator::folded_sum() const { return network_order(fold(sum_)); }

std::uint16_t internet_checksum(Bytes data) {
    if (data.size() == 20) {  // an IPv4 header without options, on every packet: five words, no loop
        std::array<std::uint32_t, 5> words;
        std::memcpy(words.data(), data.data(), 20);
        const std::uint64_t sum = std::uint64_t{words[0]} + words[1] + words[2] + words[3] + words[4];
        return static_cast<std::uint16_t>(~network_order(fold(sum)));
    }
    ChecksumAccumulator accumulator;
    accumulator.add(data);
    return accumulator.checksum();
}

void add_pseudo_header(ChecksumAccumulator& accumulator, Ipv4Address source, Ipv4Address destination,
                       std::uint8_t protocol, std::uint16_t length) {
    accumulator.add_u32(source.value());
    accumulator.add_u32(destination.value());
    accumulator.add_u16(protocol);
    accumulator.add_u16(length);
}

std::uint16_t update_checksum(std::uint16_t old_checksum, std::uint16_t old_word, std::uint16_t new_word) {
    std::uint32_t sum = static_cast<std::uint16_t>(~old_checksum);
    sum += static_cast<std::uint16_t>(~old_word);
    sum += new_word;
    return static_cast<std::uint16_t>(~fold(sum));
}

std::uint16_t update_checksum(std::uint16_t old_checksum, std::uint32_t old_value, std::uint32_t new_value) {
    std::uint16_t checksum = update_checksum(old_checksum, static_cast<std::uint16_t>(old_value >> 16),
                                             static_cast<std::uint16_t>(new_value >> 16));
    return update_checksum(checksum, static_cast<std::uint16_t>(old_value), static_cast<std::uint16_t>(new_value));
}

}  // namespace tcpp::wire
