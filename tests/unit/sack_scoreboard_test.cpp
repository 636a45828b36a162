#include "tcp/sack_scoreboard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "test_random.h"

namespace tcpp::tcp {

// How gtest shows NextSeg()'s answers.
[[maybe_unused]] static void PrintTo(const SackScoreboard::SendRange& range, std::ostream* os) {
    *os << "[" << range.begin.raw() << "," << range.end.raw() << ") by rule " << static_cast<int>(range.rule);
}

namespace {

using wire::SackBlock;
using wire::Seq;
using Rule = SackScoreboard::SendRange::Rule;
using SendRange = SackScoreboard::SendRange;

SackBlock block(std::uint32_t left, std::uint32_t right) { return {Seq{left}, Seq{right}}; }
SackBlock block(Seq left, Seq right) { return {left, right}; }

SackScoreboard::UpdateResult ack(SackScoreboard& board, Seq una, Seq max, std::initializer_list<SackBlock> blocks) {
    return board.update(una, max, std::span<const SackBlock>(blocks.begin(), blocks.size()));
}
SackScoreboard::UpdateResult ack(SackScoreboard& board, std::uint32_t una, std::uint32_t max,
                                 std::initializer_list<SackBlock> blocks) {
    return ack(board, Seq{una}, Seq{max}, blocks);
}

std::string ranges(const SackScoreboard& board) {
    std::string out;
    for (std::size_t i = 0; i < board.size(); ++i) {
        out += "[" + std::to_string(board[i].begin.raw()) + "," + std::to_string(board[i].end.raw()) + ")";
    }
    return out;
}

TEST(SackScoreboard, Rfc6675_Update_MergesOverlappingAndTouchingBlocks) {
    SackScoreboard board;
    ack(board, 100, 1000, {block(300, 400), block(500, 600)});
    EXPECT_EQ(ranges(board), "[300,400)[500,600)");
    ack(board, 100, 1000, {block(400, 450)});  // touches the first
    EXPECT_EQ(ranges(board), "[300,450)[500,600)");
    ack(board, 100, 1000, {block(440, 510)});  // bridges both
    EXPECT_EQ(ranges(board), "[300,600)");
    ack(board, 100, 1000, {block(700, 800), block(200, 900)});  // the second swallows all
    EXPECT_EQ(ranges(board), "[200,900)");
    EXPECT_EQ(board.sacked_bytes(), 700u);
    EXPECT_EQ(board.highest_sacked_end(), Seq{900});
    EXPECT_TRUE(board.is_sacked(Seq{200}));
    EXPECT_TRUE(board.is_sacked(Seq{899}));
    EXPECT_FALSE(board.is_sacked(Seq{900}));
    EXPECT_FALSE(board.is_sacked(Seq{199}));
}

// RFC 6675 section 2: an ACK is a duplicate acknowledgment when its SACK blocks report octets no earlier
// ACK reported, even if it also moves the cumulative ACK.
TEST(SackScoreboard, Rfc6675_2_DuplicateAck_IsOneThatSacksNewData) {
    SackScoreboard board;
    auto first = ack(board, 100, 1000, {block(300, 400)});
    EXPECT_TRUE(first.sacked_new_data());
    EXPECT_EQ(first.newly_sacked, 100u);
    auto repeated = ack(board, 100, 1000, {block(300, 400)});
    EXPECT_FALSE(repeated.sacked_new_data()) << "the receiver repeats blocks (RFC 2018 section 4)";
    auto grown = ack(board, 200, 1000, {block(300, 450), block(600, 700)});
    EXPECT_EQ(grown.newly_sacked, 150u) << "only the octets not SACKed before count";
    EXPECT_EQ(board.sacked_bytes(), 250u);
}

TEST(SackScoreboard, Rfc6675_Update_WorksAcrossTheSequenceWrap) {
    SackScoreboard board;
    Seq una{0xffffff00u};
    Seq max = una + 0x400;
    ack(board, una, max, {block(0xffffff80u, 0x40), block(0x80, 0xc0)});
    ack(board, una, max, {block(0x40, 0x80)});
    EXPECT_EQ(ranges(board), "[4294967168,192)");
    EXPECT_EQ(board.sacked_bytes(), 0x140u);
    EXPECT_TRUE(board.is_sacked(Seq{0xffffffffu}));
    EXPECT_TRUE(board.is_sacked(Seq{0}));
    EXPECT_FALSE(board.is_sacked(Seq{0xffffff7fu}));
    board.advance(Seq{0x10});
    EXPECT_EQ(ranges(board), "[16,192)");
    EXPECT_EQ(board.sacked_bytes(), 0xb0u);
}

// RFC 6675 section 4, Update(): cumulatively ACKed octets leave the scoreboard.
TEST(SackScoreboard, Rfc6675_Update_CumulativeAckDropsAndTrimsRanges) {
    SackScoreboard board;
    ack(board, 100, 1000, {block(200, 300), block(400, 500), block(600, 700)});
    board.advance(Seq{300});
    EXPECT_EQ(ranges(board), "[400,500)[600,700)");
    board.advance(Seq{250});  // behind: nothing to do
    EXPECT_EQ(ranges(board), "[400,500)[600,700)");
    ack(board, 650, 1000, {});
    EXPECT_EQ(ranges(board), "[650,700)");
    EXPECT_EQ(board.sacked_bytes(), 50u);
    board.advance(Seq{700});
    EXPECT_TRUE(board.empty());
    EXPECT_EQ(board.sacked_bytes(), 0u);
    EXPECT_EQ(board.highest_sacked_end(), std::nullopt);
}

// RFC 2883 section 4: a first block below the cumulative ACK reports a duplicate segment.
TEST(SackScoreboard, Rfc2883_DsackBelowSndUna_IsReported) {
    SackScoreboard board;
    auto result = ack(board, 1000, 3000, {block(500, 600), block(1500, 1600)});
    EXPECT_EQ(result.dsack, block(500, 600));
    EXPECT_EQ(result.stale_blocks, 0u);
    EXPECT_EQ(ranges(board), "[1500,1600)") << "the D-SACK adds nothing; the next block counts";
    EXPECT_EQ(result.newly_sacked, 100u);
}

// RFC 2883 section 4: a first block within the second reports a duplicate of data held out of order.
TEST(SackScoreboard, Rfc2883_DsackWithinSecondBlock_IsReported) {
    SackScoreboard board;
    ack(board, 1000, 3000, {block(1500, 2000)});
    auto result = ack(board, 1000, 3000, {block(1600, 1700), block(1500, 2000)});
    EXPECT_EQ(result.dsack, block(1600, 1700));
    EXPECT_FALSE(result.sacked_new_data());
    EXPECT_EQ(ranges(board), "[1500,2000)");
}

TEST(SackScoreboard, Rfc2883_OnlyTheFirstBlockIsADsack_LaterOldBlocksAreStale) {
    SackScoreboard board;
    auto result = ack(board, 1000, 3000, {block(1500, 1600), block(500, 600), block(800, 1000)});
    EXPECT_EQ(result.dsack, std::nullopt);
    EXPECT_EQ(result.stale_blocks, 2u);
    EXPECT_EQ(ranges(board), "[1500,1600)");
}

// A block from below SND.UNA to above it: as the first block it starts below the cumulative ACK, a D-SACK
// (RFC 2883 section 4); as another it contradicts the ACK (the receiver would have ACKed SND.UNA) and is
// ignored, as Linux does. Neither is recorded: forgetting SACK information is always safe.
TEST(SackScoreboard, Rfc2018_BlockStraddlingSndUna_IsNotRecorded) {
    SackScoreboard board;
    auto first = ack(board, 1000, 3000, {block(900, 1200)});
    EXPECT_EQ(first.dsack, block(900, 1200));
    EXPECT_EQ(first.newly_sacked, 0u);
    auto second = ack(board, 1000, 3000, {block(2000, 2100), block(950, 1300), block(1000, 1100)});
    EXPECT_EQ(second.dsack, std::nullopt);
    EXPECT_EQ(second.invalid_blocks, 2u) << "from below SND.UNA, and from SND.UNA itself";
    EXPECT_EQ(ranges(board), "[2000,2100)");
    EXPECT_FALSE(second.reneged);
}

// RFC 2018 section 3: blocks name data the sender sent; others are ignored and counted.
TEST(SackScoreboard, Rfc2018_3_BlocksBeyondSndMaxOrEmpty_AreIgnored) {
    SackScoreboard board;
    auto result = ack(board, 1000, 3000, {block(2500, 3001), block(1500, 1500), block(1700, 1600), block(2000, 3000)});
    EXPECT_EQ(result.invalid_blocks, 3u);
    EXPECT_EQ(ranges(board), "[2000,3000)");
}

// RFC 2018 section 8: SACK information is advisory. An ACK that stops at a SACKed range means the receiver
// dropped it; the scoreboard says so and keeps it until SND.UNA passes it or the engine clears it.
TEST(SackScoreboard, Rfc2018_8_AckStoppingAtASackedRange_ReportsReneging) {
    SackScoreboard board;
    EXPECT_FALSE(ack(board, 1000, 5000, {block(2000, 3000), block(4000, 4500)}).reneged);
    auto at = ack(board, 2000, 5000, {});
    EXPECT_TRUE(at.reneged);
    EXPECT_TRUE(board.is_sacked(Seq{2000}));
    auto into = ack(board, 2500, 5000, {});
    EXPECT_TRUE(into.reneged);
    EXPECT_EQ(ranges(board), "[2500,3000)[4000,4500)");
    EXPECT_FALSE(ack(board, 3000, 5000, {}).reneged);
    EXPECT_EQ(ranges(board), "[4000,4500)");
}

// RFC 6675 section 5.1 (after RFC 2018 section 8): on a retransmission timeout the sender may forget the
// SACK information; later ACKs build it again.
TEST(SackScoreboard, Rfc6675_5_1_ClearOnRto_ForgetsEverythingAndRebuilds) {
    SackScoreboard board;
    ack(board, 1000, 9000, {block(2000, 3000), block(4000, 5000), block(6000, 7000)});
    ASSERT_TRUE(board.is_lost(Seq{1000}, 1000));
    board.clear();
    EXPECT_TRUE(board.empty());
    EXPECT_EQ(board.sacked_bytes(), 0u);
    EXPECT_FALSE(board.is_lost(Seq{1000}, 1000));
    EXPECT_EQ(board.pipe({.snd_una = Seq{1000}, .snd_max = Seq{9000}, .rxt_end = Seq{1000}, .smss = 1000}), 8000u);
    auto again = ack(board, 1000, 9000, {block(6000, 7000)});
    EXPECT_EQ(again.newly_sacked, 1000u);
    EXPECT_EQ(ranges(board), "[6000,7000)");
}

// max_ranges: a block that needs a range beyond the bound makes the scoreboard forget its highest range.
TEST(SackScoreboard, Capacity_Full_ForgetsTheHighestRangeAndCountsIt) {
    SackScoreboard board;
    for (std::uint32_t i = 0; i < SackScoreboard::max_ranges; ++i) {
        ack(board, 0, 100000, {block(i * 100 + 50, i * 100 + 60)});
    }
    ASSERT_EQ(board.size(), SackScoreboard::max_ranges);
    auto above = ack(board, 0, 100000, {block(5000, 5010)});
    EXPECT_EQ(above.dropped, 1u);
    EXPECT_EQ(above.newly_sacked, 0u);
    EXPECT_FALSE(board.is_sacked(Seq{5000}));
    auto between = ack(board, 0, 100000, {block(3100, 3110)});
    EXPECT_EQ(between.dropped, 1u);
    EXPECT_EQ(between.newly_sacked, 10u);
    EXPECT_TRUE(board.is_sacked(Seq{3100}));
    EXPECT_FALSE(board.is_sacked(Seq{3150})) << "[3150,3160) was the highest";
    EXPECT_EQ(board.size(), SackScoreboard::max_ranges);
    EXPECT_EQ(board.sacked_bytes(), SackScoreboard::max_ranges * 10);
    auto merging = ack(board, 0, 100000, {block(155, 165)});
    EXPECT_EQ(merging.dropped, 0u) << "a block that merges needs no range";
    auto bridging = ack(board, 0, 100000, {block(250, 360), block(7000, 7010)});
    EXPECT_EQ(bridging.dropped, 0u) << "the bridge freed a range for the next block";
    EXPECT_TRUE(board.is_sacked(Seq{7000}));
}

// RFC 6675 section 4, IsLost(): DupThresh discontiguous SACKed sequences above. With 500-octet segments
// and SMSS 1000, three of them hold 1500 octets, under the octet rule's 2000: the ranges rule decides.
TEST(SackScoreboard, Rfc6675_IsLost_ThreeDiscontiguousSackedSegmentsAbove) {
    SackScoreboard board;
    ack(board, 0, 10000, {block(1000, 1500), block(2000, 2500)});
    EXPECT_FALSE(board.is_lost(Seq{0}, 1000));
    ack(board, 0, 10000, {block(3000, 3500)});
    EXPECT_TRUE(board.is_lost(Seq{0}, 1000));
    EXPECT_TRUE(board.is_lost(Seq{999}, 1000));
    EXPECT_FALSE(board.is_lost(Seq{1500}, 1000)) << "only two ranges above the second hole";
}

// Choice: "discontiguous sequences" are the scoreboard's ranges, so small segments SACKed back to back count
// as one (a byte scoreboard has no segment boundaries). This errs towards not marking loss.
TEST(SackScoreboard, Rfc6675_IsLost_ContiguousSmallSegmentsCountAsOneSequence) {
    SackScoreboard board;
    ack(board, 0, 10000, {block(1000, 1100), block(1100, 1200), block(1200, 1300)});
    EXPECT_FALSE(board.is_lost(Seq{0}, 1000));
}

// RFC 6675 section 4, IsLost(): more than (DupThresh - 1) * SMSS octets SACKed above.
TEST(SackScoreboard, Rfc6675_IsLost_MoreThanDupThreshMinusOneSmssOctetsAbove) {
    SackScoreboard board;
    ack(board, 0, 10000, {block(1000, 3000)});
    EXPECT_FALSE(board.is_lost(Seq{0}, 1000)) << "2000 octets is not more than 2 * SMSS";
    ack(board, 0, 10000, {block(5000, 5001)});
    EXPECT_TRUE(board.is_lost(Seq{0}, 1000));
    EXPECT_TRUE(board.is_lost(Seq{999}, 1000)) << "after octet 999: 2000 + 1";
    EXPECT_FALSE(board.is_lost(Seq{1000}, 1000)) << "after octet 1000: 1999 + 1";
    EXPECT_FALSE(board.is_lost(Seq{3000}, 1000));
    EXPECT_FALSE(board.is_lost(Seq{0}, 1500)) << "the bound scales with SMSS";
}

// RFC 6675 section 4, SetPipe(): an unSACKed octet counts once if not lost, once more if retransmitted.
TEST(SackScoreboard, Rfc6675_SetPipe_CountsRetransmittedAndUnsackedNotLost) {
    SackScoreboard board;
    // Six segments of 1000 in flight from 0; segments 2-4 ([1000,4000)) SACKed: segment 1 is lost.
    ack(board, 0, 6000, {block(1000, 4000)});
    SackScoreboard::Flight flight{.snd_una = Seq{0}, .snd_max = Seq{6000}, .rxt_end = Seq{0}, .smss = 1000};
    EXPECT_EQ(board.pipe(flight), 2000u);  // lost segment 1: 0; segments 5, 6: 1000 each
    flight.rxt_end = Seq{1000};            // segment 1 retransmitted
    EXPECT_EQ(board.pipe(flight), 3000u);  // segment 1: 0 + 1000; segments 5, 6: 2000
    flight.rxt_end = Seq{5000};            // segment 5 retransmitted too (NextSeg rule 3): not lost
    EXPECT_EQ(board.pipe(flight), 4000u);  // segment 1: 1000; segment 5: 1000 + 1000; segment 6: 1000
}

// A window of 10 segments of 1000 octets, segments 2 and 5 lost, the others SACKed as they arrive; the
// sequence numbers wrap inside segment 9. The engine's part (DupAcks, HighRxt, RescueRxt) is done by hand.
TEST(SackScoreboard, Rfc6675_WorkedExample_TenSegments_TwoAndFiveLost) {
    constexpr std::uint32_t mss = 1000;
    const Seq base{0xffffe000u};
    auto seg = [&](std::uint32_t k) { return base + (k - 1) * mss; };  // first octet of segment k
    SackScoreboard board;
    SackScoreboard::Flight f{.snd_una = seg(2), .snd_max = seg(11), .rxt_end = seg(2), .smss = mss};
    int dup_acks = 0;
    auto on_ack = [&](std::initializer_list<SackBlock> blocks) {
        auto result = ack(board, f.snd_una, f.snd_max, blocks);
        if (result.sacked_new_data()) ++dup_acks;
        return result;
    };
    // Segment 1 arrives: ACK seg(2). Nothing SACKed; pipe = segments 2-10 = 9000.
    on_ack({});
    EXPECT_EQ(board.pipe(f), 9000u);
    // Segment 3: SACK 3. DupAcks 1. Above segment 2: 1000 octets, 1 range: not lost. pipe = 9000 - 1000.
    on_ack({block(seg(3), seg(4))});
    EXPECT_FALSE(board.is_lost(seg(2), mss));
    EXPECT_EQ(board.pipe(f), 8000u);
    // Segment 4: SACK 3-4. DupAcks 2. 2000 octets is not more than 2 * SMSS: not lost. pipe = 7000.
    on_ack({block(seg(3), seg(5))});
    EXPECT_FALSE(board.is_lost(seg(2), mss));
    EXPECT_EQ(board.pipe(f), 7000u);
    // Segment 6: SACK 3-4, 6. DupAcks 3, and 3000 octets above segment 2: lost; segment 5 (1000 above) is
    // not. pipe = segment 5 (1000) + segments 7-10 (4000) = 5000; lost segment 2 counts 0.
    on_ack({block(seg(6), seg(7)), block(seg(3), seg(5))});
    EXPECT_EQ(dup_acks, 3);
    EXPECT_TRUE(board.is_lost(seg(2), mss));
    EXPECT_FALSE(board.is_lost(seg(5), mss));
    EXPECT_EQ(board.pipe(f), 5000u);
    // Recovery: NextSeg rule 1 gives segment 2. RFC 6675 step 4.3: HighRxt = RescueRxt = its last octet.
    EXPECT_EQ(board.next_segment(f, false), (SendRange{seg(2), seg(3), Rule::lost}));
    f.rxt_end = seg(3);
    f.rescue_end = seg(3);
    EXPECT_EQ(board.pipe(f), 6000u);  // segment 2 now counts once, for its retransmission
    // Segment 5 is not lost yet: new data first (rule 2), else segment 5 (rule 3). With cwnd = ssthresh =
    // 5000 < pipe, the engine sends neither.
    EXPECT_EQ(board.next_segment(f, true), (SendRange{seg(11), seg(11) + mss, Rule::new_data}));
    EXPECT_EQ(board.next_segment(f, false), (SendRange{seg(5), seg(6), Rule::unsacked}));
    // Segment 7: SACK 6-7. Above segment 5: 2000 octets, 1 range: not lost.
    // pipe = segment 2 (retransmitted, 1000) + segment 5 (1000) + segments 8-10 (3000) = 5000.
    on_ack({block(seg(6), seg(8)), block(seg(3), seg(5))});
    EXPECT_FALSE(board.is_lost(seg(5), mss));
    EXPECT_EQ(board.pipe(f), 5000u);
    // Segment 8: SACK 6-8: 3000 octets above segment 5: lost. pipe = 1000 + 0 + segments 9-10 (2000).
    on_ack({block(seg(6), seg(9)), block(seg(3), seg(5))});
    EXPECT_TRUE(board.is_lost(seg(5), mss));
    EXPECT_EQ(board.pipe(f), 3000u);
    EXPECT_EQ(board.next_segment(f, true), (SendRange{seg(5), seg(6), Rule::lost})) << "rule 1 before new data";
    f.rxt_end = seg(6);
    EXPECT_EQ(board.pipe(f), 4000u);  // segments 2 and 5 retransmitted (2000), segments 9-10 (2000)
    // Segment 9: SACK 6-9 (the wrap lies inside it). pipe = 1000 + 1000 + segment 10 (1000) = 3000.
    on_ack({block(seg(6), seg(10)), block(seg(3), seg(5))});
    EXPECT_EQ(board.pipe(f), 3000u);
    // Nothing unSACKed lies between HighRxt and the highest SACKed octet. Rescue (rule 4) waits for
    // HighACK > RescueRxt; without step 4.3's RescueRxt it would be segment 10.
    EXPECT_EQ(board.next_segment(f, false), std::nullopt);
    SackScoreboard::Flight no_rescue_yet = f;
    no_rescue_yet.rescue_end.reset();
    EXPECT_EQ(board.next_segment(no_rescue_yet, false), (SendRange{seg(10), seg(11), Rule::rescue}));
    // Segment 2's retransmission arrives: ACK seg(5) (3-4 were held), SACK 6-9. Segment 5: lost and
    // retransmitted, 1000; segment 10: 1000. pipe = 2000.
    f.snd_una = seg(5);
    auto partial = on_ack({block(seg(6), seg(10))});
    EXPECT_FALSE(partial.sacked_new_data());
    EXPECT_FALSE(partial.reneged);
    EXPECT_EQ(board.pipe(f), 2000u);
    // HighACK is now above RescueRxt: one rescue of the last segment; RescueRxt = RecoveryPoint, and
    // HighRxt stays (rule 4), so pipe stays 2000.
    EXPECT_EQ(board.next_segment(f, false), (SendRange{seg(10), seg(11), Rule::rescue}));
    f.rescue_end = seg(11);
    EXPECT_EQ(board.pipe(f), 2000u);
    EXPECT_EQ(board.next_segment(f, false), std::nullopt) << "one rescue per recovery";
    // Segment 5's retransmission arrives: ACK seg(10). Only segment 10 is out: pipe = 1000. Then all of it.
    f.snd_una = seg(10);
    on_ack({});
    EXPECT_TRUE(board.empty());
    EXPECT_EQ(board.pipe(f), 1000u);
    f.snd_una = seg(11);
    on_ack({});
    EXPECT_EQ(board.pipe(f), 0u);
}

// NextSeg rule 1: a retransmission starts at the lowest lost unSACKed octet above HighRxt and stops at
// SMSS octets or at the next SACKed octet, whichever comes first.
TEST(SackScoreboard, Rfc6675_NextSeg_Rule1_LostRangeStopsAtNextSackOrSmss) {
    SackScoreboard board;
    ack(board, 0, 20000, {block(1500, 2000), block(3000, 4000), block(5000, 6000), block(7000, 7500)});
    SackScoreboard::Flight f{.snd_una = Seq{0}, .snd_max = Seq{20000}, .rxt_end = Seq{0}, .smss = 1000};
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{0}, Seq{1000}, Rule::lost}));
    f.rxt_end = Seq{1000};
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{1000}, Seq{1500}, Rule::lost}));
    f.rxt_end = Seq{1500};
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{2000}, Seq{3000}, Rule::lost}));
    f.rxt_end = Seq{2500};  // part of that hole went already
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{2500}, Seq{3000}, Rule::lost}));
    f.rxt_end = Seq{3000};  // above 4000 lie two ranges, 1500 octets: not lost
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{4000}, Seq{5000}, Rule::unsacked}));
}

// NextSeg rule 2: when no hole is lost, new data goes before holes that are not lost.
TEST(SackScoreboard, Rfc6675_NextSeg_Rule2_NewDataBeforeHolesNotLost) {
    SackScoreboard board;
    ack(board, 0, 5000, {block(1000, 2000)});
    SackScoreboard::Flight f{.snd_una = Seq{0}, .snd_max = Seq{5000}, .rxt_end = Seq{0}, .smss = 1000};
    EXPECT_EQ(board.next_segment(f, true), (SendRange{Seq{5000}, Seq{6000}, Rule::new_data}));
}

// NextSeg rule 3: with no new data, the lowest unSACKed octet above HighRxt and below the highest SACK.
TEST(SackScoreboard, Rfc6675_NextSeg_Rule3_UnsackedNotLostWhenNoNewData) {
    SackScoreboard board;
    ack(board, 0, 5000, {block(1000, 2000), block(3000, 3500)});
    SackScoreboard::Flight f{.snd_una = Seq{0}, .snd_max = Seq{5000}, .rxt_end = Seq{0}, .smss = 1000};
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{0}, Seq{1000}, Rule::unsacked}));
    f.rxt_end = Seq{1000};
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{2000}, Seq{3000}, Rule::unsacked}));
    f.rxt_end = Seq{3000};
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{4000}, Seq{5000}, Rule::rescue}))
        << "nothing unSACKed below the highest SACK: rule 4, ending at the highest unSACKed octet";
}

// NextSeg rule 4: one rescue retransmission per recovery, while HighACK > RescueRxt.
TEST(SackScoreboard, Rfc6675_NextSeg_Rule4_RescueOncePerRecovery) {
    SackScoreboard board;
    ack(board, 0, 2700, {block(1000, 2500)});
    SackScoreboard::Flight f{.snd_una = Seq{0}, .snd_max = Seq{2700}, .rxt_end = Seq{1000}, .smss = 1000};
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{2500}, Seq{2700}, Rule::rescue}))
        << "up to SMSS, not into SACKed octets";
    f.rescue_end = Seq{2700};  // RescueRxt = RecoveryPoint
    EXPECT_EQ(board.next_segment(f, false), std::nullopt);
    // The tail SACKed too: the highest unSACKed octet is below the range, in the retransmitted hole.
    ack(board, 0, 2700, {block(1000, 2700)});
    f.rescue_end.reset();
    EXPECT_EQ(board.next_segment(f, false), (SendRange{Seq{0}, Seq{1000}, Rule::rescue}));
}

// NextSeg rule 5: nothing outstanding is unSACKed, no new data: no segment.
TEST(SackScoreboard, Rfc6675_NextSeg_Rule5_NothingToSend) {
    SackScoreboard board;
    SackScoreboard::Flight f{.snd_una = Seq{0}, .snd_max = Seq{0}, .rxt_end = Seq{0}, .smss = 1000};
    EXPECT_EQ(board.next_segment(f, false), std::nullopt);
    EXPECT_EQ(board.pipe(f), 0u);
}

// The scoreboard against an octet-by-octet model of RFC 6675 section 4's definitions.
class Model {
public:
    static constexpr std::size_t size = 96;  // octets [base, base + size); ranges live within 64 of them
    explicit Model(Seq base) : base_(base), sacked_(size, false) {}

    Seq at(std::size_t i) const { return base_ + static_cast<std::uint32_t>(i); }
    bool sacked(std::size_t i) const { return sacked_[i]; }
    void clear() { sacked_.assign(size, false); }
    void advance(std::size_t una) { std::fill(sacked_.begin(), sacked_.begin() + una, false); }
    std::uint32_t mark(std::size_t begin, std::size_t end) {
        std::uint32_t added = 0;
        for (std::size_t i = begin; i < end; ++i) added += sacked_[i] ? 0 : 1;
        std::fill(sacked_.begin() + begin, sacked_.begin() + end, true);
        return added;
    }
    std::uint32_t total() const { return static_cast<std::uint32_t>(std::count(sacked_.begin(), sacked_.end(), true)); }
    std::size_t runs() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < size; ++i) n += sacked_[i] && (i == 0 || !sacked_[i - 1]) ? 1 : 0;
        return n;
    }
    bool is_lost(std::size_t s, std::uint32_t smss) const {
        std::uint32_t octets = 0, sequences = 0;
        for (std::size_t i = s + 1; i < size; ++i) {
            if (!sacked_[i]) continue;
            ++octets;
            if (i == s + 1 || !sacked_[i - 1]) ++sequences;
        }
        return sequences >= SackScoreboard::dup_thresh || octets > (SackScoreboard::dup_thresh - 1) * smss;
    }
    std::uint32_t pipe(std::size_t una, std::size_t max, std::size_t rxt_end, std::uint32_t smss) const {
        std::uint32_t pipe = 0;
        for (std::size_t i = una; i < max; ++i) {
            if (sacked_[i]) continue;
            if (!is_lost(i, smss)) ++pipe;
            if (i < rxt_end) ++pipe;
        }
        return pipe;
    }
    std::optional<SendRange> next_segment(std::size_t una, std::size_t max, std::size_t rxt_end,
                                          std::optional<std::size_t> rescue_end, bool new_data,
                                          std::uint32_t smss) const {
        std::size_t high_sack = 0;
        for (std::size_t i = 0; i < size; ++i) high_sack = sacked_[i] ? i + 1 : high_sack;
        auto hole_from = [&](std::size_t s, Rule rule) {
            std::size_t e = s;
            while (e < max && e < s + smss && !sacked_[e]) ++e;
            return SendRange{at(s), at(e), rule};
        };
        for (std::size_t s = std::max(una, rxt_end); s < high_sack; ++s) {
            if (!sacked_[s] && is_lost(s, smss)) return hole_from(s, Rule::lost);
        }
        if (new_data) return SendRange{at(max), at(max) + smss, Rule::new_data};
        for (std::size_t s = std::max(una, rxt_end); s < high_sack; ++s) {
            if (!sacked_[s]) return hole_from(s, Rule::unsacked);
        }
        if (rescue_end && *rescue_end >= una) return std::nullopt;
        for (std::size_t h = max; h-- > una;) {
            if (sacked_[h]) continue;
            std::size_t b = h;
            while (b > una && !sacked_[b - 1] && h + 1 - (b - 1) <= smss) --b;
            return SendRange{at(b), at(h + 1), Rule::rescue};
        }
        return std::nullopt;
    }

private:
    Seq base_;
    std::vector<bool> sacked_;
};

TEST(SackScoreboard, Randomized_MatchesAnOctetByOctetModel) {
    wire::test::TestRandom random(6675);
    for (int episode = 0; episode < 1500; ++episode) {
        // Bases near the wrap half the time.
        Seq base{random.coin() ? 0xffffffc0u + static_cast<std::uint32_t>(random.below(64)) : random.u32()};
        Model model(base);
        SackScoreboard board;
        std::size_t una = 16, max = 16 + random.below(40);
        for (int step = 0; step < 40; ++step) {
            max = std::min({max + random.below(8), una + 64, Model::size - 8});
            if (random.below(4) == 0) una += random.below(max - una + 1);
            std::vector<SackBlock> blocks(random.below(5));
            for (auto& b : blocks) {
                std::size_t left = una - 12 + random.below(max - una + 18);
                std::size_t right = std::min<std::size_t>(left + random.below(24), Model::size - 1);
                if (random.below(8) == 0) std::swap(left, right);
                b = block(model.at(left), model.at(right));
            }
            SCOPED_TRACE("episode " + std::to_string(episode) + " step " + std::to_string(step));
            std::uint32_t expected_new = 0;
            std::uint8_t expected_stale = 0, expected_invalid = 0;
            std::optional<SackBlock> expected_dsack;
            if (random.below(30) == 0) {
                board.clear();
                model.clear();
            }
            if (random.below(3) == 0) {
                board.advance(model.at(una));
                model.advance(una);
                blocks.clear();
            } else {
                auto result = board.update(model.at(una), model.at(max), blocks);
                model.advance(una);
                for (std::size_t i = 0; i < blocks.size(); ++i) {
                    std::size_t l = static_cast<std::size_t>(blocks[i].left - model.at(0));
                    std::size_t r = static_cast<std::size_t>(blocks[i].right - model.at(0));
                    if (l >= r || r > max) {
                        ++expected_invalid;
                        continue;
                    }
                    bool within_second = i == 0 && blocks.size() > 1 && blocks[1].left <= blocks[0].left &&
                                         blocks[0].right <= blocks[1].right;
                    if (i == 0 && (l < una || within_second)) {
                        expected_dsack = blocks[0];
                    } else if (r <= una) {
                        ++expected_stale;
                    } else if (l <= una) {
                        ++expected_invalid;
                    } else {
                        expected_new += model.mark(l, r);
                    }
                }
                EXPECT_EQ(result.newly_sacked, expected_new);
                EXPECT_EQ(result.dsack, expected_dsack);
                EXPECT_EQ(result.stale_blocks, expected_stale);
                EXPECT_EQ(result.invalid_blocks, expected_invalid);
                ASSERT_EQ(result.dropped, 0u) << "64 octets hold at most 32 ranges";
            }
            ASSERT_EQ(board.sacked_bytes(), model.total());
            ASSERT_EQ(board.size(), model.runs());
            for (std::size_t i = 0; i < Model::size; ++i) {
                ASSERT_EQ(board.is_sacked(model.at(i)), model.sacked(i)) << i;
            }
            std::uint32_t smss = 1 + static_cast<std::uint32_t>(random.below(12));
            for (std::size_t i = una; i < max; ++i) {
                ASSERT_EQ(board.is_lost(model.at(i), smss), model.is_lost(i, smss)) << i;
            }
            std::size_t rxt_end = una + random.below(max - una + 1);
            std::optional<std::size_t> rescue_end;
            if (random.coin()) rescue_end = random.below(max + 1);
            SackScoreboard::Flight flight{
                .snd_una = model.at(una),
                .snd_max = model.at(max),
                .rxt_end = model.at(rxt_end),
                .rescue_end = rescue_end ? std::optional(model.at(*rescue_end)) : std::nullopt,
                .smss = smss,
            };
            ASSERT_EQ(board.pipe(flight), model.pipe(una, max, rxt_end, smss));
            bool new_data = random.below(4) == 0;
            ASSERT_EQ(board.next_segment(flight, new_data),
                      model.next_segment(una, max, rxt_end, rescue_end, new_data, smss));
        }
    }
}

}  // namespace
}  // namespace tcpp::tcp
