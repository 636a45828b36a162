// Segmentation offload (TcpConfig::segmentation_offload): on a link that carries long segments whole, new
// data goes out in segments of whole MSSes up to the offload size; a short tail, retransmissions and
// everything sent while the peer SACKs stay one MSS. A long segment that arrives is taken like any other.

#include <gtest/gtest.h>

#include "data_segments.h"
#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::OpenOptions;
using testing::Seg;
using testing::SegmentScript;
using testing::open_for_data;
using testing::queue_segments;
using testing::segment_of;

constexpr std::uint32_t mss = testing::data_mss;

StackConfig offload_config(std::uint32_t offload = tcp::max_offload_segment) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.segmentation_offload = offload;
    return config;
}

// Segments first to first + count - 1 of the stream, end to end.
std::string segments(std::uint32_t first, std::uint32_t count) {
    std::string data;
    for (std::uint32_t i = first; i < first + count; ++i) data += segment_of(i);
    return data;
}

TEST(SegmentationOffload, InitialWindowGoesAsOneSegmentThenEachAckLetsTheNextGo) {
    SegmentScript t{offload_config()};
    Opened o = open_for_data(t);
    queue_segments(o, 40);
    // The initial window, ten MSS (RFC 6928), in one segment.
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).payload(segments(0, 10)));
    t.expect_nothing();
    // Its one ACK covers ten MSS, and slow start counts them all (a stretch ACK, as Linux counts it; RFC
    // 3465's L of 2 MSS would make it 12): cwnd 20 MSS, sent as one segment.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 10 * mss));
    t.expect(Seg{}.seq(o.snd_nxt + 10 * mss).ack(o.rcv_nxt).payload(segments(10, 20)));
    t.expect_nothing();
    // And again: the last ten go, with PSH.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 30 * mss));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 30 * mss).ack(o.rcv_nxt).payload(segments(30, 10)));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().OutSegs, 1u + 3u) << "the handshake's SYN,ACK and three segments";
}

TEST(SegmentationOffload, WithoutOffload_SlowStartKeepsRfc3465sLimit) {
    SegmentScript t;
    Opened o = open_for_data(t);
    queue_segments(o, 40);
    for (std::uint32_t i = 0; i < 10; ++i) t.expect(Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)));
    t.expect_nothing();
    // One (stretch) ACK for all ten: cwnd grows by L = 2 MSS only, so twelve are in flight after it.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 10 * mss));
    for (std::uint32_t i = 10; i < 22; ++i) t.expect(Seg{}.seq(o.snd_nxt + i * mss).ack(o.rcv_nxt).payload(segment_of(i)));
    t.expect_nothing();
}

TEST(SegmentationOffload, SegmentsNeverExceedTheOffloadSizeInWholeMss) {
    SegmentScript t{offload_config(3 * mss + 500)};
    Opened o = open_for_data(t);
    queue_segments(o, 10);
    // 3.5 MSS allowed: segments of 3 MSS, and the last MSS on its own.
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).payload(segments(0, 3)));
    t.expect(Seg{}.seq(o.snd_nxt + 3 * mss).ack(o.rcv_nxt).payload(segments(3, 3)));
    t.expect(Seg{}.seq(o.snd_nxt + 6 * mss).ack(o.rcv_nxt).payload(segments(6, 3)));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 9 * mss).ack(o.rcv_nxt).payload(segments(9, 1)));
    t.expect_nothing();
}

TEST(SegmentationOffload, MoreThanAnIpv4PacketHolds_IsCappedByTheStack) {
    Stack stack{offload_config(1'000'000)};
    EXPECT_EQ(stack.config().tcp.segmentation_offload, tcp::max_offload_segment);
}

TEST(SegmentationOffload, LessThanTwoMss_IsNoOffload) {
    SegmentScript t{offload_config(2 * mss - 1)};
    Opened o = open_for_data(t);
    queue_segments(o, 2);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).payload(segment_of(0)));
    t.expect(Seg{}.psh().seq(o.snd_nxt + mss).ack(o.rcv_nxt).payload(segment_of(1)));
    t.expect_nothing();
}

TEST(SegmentationOffload, ShortTailWaitsForNagleAsAfterFullSegments) {
    SegmentScript t{offload_config()};
    OpenOptions options;
    options.connection.nodelay = false;
    Opened o = open_for_data(t, options);
    std::string data = segments(0, 3) + std::string(500, 'z');
    ASSERT_EQ(o.connection.send(wire::as_bytes(data.data(), data.size())).value_or(0), data.size());
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).payload(segments(0, 3)));
    t.expect_nothing();  // RFC 896: the 500 bytes wait while the three MSS are unacknowledged
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 3 * mss));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 3 * mss).ack(o.rcv_nxt).payload(std::string(500, 'z')));
    t.expect_nothing();
}

TEST(SegmentationOffload, RetransmissionAfterTimeoutIsOneMss) {
    SegmentScript t{offload_config()};
    Opened o = open_for_data(t);
    queue_segments(o, 4);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload(segments(0, 4)));
    t.expect_nothing();
    t.advance(300'000);  // RTO: 100 + 4 * 50 ms
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload(segment_of(0)));
    t.expect_nothing();  // the loss window: one segment
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + mss));
    // cwnd two MSS after the timeout; what is resent stays one MSS a segment.
    t.expect(Seg{}.seq(o.snd_nxt + mss).ack(o.rcv_nxt).payload(segment_of(1)));
    t.expect(Seg{}.seq(o.snd_nxt + 2 * mss).ack(o.rcv_nxt).payload(segment_of(2)));
    t.expect_nothing();
}

TEST(SegmentationOffload, OnceThePeerSacks_EverySegmentIsOneMss) {
    SegmentScript t{offload_config()};
    OpenOptions options;
    options.peer_sack_permitted = true;
    Opened o = open_for_data(t, options);
    queue_segments(o, 30);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).payload(segments(0, 10)));
    t.expect_nothing();
    // The first MSS is lost; the peer SACKs the other nine: RFC 6675 holds the first lost, and recovery
    // starts. Everything sent from here on is one MSS at most.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).sack(o.snd_nxt + mss, o.snd_nxt + 10 * mss));
    const std::size_t first_event = t.recorder.events.size();
    t.advance(1'000'000);
    std::size_t sent = 0;
    for (std::size_t i = first_event; i < t.recorder.events.size(); ++i) {
        const auto& e = t.recorder.events[i];
        if (e.type != TraceEvent::Type::segment || e.direction != Direction::out) continue;
        ++sent;
        EXPECT_LE(e.length, mss) << "segment " << sent << " at " << e.t_us;
    }
    EXPECT_GT(sent, 0u);
    EXPECT_GT(t.stack.counters().RetransSegs, 0u);
}

TEST(SegmentationOffload, ALongSegmentArriving_IsTakenWholeAndAckedAtOnce) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.delayed_ack_us = 40'000;  // delayed ACK on: a long segment is more than two full ones
    SegmentScript t{config};
    Opened o = t.open_server();
    const std::string data(20'000, 'q');
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload(data));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 20'000));
    t.expect_nothing();
    std::vector<std::byte> buffer(30'000);
    auto n = o.connection.receive(buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), *n), data);
}

}  // namespace
}  // namespace tcpp
