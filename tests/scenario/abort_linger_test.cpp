// ABORT (RFC 9293 3.10.5), close() with unread data (RFC 2525 2.17) and close() with linger {on, 0}: a
// reset instead of a FIN, and no TIME_WAIT. The reset is Linux's (tcp_send_active_reset):
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as in fixtures/linux-tcp/linger_abort.pcap and
// close_with_unread_data.pcap.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::OpenOptions;
using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

wire::Bytes bytes_of(const std::string& text) { return wire::as_bytes(text.data(), text.size()); }

std::string state_name(const ::testing::TestParamInfo<State>& info) { return std::string{tcp::to_string(info.param)}; }

// ESTABLISHED, with "hello" sent each way, acknowledged and (by the stack's user) read.
Opened after_an_exchange(SegmentScript& t) {
    Opened o = t.open_server();
    EXPECT_EQ(*o.connection.send(bytes_of("hello")), 5u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("hello"));
    o.snd_nxt += 5;
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("HELLO"));
    o.rcv_nxt += 5;
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    std::byte buffer[8];
    EXPECT_EQ(*o.connection.receive(buffer), 5u);
    return o;
}

void expect_gone(SegmentScript& t) {
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
}

TEST(Abort, Established_Abort_SendsRstSeqSndNxtAckRcvNxt_AndNoTimeWait) {
    SegmentScript t;
    Opened o = after_an_exchange(t);
    o.connection.abort();
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    expect_gone(t);
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED CLOSED");
    // The four-tuple is closed now: the peer's next segment draws <SEQ=SEG.ACK><CTL=RST>.
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("more"));
    t.expect(Seg{}.rst().seq(o.snd_nxt));
}

class AbortWithReset : public ::testing::TestWithParam<State> {};

TEST_P(AbortWithReset, SendsRstSeqSndNxtAckRcvNxt) {
    SegmentScript t;
    Opened o = t.open_in_state(GetParam());
    o.connection.abort();
    // In FIN_WAIT_*, SND.NXT is past our FIN; in CLOSE_WAIT, RCV.NXT past theirs.
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    expect_gone(t);
}

INSTANTIATE_TEST_SUITE_P(Abort, AbortWithReset,
                         ::testing::Values(State::established, State::fin_wait_1, State::fin_wait_2,
                                           State::close_wait),
                         state_name);

class AbortWithoutReset : public ::testing::TestWithParam<State> {};

TEST_P(AbortWithoutReset, DeletesTheTcbSilently) {
    SegmentScript t;
    Opened o = t.open_in_state(GetParam());
    // RFC 9293 3.10.5: CLOSING, LAST-ACK, TIME-WAIT: "respond with ok and delete the TCB".
    o.connection.abort();
    t.expect_nothing();
    expect_gone(t);
}

INSTANTIATE_TEST_SUITE_P(Abort, AbortWithoutReset,
                         ::testing::Values(State::closing, State::last_ack, State::time_wait), state_name);

TEST(Abort, SynSent_Abort_SendsNothing) {
    SegmentScript t;
    auto c = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port});
    ASSERT_TRUE(c);
    t.expect(Seg{}.syn());
    c->abort();
    t.expect_nothing();
    expect_gone(t);
    t.advance(10'000'000);
    t.expect_nothing();
}

TEST(CloseWithUnreadData, Established_SendsRstAndCountsTCPAbortOnClose) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("GET / HTTP"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 10));
    ASSERT_EQ(o.connection.bytes_unread(), 10u);
    Connection c = o.connection;
    c.close();
    // RFC 2525 2.17: the data the user never read is lost; a FIN would claim an orderly end.
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt).ack(o.rcv_nxt + 10));
    t.expect_nothing();
    expect_gone(t);
    EXPECT_EQ(t.stack.counters().TCPAbortOnClose, 1u);
    EXPECT_EQ(t.stack.counters().TCPAbortOnData, 0u);
}

TEST(CloseWithUnreadData, CloseWait_SendsRst) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.fin().psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("bye"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 4));
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt).ack(o.rcv_nxt + 4));
    expect_gone(t);
    EXPECT_EQ(t.stack.counters().TCPAbortOnClose, 1u);
}

TEST(CloseWithUnreadData, AllDataRead_CloseIsGraceful) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    std::byte buffer[4];
    ASSERT_EQ(*o.connection.receive(buffer), 3u);
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    EXPECT_EQ(t.stack.counters().TCPAbortOnClose, 0u);
}

TEST(Linger, OnZero_Close_SendsRstAndNoTimeWait) {
    SegmentScript t;
    Opened o = after_an_exchange(t);
    ASSERT_FALSE(o.connection.set_linger(tcp::Linger{true, 0}));
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    expect_gone(t);
    EXPECT_EQ(t.stack.counters().TCPAbortOnData, 1u);  // Linux's name for it (tcp_close)
    EXPECT_EQ(t.stack.counters().TCPAbortOnClose, 0u);
}

TEST(Linger, OnZero_CloseWithUnreadData_IsCountedAsUnreadData) {
    SegmentScript t;
    Opened o = t.open_server();
    ASSERT_FALSE(o.connection.set_linger(tcp::Linger{true, 0}));
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    Connection c = o.connection;
    c.close();
    // Linux's tcp_close checks unread data before linger {on, 0}: one RST, counted as TCPAbortOnClose.
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPAbortOnClose, 1u);
    EXPECT_EQ(t.stack.counters().TCPAbortOnData, 0u);
}

TEST(Linger, OnWithTimeout_CloseIsStillGraceful) {
    SegmentScript t;
    Opened o = t.open_server();
    ASSERT_FALSE(o.connection.set_linger(tcp::Linger{true, 5'000'000}));
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    // The close waits for the peer's ACK: the handle still answers.
    EXPECT_TRUE(c.valid());
    EXPECT_TRUE(c.lingering());
    EXPECT_EQ(c.state(), State::fin_wait_1);
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    EXPECT_FALSE(c.valid()) << "the FIN is acknowledged: the close is complete and the handle released";
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
}

TEST(Linger, OnWithTimeout_DataAndFinAcked_EndsTheWaitInFinWait2) {
    SegmentScript t;
    Opened o = t.open_server();
    ASSERT_FALSE(o.connection.set_linger(tcp::Linger{true, 5'000'000}));
    Connection c = o.connection;
    ASSERT_EQ(c.send(wire::as_bytes("data", 4)).value_or(0), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("data"));
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt + 4).ack(o.rcv_nxt));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 4));  // the data, not yet the FIN
    EXPECT_TRUE(c.lingering());
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 5));
    EXPECT_FALSE(c.valid());
    EXPECT_EQ(t.stack.connection_count(), 1u) << "the connection lives on in FIN_WAIT_2, without its user";
}

TEST(Linger, OnWithTimeout_PeerSilent_TheWaitEndsAfterTAndTheCloseGoesOn) {
    SegmentScript t;
    Opened o = t.open_server();
    ASSERT_FALSE(o.connection.set_linger(tcp::Linger{true, 2'500'000}));
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.advance(2'499'999);
    EXPECT_TRUE(c.lingering());
    while (t.pending() > 0) t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));  // retransmitted FINs
    t.advance(1);
    EXPECT_FALSE(c.valid()) << "linger time up: the handle is released";
    EXPECT_EQ(t.stack.connection_count(), 1u) << "the FIN is still being retransmitted, as on Linux";
    t.advance(10'000'000);
    ASSERT_GT(t.pending(), 0u);
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
}

TEST(Linger, OnWithTimeout_AbortWhileLingering_ResetsAtOnce) {
    SegmentScript t;
    Opened o = t.open_server();
    ASSERT_FALSE(o.connection.set_linger(tcp::Linger{true, 5'000'000}));
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    c.abort();
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt + 1).ack(o.rcv_nxt));
    EXPECT_FALSE(c.valid());
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

}  // namespace
}  // namespace tcpp
