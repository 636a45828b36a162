// The sender under congestion control (RFC 5681, RFC 6582, RFC 6928): the initial window, fast retransmit
// on the third duplicate ACK, NewReno's partial ACKs, and one segment after a timeout.

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
using testing::open_for_data;

constexpr std::uint32_t mss = testing::data_mss;

TEST(Congestion, Rfc6928_InitialWindowIsTenSegments) {
    SegmentScript t;
    Opened o = open_for_data(t);
    queue_segments(o, 20);
    for (std::uint32_t i = 0; i < 10; ++i) t.expect(Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)));
    t.expect_nothing();  // ten segments: the initial window is full
    // Slow start: each ACK of a segment lets two more go.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    t.expect(Seg{}.seq(o.snd_nxt + 10 * mss).ack(o.rcv_nxt).payload(segment_of(10)));
    t.expect(Seg{}.seq(o.snd_nxt + 11 * mss).ack(o.rcv_nxt).payload(segment_of(11)));
    t.expect_nothing();
}

TEST(Congestion, AnInitialWindowOfOurChoosing) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.initial_window_segments = 4;
    SegmentScript t{config};
    Opened o = open_for_data(t);
    queue_segments(o, 20);
    for (std::uint32_t i = 0; i < 4; ++i) t.expect(Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)));
    t.expect_nothing();  // four segments: the configured window is full
    EXPECT_EQ(o.connection.info()->cwnd, 4 * mss);
}

TEST(Congestion, Rfc5681_3_2_ThirdDuplicateAck_ResendsTheLostSegmentAtOnce) {
    SegmentScript t;
    Opened o = open_for_data(t);
    queue_segments(o, 6);
    for (std::uint32_t i = 0; i < 6; ++i) t.expect(Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)).psh_if(i == 5));
    // Segment 1 is lost: 2, 3 and 4 each draw a duplicate ACK for it.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    t.expect_nothing();  // two duplicates are not yet a loss
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    t.expect(Seg{}.seq(o.snd_nxt + mss).ack(o.rcv_nxt).payload(segment_of(1)));
    EXPECT_EQ(t.stack.counters().TCPRenoRecovery, 1u);
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u) << "recovered without waiting for the timer";
}

TEST(Congestion, Rfc6582_PartialAck_ResendsTheNextHoleAtOnce) {
    SegmentScript t;
    Opened o = open_for_data(t);
    queue_segments(o, 6);
    for (std::uint32_t i = 0; i < 6; ++i) t.expect(Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)).psh_if(i == 5));
    // Segments 1 and 3 are lost.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    for (int i = 0; i < 3; ++i) t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    t.expect(Seg{}.seq(o.snd_nxt + mss).ack(o.rcv_nxt).payload(segment_of(1)));
    // The retransmission fills the first hole: the ACK stops at the second, below "recover".
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 3 * mss));
    t.expect(Seg{}.seq(o.snd_nxt + 3 * mss).ack(o.rcv_nxt).payload(segment_of(3)));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 6 * mss));  // a full ACK ends recovery
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(Congestion, Rfc5681_Timeout_SendsOneSegmentThenSlowStarts) {
    SegmentScript t;
    Opened o = open_for_data(t);
    queue_segments(o, 4);
    for (std::uint32_t i = 0; i < 4; ++i) t.expect(Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)).psh_if(i == 3));
    t.advance(300'000);  // RTO: 100 + 4 * 50 ms
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload(segment_of(0)));
    t.expect_nothing();  // the loss window: one segment
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    // cwnd 2 segments now: the next two go again.
    t.expect(Seg{}.seq(o.snd_nxt + mss).ack(o.rcv_nxt).payload(segment_of(1)));
    t.expect(Seg{}.seq(o.snd_nxt + 2 * mss).ack(o.rcv_nxt).payload(segment_of(2)));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 1u);
}

}  // namespace
}  // namespace tcpp
