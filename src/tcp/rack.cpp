#include "tcp/rack.h"

#include <algorithm>

namespace tcpp::tcp {

void Rack::sent(wire::Seq begin, wire::Seq end, std::uint64_t now_us) {
    segments_.push_back(Segment{begin, end, now_us, false, false, false});
}

void Rack::retransmitted(wire::Seq begin, wire::Seq end, std::uint64_t now_us) {
    // Segments are in sequence order: find the first that ends after begin.
    auto first = std::partition_point(segments_.begin() + static_cast<std::ptrdiff_t>(head_), segments_.end(),
                                      [&](const Segment& s) { return !(begin < s.end); });
    for (auto it = first; it != segments_.end() && it->begin < end; ++it) {
        it->xmit_us = now_us;
        it->retransmitted = true;
        it->lost = false;
    }
}

void Rack::clear() {
    segments_.clear();
    head_ = 0;
}

void Rack::compact() {
    // Drop what was acknowledged once it is the larger part, so the vector stays within twice the flight.
    if (head_ == 0 || head_ < segments_.size() - head_) return;
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
}

// RFC 8985 6.2 steps 1 to 3 for a segment newly delivered.
void Rack::delivered(const Segment& segment, std::uint64_t now_us) {
    const std::uint64_t rtt = now_us >= segment.xmit_us ? now_us - segment.xmit_us : 0;
    // Step 2: a retransmitted segment delivered sooner than any round trip could be was answered by its
    // earlier transmission: it says nothing of when the latest one arrived. (The RFC also checks the
    // timestamp echo; without it this is what a sender can tell.)
    const bool ambiguous = segment.retransmitted && has_min_rtt_ && rtt < min_rtt_us_;
    if (!ambiguous) {
        // Step 1: RACK.min_RTT, from unambiguous samples.
        if (!segment.retransmitted && (!has_min_rtt_ || rtt < min_rtt_us_)) {
            min_rtt_us_ = rtt;
            has_min_rtt_ = true;
        }
        if (!valid_ || sent_after(segment.xmit_us, segment.end, xmit_us_, end_)) {
            xmit_us_ = segment.xmit_us;
            end_ = segment.end;
            rtt_us_ = rtt;
            valid_ = true;
        }
    }
    // Step 3: delivered below the highest delivered, never sent twice: the network reordered it.
    if (has_fack_ && segment.end < fack_ && !segment.retransmitted) reordering_seen_ = true;
    if (!has_fack_ || fack_ < segment.end) {
        fack_ = segment.end;
        has_fack_ = true;
    }
}

// RFC 8985 6.2 step 4: no window while recovering (or with three duplicates) unless reordering was seen;
// otherwise a quarter of the least RTT, at most SRTT.
std::uint64_t Rack::reordering_window_us(bool in_recovery, unsigned dup_acks, std::uint64_t srtt_us) const {
    if (!reordering_seen_ && (in_recovery || dup_acks >= 3)) return 0;
    const std::uint64_t quarter = has_min_rtt_ ? min_rtt_us_ / 4 : 0;
    return srtt_us > 0 ? std::min(quarter, srtt_us) : quarter;
}

// RFC 8985 6.2 step 5: every segment not delivered and sent before RACK.xmit_ts is lost once RACK.rtt plus
// the reordering window has passed since it was sent; for the rest, the timer says when to look again.
Rack::AckResult Rack::detect_loss(std::uint64_t now_us, bool in_recovery, unsigned dup_acks, std::uint64_t srtt_us) {
    AckResult result;
    if (!valid_) return result;
    const std::uint64_t reo_wnd = reordering_window_us(in_recovery, dup_acks, srtt_us);
    for (std::size_t i = head_; i < segments_.size(); ++i) {
        Segment& s = segments_[i];
        // New data goes out in sequence order, and a segment sent again was sent later still: past the
        // first segment sent once and after RACK.xmit_ts, every segment was sent after it too. So the walk
        // ends there, and an ACK of a loss-free flight costs O(1), not O(flight).
        if (!s.retransmitted && sent_after(s.xmit_us, s.end, xmit_us_, end_)) break;
        if (s.delivered || s.lost || !sent_after(xmit_us_, end_, s.xmit_us, s.end)) continue;
        const std::uint64_t due = s.xmit_us + rtt_us_ + reo_wnd;
        if (due <= now_us) {
            s.lost = true;
            ++result.newly_lost;
        } else {
            const std::uint64_t remaining = due - now_us;
            if (!result.timer_us || *result.timer_us < remaining) result.timer_us = remaining;
        }
    }
    return result;
}

Rack::AckResult Rack::on_timer(std::uint64_t now_us, bool in_recovery, unsigned dup_acks, std::uint64_t srtt_us) {
    return detect_loss(now_us, in_recovery, dup_acks, srtt_us);
}

}  // namespace tcpp::tcp
