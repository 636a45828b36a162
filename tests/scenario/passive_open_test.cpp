// RFC 9293 3.10.7.2 and the LISTEN -> SYN_RECEIVED -> ESTABLISHED arrows, one rule a test.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

TEST(PassiveOpen, Listen_Syn_SendsSynAckWithMssAndEntersSynReceived) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    ASSERT_TRUE(listener);
    t.inject(Seg{}.syn().seq(1000).mss(1400));
    wire::TcpSegment synack = t.expect(Seg{}.syn().ack(1001).mss(1460).window(65535));
    t.expect_nothing();
    EXPECT_EQ(listener->syn_queue_size(), 1u);
    EXPECT_EQ(listener->accept_queue_size(), 0u);

    t.inject(Seg{}.seq(1001).ack(synack.seq + 1));
    t.expect_nothing();
    EXPECT_EQ(listener->accept_queue_size(), 1u);
    auto connection = listener->accept();
    ASSERT_TRUE(connection);
    EXPECT_EQ(connection->state(), State::established);
    EXPECT_EQ(connection->tuple().remote.port, SegmentScript::peer_port);
    EXPECT_EQ(t.stack.counters().PassiveOpens, 1u);
}

TEST(PassiveOpen, Listen_Ack_IsAnsweredWithRstSeqSegAck) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    t.inject(Seg{}.seq(5).ack(777));
    t.expect(Seg{}.rst().seq(777));
    EXPECT_EQ(listener->syn_queue_size(), 0u);
}

TEST(PassiveOpen, Listen_Rst_IsIgnored) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.listen({{}, 80}, 8));
    t.inject(Seg{}.rst().seq(5));
    t.expect_nothing();
}

TEST(PassiveOpen, SynReceived_RetransmittedSyn_ResendsSynAck) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    t.inject(Seg{}.syn().seq(o.peer_iss).mss(1460));
    t.expect(Seg{}.syn().seq(o.iss).ack(o.peer_iss + 1).mss(1460));
    t.expect_nothing();
    EXPECT_EQ(o.listener->syn_queue_size(), 1u);
}

TEST(PassiveOpen, SynReceived_UnacceptableAck_IsAnsweredWithRstSeqSegAck) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    // RFC 9293 3.10.7.4, fifth, SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT fails: <SEQ=SEG.ACK><CTL=RST>.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.iss + 1000));
    t.expect(Seg{}.rst().seq(o.iss + 1000).window(0));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.iss));
    t.expect(Seg{}.rst().seq(o.iss).window(0));
    t.expect_nothing();
    EXPECT_EQ(o.listener->syn_queue_size(), 1u);
    EXPECT_EQ(o.listener->accept_queue_size(), 0u);
}

TEST(PassiveOpen, SynReceived_SegmentWithoutAck_IsDropped) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    t.inject(Seg{}.seq(o.rcv_nxt).payload("early"));
    t.expect_nothing();
    EXPECT_EQ(o.listener->syn_queue_size(), 1u);
    EXPECT_EQ(o.listener->accept_queue_size(), 0u);
}

TEST(PassiveOpen, SynReceived_AckCarryingData_EstablishesAndDeliversTheData) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("hello"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 5));
    t.expect_nothing();
    auto connection = o.listener->accept();
    ASSERT_TRUE(connection);
    EXPECT_EQ(connection->state(), State::established);
    EXPECT_EQ(connection->bytes_unread(), 5u);
}

TEST(PassiveOpen, SynReceived_AckCarryingFin_EstablishesThenEntersCloseWait) {
    SegmentScript t;
    Opened o = t.open_in_state(State::syn_received);
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    auto connection = o.listener->accept();
    ASSERT_TRUE(connection);
    EXPECT_EQ(connection->state(), State::close_wait);
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED CLOSE_WAIT");
}

TEST(PassiveOpen, Listen_SynAck_AnnouncesTheReceiveBufferAsWindow) {
    SegmentScript t;
    ListenOptions options;
    options.connection = testing::script_connection_options();
    options.connection->receive_buffer = 1000;
    ASSERT_TRUE(t.stack.listen({{}, 80}, 8, options));
    t.inject(Seg{}.syn().seq(1000).mss(1460));
    t.expect(Seg{}.syn().ack(1001).mss(1460).window(1000));
}

TEST(ClosedPort, SynWithoutAck_GetsRstAckWithAckSegSeqPlusLen) {
    SegmentScript t;
    t.inject(Seg{}.syn().seq(1000));
    t.expect(Seg{}.rst().ack(1001).seq(0).window(0));
    EXPECT_EQ(t.stack.counters().OutRsts, 1u);
}

TEST(ClosedPort, SegmentWithAck_GetsRstWithSeqSegAck) {
    SegmentScript t;
    t.inject(Seg{}.seq(1000).ack(4242).payload("xyz"));
    t.expect(Seg{}.rst().seq(4242));
}

TEST(ClosedPort, DataAndFinWithoutAck_GetsRstAckCoveringTheirLength) {
    SegmentScript t;
    // RFC 9293 3.10.7.1: SEG.LEN counts the data and the FIN.
    t.inject(Seg{}.fin().seq(1000).payload("abcd"));
    t.expect(Seg{}.rst().ack(1005).seq(0).window(0));
}

TEST(ClosedPort, Rst_IsNeverAnswered) {
    SegmentScript t;
    t.inject(Seg{}.rst().seq(1000));
    t.expect_nothing();
}

}  // namespace
}  // namespace tcpp
