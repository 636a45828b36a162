// RACK (RFC 8985 section 6) on its own: the send log, RACK.xmit_ts and RACK.rtt, the reordering window,
// losses found by time, the reordering timer, and lost retransmissions.

#include "tcp/rack.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace tcpp::tcp {
namespace {

using wire::Seq;

constexpr std::uint32_t mss = 1000;
constexpr std::uint64_t ms = 1000;

Seq at(std::uint32_t segment) { return Seq{1000 + segment * mss}; }

// The peer's SACKed segments, by number.
struct Peer {
    std::set<std::uint32_t> sacked;
    bool operator()(Seq begin, Seq end) const {
        for (std::uint32_t i = (begin - at(0)) / mss; at(i) < end; ++i) {
            if (!sacked.contains(i)) return false;
        }
        return true;
    }
};

std::vector<Seq> lost(const Rack& rack) {
    std::vector<Seq> out;
    rack.for_each_lost([&](const Rack::Segment& s) { out.push_back(s.begin); });
    return out;
}

// Segments 0, 1, 2 sent 1 ms apart; 2 is SACKed 100 ms after it was sent. With no reordering seen and no
// recovery, the window is min_RTT / 4 = 25 ms: 0 and 1 are not lost before RACK.rtt + 25 ms have passed
// since they were sent; the timer says when to look again.
TEST(Rack, Rfc8985_6_2_ALaterSegmentDeliveredMakesEarlierOnesLostAfterRttPlusTheWindow) {
    Rack rack;
    for (std::uint32_t i = 0; i < 3; ++i) rack.sent(at(i), at(i + 1), i * ms);
    Peer peer{{2}};
    auto result = rack.on_ack(at(0), peer, 102 * ms, false, 1, 100 * ms);
    EXPECT_EQ(rack.rtt_us(), 100 * ms);
    EXPECT_EQ(rack.min_rtt_us(), 100 * ms);
    EXPECT_EQ(rack.reordering_window_us(false, 1, 100 * ms), 25 * ms);
    EXPECT_EQ(result.newly_lost, 0u);
    // Segment 0 is due at 0 + 100 + 25 = 125 ms, segment 1 at 126 ms: look again in 24 ms (the later).
    ASSERT_TRUE(result.timer_us);
    EXPECT_EQ(*result.timer_us, 24 * ms);
    result = rack.on_timer(125 * ms, false, 1, 100 * ms);
    EXPECT_EQ(result.newly_lost, 1u);
    EXPECT_EQ(lost(rack), std::vector<Seq>{at(0)});
    result = rack.on_timer(126 * ms, false, 1, 100 * ms);
    EXPECT_EQ(result.newly_lost, 1u);
    EXPECT_EQ(lost(rack), (std::vector<Seq>{at(0), at(1)}));
}

// RFC 8985 6.2 step 4: in recovery (or after three duplicates), with no reordering seen, no window at all.
TEST(Rack, Rfc8985_6_2_NoWindowInRecoveryWithoutReordering) {
    Rack rack;
    for (std::uint32_t i = 0; i < 3; ++i) rack.sent(at(i), at(i + 1), i * ms);
    auto result = rack.on_ack(at(0), Peer{{2}}, 102 * ms, true, 1, 100 * ms);
    EXPECT_EQ(rack.reordering_window_us(true, 1, 100 * ms), 0u);
    // Segment 0: sent at 0, due at 0 + 100 = 100 ms: lost. Segment 1: due at 101: lost too.
    EXPECT_EQ(result.newly_lost, 2u);
    EXPECT_FALSE(result.timer_us);
}

// RFC 8985 6.2 step 3: a segment delivered below the highest delivered, never retransmitted, means the
// network reorders: the window stays, even in recovery.
TEST(Rack, Rfc8985_6_2_ReorderingSeenKeepsTheWindow) {
    Rack rack;
    for (std::uint32_t i = 0; i < 4; ++i) rack.sent(at(i), at(i + 1), i * ms);
    rack.on_ack(at(0), Peer{{2}}, 102 * ms, false, 1, 100 * ms);
    EXPECT_FALSE(rack.reordering_seen());
    rack.on_ack(at(0), Peer{{1, 2}}, 103 * ms, false, 2, 100 * ms);  // 1 arrives after 2: reordered
    EXPECT_TRUE(rack.reordering_seen());
    EXPECT_EQ(rack.reordering_window_us(true, 3, 100 * ms), 25 * ms);
}

// The window is at most SRTT.
TEST(Rack, Rfc8985_6_2_WindowAtMostSrtt) {
    Rack rack;
    rack.sent(at(0), at(1), 0);
    rack.sent(at(1), at(2), 0);
    rack.on_ack(at(0), Peer{{1}}, 400 * ms, false, 1, 100 * ms);
    EXPECT_EQ(rack.reordering_window_us(false, 1, 40 * ms), 40 * ms);  // min_RTT / 4 = 100 ms, SRTT 40 ms
}

// What duplicate ACKs cannot see: a retransmission lost again. Segment 0 is lost, resent at 200 ms; new data
// (segment 3) sent at 210 ms is SACKed at 310 ms; segment 0's resend, due at 200 + 100 (+ 0 in recovery),
// is lost again.
TEST(Rack, Rfc8985_ALostRetransmissionIsFound) {
    Rack rack;
    for (std::uint32_t i = 0; i < 3; ++i) rack.sent(at(i), at(i + 1), i * ms);
    rack.on_ack(at(0), Peer{{1, 2}}, 102 * ms, true, 2, 100 * ms);
    EXPECT_EQ(lost(rack), std::vector<Seq>{at(0)});
    rack.retransmitted(at(0), at(1), 200 * ms);
    EXPECT_TRUE(lost(rack).empty()) << "sent again: no longer lost";
    rack.sent(at(3), at(4), 210 * ms);
    auto result = rack.on_ack(at(0), Peer{{1, 2, 3}}, 310 * ms, true, 3, 100 * ms);
    EXPECT_EQ(result.newly_lost, 1u);
    EXPECT_EQ(lost(rack), std::vector<Seq>{at(0)});
}

// RFC 8985 6.2 step 2: a retransmitted segment delivered sooner than the least RTT was answered by its
// first transmission; it does not move RACK.xmit_ts (else every segment sent before the resend would look
// lost).
TEST(Rack, Rfc8985_6_2_AnAmbiguousRetransmissionDoesNotAdvanceTheClock) {
    Rack rack;
    for (std::uint32_t i = 0; i < 3; ++i) rack.sent(at(i), at(i + 1), i * ms);
    rack.on_ack(at(1), Peer{}, 100 * ms, false, 0, 100 * ms);  // segment 0 acked: min_RTT 100 ms
    rack.retransmitted(at(1), at(2), 150 * ms);                // resent (a spurious timeout, say)
    // Segment 1's ACK arrives 10 ms after the resend: too soon for the resend.
    auto result = rack.on_ack(at(2), Peer{}, 160 * ms, false, 0, 100 * ms);
    EXPECT_EQ(rack.rtt_us(), 100 * ms) << "RACK.rtt still from segment 0";
    EXPECT_EQ(result.newly_lost, 0u);
    EXPECT_TRUE(lost(rack).empty());
}

TEST(Rack, AcknowledgedSegmentsAreDroppedAndTheLogStaysSmall) {
    Rack rack;
    for (std::uint32_t i = 0; i < 1000; ++i) {
        rack.sent(at(i), at(i + 1), i * ms);
        if (i >= 10) rack.on_ack(at(i - 9), Peer{}, i * ms + 100 * ms, false, 0, 100 * ms);
    }
    EXPECT_EQ(rack.size(), 10u);
    rack.clear();
    EXPECT_EQ(rack.size(), 0u);
}

}  // namespace
}  // namespace tcpp::tcp
