#include "tcp/reassembly.h"

#include <algorithm>

#include "tcp/seq_ranges.h"

namespace tcpp::tcp {

bool OutOfOrder::add(wire::Seq begin, wire::Seq end) {
    if (!(begin < end)) return true;
    // The ranges [first, last) that the new one overlaps or touches merge into it.
    const auto [first, last] = seq_ranges::touching(ranges_, count_, begin, end);
    if (first == last && count_ == max_ranges) return false;
    const auto [merged_begin, merged_end] = seq_ranges::merged_bounds(ranges_, first, last, begin, end);
    seq_ranges::splice(ranges_, count_, first, last, Range{merged_begin, merged_end, ++clock_});
    return true;
}

std::optional<wire::Seq> OutOfOrder::take_from(wire::Seq rcv_nxt) {
    if (count_ == 0 || rcv_nxt < ranges_[0].begin) return std::nullopt;
    wire::Seq end = ranges_[0].end;
    std::move(ranges_.begin() + 1, ranges_.begin() + count_, ranges_.begin());
    --count_;
    return wire::max(end, rcv_nxt);
}

bool OutOfOrder::holds(wire::Seq begin, wire::Seq end) const {
    for (std::size_t i = 0; i < count_; ++i) {
        if (ranges_[i].begin <= begin && end <= ranges_[i].end) return true;
    }
    return false;
}

void OutOfOrder::touch(wire::Seq seq) {
    for (std::size_t i = 0; i < count_; ++i) {
        if (ranges_[i].begin <= seq && seq < ranges_[i].end) ranges_[i].touched = ++clock_;
    }
}

void OutOfOrder::sack_blocks(wire::TcpOptions& options, std::size_t most) const {
    std::array<const Range*, max_ranges> order{};
    for (std::size_t i = 0; i < count_; ++i) order[i] = &ranges_[i];
    std::sort(order.begin(), order.begin() + count_, [](const Range* a, const Range* b) { return a->touched > b->touched; });
    for (std::size_t i = 0; i < count_ && i < most; ++i) options.add_sack_block({order[i]->begin, order[i]->end});
}

}  // namespace tcpp::tcp
