// Closing (RFC 9293 3.6 and 3.10.4): the arrows out of ESTABLISHED towards CLOSED, half close, and CLOSE
// in LISTEN and SYN_SENT.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

wire::Bytes bytes_of(const std::string& text) { return wire::as_bytes(text.data(), text.size()); }

TEST(Close, Established_Shutdown_SendsFinAndEntersFinWait1) {
    SegmentScript t;
    Opened o = t.open_server();
    ASSERT_FALSE(o.connection.shutdown());
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::fin_wait_1);
    EXPECT_EQ(o.connection.send(bytes_of("late")).error(), std::errc::broken_pipe);
}

TEST(Close, Established_ShutdownWithDataQueued_FinFollowsTheData) {
    SegmentScript t;
    testing::OpenOptions options;
    options.peer_window = 3;  // room for three bytes: the rest of the data, and so the FIN, must wait
    Opened o = t.open_server(options);
    ASSERT_EQ(*o.connection.send(bytes_of("abcdef")), 6u);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).payload("abc"));
    ASSERT_FALSE(o.connection.shutdown());
    t.expect_nothing();
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 3).window(10));
    t.expect(Seg{}.fin().psh().seq(o.snd_nxt + 3).ack(o.rcv_nxt).payload("def"));
    EXPECT_EQ(o.connection.state(), State::fin_wait_1);
}

TEST(Close, FinWait1_AckOfFin_EntersFinWait2) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_1);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::fin_wait_2);
}

TEST(Close, FinWait1_AckNotCoveringFin_StaysInFinWait1) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_1);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt - 1));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::fin_wait_1);
}

TEST(Close, FinWait2_Fin_IsAckedAndEntersTimeWait) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_2);
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::time_wait);
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT");
    EXPECT_EQ(*o.connection.receive(std::span<std::byte>{}), 0u);  // end of stream
}

TEST(Close, FinWait1_FinCarryingAckOfOurFin_EntersTimeWaitDirectly) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_1);
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::time_wait);
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED FIN_WAIT_1 TIME_WAIT");
}

TEST(Close, Established_Fin_IsAckedAndEntersCloseWait) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::close_wait);
    EXPECT_TRUE(o.connection.readable());
    EXPECT_EQ(*o.connection.receive(std::span<std::byte>{}), 0u);
}

TEST(Close, Established_DataAndFin_DataIsDeliveredThenEndOfStream) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.fin().psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("last"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 5));
    EXPECT_EQ(o.connection.state(), State::close_wait);
    std::byte buffer[16];
    EXPECT_EQ(*o.connection.receive(buffer), 4u);
    EXPECT_EQ(*o.connection.receive(buffer), 0u);
}

TEST(Close, CloseWait_Close_SendsFinAndEntersLastAck) {
    SegmentScript t;
    Opened o = t.open_in_state(State::close_wait);
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK");
    EXPECT_EQ(t.stack.connection_count(), 1u);
}

TEST(Close, LastAck_AckOfFin_EntersClosedWithoutTimeWait) {
    SegmentScript t;
    Opened o = t.open_in_state(State::last_ack);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::closed);
    EXPECT_FALSE(o.connection.error());
    o.connection.close();
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
}

TEST(Close, LastAck_AckNotCoveringFin_StaysInLastAck) {
    SegmentScript t;
    Opened o = t.open_in_state(State::last_ack);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt - 1));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::last_ack);
}

TEST(Close, CloseWait_SendingStillWorks) {
    SegmentScript t;
    Opened o = t.open_in_state(State::close_wait);
    ASSERT_EQ(*o.connection.send(bytes_of("reply")), 5u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("reply"));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 5));
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(HalfClose, FinWait1_Data_IsAckedAndDelivered) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_1);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt - 1).payload("more"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 4));
    EXPECT_EQ(o.connection.state(), State::fin_wait_1);
    EXPECT_EQ(o.connection.bytes_unread(), 4u);
}

TEST(HalfClose, FinWait2_DataKeepsFlowingAndIsAcked) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_2);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("part1"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 5));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 5).ack(o.snd_nxt).payload("part2"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 10));
    t.inject(Seg{}.fin().seq(o.rcv_nxt + 10).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 11));
    EXPECT_EQ(o.connection.state(), State::time_wait);
    std::byte buffer[16];
    EXPECT_EQ(*o.connection.receive(buffer), 10u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer), 10), "part1part2");
    EXPECT_EQ(*o.connection.receive(buffer), 0u);
}

TEST(HalfClose, FinWait2_AfterClose_DataIsAnsweredWithRst) {
    SegmentScript t;
    Opened o = t.open_in_state(State::fin_wait_2);
    o.connection.close();  // no one will read what comes now
    t.expect_nothing();
    // As Linux does (tcp_rcv_state_process, TCPAbortOnData): the data cannot be delivered.
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("unwanted"));
    t.expect(Seg{}.rst().ack_flag().seq(o.snd_nxt).ack(o.rcv_nxt + 8));
    EXPECT_EQ(t.stack.counters().TCPAbortOnData, 1u);
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
}

TEST(Close, Listen_Close_ResetsUnacceptedChildren) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    ASSERT_TRUE(listener);
    // One child ESTABLISHED in the accept queue, one still in SYN_RECEIVED.
    t.inject(Seg{}.syn().seq(1000).mss(1460).from_port(41000));
    std::uint32_t iss_a = t.expect(Seg{}.syn().ack(1001)).seq.raw();
    t.inject(Seg{}.seq(1001).ack(iss_a + 1).from_port(41000));
    t.inject(Seg{}.syn().seq(2000).mss(1460).from_port(42000));
    std::uint32_t iss_b = t.expect(Seg{}.syn().ack(2001)).seq.raw();
    ASSERT_EQ(listener->accept_queue_size(), 1u);
    ASSERT_EQ(listener->syn_queue_size(), 1u);
    listener->close();
    // The reset of ABORT (3.10.5), one per child: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>.
    t.expect(Seg{}.rst().ack_flag().seq(iss_b + 1).ack(2001).to_port(42000));
    t.expect(Seg{}.rst().ack_flag().seq(iss_a + 1).ack(1001).to_port(41000));
    t.expect_nothing();
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_FALSE(listener->valid());
    // LISTEN is gone: the port is closed.
    t.inject(Seg{}.syn().seq(3000).from_port(43000));
    t.expect(Seg{}.rst().ack(3001).seq(0).to_port(43000));
}

TEST(Close, Listen_CloseWithNoChildren_SendsNothing) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    ASSERT_TRUE(listener);
    listener->close();
    t.expect_nothing();
    EXPECT_EQ(listener->accept().error(), std::errc::bad_file_descriptor);
}

TEST(Close, SynSent_Close_SendsNothingAndEntersClosed) {
    SegmentScript t;
    t.local_port = SegmentScript::client_port;
    auto c = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                             Endpoint{{}, SegmentScript::client_port});
    ASSERT_TRUE(c);
    std::uint32_t iss = t.expect(Seg{}.syn()).seq.raw();
    c->close();
    t.expect_nothing();
    EXPECT_EQ(t.states(), "SYN_SENT CLOSED");
    EXPECT_EQ(t.stack.connection_count(), 0u);
    // No timer is left to retransmit the SYN, and the four-tuple is closed.
    t.advance(10'000'000);
    t.expect_nothing();
    t.inject(Seg{}.syn().seq(5).ack(iss + 1));
    t.expect(Seg{}.rst().seq(iss + 1));
}

}  // namespace
}  // namespace tcpp

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

// Linux's tcp_fin_timeout: a connection its user has closed waits in FIN_WAIT_2 for the peer's FIN only so
// long, then goes without a segment; one the user still holds (half closed) waits on.
TEST(Close, FinWait2_Orphan_IsDroppedAfterTheFinTimeout) {
    SegmentScript t;
    Opened o = t.open_server();
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    EXPECT_EQ(t.stack.connection_count(), 1u);
    t.advance(60'000'000 - 1);
    EXPECT_EQ(t.stack.connection_count(), 1u);
    t.advance(1);
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
    t.expect_nothing();
}

TEST(Close, FinWait2_HalfClosedAndHeld_WaitsForThePeer) {
    SegmentScript t;
    Opened o = t.open_server();
    ASSERT_FALSE(o.connection.shutdown());
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    t.advance(600'000'000);
    EXPECT_EQ(o.connection.state(), State::fin_wait_2);
    // Closed now, it becomes an orphan and the fin timeout starts.
    o.connection.close();
    t.advance(60'000'000);
    EXPECT_EQ(t.stack.connection_count(), 0u);
}

}  // namespace
}  // namespace tcpp
