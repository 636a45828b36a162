#include "tcp/sack_scoreboard.h"

#include <algorithm>

#include "tcp/seq_ranges.h"

namespace tcpp::tcp {

namespace {

using wire::Seq;

std::uint32_t length(Seq begin, Seq end) { return begin < end ? static_cast<std::uint32_t>(end - begin) : 0; }

// The octets [a_begin, a_end) and [b_begin, b_end) share.
std::uint32_t overlap(Seq a_begin, Seq a_end, Seq b_begin, Seq b_end) {
    return length(wire::max(a_begin, b_begin), wire::min(a_end, b_end));
}

}  // namespace

SackScoreboard::UpdateResult SackScoreboard::update(Seq snd_una, Seq snd_max,
                                                    std::span<const wire::SackBlock> blocks) {
    UpdateResult result;
    advance(snd_una);
    // RFC 2018 section 8: a receiver that ACKs up to (or into) a range it SACKed no longer holds it.
    result.reneged = count_ > 0 && ranges_[0].begin == snd_una;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const wire::SackBlock& block = blocks[i];
        // RFC 2018 section 3: a block names octets the sender has sent. Anything else is a broken or
        // hostile receiver; believing it would only shrink pipe and hide holes.
        if (!(block.left < block.right) || snd_max < block.right) {
            ++result.invalid_blocks;
            continue;
        }
        // RFC 2883 section 4: only the first block can be a D-SACK; it starts below the cumulative ACK,
        // or lies within the second block. Linux (tcp_check_dsack) tests exactly these two conditions. It
        // reports a duplicate, not data held out of order: the scoreboard does not record it.
        bool within_second = i == 0 && blocks.size() > 1 && blocks[1].left <= block.left &&
                             block.right <= blocks[1].right;
        if (i == 0 && (block.left < snd_una || within_second)) {
            result.dsack = block;
            continue;
        }
        if (block.right <= snd_una) {
            ++result.stale_blocks;  // an ACK that overtook this block's news
            continue;
        }
        // A block from SND.UNA or below to above it: a receiver holding SND.UNA would have ACKed it.
        // Linux (tcp_is_sackblock_valid) ignores such a block; so do we.
        if (!(snd_una < block.left)) {
            ++result.invalid_blocks;
            continue;
        }
        AddResult added = add(block.left, block.right);
        result.newly_sacked += added.newly_sacked;
        result.dropped = static_cast<std::uint8_t>(result.dropped + added.dropped);
    }
    return result;
}

SackScoreboard::AddResult SackScoreboard::add(Seq begin, Seq end) {
    AddResult result;
    // The ranges [first, last) that [begin, end) overlaps or touches merge with it.
    auto [first, last] = seq_ranges::touching(ranges_, count_, begin, end);
    std::uint32_t held = 0;
    for (std::size_t i = first; i < last; ++i) held += overlap(begin, end, ranges_[i].begin, ranges_[i].end);
    if (first == last && count_ == max_ranges) {
        // Full, and this needs a range of its own: forget the highest (see max_ranges).
        result.dropped = 1;
        if (first == count_) return result;  // it is the highest itself
        total_ -= length(ranges_[count_ - 1].begin, ranges_[count_ - 1].end);
        --count_;
    }
    const auto [merged_begin, merged_end] = seq_ranges::merged_bounds(ranges_, first, last, begin, end);
    seq_ranges::splice(ranges_, count_, first, last, Range{merged_begin, merged_end});
    result.newly_sacked = length(begin, end) - held;
    total_ += result.newly_sacked;
    return result;
}

void SackScoreboard::advance(Seq snd_una) {
    std::size_t gone = 0;
    while (gone < count_ && ranges_[gone].end <= snd_una) {
        total_ -= length(ranges_[gone].begin, ranges_[gone].end);
        ++gone;
    }
    if (gone > 0) {
        std::move(ranges_.begin() + gone, ranges_.begin() + count_, ranges_.begin());
        count_ -= gone;
    }
    if (count_ > 0 && ranges_[0].begin < snd_una) {
        total_ -= length(ranges_[0].begin, snd_una);
        ranges_[0].begin = snd_una;
    }
}

bool SackScoreboard::is_sacked(Seq seq) const {
    for (std::size_t i = 0; i < count_; ++i) {
        if (seq < ranges_[i].begin) return false;
        if (seq < ranges_[i].end) return true;
    }
    return false;
}

const SackScoreboard::Range* SackScoreboard::range_ending_after(Seq seq) const {
    for (std::size_t i = 0; i < count_; ++i) {
        if (seq < ranges_[i].end) return &ranges_[i];
    }
    return nullptr;
}

std::uint32_t SackScoreboard::sacked_below(Seq seq) const {
    std::uint32_t total = 0;
    for (std::size_t i = 0; i < count_ && ranges_[i].begin < seq; ++i) {
        total += static_cast<std::uint32_t>(wire::min(ranges_[i].end, seq) - ranges_[i].begin);
    }
    return total;
}

std::optional<Seq> SackScoreboard::highest_sacked_end() const {
    if (count_ == 0) return std::nullopt;
    return ranges_[count_ - 1].end;
}

// IsLost(s) only grows as s falls (there is more SACKed above a lower octet), so it is true exactly below
// one octet, found here from the top range down. With "above s" meaning the octets after s:
//  - DupThresh ranges lie above s while s is below the last octet of the DupThresh-th highest range;
//  - walking down, once the ranges so far hold `sum` octets and range r would take them past
//    limit = (DupThresh - 1) * SMSS, more than limit octets lie above s while s < r.end - 1 - (limit - sum).
// The randomized test checks this against the octet-by-octet definition.
std::optional<Seq> SackScoreboard::lost_end(std::uint32_t smss) const {
    std::optional<Seq> by_ranges;
    if (count_ >= dup_thresh) by_ranges = ranges_[count_ - dup_thresh].end - 1;
    std::optional<Seq> by_octets;
    const std::uint64_t limit = std::uint64_t{dup_thresh - 1} * smss;
    std::uint64_t sum = 0;
    for (std::size_t i = count_; i-- > 0;) {
        std::uint32_t size = length(ranges_[i].begin, ranges_[i].end);
        if (sum + size > limit) {
            by_octets = ranges_[i].end - 1 - static_cast<std::uint32_t>(limit - sum);
            break;
        }
        sum += size;
    }
    if (by_ranges && by_octets) return wire::max(*by_ranges, *by_octets);
    return by_ranges ? by_ranges : by_octets;
}

bool SackScoreboard::is_lost(Seq seq, std::uint32_t smss) const {
    std::optional<Seq> end = lost_end(smss);
    return end && seq < *end;
}

std::uint32_t SackScoreboard::unsacked_between(Seq begin, Seq end) const {
    std::uint32_t octets = length(begin, end);
    for (std::size_t i = 0; i < count_ && octets > 0; ++i) {
        octets -= overlap(begin, end, ranges_[i].begin, ranges_[i].end);
    }
    return octets;
}

// RFC 6675 section 4, SetPipe(), octet by octet over the unSACKed octets of [HighACK + 1, HighData]:
// (a) not IsLost(): +1, the original may still be in the network;
// (b) at or below HighRxt: +1, its retransmission may be.
// The octets below lost_end() fail (a), so (a) counts the unSACKed octets from there to snd_max.
std::uint32_t SackScoreboard::pipe(const Flight& flight) const {
    if (!(flight.snd_una < flight.snd_max)) return 0;
    std::optional<Seq> lost = lost_end(flight.smss);
    Seq not_lost = lost ? wire::min(wire::max(*lost, flight.snd_una), flight.snd_max) : flight.snd_una;
    return unsacked_between(not_lost, flight.snd_max) +
           unsacked_between(flight.snd_una, wire::min(flight.rxt_end, flight.snd_max));
}

std::optional<SackScoreboard::SendRange> SackScoreboard::next_segment(const Flight& flight,
                                                                      bool new_data_available) const {
    using Rule = SendRange::Rule;
    // Rules 1 and 3 look at the lowest unSACKed octet above HighRxt (1.a) and below the highest SACKed
    // octet (1.b). Since IsLost() only grows downward, if it fails for that octet (1.c) it fails for every
    // octet above, so that one octet decides rule 1.
    Seq start = wire::max(flight.snd_una, flight.rxt_end);
    std::optional<Range> hole;
    for (std::size_t i = 0; i < count_; ++i) {
        if (ranges_[i].end <= start) continue;
        if (ranges_[i].begin <= start) {
            start = ranges_[i].end;
            continue;
        }
        hole = Range{start, wire::min(ranges_[i].begin, start + flight.smss)};
        break;
    }
    if (hole && is_lost(hole->begin, flight.smss)) return SendRange{hole->begin, hole->end, Rule::lost};
    if (new_data_available) return SendRange{flight.snd_max, flight.snd_max + flight.smss, Rule::new_data};
    if (hole) return SendRange{hole->begin, hole->end, Rule::unsacked};

    // Rule 4: one rescue retransmission per recovery, allowed while HighACK > RescueRxt (or RescueRxt is
    // undefined), of the segment that ends with the highest outstanding unSACKed octet.
    if (flight.rescue_end && !(*flight.rescue_end < flight.snd_una)) return std::nullopt;
    Seq end = flight.snd_max;
    std::size_t below = count_;  // the ranges below `end`
    if (count_ > 0 && !(ranges_[count_ - 1].end < end)) end = ranges_[--below].begin;
    if (!(flight.snd_una < end)) return std::nullopt;  // nothing outstanding is unSACKed: rule 5
    Seq begin = below > 0 ? wire::max(ranges_[below - 1].end, flight.snd_una) : flight.snd_una;
    if (length(begin, end) > flight.smss) begin = end - flight.smss;
    return SendRange{begin, end, Rule::rescue};
}

}  // namespace tcpp::tcp
