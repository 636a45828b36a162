// RFC 9293 3.10.7.2 and the LISTEN -> SYN_RECEIVED -> ESTABLISHED arrows, one rule a test.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

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

TEST(ClosedPort, Rst_IsNeverAnswered) {
    SegmentScript t;
    t.inject(Seg{}.rst().seq(1000));
    t.expect_nothing();
}

}  // namespace
}  // namespace tcpp
