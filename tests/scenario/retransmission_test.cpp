// The retransmission timer (RFC 6298; RFC 9293 3.8.1): SYN, SYN,ACK, data and FIN are sent again when it
// expires, with the RTO doubled each time (5.5), no RTT sample from a retransmitted segment (Karn, 3),
// and a retry limit that ends the connection: TcpConfig::syn_retries, synack_retries, retries (Linux's
// tcp_syn_retries = 6, tcp_synack_retries = 5, tcp_retries2 = 15).

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::OpenOptions;
using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

constexpr std::uint64_t ms = 1'000;
constexpr std::uint64_t s = 1'000'000;

wire::Bytes bytes_of(const std::string& text) { return wire::as_bytes(text.data(), text.size()); }

// ESTABLISHED with an RTT sample of 100 ms from the handshake: SRTT 100 ms, RTTVAR 50 ms, so
// RTO = SRTT + 4 * RTTVAR = 300 ms (RFC 6298 2.2).
Opened with_rtt_100ms(SegmentScript& t) {
    OpenOptions options;
    options.rtt_us = 100 * ms;
    return t.open_server(options);
}

TEST(Retransmission, SynSent_Syn_IsRetransmittedEvery1_2_4_8_16_32Seconds) {
    SegmentScript t;
    t.local_port = SegmentScript::client_port;
    auto c = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                             Endpoint{{}, SegmentScript::client_port});
    ASSERT_TRUE(c);
    std::uint32_t iss = t.expect(Seg{}.syn().mss(1460)).seq.raw();
    std::uint64_t rto = 1 * s;  // RFC 6298 2.1: the initial RTO
    for (int i = 0; i < 6; ++i, rto *= 2) {
        t.expect_after(rto, Seg{}.syn().seq(iss).mss(1460).window(65535));
    }
    EXPECT_EQ(t.stack.counters().RetransSegs, 6u);
    EXPECT_EQ(c->state(), State::syn_sent);
}

TEST(Retransmission, SynSent_AfterSynRetries_FailsWithEtimedoutAndNoSegment) {
    SegmentScript t;
    t.local_port = SegmentScript::client_port;
    auto c = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                             Endpoint{{}, SegmentScript::client_port});
    ASSERT_TRUE(c);
    t.expect(Seg{}.syn());
    // 1+2+4+8+16+32 s of retransmissions, then 64 s for the last: 127 s in all, as Linux.
    t.advance(127 * s - 1);
    for (int i = 0; i < 6; ++i) t.expect(Seg{}.syn());
    EXPECT_EQ(c->state(), State::syn_sent);
    t.advance(1);
    t.expect_nothing();
    EXPECT_EQ(c->state(), State::closed);
    EXPECT_EQ(c->error(), std::errc::timed_out);
    EXPECT_EQ(t.stack.counters().AttemptFails, 1u);
    EXPECT_EQ(t.stack.counters().TCPAbortOnTimeout, 1u);
}

TEST(Retransmission, SynSent_RetryLimitIsConfigurable) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.syn_retries = 2;
    SegmentScript t{config};
    auto c = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port});
    ASSERT_TRUE(c);
    t.expect(Seg{}.syn());
    t.advance(7 * s - 1);  // 1 + 2, then 4
    t.expect(Seg{}.syn());
    t.expect(Seg{}.syn());
    EXPECT_EQ(c->state(), State::syn_sent);
    t.advance(1);
    EXPECT_EQ(c->error(), std::errc::timed_out);
}

TEST(Retransmission, SynReceived_SynAck_IsRetransmittedWithBackoff_ThenTheChildGoesSilently) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    std::uint64_t rto = 1 * s;
    for (int i = 0; i < 5; ++i, rto *= 2) {
        t.expect_after(rto, Seg{}.syn().seq(o.iss).ack(o.rcv_nxt).mss(1460));
    }
    t.advance(32 * s - 1);
    EXPECT_EQ(o.listener->syn_queue_size(), 1u);
    t.advance(1);
    t.expect_nothing();  // no reset: the half-open connection just goes (as Linux)
    EXPECT_EQ(o.listener->syn_queue_size(), 0u);
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.counters().RetransSegs, 5u);
}

TEST(Retransmission, Data_IsRetransmittedOnTheRtoWithExponentialBackoff) {
    SegmentScript t;
    Opened o = with_rtt_100ms(t);
    ASSERT_EQ(*o.connection.send(bytes_of("data")), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("data"));
    std::uint64_t rto = 300 * ms;
    for (int i = 0; i < 4; ++i, rto *= 2) {
        t.expect_after(rto, Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("data"));
    }
    // The ACK ends it: no more retransmissions.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 4));
    t.advance(60 * s);
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(Retransmission, Data_AfterRetriesFailsWithEtimedout) {
    SegmentScript t;
    Opened o = with_rtt_100ms(t);
    ASSERT_EQ(*o.connection.send(bytes_of("data")), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("data"));
    // 15 retransmissions: 0.3 s doubled each time, held at the 120 s maximum (RFC 6298 2.5).
    std::uint64_t rto = 300 * ms;
    for (int i = 0; i < 15; ++i) {
        t.expect_after(rto, Seg{}.psh().seq(o.snd_nxt).payload("data").ack(o.rcv_nxt));
        rto = std::min(rto * 2, 120 * s);
    }
    t.advance(rto - 1);
    EXPECT_EQ(o.connection.state(), State::established);
    t.advance(1);
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::closed);
    EXPECT_EQ(o.connection.error(), std::errc::timed_out);
    EXPECT_EQ(t.stack.counters().RetransSegs, 15u);
}

TEST(Retransmission, Fin_IsRetransmittedOnTheRto) {
    SegmentScript t;
    Opened o = with_rtt_100ms(t);
    ASSERT_FALSE(o.connection.shutdown());
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_after(300 * ms, Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_after(600 * ms, Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    EXPECT_EQ(o.connection.state(), State::fin_wait_2);
    t.advance(10 * s);
    t.expect_nothing();
}

TEST(Retransmission, RttSample_UpdatesTheRto) {
    SegmentScript t;
    Opened o = with_rtt_100ms(t);
    ASSERT_EQ(*o.connection.send(bytes_of("a")), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).payload("a").ack(o.rcv_nxt));
    t.advance(200 * ms);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    // RFC 6298 2.3, R' = 200 ms: RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms,
    // SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms, RTO = 112.5 + 4 * 62.5 = 362.5 ms.
    ASSERT_EQ(*o.connection.send(bytes_of("b")), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt + 1).payload("b").ack(o.rcv_nxt));
    t.expect_after(362'500, Seg{}.psh().seq(o.snd_nxt + 1).payload("b").ack(o.rcv_nxt));
}

TEST(Retransmission, Karn_AnAckOfARetransmittedSegmentGivesNoRttSample) {
    SegmentScript t;
    Opened o = with_rtt_100ms(t);
    ASSERT_EQ(*o.connection.send(bytes_of("a")), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).payload("a").ack(o.rcv_nxt));
    t.expect_after(300 * ms, Seg{}.psh().seq(o.snd_nxt).payload("a").ack(o.rcv_nxt));
    t.advance(50 * ms);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    // Ambiguous: 350 ms from the original or 50 ms from the retransmission. No sample is taken, and the
    // backed-off RTO of 600 ms is kept until a valid sample comes (RFC 6298 5.7's note, Karn): a sample
    // would have made it 531.25 or 293.75 ms.
    ASSERT_EQ(*o.connection.send(bytes_of("b")), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt + 1).payload("b").ack(o.rcv_nxt));
    t.expect_after(600 * ms, Seg{}.psh().seq(o.snd_nxt + 1).payload("b").ack(o.rcv_nxt));
    // That retransmission is not timed either; a fresh segment, acknowledged, is: the backoff ends.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 2));
    ASSERT_EQ(*o.connection.send(bytes_of("c")), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt + 2).payload("c").ack(o.rcv_nxt));
    t.advance(100 * ms);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 3));
    ASSERT_EQ(*o.connection.send(bytes_of("d")), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt + 3).payload("d").ack(o.rcv_nxt));
    // R = 100 ms: RTTVAR = 3/4 * 50 + 1/4 * 0 = 37.5 ms, SRTT = 100 ms, RTO = 100 + 4 * 37.5 = 250 ms.
    t.expect_after(250 * ms, Seg{}.psh().seq(o.snd_nxt + 3).payload("d").ack(o.rcv_nxt));
}

TEST(Retransmission, SynRetransmitted_NoRttSample_RtoIsThreeSecondsForData) {
    SegmentScript t;
    t.local_port = SegmentScript::client_port;
    auto c = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                             Endpoint{{}, SegmentScript::client_port});
    ASSERT_TRUE(c);
    std::uint32_t iss = t.expect(Seg{}.syn()).seq.raw();
    t.expect_after(1 * s, Seg{}.syn().seq(iss));
    t.advance(10 * ms);
    t.inject(Seg{}.syn().seq(500).ack(iss + 1).mss(1460));
    t.expect(Seg{}.seq(iss + 1).ack(501));
    ASSERT_EQ(c->state(), State::established);
    // RFC 6298 5.7: the SYN timed out and no RTT sample came from the handshake (Karn): the RTO for
    // data is re-initialized to 3 s (Linux: TCP_TIMEOUT_FALLBACK).
    ASSERT_EQ(*c->send(bytes_of("x")), 1u);
    t.expect(Seg{}.psh().seq(iss + 1).payload("x").ack(501));
    t.expect_after(3 * s, Seg{}.psh().seq(iss + 1).payload("x").ack(501));
}

TEST(Retransmission, SynAckRetransmitted_NoRttSample_RtoIsThreeSecondsForData) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    t.expect_after(1 * s, Seg{}.syn().seq(o.iss).ack(o.rcv_nxt));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
    auto c = o.listener->accept();
    ASSERT_TRUE(c);
    ASSERT_EQ(*c->send(bytes_of("x")), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).payload("x").ack(o.rcv_nxt));
    t.expect_after(3 * s, Seg{}.psh().seq(o.snd_nxt).payload("x").ack(o.rcv_nxt));
}

TEST(Retransmission, OnlyTheFirstOutstandingSegmentIsResent) {
    SegmentScript t;
    OpenOptions options;
    options.rtt_us = 100 * ms;
    options.peer_mss = 88;  // the least MSS a peer may impose
    Opened o = t.open_server(options);
    const std::string a(88, 'a'), b(88, 'b');
    ASSERT_EQ(*o.connection.send(bytes_of(a + b)), 176u);
    t.expect(Seg{}.seq(o.snd_nxt).payload(a).ack(o.rcv_nxt));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 88).payload(b).ack(o.rcv_nxt));
    t.expect_after(300 * ms, Seg{}.psh().seq(o.snd_nxt).payload(a).ack(o.rcv_nxt));
    t.expect_nothing();
    // Its ACK sends the next one at once (RFC 6298 5.3: and restarts the timer).
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 88));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 88).payload(b).ack(o.rcv_nxt));
}

}  // namespace
}  // namespace tcpp
