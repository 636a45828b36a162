#include "wire/checksum.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tcpp::wire {

using checksum_detail::add_with_carry;
using checksum_detail::fold;
using checksum_detail::load_native;

namespace {

// Sums of native-order words, not folded: what the fast paths below add up, the byte swap and fold left to
// the caller (one's complement addition commutes with byte swapping, RFC 1071 section 2(B)).

// Fewer than 32 bytes, an even number (a vector loop's tail, a short chunk): up to three 64-bit words, a
// 32-bit and a 16-bit one, chosen by the bits of the size, with no loop. With `copy`, each word is also
// stored to `destination` as it is summed.
template <bool copy>
std::uint64_t sum_tail(std::byte* destination, const std::byte* source, std::size_t size) {
    assert(size < 32 && size % 2 == 0);
    std::uint64_t sum = 0;
    auto take = [&]<class Word>(Word) {
        const Word word = load_native<Word>(source);
        if constexpr (copy) {
            std::memcpy(destination, &word, sizeof word);
            destination += sizeof word;
        }
        sum = add_with_carry(sum, word);
        source += sizeof word;
    };
    if (size & 16) {
        take(std::uint64_t{});
        take(std::uint64_t{});
    }
    if (size & 8) take(std::uint64_t{});
    if (size & 4) take(std::uint32_t{});
    if (size & 2) take(std::uint16_t{});
    return sum;
}

// The portable loop: 32-bit words into a 64-bit sum, which cannot carry out before 16 GiB; the compiler
// vectorizes it with the baseline SSE2. 32 bytes a step, so the tail is sum_tail's.
std::uint64_t sum_words(const std::byte* data, std::size_t size) {
    std::uint64_t sum = 0;
    const std::size_t whole = size & ~std::size_t{31};
    for (std::size_t at = 0; at < whole; at += 4) sum += load_native<std::uint32_t>(data + at);
    return add_with_carry(sum, sum_tail<false>(nullptr, data + whole, size - whole));
}

std::uint64_t copy_sum_words(std::byte* destination, const std::byte* source, std::size_t size) {
    std::memcpy(destination, source, size);
    return sum_words(source, size);
}

#if defined(__x86_64__)
// 32 bytes from source + at, also stored to destination + at when copying (else destination is null).
template <bool copy>
__attribute__((target("avx2"), always_inline)) inline __m256i load_32(std::byte* destination,
                                                                      const std::byte* source, std::size_t at) {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(source + at));
    if constexpr (copy) _mm256_storeu_si256(reinterpret_cast<__m256i*>(destination + at), bytes);
    return bytes;
}

// The sum of the 32-bit lanes of both accumulators: widened into four 64-bit lanes, then their halves.
__attribute__((target("avx2"), always_inline)) inline std::uint64_t sum_lanes(__m256i low, __m256i high) {
    const __m256i low_half = _mm256_set1_epi64x(0xffffffff);
    const __m256i wide = _mm256_add_epi64(_mm256_add_epi64(_mm256_and_si256(low, low_half), _mm256_srli_epi64(low, 32)),
                                          _mm256_add_epi64(_mm256_and_si256(high, low_half), _mm256_srli_epi64(high, 32)));
    const __m128i pair = _mm_add_epi64(_mm256_castsi256_si128(wide), _mm256_extracti128_si256(wide, 1));
    return static_cast<std::uint64_t>(_mm_cvtsi128_si64(pair)) + static_cast<std::uint64_t>(_mm_extract_epi64(pair, 1));
}

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
    std::size_t rest = size % step;
    do {
        const std::size_t round = std::min(steps, steps_per_round);
        __m256i low = _mm256_setzero_si256();
        __m256i high = _mm256_setzero_si256();
        for (std::size_t k = 0; k < round; ++k) {
            const __m256i a = load_32<copy>(destination, source, 0);
            const __m256i b = load_32<copy>(destination, source, 32);
            low = _mm256_add_epi32(low, _mm256_add_epi32(_mm256_and_si256(a, low_mask), _mm256_and_si256(b, low_mask)));
            high = _mm256_add_epi32(high, _mm256_add_epi32(_mm256_srli_epi32(a, 16), _mm256_srli_epi32(b, 16)));
            source += step;
            if constexpr (copy) destination += step;
        }
        steps -= round;
        // Half a step more in the last round, while the lanes are in registers: what is left is then under
        // 32 bytes, at most three 64-bit words. A lane gains at most 0xffff more, far from overflowing.
        if (steps == 0 && rest >= 32) {
            const __m256i a = load_32<copy>(destination, source, 0);
            low = _mm256_add_epi32(low, _mm256_and_si256(a, low_mask));
            high = _mm256_add_epi32(high, _mm256_srli_epi32(a, 16));
            source += 32;
            if constexpr (copy) destination += 32;
            rest -= 32;
        }
        total += sum_lanes(low, high);
    } while (steps > 0);
    return add_with_carry(total, sum_tail<copy>(destination, source, rest));
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

std::uint64_t copy_sum_native(std::byte* destination, const std::byte* source, std::size_t size) {
#if defined(__x86_64__)
    if (size >= vector_threshold && have_avx2) return sum_words_avx2<true>(destination, source, size);
#endif
    return copy_sum_words(destination, source, size);
}

}  // namespace

std::uint64_t checksum_detail::sum_native(const std::byte* data, std::size_t size) {
#if defined(__x86_64__)
    if (size >= vector_threshold && have_avx2) return sum_words_avx2<false>(nullptr, data, size);
#endif
    return sum_words(data, size);
}

// A byte that is the high (first) or the low (second) byte of a network-order word, added where the
// machine's byte order puts it.
void ChecksumAccumulator::add_odd_byte(std::byte byte, bool high) {
    const std::uint64_t value = std::to_integer<std::uint64_t>(byte);
    const bool high_in_memory_order = std::endian::native == std::endian::big ? high : !high;
    add_native(high_in_memory_order ? value << 8 : value);
}

void ChecksumAccumulator::add_chunk(Bytes data) {
    if (odd_) {  // the previous chunk left the high byte of a word; this byte is its low byte
        add_odd_byte(data[0], false);
        data = data.subspan(1);
        odd_ = false;
    }
    const std::size_t even = data.size() & ~std::size_t{1};
    add_native(checksum_detail::sum_native(data.data(), even));
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

std::uint16_t internet_checksum(Bytes data) {
    ChecksumAccumulator accumulator;
    if (data.size() % 2 == 0) {  // headers: the common sizes (an IPv4 header on every packet) unrolled
        accumulator.add_header(data);
    } else {
        accumulator.add(data);
    }
    return accumulator.checksum();
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
