#pragma once
// The sender's SACK scoreboard (RFC 6675 section 3): which octets above SND.UNA the receiver has said, in
// SACK blocks (RFC 2018), that it holds; and the routines of RFC 6675 section 4 that loss recovery runs on
// it: Update(), IsLost(), SetPipe() and NextSeg(). It holds no data and no clock, and never allocates: the
// scoreboard is a bounded set of disjoint ranges.
//
// SACK information is advisory (RFC 2018 section 8, RFC 6675 section 4 "Update"): the receiver may renege,
// so a SACKed octet stays in the send buffer until SND.UNA passes it. Forgetting SACK information is
// therefore always safe (the octets are merely retransmitted when they need not be) and believing too
// much never is. Every choice below that the RFCs leave open leans that way.
//
// Positions are half-open, like the rest of tcpp: where RFC 6675 names the last octet of something
// (HighACK, HighData, HighRxt, RescueRxt), the interface takes the one after it:
//   snd_una = HighACK + 1, snd_max = HighData + 1, rxt_end = HighRxt + 1, rescue_end = RescueRxt + 1.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wire/seq.h"
#include "wire/tcp_options.h"

namespace tcpp::tcp {

class SackScoreboard {
public:
    // 32 disjoint ranges, i.e. 32 holes in one flight, at 8 bytes each. An ACK names at most 4 blocks
    // (3 beside timestamps); a flight with more holes than this is losing far more than SACK recovery
    // is meant for, and the retransmission timer takes over. When an ACK would need a 33rd range, the
    // highest range is forgotten (the new one, if it is the highest) and counted in UpdateResult::dropped:
    // the low ranges decide what NextSeg() retransmits first, and the receiver repeats its newest blocks
    // (RFC 2018 section 4). Ranges are never merged across a hole: that would claim unreceived data.
    static constexpr std::size_t max_ranges = 32;
    // RFC 6675 section 2, DupThresh.
    static constexpr std::uint32_t dup_thresh = 3;

    struct Range {
        wire::Seq begin;
        wire::Seq end;  // one past the last SACKed octet
        friend bool operator==(const Range&, const Range&) = default;
    };

    struct UpdateResult {
        // Octets no earlier ACK had SACKed. Non-zero makes the ACK a "duplicate acknowledgment" in RFC 6675
        // section 2's sense, whatever it does to the cumulative ACK or the window.
        std::uint32_t newly_sacked = 0;
        // RFC 2883 section 4: the first block reports a duplicate segment when it starts below SND.UNA, or
        // lies within the second block. It is reported here and adds nothing to the scoreboard.
        std::optional<wire::SackBlock> dsack;
        std::uint8_t stale_blocks = 0;  // other blocks wholly at or below SND.UNA: ignored
        // Ignored too: empty or reversed blocks, blocks reaching beyond SND.MAX, and blocks from SND.UNA or
        // below to above it (a receiver holding SND.UNA would have ACKed it; Linux ignores these as well).
        std::uint8_t invalid_blocks = 0;
        std::uint8_t dropped = 0;         // ranges forgotten because the scoreboard was full
        // The cumulative ACK stopped at, or inside, a range the receiver had SACKed: it has discarded
        // data it reported holding (reneged, RFC 2018 section 8). The scoreboard keeps its ranges; the
        // engine may clear() it, as Linux does when the retransmission timer then fires.
        bool reneged = false;

        bool sacked_new_data() const { return newly_sacked > 0; }
    };

    // What the sender knows of its flight, for SetPipe() and NextSeg().
    struct Flight {
        wire::Seq snd_una;  // HighACK + 1
        wire::Seq snd_max;  // HighData + 1: one past the highest octet ever sent
        // HighRxt + 1: one past the highest octet retransmitted in this recovery; snd_una if none was.
        wire::Seq rxt_end;
        // RescueRxt + 1, or nullopt while RescueRxt is undefined (RFC 6675 section 4, NextSeg rule 4).
        std::optional<wire::Seq> rescue_end{};
        std::uint32_t smss = 0;  // must be positive
    };

    // NextSeg()'s answer: one segment of at most SMSS octets, and which rule of RFC 6675 section 4 chose it.
    struct SendRange {
        enum class Rule { lost = 1, new_data = 2, unsacked = 3, rescue = 4 };
        wire::Seq begin;
        wire::Seq end;  // for new_data: begin + SMSS; the sender sends what it has, up to that
        Rule rule;
        friend bool operator==(const SendRange&, const SendRange&) = default;
    };

    // RFC 6675 section 4, Update(): first advance(snd_una) (the cumulatively ACKed octets), then mark the
    // octets of each block SACKed. snd_una is SND.UNA after this ACK's cumulative acknowledgment is applied
    // (SEG.ACK, for an acceptable ACK); snd_max is HighData + 1. Only blocks wholly above snd_una count.
    UpdateResult update(wire::Seq snd_una, wire::Seq snd_max, std::span<const wire::SackBlock> blocks);
    // SND.UNA advanced: forgets what lies below it.
    void advance(wire::Seq snd_una);
    // Forgets everything, e.g. on a retransmission timeout (RFC 2018 section 8; RFC 6675 section 5.1).
    void clear() { count_ = 0; total_ = 0; }

    bool is_sacked(wire::Seq seq) const;
    // The lowest range that ends after seq: the one holding seq, or else the next SACKed one above it.
    // nullptr when nothing above seq is SACKed. (A sender resending from seq skips the first kind and
    // stops short of the second.)
    const Range* range_ending_after(wire::Seq seq) const;
    // The SACKed octets below seq.
    std::uint32_t sacked_below(wire::Seq seq) const;
    // RFC 6675 section 4, IsLost(): DupThresh discontiguous SACKed ranges, or more than
    // (DupThresh - 1) * SMSS SACKed octets, lie above seq. The RFC's entry into loss recovery (section 5)
    // is "DupAcks >= DupThresh or is_lost(snd_una, smss)".
    bool is_lost(wire::Seq seq, std::uint32_t smss) const;
    // RFC 6675 section 4, SetPipe(): the octets in flight, counted octet by octet over
    // [snd_una, snd_max): each unSACKed octet counts once if not IsLost(), and once more if retransmitted.
    std::uint32_t pipe(const Flight& flight) const;
    // RFC 6675 section 4, NextSeg(): the lowest lost, unSACKed range not yet retransmitted (rule 1), else
    // new data if the sender has some and the window allows (rule 2), else the lowest unSACKed range not
    // yet retransmitted below the highest SACKed octet (rule 3), else once per recovery the segment that
    // ends at the highest unSACKed octet (rule 4, "rescue"), else nothing (rule 5). A retransmitted range
    // stops at the next SACKed octet. After sending it the engine sets rxt_end = end, except for rule 4,
    // which sets rescue_end instead (RFC 6675 step C.3 and rule 4); for rule 2, snd_max moves on.
    std::optional<SendRange> next_segment(const Flight& flight, bool new_data_available) const;

    std::uint32_t sacked_bytes() const { return total_; }
    // One past the highest SACKed octet, if any is (the upper bound of NextSeg rules 1.b and 3).
    std::optional<wire::Seq> highest_sacked_end() const;

    bool empty() const { return count_ == 0; }
    std::size_t size() const { return count_; }
    // The ranges, in sequence order; disjoint and not touching.
    const Range& operator[](std::size_t i) const { return ranges_[i]; }

private:
    struct AddResult {
        std::uint32_t newly_sacked = 0;
        std::uint8_t dropped = 0;
    };
    AddResult add(wire::Seq begin, wire::Seq end);
    // The octet from which IsLost() is false: every octet below it is lost. nullopt when none is.
    std::optional<wire::Seq> lost_end(std::uint32_t smss) const;
    // The octets of [begin, end) not SACKed.
    std::uint32_t unsacked_between(wire::Seq begin, wire::Seq end) const;

    std::array<Range, max_ranges> ranges_{};  // in sequence order, disjoint, not touching
    std::size_t count_ = 0;
    std::uint32_t total_ = 0;  // octets in ranges_
};

}  // namespace tcpp::tcp
