// Resets received (RFC 9293 3.10.7.4 second check, with RFC 5961 3 and 7) and SYNs in synchronized states
// (RFC 5961 4), state by state. SYN_SENT's rules are in active_open_test.cpp, TIME_WAIT's in
// time_wait_test.cpp, those of closed ports in passive_open_test.cpp.

#include <set>

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::OpenOptions;
using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

constexpr std::uint32_t window = 65535;  // the receive window the stack announces (64 KiB buffer)

std::string state_name(const ::testing::TestParamInfo<State>& info) { return std::string{tcp::to_string(info.param)}; }

// --- An RST whose sequence number is exactly RCV.NXT resets ---

class RstExactWithError : public ::testing::TestWithParam<State> {};

TEST_P(RstExactWithError, ResetsWithEconnreset) {
    SegmentScript t;
    Opened o = t.open_in_state(GetParam());
    t.inject(Seg{}.rst().seq(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::closed);
    EXPECT_EQ(o.connection.error(), std::errc::connection_reset);
    EXPECT_EQ(o.connection.send(wire::Bytes{}).error(), std::errc::connection_reset);
    if (GetParam() == State::close_wait) {
        // The peer's FIN came first: end of stream is what receive() reports (as Linux: SOCK_DONE is
        // checked before sk_err).
        EXPECT_EQ(*o.connection.receive(std::span<std::byte>{}), 0u);
    } else {
        EXPECT_EQ(o.connection.receive(std::span<std::byte>{}).error(), std::errc::connection_reset);
    }
    o.connection.close();
    t.expect_nothing();
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Reset, RstExactWithError,
                         ::testing::Values(State::established, State::fin_wait_1, State::fin_wait_2,
                                           State::close_wait),
                         state_name);

class RstExactWithoutError : public ::testing::TestWithParam<State> {};

TEST_P(RstExactWithoutError, EntersClosed) {
    SegmentScript t;
    Opened o = t.open_in_state(GetParam());
    t.inject(Seg{}.rst().seq(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::closed);
    EXPECT_FALSE(o.connection.error());
}

INSTANTIATE_TEST_SUITE_P(Reset, RstExactWithoutError, ::testing::Values(State::closing, State::last_ack),
                         state_name);

TEST(Reset, Established_RstExact_CountsEstabResets) {
    SegmentScript t;
    Opened o = t.open_server();
    EXPECT_EQ(t.stack.counters().CurrEstab, 1u);
    t.inject(Seg{}.rst().ack_flag().seq(o.rcv_nxt).ack(o.snd_nxt));
    EXPECT_EQ(o.connection.error(), std::errc::connection_reset);
    EXPECT_EQ(t.stack.counters().EstabResets, 1u);
    EXPECT_EQ(t.stack.counters().CurrEstab, 0u);
}

TEST(Reset, SynReceivedFromListen_RstExact_ReturnsToListenSilently) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    t.inject(Seg{}.rst().seq(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.listener->syn_queue_size(), 0u);
    EXPECT_EQ(o.listener->accept_queue_size(), 0u);
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.counters().AttemptFails, 1u);
    // Still listening: the same peer can connect again.
    t.inject(Seg{}.syn().seq(5000).mss(1460));
    t.expect(Seg{}.syn().ack(5001).mss(1460));
    EXPECT_EQ(o.listener->syn_queue_size(), 1u);
}

// --- In the window but not exact: a challenge ACK (RFC 5961 3.2) ---

class RstInWindow : public ::testing::TestWithParam<State> {};

TEST_P(RstInWindow, SendsChallengeAckAndKeepsTheConnection) {
    SegmentScript t;
    Opened o = t.open_in_state(GetParam());
    t.inject(Seg{}.rst().seq(o.rcv_nxt + 1));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    t.inject(Seg{}.rst().seq(o.rcv_nxt + window - 1));  // the last sequence number in the window
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPChallengeACK, 2u);
    EXPECT_EQ(t.stack.connection_count(), 1u);
    if (o.connection.valid()) {
        EXPECT_EQ(o.connection.state(), GetParam());
        EXPECT_FALSE(o.connection.error());
    } else {
        EXPECT_EQ(o.listener->syn_queue_size(), 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(Reset, RstInWindow,
                         ::testing::Values(State::syn_received, State::established, State::fin_wait_1,
                                           State::fin_wait_2, State::close_wait, State::closing,
                                           State::last_ack),
                         state_name);

// --- Outside the window: dropped without a word (3.10.7.4: no reply to an unacceptable RST) ---

class RstOutsideWindow : public ::testing::TestWithParam<State> {};

TEST_P(RstOutsideWindow, IsDroppedSilently) {
    SegmentScript t;
    Opened o = t.open_in_state(GetParam());
    t.inject(Seg{}.rst().seq(o.rcv_nxt + window));
    t.inject(Seg{}.rst().seq(o.rcv_nxt - 1));
    t.inject(Seg{}.rst().seq(o.rcv_nxt + 0x80000000u));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPChallengeACK, 0u);
    EXPECT_EQ(t.stack.connection_count(), 1u);
    if (o.connection.valid()) {
        EXPECT_EQ(o.connection.state(), GetParam());
    }
}

INSTANTIATE_TEST_SUITE_P(Reset, RstOutsideWindow,
                         ::testing::Values(State::syn_received, State::established, State::fin_wait_1,
                                           State::fin_wait_2, State::close_wait, State::closing,
                                           State::last_ack),
                         state_name);

TEST(Reset, ChallengeAcks_AreRateLimitedPerSecond) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.challenge_acks_per_second = 2;
    SegmentScript t{config};
    Opened o = t.open_server();
    // Each second's budget is drawn between half and one and a half times the rate: 1 to 3 here.
    for (int i = 0; i < 10; ++i) t.inject(Seg{}.rst().seq(o.rcv_nxt + 10));
    const auto sent = t.stack.counters().TCPChallengeACK;
    EXPECT_GE(sent, 1u);
    EXPECT_LE(sent, 3u);
    for (std::uint64_t i = 0; i < sent; ++i) t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPChallengeACKLimit, 10u - sent);
    // SYNs draw on the same allowance (RFC 5961 7).
    t.inject(Seg{}.syn().seq(o.rcv_nxt + 10));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPChallengeACKLimit, 11u - sent);
    // A second later there is room again.
    t.advance(1'000'000);
    t.inject(Seg{}.rst().seq(o.rcv_nxt + 10));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(t.stack.counters().TCPChallengeACK, sent + 1);
    EXPECT_EQ(o.connection.state(), State::established);
}

// CVE-2016-5696: with a fixed global budget, an attacker who spends it can count the challenge ACKs a
// connection drew and so learn that it exists. The budget varies from second to second.
TEST(Reset, ChallengeAckBudget_VariesFromSecondToSecond) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.challenge_acks_per_second = 20;
    SegmentScript t{config};
    Opened o = t.open_server();
    std::set<std::uint64_t> budgets;
    std::uint64_t before = 0;
    for (int second = 0; second < 8; ++second) {
        for (int i = 0; i < 40; ++i) t.inject(Seg{}.rst().seq(o.rcv_nxt + 10));
        const std::uint64_t sent = t.stack.counters().TCPChallengeACK - before;
        EXPECT_GE(sent, 10u);
        EXPECT_LE(sent, 30u);
        budgets.insert(sent);
        before = t.stack.counters().TCPChallengeACK;
        t.advance(1'000'000);
    }
    EXPECT_GT(budgets.size(), 1u);
}

// --- A SYN in a synchronized state: a challenge ACK, whatever its sequence number (RFC 5961 4.2) ---

class SynInSynchronizedState : public ::testing::TestWithParam<State> {};

TEST_P(SynInSynchronizedState, SendsChallengeAckAndKeepsTheConnection) {
    SegmentScript t;
    Opened o = t.open_in_state(GetParam());
    t.inject(Seg{}.syn().seq(o.rcv_nxt).mss(1460));       // in the window
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.syn().seq(o.rcv_nxt - 1000).mss(1460));  // an old one, outside it
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPSYNChallenge, 2u);
    EXPECT_EQ(t.stack.counters().TCPChallengeACK, 2u);
    EXPECT_EQ(o.connection.state(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Reset, SynInSynchronizedState,
                         ::testing::Values(State::established, State::fin_wait_1, State::fin_wait_2,
                                           State::close_wait, State::closing, State::last_ack),
                         state_name);

TEST(Reset, TimeWaitHeld_Syn_IsAcked) {
    SegmentScript t;
    Opened o = t.open_in_state(State::time_wait);
    t.inject(Seg{}.syn().seq(o.rcv_nxt - 1000).mss(1460));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(o.connection.state(), State::time_wait);
}

TEST(Reset, SynReceivedFromListen_SynInWindow_ReturnsToListen) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    // RFC 9293 3.10.7.4, fourth, SYN-RECEIVED from a passive OPEN: return to LISTEN.
    t.inject(Seg{}.syn().seq(o.rcv_nxt + 5));
    t.expect_nothing();
    EXPECT_EQ(o.listener->syn_queue_size(), 0u);
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

// --- A TCB that is CLOSED but still held by the user is, to the network, no connection at all ---

TEST(Reset, ClosedButHeld_Segment_IsAnsweredWithRst) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.rst().seq(o.rcv_nxt));
    ASSERT_EQ(o.connection.state(), State::closed);
    // RFC 9293 3.10.7.1: a segment for a connection in CLOSED draws a reset.
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("anyone?"));
    t.expect(Seg{}.rst().seq(o.snd_nxt));
    t.inject(Seg{}.rst().seq(o.rcv_nxt));
    t.expect_nothing();
}

}  // namespace
}  // namespace tcpp
