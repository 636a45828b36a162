#pragma once
// RACK, the time-based half of RACK-TLP (RFC 8985 section 6): a segment is lost when a segment sent
// sufficiently later has been delivered (cumulatively ACKed or SACKed). "Sufficiently" is the RTT of the
// most recently sent delivered segment plus a reordering window. Unlike counting duplicate ACKs, this
// notices a lost retransmission, and a loss in a flight too short to draw three duplicates.
//
// The sender records every segment it sends (new data in sequence order, retransmissions by range); on
// every ACK it says what SND.UNA is and which segments are SACKed; RACK answers which segments are now
// lost, and when to look again (the reordering timer, for segments not yet past the window). Times are in
// microseconds. It holds no clock and does no I/O; its records grow with the flight (the vector keeps its
// capacity, so a steady sender does not allocate).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "wire/seq.h"

namespace tcpp::tcp {

class Rack {
public:
    struct Segment {
        wire::Seq begin;
        wire::Seq end;
        std::uint64_t xmit_us = 0;   // when it was last sent
        bool retransmitted = false;  // sent more than once
        bool delivered = false;      // SACKed (cumulatively ACKed ones are dropped)
        bool lost = false;           // marked lost, and not sent again since
    };

    // What an ACK changed.
    struct AckResult {
        std::size_t newly_lost = 0;                // segments marked lost by this ACK
        std::optional<std::uint64_t> timer_us{};  // RFC 8985 6.2 step 5: look again this long from now
    };

    // New data [begin, end) went out at now_us (begin is the previous segment's end, or SND.UNA).
    void sent(wire::Seq begin, wire::Seq end, std::uint64_t now_us);
    // [begin, end) went out again: every segment it overlaps is stamped now_us, retransmitted, not lost.
    void retransmitted(wire::Seq begin, wire::Seq end, std::uint64_t now_us);

    // An acceptable ACK (RFC 8985 6.2 steps 1-5): snd_una after it; is_sacked(begin, end) tells whether the
    // peer has SACKed the whole of a segment, asked only when the ACK SACKed something new (sacked_new);
    // in_recovery and dup_acks pick the reordering window (step 4); srtt_us bounds it.
    template <class IsSacked>
    AckResult on_ack(wire::Seq snd_una, IsSacked&& is_sacked, std::uint64_t now_us, bool in_recovery,
                     unsigned dup_acks, std::uint64_t srtt_us, bool sacked_new = true);
    // The reordering timer fired (RFC 8985 6.2 step 5 again, with no new delivery).
    AckResult on_timer(std::uint64_t now_us, bool in_recovery, unsigned dup_acks, std::uint64_t srtt_us);

    // The segments marked lost and not yet sent again, lowest first.
    template <class Visit>
    void for_each_lost(Visit&& visit) const {
        for (std::size_t i = head_; i < segments_.size(); ++i) {
            if (segments_[i].lost) visit(segments_[i]);
        }
    }
    // Forgets every record (after a retransmission timeout, everything is resent anyway).
    void clear();

    std::size_t size() const { return segments_.size() - head_; }
    bool reordering_seen() const { return reordering_seen_; }
    std::optional<std::uint64_t> min_rtt_us() const { return has_min_rtt_ ? std::optional{min_rtt_us_} : std::nullopt; }
    std::uint64_t rtt_us() const { return rtt_us_; }
    // RFC 8985 6.2 step 4.
    std::uint64_t reordering_window_us(bool in_recovery, unsigned dup_acks, std::uint64_t srtt_us) const;

private:
    static bool sent_after(std::uint64_t t1, wire::Seq end1, std::uint64_t t2, wire::Seq end2) {
        return t1 > t2 || (t1 == t2 && end2 < end1);
    }
    // Step 2 and 3 for one delivered segment.
    void delivered(const Segment& segment, std::uint64_t now_us);
    AckResult detect_loss(std::uint64_t now_us, bool in_recovery, unsigned dup_acks, std::uint64_t srtt_us);
    void compact();

    std::vector<Segment> segments_;  // by sequence; those before head_ are acknowledged
    std::size_t head_ = 0;
    bool valid_ = false;             // some segment has been delivered: RACK.xmit_ts is set
    std::uint64_t xmit_us_ = 0;      // RACK.xmit_ts: the latest send time among delivered segments
    wire::Seq end_;                  // RACK.end_seq
    std::uint64_t rtt_us_ = 0;       // RACK.rtt
    bool has_min_rtt_ = false;
    std::uint64_t min_rtt_us_ = 0;   // RACK.min_RTT
    bool has_fack_ = false;
    wire::Seq fack_;                 // RACK.fack: the highest end delivered
    bool reordering_seen_ = false;   // RACK.reordering_seen
};

template <class IsSacked>
Rack::AckResult Rack::on_ack(wire::Seq snd_una, IsSacked&& is_sacked, std::uint64_t now_us, bool in_recovery,
                             unsigned dup_acks, std::uint64_t srtt_us, bool sacked_new) {
    // Cumulatively acknowledged: delivered, and no longer kept.
    while (head_ < segments_.size() && !(snd_una < segments_[head_].end)) {
        if (!segments_[head_].delivered) delivered(segments_[head_], now_us);
        ++head_;
    }
    for (std::size_t i = head_; sacked_new && i < segments_.size(); ++i) {
        Segment& s = segments_[i];
        if (s.delivered || !is_sacked(s.begin, s.end)) continue;
        s.delivered = true;
        s.lost = false;
        delivered(s, now_us);
    }
    compact();
    return detect_loss(now_us, in_recovery, dup_acks, srtt_us);
}

}  // namespace tcpp::tcp
