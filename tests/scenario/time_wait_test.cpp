// TIME_WAIT (RFC 9293 3.6.1 and 3.10.7.4, RFC 1337): 2*MSL exactly, a retransmitted FIN re-acknowledged
// with the timer restarted, resets ignored; both for the compact entry the stack keeps once the user has
// closed, and for a TCB the user still holds.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

constexpr std::uint64_t s = 1'000'000;

// The stack closes first, the peer answers with its FIN: TIME_WAIT at the stack, then the user lets go,
// so a compact entry holds it. `msl_us` is set on the connection before the close, if given.
Opened time_wait_entry(SegmentScript& t, std::optional<std::uint64_t> msl_us = std::nullopt) {
    Opened o = t.open_server();
    if (msl_us) {
        tcp::ConnectionOptions options = o.connection.options();
        options.msl_us = *msl_us;
        EXPECT_FALSE(o.connection.set_options(options));
    }
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    o.snd_nxt += 1;
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    o.rcv_nxt += 1;
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    EXPECT_EQ(t.stack.connection_count(), 0u);
    return o;
}

FourTuple tuple_of(const SegmentScript& t) {
    return {{SegmentScript::local_address, t.local_port}, {SegmentScript::peer_address, SegmentScript::peer_port}};
}

TEST(TimeWait, LastsExactly2MslOf30Seconds_ThenTheEntryIsGone) {
    SegmentScript t;
    time_wait_entry(t);
    const std::uint64_t entered = t.now();
    EXPECT_EQ(t.stack.time_wait_expiry(tuple_of(t)), entered + 60 * s);
    t.advance(60 * s - 1);
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    t.advance(1);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
    EXPECT_FALSE(t.stack.time_wait_expiry(tuple_of(t)));
    EXPECT_EQ(t.stack.counters().TW, 1u);
    t.expect_nothing();
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED FIN_WAIT_1 TIME_WAIT CLOSED");
}

TEST(TimeWait, MslIsSettablePerConnection) {
    SegmentScript t;
    time_wait_entry(t, 1 * s);
    EXPECT_EQ(t.stack.time_wait_expiry(tuple_of(t)), t.now() + 2 * s);
    t.advance(2 * s - 1);
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    t.advance(1);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
}

TEST(TimeWait, RetransmittedFin_IsReAckedAndRestarts2Msl) {
    SegmentScript t;
    Opened o = time_wait_entry(t);
    t.advance(20 * s);
    t.inject(Seg{}.fin().seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.stack.time_wait_expiry(tuple_of(t)), t.now() + 60 * s);
    t.advance(60 * s - 1);
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    t.advance(1);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
}

TEST(TimeWait, Rst_IsIgnored) {
    SegmentScript t;
    Opened o = time_wait_entry(t);
    const auto expiry = t.stack.time_wait_expiry(tuple_of(t));
    // RFC 1337: a reset must not end TIME_WAIT early, in window or not.
    t.inject(Seg{}.rst().seq(o.rcv_nxt));
    t.inject(Seg{}.rst().ack_flag().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.inject(Seg{}.rst().seq(o.rcv_nxt + 100));
    t.expect_nothing();
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    EXPECT_EQ(t.stack.time_wait_expiry(tuple_of(t)), expiry);
}

TEST(TimeWait, OldDuplicate_IsAckedWithoutRestartingTheTimer) {
    SegmentScript t;
    Opened o = time_wait_entry(t);
    const auto expiry = t.stack.time_wait_expiry(tuple_of(t));
    t.advance(5 * s);
    t.inject(Seg{}.psh().seq(o.rcv_nxt - 5).ack(o.snd_nxt).payload("stale"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(t.stack.time_wait_expiry(tuple_of(t)), expiry);
}

TEST(TimeWait, SegmentAfterExpiry_GetsARst) {
    SegmentScript t;
    Opened o = time_wait_entry(t);
    t.advance(60 * s);
    t.inject(Seg{}.fin().seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect(Seg{}.rst().seq(o.snd_nxt));
}

TEST(TimeWait, SynAboveTheOldSequence_WithAListener_OpensANewConnection) {
    SegmentScript t;
    Opened o = time_wait_entry(t);
    // RFC 6191 without timestamps, as Linux: a SYN beyond RCV.NXT cannot be an old duplicate.
    t.inject(Seg{}.syn().seq(o.rcv_nxt + 100000).mss(1460));
    wire::TcpSegment synack = t.expect(Seg{}.syn().ack(o.rcv_nxt + 100001).mss(1460));
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
    EXPECT_EQ(t.stack.counters().TWRecycled, 1u);
    EXPECT_EQ(o.listener->syn_queue_size(), 1u);
    // RFC 9293 3.6.1: the new incarnation's ISN lies beyond every number the old one sent, so no old
    // duplicate of ours can be taken for new data (Linux: the old SND.NXT + 65535 + 2, at least).
    EXPECT_GE(synack.seq - wire::Seq{o.snd_nxt}, 65537);
}

TEST(TimeWait, SynTakingOverTimeWait_ButTheListenerIsFull_KeepsTheEntry) {
    SegmentScript t;
    Opened o = time_wait_entry(t);
    // Fill the listener's queues (backlog 8 in the fixture) from other clients.
    for (std::uint16_t port = 1; port <= 8; ++port) {
        t.inject(Seg{}.syn().seq(7000).mss(1460).from_port(port));
        t.expect(Seg{}.syn().ack(7001).to_port(port));
    }
    t.inject(Seg{}.syn().seq(o.rcv_nxt + 100000).mss(1460));
    t.expect_nothing();
    EXPECT_EQ(t.stack.time_wait_count(), 1u) << "the SYN was dropped, so TIME_WAIT stays";
    EXPECT_EQ(t.stack.counters().TWRecycled, 0u);
}

TEST(TimeWait, SynAtOrBelowTheOldSequence_IsAcked) {
    SegmentScript t;
    Opened o = time_wait_entry(t);
    t.inject(Seg{}.syn().seq(o.rcv_nxt - 10).mss(1460));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    EXPECT_EQ(o.listener->syn_queue_size(), 0u);
}

// --- The same rules for a TCB the user still holds (shutdown, the peer's FIN, our FIN acked) ---

TEST(TimeWaitHeld, LastsExactly2Msl) {
    SegmentScript t;
    Opened o = t.open_in_state(State::time_wait);
    t.advance(60 * s - 1);
    EXPECT_EQ(o.connection.state(), State::time_wait);
    t.advance(1);
    EXPECT_EQ(o.connection.state(), State::closed);
    EXPECT_FALSE(o.connection.error());
    EXPECT_EQ(t.stack.counters().TW, 1u);
    t.expect_nothing();
    o.connection.close();
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
}

TEST(TimeWaitHeld, MslIsSettablePerConnection) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_2);
    tcp::ConnectionOptions options = o.connection.options();
    options.msl_us = 500'000;
    ASSERT_FALSE(o.connection.set_options(options));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    t.advance(1 * s - 1);
    EXPECT_EQ(o.connection.state(), State::time_wait);
    t.advance(1);
    EXPECT_EQ(o.connection.state(), State::closed);
}

TEST(TimeWaitHeld, RetransmittedFin_IsReAckedAndRestarts2Msl) {
    SegmentScript t;
    Opened o = t.open_in_state(State::time_wait);
    t.advance(30 * s);
    t.inject(Seg{}.fin().seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    t.advance(60 * s - 1);
    EXPECT_EQ(o.connection.state(), State::time_wait);
    t.advance(1);
    EXPECT_EQ(o.connection.state(), State::closed);
}

TEST(TimeWaitHeld, Rst_IsIgnored) {
    SegmentScript t;
    Opened o = t.open_in_state(State::time_wait);
    t.inject(Seg{}.rst().seq(o.rcv_nxt));
    t.inject(Seg{}.rst().ack_flag().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::time_wait);
    EXPECT_FALSE(o.connection.error());
}

TEST(TimeWaitHeld, CloseMovesItToACompactEntryThatKeepsTheExpiry) {
    SegmentScript t;
    Opened o = t.open_in_state(State::time_wait);
    const std::uint64_t expiry = t.now() + 60 * s;
    t.advance(10 * s);
    Connection c = o.connection;
    c.close();
    t.expect_nothing();
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    EXPECT_EQ(t.stack.time_wait_expiry(tuple_of(t)), expiry);
    // The entry still answers a retransmitted FIN as the TCB did, and restarts the full 2*MSL.
    t.inject(Seg{}.fin().seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(t.stack.time_wait_expiry(tuple_of(t)), t.now() + 60 * s);
}

TEST(TimeWaitHeld, CloseWithUnreadData_KeepsTimeWaitAndSendsNoRst) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_2);
    t.inject(Seg{}.fin().psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("unread"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 7));
    ASSERT_EQ(o.connection.state(), State::time_wait);
    ASSERT_EQ(o.connection.bytes_unread(), 6u);
    // Both sides have closed: RFC 2525 2.17's reset has nothing left to tell, and must not end TIME_WAIT.
    Connection c = o.connection;
    c.close();
    t.expect_nothing();
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
    EXPECT_EQ(t.stack.counters().TCPAbortOnClose, 0u);
}

}  // namespace
}  // namespace tcpp

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

// Two ends of a simultaneous close both sit in TIME_WAIT: a bare ACK at RCV.NXT (a duplicate of the other's
// last ACK, or a forged one) must not be answered, or the two would ACK each other until 2*MSL ends.
TEST(TimeWait, BareAckAtRcvNxt_IsNotAnswered_NoAckWar) {
    SegmentScript t;
    Opened o = t.open_in_state(State::time_wait);
    Connection c = o.connection;
    c.close();
    ASSERT_EQ(t.stack.time_wait_count(), 1u);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect_nothing();
}

// An old duplicate below RCV.NXT is acknowledged, but a flood of them gets one ACK per 500 ms.
TEST(TimeWait, OldDuplicates_AreAckedAtMostTwiceASecond) {
    SegmentScript t;
    Opened o = t.open_in_state(State::time_wait);
    Connection c = o.connection;
    c.close();
    t.inject(Seg{}.seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    for (int i = 0; i < 10; ++i) t.inject(Seg{}.seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPACKSkippedSeq, 10u);
    t.advance(500'000);
    t.inject(Seg{}.seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
}

}  // namespace
}  // namespace tcpp
