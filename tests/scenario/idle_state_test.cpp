// An idle connection holds no transfer state: the Flow (buffers, delayed-ACK timer, recovery and probe
// state) is taken when data moves and given back once nothing is buffered, in flight or owed.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

TEST(IdleState, AFlowOnlyWhileDataMoves) {
    SegmentScript t;  // ACKs at once (delayed_ack_us 0), no Nagle
    Opened o = t.open_server();
    EXPECT_FALSE(o.connection.info()->active) << "established and idle";

    // Data arrives: buffered until read.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload("request"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 7));
    EXPECT_TRUE(o.connection.info()->active);
    std::string got(16, '?');
    ASSERT_EQ(o.connection.receive(std::as_writable_bytes(std::span{got})).value_or(0), 7u);
    EXPECT_FALSE(o.connection.info()->active) << "read: nothing left";

    // Data sent: held until acknowledged.
    ASSERT_EQ(o.connection.send(wire::as_bytes("reply", 5)).value_or(0), 5u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt + 7).payload("reply"));
    EXPECT_TRUE(o.connection.info()->active);
    t.inject(Seg{}.seq(o.rcv_nxt + 7).ack(o.snd_nxt + 5));
    EXPECT_FALSE(o.connection.info()->active) << "acknowledged: nothing left";

    // And it all works again after.
    ASSERT_EQ(o.connection.send(wire::as_bytes("again", 5)).value_or(0), 5u);
    t.expect(Seg{}.psh().seq(o.snd_nxt + 5).ack(o.rcv_nxt + 7).payload("again"));
    t.inject(Seg{}.seq(o.rcv_nxt + 7).ack(o.snd_nxt + 10));
    EXPECT_FALSE(o.connection.info()->active);
    EXPECT_EQ(o.connection.info()->bytes_acked, 10u);
}

TEST(IdleState, DataHeldOutOfOrderKeepsTheFlowUntilTheGapFills) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.seq(o.rcv_nxt + 3).ack(o.snd_nxt).payload("def"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_TRUE(o.connection.info()->active);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 6));
    std::string got(16, '?');
    ASSERT_EQ(o.connection.receive(std::as_writable_bytes(std::span{got})).value_or(0), 6u);
    EXPECT_EQ(got.substr(0, 6), "abcdef");
    EXPECT_FALSE(o.connection.info()->active);
}

TEST(IdleState, TheDelayedAckKeepsTheFlowUntilItGoes) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.delayed_ack_us = 40'000;
    config.tcp.quick_acks = 0;  // else the first data is ACKed at once
    SegmentScript t(config);
    Opened o = t.open_server();
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload("x"));
    std::string got(4, '?');
    ASSERT_EQ(o.connection.receive(std::as_writable_bytes(std::span{got})).value_or(0), 1u);
    EXPECT_TRUE(o.connection.info()->active) << "an ACK is still owed";
    t.expect_after(40'000, Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    EXPECT_FALSE(o.connection.info()->active);
}

// When connections go, their slots go too, from the end of the table: a stack whose connections have all
// closed keeps no table for them. A handle to a closed connection stays invalid (EBADF) even when a new
// connection takes its slot number again.
TEST(IdleState, TheSlotTableShrinksAndOldHandlesStayInvalid) {
    SegmentScript t;
    Opened o = t.open_server();
    Connection old = o.connection;
    EXPECT_EQ(t.stack.connection_count(), 1u);
    o.connection.abort();
    t.expect(Seg{}.rst().seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(old.info().error(), std::make_error_code(std::errc::bad_file_descriptor));
    // A new connection from another port takes slot 0 again.
    t.inject(Seg{}.syn().seq(5000).mss(1460).from_port(40001));
    const std::uint32_t iss = t.expect(Seg{}.syn().ack(5001).to_port(40001)).seq.raw();
    t.inject(Seg{}.seq(5001).ack(iss + 1).from_port(40001));
    auto fresh = o.listener->accept();
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->state(), State::established);
    EXPECT_EQ(old.info().error(), std::make_error_code(std::errc::bad_file_descriptor)) << "not the new one";
    EXPECT_NE(old.state(), State::established);
}

}  // namespace
}  // namespace tcpp
