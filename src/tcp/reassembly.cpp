#include "tcp/reassembly.h"

#include <algorithm>

namespace tcpp::tcp {

bool OutOfOrder::add(wire::Seq begin, wire::Seq end) {
    if (!(begin < end)) return true;
    // The ranges [first, last) that the new one overlaps or touches merge into it.
    std::size_t first = 0;
    while (first < count_ && ranges_[first].end < begin) ++first;
    std::size_t last = first;
    while (last < count_ && ranges_[last].begin <= end) ++last;
    if (first == last && count_ == max_ranges) return false;
    Range merged{begin, end, ++clock_};
    if (first < last) {
        merged.begin = wire::min(begin, ranges_[first].begin);
        merged.end = wire::max(end, ranges_[last - 1].end);
    }
    // Replace ranges [first, last) with the merged one.
    std::size_t removed = last - first;
    if (removed == 0) {
        std::move_backward(ranges_.begin() + first, ranges_.begin() + count_, ranges_.begin() + count_ + 1);
        ++count_;
    } else if (removed > 1) {
        std::move(ranges_.begin() + last, ranges_.begin() + count_, ranges_.begin() + first + 1);
        count_ -= removed - 1;
    }
    ranges_[first] = merged;
    return true;
}

std::optional<wire::Seq> OutOfOrder::take_from(wire::Seq rcv_nxt) {
    if (count_ == 0 || rcv_nxt < ranges_[0].begin) return std::nullopt;
    wire::Seq end = ranges_[0].end;
    std::move(ranges_.begin() + 1, ranges_.begin() + count_, ranges_.begin());
    --count_;
    return wire::max(end, rcv_nxt);
}

void OutOfOrder::sack_blocks(wire::TcpOptions& options, std::size_t most) const {
    std::array<const Range*, max_ranges> order{};
    for (std::size_t i = 0; i < count_; ++i) order[i] = &ranges_[i];
    std::sort(order.begin(), order.begin() + count_, [](const Range* a, const Range* b) { return a->touched > b->touched; });
    options.sack_block_count = 0;
    for (std::size_t i = 0; i < count_ && i < most; ++i) options.add_sack_block({order[i]->begin, order[i]->end});
}

}  // namespace tcpp::tcp
