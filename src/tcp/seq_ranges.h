#pragma once
// Sorted, disjoint, non-touching ranges of sequence space in a fixed array: what the receiver holds out of
// order (OutOfOrder) and what the peer has SACKed (SackScoreboard) are both such sets. Range is any type
// with wire::Seq members `begin` and `end` (half open).

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "wire/seq.h"

namespace tcpp::tcp::seq_ranges {

// The ranges [first, last) that [begin, end) overlaps or touches; first == last where it touches none
// (then first is where it would go).
template <class Range, std::size_t N>
std::pair<std::size_t, std::size_t> touching(const std::array<Range, N>& ranges, std::size_t count, wire::Seq begin,
                                             wire::Seq end) {
    std::size_t first = 0;
    while (first < count && ranges[first].end < begin) ++first;
    std::size_t last = first;
    while (last < count && ranges[last].begin <= end) ++last;
    return {first, last};
}

// Replaces ranges [first, last) by `merged` (inserts it at first when first == last, which needs room).
template <class Range, std::size_t N>
void splice(std::array<Range, N>& ranges, std::size_t& count, std::size_t first, std::size_t last, const Range& merged) {
    const std::size_t removed = last - first;
    if (removed == 0) {
        std::move_backward(ranges.begin() + first, ranges.begin() + count, ranges.begin() + count + 1);
        ++count;
    } else if (removed > 1) {
        std::move(ranges.begin() + last, ranges.begin() + count, ranges.begin() + first + 1);
        count -= removed - 1;
    }
    ranges[first] = merged;
}

// The union of [begin, end) and ranges [first, last), which it touches.
template <class Range, std::size_t N>
std::pair<wire::Seq, wire::Seq> merged_bounds(const std::array<Range, N>& ranges, std::size_t first, std::size_t last,
                                              wire::Seq begin, wire::Seq end) {
    if (first == last) return {begin, end};
    return {wire::min(begin, ranges[first].begin), wire::max(end, ranges[last - 1].end)};
}

}  // namespace tcpp::tcp::seq_ranges
