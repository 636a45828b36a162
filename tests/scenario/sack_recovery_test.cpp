// Loss recovery with SACK: the RFC 6675 scoreboard driving fast recovery, the tail loss probe of RFC 8985,
// the resend after a timeout skipping what was SACKed, and D-SACK (RFC 2883) from the receiver.
//
// The stack is the server, its peer's MSS 1000, SACK permitted, no timestamps (so four SACK blocks fit),
// and an RTT sample of 100 ms from the handshake: SRTT 100 ms, RTTVAR 50 ms, RTO 300 ms, and the tail loss
// probe's timeout 2*SRTT + 2 ms = 202 ms while more than one segment is out. CUBIC reduces a window to
// 0.7 of the flight.

#include <gtest/gtest.h>

#include "data_segments.h"
#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::OpenOptions;
using testing::Seg;
using testing::SegmentScript;
using testing::queue_segments;
using testing::segment_of;

constexpr std::uint32_t mss = testing::data_mss;

// RFC 6675 on its own: these scripts answer at once (no RTT), where RACK's clock would find every earlier
// segment lost at the first SACK; RACK has tests of its own below, with round trips that take time.
StackConfig without_rack() {
    StackConfig config = SegmentScript::default_config();
    config.tcp.rack = false;
    return config;
}

Opened open_with_sack(SegmentScript& t) {
    OpenOptions options;
    options.peer_sack_permitted = true;
    return testing::open_for_data(t, options);
}

// Segment i of the stream, as the stack sends it.
Seg data(const Opened& o, std::uint32_t i) { return Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)); }

// The peer's ACK of everything below segment `cumulative`, SACKing segments [first, last) of each pair.
Seg sack_ack(const Opened& o, std::uint32_t cumulative, std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
    Seg seg = Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + cumulative * mss);
    for (auto [first, last] : blocks) seg.sack(o.snd_nxt + first * mss, o.snd_nxt + last * mss);
    return seg;
}

// Sends the initial window of ten segments (of `queued`).
void send_initial_window(SegmentScript& t, Opened& o, std::uint32_t queued) {
    queue_segments(o, queued);
    for (std::uint32_t i = 0; i < 10; ++i) t.expect(data(o, i).psh_if(i + 1 == queued));
    t.expect_nothing();
}

TEST(SackRecovery, Rfc6675_5_ThirdSackingAckStartsRecovery_ResendsTheHoleAndNothingSacked) {
    SegmentScript t{without_rack()};
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 30);
    // Segment 0 arrives and is ACKed: slow start lets two more go (cwnd 11 segments).
    t.inject(sack_ack(o, 1, {}));
    t.expect(data(o, 10));
    t.expect(data(o, 11));
    // Segment 1 was lost; 2, 3 and 4 arrive and are SACKed.
    t.inject(sack_ack(o, 1, {{2, 3}}));
    t.inject(sack_ack(o, 1, {{2, 4}}));
    t.expect_nothing();  // two SACKed segments above the hole are not yet a loss (IsLost needs > 2 SMSS)
    EXPECT_FALSE(o.connection.info()->in_recovery);
    t.inject(sack_ack(o, 1, {{2, 5}}));
    // Recovery: ssthresh = cwnd = 0.7 * 11000 = 7700. The hole goes at once; the pipe, 1000 (the resent
    // hole) + 7000 (segments 5 to 11), leaves no room for more.
    t.expect(data(o, 1));
    t.expect_nothing();
    auto info = *o.connection.info();
    EXPECT_TRUE(info.in_recovery);
    EXPECT_TRUE(info.sack_recovery);
    EXPECT_EQ(info.cwnd, 7700u);
    EXPECT_EQ(info.sacked, 3 * mss);
    // Each further SACK lowers the pipe by a segment; at 6000 there is room for new data (NextSeg rule 2).
    t.inject(sack_ack(o, 1, {{2, 6}}));
    t.expect_nothing();  // pipe 7000: 700 bytes of room, less than a segment
    t.inject(sack_ack(o, 1, {{2, 7}}));
    t.expect(data(o, 12));
    t.expect_nothing();
    // The resent hole arrives: a partial ACK (below the recovery point, 12). With SACK it resends nothing
    // by itself; the pipe (segments 7 to 12) leaves room for one new segment.
    t.inject(sack_ack(o, 7, {}));
    t.expect(data(o, 13));
    t.expect_nothing();
    // A full ACK ends recovery: cwnd = min(ssthresh, flight + SMSS) (RFC 6582 3.2 step 3, option 1).
    t.inject(sack_ack(o, 13, {}));
    info = *o.connection.info();
    EXPECT_FALSE(info.in_recovery);
    EXPECT_EQ(info.cwnd, 2 * mss);
    EXPECT_EQ(info.sacked, 0u);
    t.expect(data(o, 14));
    EXPECT_EQ(t.stack.counters().TCPSackRecovery, 1u);
    EXPECT_EQ(t.stack.counters().TCPRenoRecovery, 0u);
    EXPECT_EQ(t.stack.counters().TCPFastRetrans, 1u);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
    EXPECT_EQ(t.stack.counters().RetransSegs, 1u) << "only the hole was sent twice";
}

TEST(SackRecovery, Rfc6675_TwoHolesAreBothResentWithinOneRoundTrip) {
    SegmentScript t{without_rack()};
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 20);
    // Segments 0 and 2 are lost.
    t.inject(sack_ack(o, 0, {{1, 2}}));
    t.inject(sack_ack(o, 0, {{1, 2}, {3, 4}}));
    t.expect_nothing();
    t.inject(sack_ack(o, 0, {{3, 5}, {1, 2}}));
    // Third duplicate: recovery, cwnd 7000. Segment 0 goes; segment 2 is not yet lost (only 2000 bytes
    // SACKed above it), so it still counts in the pipe: 1000 + 1000 + 5000 (5 to 9) = 7000, no room.
    t.expect(data(o, 0));
    t.expect_nothing();
    // Another SACK: now 3000 bytes lie SACKed above segment 2, so it is lost (NextSeg rule 1) and goes
    // without waiting for a partial ACK, as NewReno would have to; then new data (rule 2) fills the pipe.
    t.inject(sack_ack(o, 0, {{3, 6}, {1, 2}}));
    t.expect(data(o, 2));
    t.expect(data(o, 10));
    t.expect_nothing();
    // Both holes arrive; the ACKs complete the recovery.
    t.inject(sack_ack(o, 6, {}));
    t.inject(sack_ack(o, 11, {}));
    EXPECT_FALSE(o.connection.info()->in_recovery);
    EXPECT_EQ(t.stack.counters().TCPSackRecovery, 1u);
    EXPECT_EQ(t.stack.counters().RetransSegs, 2u);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
}

TEST(SackRecovery, Rfc6675_IsLost_StartsRecoveryBeforeThreeDuplicates) {
    SegmentScript t{without_rack()};
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 10);
    // One ACK SACKs three segments above the hole at once: 3000 bytes > (DupThresh - 1) * SMSS.
    t.inject(sack_ack(o, 0, {{1, 4}}));
    t.expect(data(o, 0));
    EXPECT_TRUE(o.connection.info()->sack_recovery);
    EXPECT_EQ(t.stack.counters().TCPSackRecovery, 1u);
}

TEST(SackRecovery, Rfc6675_RescueRetransmission_OnceTheFirstResendIsAcknowledged) {
    SegmentScript t{without_rack()};
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 10);  // nothing more to send
    // Segment 0 lost, 1 to 9 SACKed at once: recovery; segment 0 goes, once (RescueRxt = HighRxt at the
    // start of recovery, RFC 6675 5 step 4.3, so no rescue repeats it).
    t.inject(sack_ack(o, 0, {{1, 10}}));
    t.expect(data(o, 0));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().RetransSegs, 1u);
}

TEST(SackRecovery, Rfc6675_RescueRetransmission_WhenNothingElseMayGo) {
    SegmentScript t{without_rack()};
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 10);  // nothing more to send
    // Segment 0 lost, 1 to 3 SACKed: recovery, cwnd 7000; segment 0 goes.
    t.inject(sack_ack(o, 0, {{1, 4}}));
    t.expect(data(o, 0));
    t.expect_nothing();
    t.inject(sack_ack(o, 0, {{1, 6}}));
    t.expect_nothing();  // no rescue before the resend is acknowledged
    // The resend arrives: ACK of 0 to 5, below the recovery point (10). Pipe 4000 (6 to 9), room 3000; no
    // lost segment, no new data, nothing unSACKed below the highest SACK: NextSeg rule 4 resends, once,
    // the segment holding the highest unSACKed octet.
    t.inject(sack_ack(o, 6, {}));
    t.expect(data(o, 9).psh());
    t.expect_nothing();
    t.inject(sack_ack(o, 7, {}));
    t.expect_nothing();  // once per recovery
}

// New data that Nagle holds back (a short tail, data in flight) is no reason to stop recovery: NextSeg
// is asked again without it, and the rescue goes at once rather than at the RTO.
TEST(SackRecovery, Rfc6675_NewDataHeldByNagle_DoesNotStallRecovery) {
    SegmentScript t{without_rack()};
    OpenOptions options;
    options.peer_sack_permitted = true;
    options.connection.nodelay = false;
    Opened o = testing::open_for_data(t, options);
    std::string all;
    for (std::uint32_t i = 0; i < 10; ++i) all += segment_of(i);
    all += std::string(100, '!');
    ASSERT_EQ(o.connection.send(wire::as_bytes(all.data(), all.size())).value_or(0), all.size());
    for (std::uint32_t i = 0; i < 10; ++i) t.expect(data(o, i));
    t.expect_nothing();
    // Segments 0 and 9 lost.
    t.inject(sack_ack(o, 0, {{1, 2}}));
    t.inject(sack_ack(o, 0, {{1, 3}}));
    t.inject(sack_ack(o, 0, {{1, 4}}));
    t.expect(data(o, 0));
    for (std::uint32_t k = 5; k <= 9; ++k) t.inject(sack_ack(o, 0, {{1, k}}));
    t.expect_nothing();
    t.inject(sack_ack(o, 9, {}));  // the resent 0 arrived: a partial ACK, 9 still missing
    t.expect(data(o, 9));          // the rescue, now, not after the RTO
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
}

TEST(SackRecovery, Rfc8985_7_TailLossProbe_ResendsTheLastSegmentAfterTwoRtts) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    queue_segments(o, 3);
    for (std::uint32_t i = 0; i < 3; ++i) t.expect(data(o, i).psh_if(i == 2));
    // No ACK comes: the probe timeout (2 * 100 ms + 2 ms) comes before the RTO (300 ms). The probe is the
    // last segment again, there being no new data.
    t.expect_after(202'000, data(o, 2).psh());
    EXPECT_EQ(t.stack.counters().TCPLossProbes, 1u);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
    EXPECT_TRUE(o.connection.info()->loss_probe_outstanding);
    // Segment 2 was the one lost: the probe repairs it, and the ACK covers everything.
    t.inject(sack_ack(o, 3, {}));
    // Later data is ACKed beyond the probe with no D-SACK for it: the probe repaired a real loss, and the
    // window is reduced as for one (RFC 8985 7.4.2).
    const std::uint32_t cwnd_before = o.connection.info()->cwnd;
    queue_segments(o, 1);
    t.expect(Seg{}.seq(o.snd_nxt + 3 * mss).ack(o.rcv_nxt).payload(segment_of(0)).psh());
    t.inject(sack_ack(o, 4, {}));
    EXPECT_EQ(t.stack.counters().TCPLossProbeRecovery, 1u);
    EXPECT_FALSE(o.connection.info()->loss_probe_outstanding);
    // Reduced once, from the window (0.7 of it for CUBIC), not from the nearly empty flight.
    EXPECT_EQ(o.connection.info()->cwnd, cwnd_before * 7 / 10);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
}

// With our FIN sent, the last segment is the FIN: the probe is the FIN alone (as Linux, whose FIN behind the
// data is a segment of its own; packetdrill's shutdown-rdwr-write-queue-close).
TEST(SackRecovery, Rfc8985_7_TailLossProbe_AfterTheFin_IsTheFinAlone) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    queue_segments(o, 3);
    for (std::uint32_t i = 0; i < 3; ++i) t.expect(data(o, i).psh_if(i == 2));
    o.connection.shutdown();
    t.expect(Seg{}.fin().seq(o.snd_nxt + 3 * mss).ack(o.rcv_nxt));
    t.expect_after(202'000, Seg{}.fin().seq(o.snd_nxt + 3 * mss).ack(o.rcv_nxt));
    EXPECT_EQ(t.stack.counters().TCPLossProbes, 1u);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
}

// When the FIN rode on the last data, the last segment is that data with the FIN: the probe sends both.
TEST(SackRecovery, Rfc8985_7_TailLossProbe_AFinOnData_GoesWithItsData) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    queue_segments(o, 11);  // the eleventh waits for the congestion window
    o.connection.shutdown();
    for (std::uint32_t i = 0; i < 10; ++i) t.expect(data(o, i));
    t.inject(sack_ack(o, 10, {}));
    t.expect(data(o, 10).psh().fin());  // the FIN with the last data
    for (int i = 0; i < 5 && t.pending() == 0; ++i) t.advance_to_next_deadline();  // to the probe's timer
    t.expect(data(o, 10).psh().fin());
    EXPECT_EQ(t.stack.counters().TCPLossProbes, 1u);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
}

TEST(SackRecovery, Rfc8985_7_4_DsackForTheProbe_MeansNoLoss) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    queue_segments(o, 3);
    for (std::uint32_t i = 0; i < 3; ++i) t.expect(data(o, i).psh_if(i == 2));
    t.expect_after(202'000, data(o, 2).psh());
    // Only the ACKs were slow: the original arrived too, and the peer reports the probe as a duplicate.
    const std::uint32_t cwnd_before = o.connection.info()->cwnd;
    t.inject(sack_ack(o, 3, {}));
    t.inject(sack_ack(o, 3, {{2, 3}}));
    EXPECT_EQ(t.stack.counters().TCPDSACKRecv, 1u);
    EXPECT_FALSE(o.connection.info()->loss_probe_outstanding);
    EXPECT_EQ(o.connection.info()->cwnd, cwnd_before);
    EXPECT_EQ(t.stack.counters().TCPLossProbeRecovery, 0u);
}

TEST(SackRecovery, Rfc8985_7_2_OneSegmentOut_TheProbeGoesAtTheRtosTime_ThenTheRto) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    queue_segments(o, 1);
    t.expect(data(o, 0).psh());
    // PTO = 2 * 100 + 200 ms (a delayed ACK may hold the answer to a lone segment): later than the RTO
    // (300 ms), so the probe is scheduled for min(PTO, RTO), in the RTO's place (as Linux: packetdrill's
    // user_timeout script expects a FIN at +300 ms, +300 ms, then +600 ms).
    t.expect_after(300'000, data(o, 0).psh());
    EXPECT_EQ(t.stack.counters().TCPLossProbes, 1u);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
    t.expect_after(300'000, data(o, 0).psh());  // the RTO, which the probe did not back off
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 1u);
    t.expect_after(600'000, data(o, 0).psh());  // now backed off
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 2u);
}

TEST(SackRecovery, Rfc8985_NewDataIsTheProbe_WhenTheWindowAllows) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 11);  // the eleventh waits for the congestion window
    t.expect_after(202'000, data(o, 10).psh());
    EXPECT_EQ(t.stack.counters().TCPLossProbes, 1u);
    EXPECT_EQ(t.stack.counters().RetransSegs, 0u);
}

TEST(SackRecovery, Rfc2018_8_AfterATimeout_TheResendSkipsWhatWasSacked) {
    SegmentScript t{without_rack()};
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 10);
    // Segments 0 and 1 lost; 2 and 3 SACKed in one ACK: not enough for recovery (one duplicate, and not
    // more than 2 SMSS SACKed above the hole).
    t.inject(sack_ack(o, 0, {{2, 4}}));
    t.expect_nothing();
    t.expect_after(202'000, data(o, 9).psh());  // the tail loss probe first; its answer is lost too
    // Then the RTO, 300 ms after the probe: segment 0 alone (cwnd one segment).
    t.expect_after(300'000, data(o, 0).psh());
    t.expect_nothing();
    // Its ACK doubles cwnd to 2: segment 1 goes, then 4, for 2 and 3 were SACKed: the scoreboard is
    // believed through one timeout (this ACK repeats no SACK block).
    t.inject(sack_ack(o, 1, {}));
    t.expect(data(o, 1));
    t.expect(data(o, 4));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 1u);
    EXPECT_EQ(t.stack.counters().TCPSackRecovery, 0u);
}

// RACK (RFC 8985 section 6), with round trips of 100 ms.

// One SACK is not three duplicates, and one segment SACKed above a hole is not IsLost; but segment 2 was
// sent after 0 and 1 and has arrived: once RACK.rtt (100 ms) and the reordering window (min_RTT / 4 = 25 ms)
// have passed since they were sent, they are lost, and recovery starts on the reordering timer.
TEST(SackRecovery, Rfc8985_6_Rack_FindsALossThreeDuplicatesWouldNot) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    queue_segments(o, 3);
    for (std::uint32_t i = 0; i < 3; ++i) t.expect(data(o, i).psh_if(i == 2));
    t.advance(100'000);
    t.inject(sack_ack(o, 0, {{2, 3}}));
    t.expect_nothing();
    EXPECT_FALSE(o.connection.info()->in_recovery);
    t.expect_after(25'000, data(o, 0));  // the reordering timer: 0 + 100 + 25 ms
    EXPECT_TRUE(o.connection.info()->sack_recovery);
    EXPECT_EQ(t.stack.counters().TCPRackLoss, 1u);
    EXPECT_EQ(t.stack.counters().TCPLossProbes, 0u) << "RACK came before the probe";
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
}

// A retransmission lost again: duplicate ACKs cannot tell, RACK can. Segment 0 is lost, resent at 100 ms
// with new segment 10 beside it; 10 arrives, 0 does not: at 200 ms segment 0, sent no later than 10, is
// lost again (in recovery, with no reordering seen, the window is 0), and goes a third time at once.
TEST(SackRecovery, Rfc8985_6_Rack_ResendsALostRetransmissionWithoutWaitingForTheRto) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    send_initial_window(t, o, 11);
    t.advance(100'000);
    t.inject(sack_ack(o, 0, {{1, 10}}));
    t.expect(data(o, 0));
    t.expect(data(o, 10).psh());
    t.expect_nothing();
    t.advance(100'000);
    t.inject(sack_ack(o, 0, {{1, 11}}));
    t.expect(data(o, 0));
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
    EXPECT_EQ(t.stack.counters().RetransSegs, 2u);
    t.inject(sack_ack(o, 11, {}));
    EXPECT_FALSE(o.connection.info()->in_recovery);
}

// The receiving side of RFC 2883.

TEST(Dsack, Rfc2883_4_1_ADuplicateSegmentIsReportedInTheFirstBlock) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    const std::string chunk(100, 'x');
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload(chunk));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 100).options_exactly());
    // The same segment again (its ACK was lost): the ACK names it in a D-SACK block.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload(chunk));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 100).sack(o.rcv_nxt, o.rcv_nxt + 100));
    EXPECT_EQ(t.stack.counters().TCPDSACKOldSent, 1u);
}

TEST(Dsack, Rfc2883_4_2_ADuplicateHeldOutOfOrder_DsackThenItsRange) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    const std::string chunk(100, 'y');
    t.inject(Seg{}.seq(o.rcv_nxt + 200).ack(o.snd_nxt).payload(chunk));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).sack(o.rcv_nxt + 200, o.rcv_nxt + 300));
    t.inject(Seg{}.seq(o.rcv_nxt + 200).ack(o.snd_nxt).payload(chunk));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).sack(o.rcv_nxt + 200, o.rcv_nxt + 300).sack(o.rcv_nxt + 200, o.rcv_nxt + 300));
    EXPECT_EQ(t.stack.counters().TCPDSACKOfoSent, 1u);
}

TEST(Dsack, Rfc2883_4_2_TheRangeHoldingTheDuplicateFollowsTheDsackBlock) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    const std::string chunk(100, 'z');
    t.inject(Seg{}.seq(o.rcv_nxt + 200).ack(o.snd_nxt).payload(chunk));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).sack(o.rcv_nxt + 200, o.rcv_nxt + 300));
    t.inject(Seg{}.seq(o.rcv_nxt + 500).ack(o.snd_nxt).payload(chunk));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).sack(o.rcv_nxt + 500, o.rcv_nxt + 600).sack(o.rcv_nxt + 200, o.rcv_nxt + 300));
    // A duplicate of the older range: D-SACK, then the range that holds it, then the other.
    t.inject(Seg{}.seq(o.rcv_nxt + 200).ack(o.snd_nxt).payload(chunk));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).sack(o.rcv_nxt + 200, o.rcv_nxt + 300).sack(o.rcv_nxt + 200, o.rcv_nxt + 300).sack(o.rcv_nxt + 500, o.rcv_nxt + 600));
}

// Options that change nothing about the buffers do not disturb data held beyond a hole; a new receive
// buffer size waits until none is held (EBUSY).
TEST(Dsack, SetOptionsWithDataHeldOutOfOrder_KeepsItIntact) {
    SegmentScript t;
    Opened o = open_with_sack(t);
    t.inject(Seg{}.seq(o.rcv_nxt + 100).ack(o.snd_nxt).payload(std::string(100, 'B')));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).sack(o.rcv_nxt + 100, o.rcv_nxt + 200));
    tcp::ConnectionOptions options = o.connection.options();
    options.receive_buffer *= 2;
    EXPECT_EQ(o.connection.set_options(options), std::make_error_code(std::errc::device_or_resource_busy));
    EXPECT_FALSE(o.connection.set_linger({.on = true, .timeout_us = 5'000'000}));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload(std::string(100, 'A')));
    std::string got(300, '?');
    auto n = o.connection.receive(std::as_writable_bytes(std::span{got}));
    ASSERT_TRUE(n);
    EXPECT_EQ(got.substr(0, *n), std::string(100, 'A') + std::string(100, 'B'));
}

}  // namespace
}  // namespace tcpp
