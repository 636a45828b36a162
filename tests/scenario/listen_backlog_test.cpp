// A listener's two queues (SYN queue: SYN_RECEIVED children; accept queue: ESTABLISHED, not accepted),
// both bounded by the backlog, and what happens at the bound (Linux, tcp_abort_on_overflow = 0: the
// completing ACK is dropped and the SYN,ACK retransmitted on its timer). Many connections share the
// listener's port, each with its own four-tuple.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Seg;
using testing::SegmentScript;

constexpr std::uint64_t s = 1'000'000;

// A SYN from the peer's port `port`, seq `isn`; returns the ISS of the SYN,ACK.
std::uint32_t syn_from(SegmentScript& t, std::uint16_t port, std::uint32_t isn) {
    t.inject(Seg{}.syn().seq(isn).mss(1460).from_port(port));
    return t.expect(Seg{}.syn().ack(isn + 1).mss(1460).to_port(port)).seq.raw();
}

TEST(ListenBacklog, SynQueue_IsBoundedByTheBacklog) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 2);
    ASSERT_TRUE(listener);
    syn_from(t, 41000, 100);
    syn_from(t, 42000, 200);
    t.inject(Seg{}.syn().seq(300).mss(1460).from_port(43000));
    t.expect_nothing();  // dropped: the client's SYN timer will try again
    EXPECT_EQ(listener->syn_queue_size(), 2u);
    EXPECT_EQ(t.stack.counters().ListenDrops, 1u);
    EXPECT_EQ(t.stack.counters().ListenOverflows, 0u);  // the accept queue did not overflow
    EXPECT_EQ(t.stack.connection_count(), 2u);
}

TEST(ListenBacklog, AcceptQueueFull_NewSynIsDropped) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 1);
    ASSERT_TRUE(listener);
    std::uint32_t iss = syn_from(t, 41000, 100);
    t.inject(Seg{}.seq(101).ack(iss + 1).from_port(41000));
    ASSERT_EQ(listener->accept_queue_size(), 1u);
    t.inject(Seg{}.syn().seq(200).mss(1460).from_port(42000));
    t.expect_nothing();
    EXPECT_EQ(listener->syn_queue_size(), 0u);
    EXPECT_EQ(t.stack.counters().ListenOverflows, 1u);
    EXPECT_EQ(t.stack.counters().ListenDrops, 1u);
}

TEST(ListenBacklog, AcceptQueueFull_CompletingAckIsDroppedAndSynAckRetransmitted_AcceptThenCompletes) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 2);
    ASSERT_TRUE(listener);
    std::uint32_t iss_a = syn_from(t, 41000, 100);
    std::uint32_t iss_b = syn_from(t, 42000, 200);
    t.inject(Seg{}.seq(101).ack(iss_a + 1).from_port(41000));
    std::uint32_t iss_c = syn_from(t, 43000, 300);  // the SYN queue has room again
    t.inject(Seg{}.seq(201).ack(iss_b + 1).from_port(42000));
    ASSERT_EQ(listener->accept_queue_size(), 2u);
    ASSERT_EQ(listener->syn_queue_size(), 1u);

    // C's handshake completes while the accept queue is full: its ACK is dropped.
    t.inject(Seg{}.seq(301).ack(iss_c + 1).from_port(43000));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().ListenOverflows, 1u);
    EXPECT_EQ(listener->accept_queue_size(), 2u);
    EXPECT_EQ(listener->syn_queue_size(), 1u);

    // C stays in SYN_RECEIVED: its SYN,ACK goes again when the timer (armed at the SYN: 1 s) expires.
    t.expect_after(1 * s, Seg{}.syn().seq(iss_c).ack(301).mss(1460).to_port(43000));
    t.inject(Seg{}.seq(301).ack(iss_c + 1).from_port(43000));  // the client's answer: still no room
    EXPECT_EQ(t.stack.counters().ListenOverflows, 2u);
    t.expect_after(2 * s, Seg{}.syn().seq(iss_c).ack(301).mss(1460).to_port(43000));

    // The user accepts one; the next answer to the retransmitted SYN,ACK completes the handshake.
    auto a = listener->accept();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->tuple().remote.port, 41000);
    t.inject(Seg{}.seq(301).ack(iss_c + 1).from_port(43000));
    t.expect_nothing();
    EXPECT_EQ(listener->accept_queue_size(), 2u);
    EXPECT_EQ(listener->syn_queue_size(), 0u);
    auto b = listener->accept();
    auto c = listener->accept();
    ASSERT_TRUE(b);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->tuple().remote.port, 43000);
    EXPECT_EQ(c->state(), State::established);
    EXPECT_EQ(listener->accept().error(), std::errc::resource_unavailable_try_again);
    // No more SYN,ACKs for C.
    t.advance(100 * s);
    t.expect_nothing();
}

TEST(ListenBacklog, AcceptQueueFull_ChildNeverCompleting_IsDroppedSilentlyAfterSynackRetries) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 2);
    ASSERT_TRUE(listener);
    std::uint32_t iss_a = syn_from(t, 41000, 100);
    std::uint32_t iss_b = syn_from(t, 42000, 200);
    t.inject(Seg{}.seq(101).ack(iss_a + 1).from_port(41000));
    std::uint32_t iss_c = syn_from(t, 43000, 300);
    t.inject(Seg{}.seq(201).ack(iss_b + 1).from_port(42000));
    ASSERT_EQ(listener->accept_queue_size(), 2u);
    // net.ipv4.tcp_synack_retries = 5: SYN,ACKs again after 1, 2, 4, 8 and 16 s, each answered in vain.
    std::uint64_t rto = 1 * s;
    for (int i = 0; i < 5; ++i, rto *= 2) {
        t.expect_after(rto, Seg{}.syn().seq(iss_c).ack(301).to_port(43000));
        t.inject(Seg{}.seq(301).ack(iss_c + 1).from_port(43000));
    }
    EXPECT_EQ(t.stack.counters().ListenOverflows, 5u);
    // 32 s after the last, the child goes: silently, back to just LISTEN.
    t.advance(32 * s - 1);
    EXPECT_EQ(listener->syn_queue_size(), 1u);
    t.advance(1);
    t.expect_nothing();
    EXPECT_EQ(listener->syn_queue_size(), 0u);
    EXPECT_EQ(t.stack.connection_count(), 2u);
    EXPECT_EQ(listener->accept_queue_size(), 2u);
}

TEST(ListenBacklog, ManyConnectionsShareTheListenersPort_EachWithItsOwnFourTuple) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    ASSERT_TRUE(listener);
    const std::uint16_t ports[] = {41000, 41001, 41002};
    std::uint32_t iss[3];
    for (int i = 0; i < 3; ++i) iss[i] = syn_from(t, ports[i], 1000u * (i + 1));
    for (int i = 0; i < 3; ++i) t.inject(Seg{}.seq(1000u * (i + 1) + 1).ack(iss[i] + 1).from_port(ports[i]));
    ASSERT_EQ(listener->accept_queue_size(), 3u);
    Connection c[3];
    for (auto& connection : c) connection = *listener->accept();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(c[i].tuple().local.port, 80);
        EXPECT_EQ(c[i].tuple().remote.port, ports[i]);
    }
    // Data for the second reaches the second only, and is acknowledged on its own four-tuple.
    t.inject(Seg{}.psh().seq(2001).ack(iss[1] + 1).from_port(ports[1]).payload("two"));
    t.expect(Seg{}.seq(iss[1] + 1).ack(2004).to_port(ports[1]).from_port(80));
    EXPECT_EQ(c[0].bytes_unread(), 0u);
    EXPECT_EQ(c[1].bytes_unread(), 3u);
    EXPECT_EQ(c[2].bytes_unread(), 0u);
    // Closing one leaves the others and the listener.
    c[0].abort();
    t.expect(Seg{}.rst().ack_flag().seq(iss[0] + 1).to_port(ports[0]));
    EXPECT_EQ(c[2].state(), State::established);
    EXPECT_TRUE(listener->valid());
}

}  // namespace
}  // namespace tcpp

namespace tcpp {
namespace {

using testing::Seg;
using testing::SegmentScript;

// A connection reset while it waits in the accept queue is no connection any more: its four-tuple is free
// for the client's next SYN at once (as on Linux), while accept() still hands the dead one over.
TEST(ListenBacklog, ChildResetInTheAcceptQueue_FreesItsFourTupleAtOnce) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    t.inject(Seg{}.syn().seq(1000).mss(1460));
    wire::TcpSegment synack = t.expect(Seg{}.syn().ack(1001));
    t.inject(Seg{}.seq(1001).ack(synack.seq + 1));
    ASSERT_EQ(listener->accept_queue_size(), 1u);
    t.inject(Seg{}.rst().seq(1001));
    EXPECT_EQ(t.stack.connection_count(), 0u);
    t.inject(Seg{}.syn().seq(90000).mss(1460));
    t.expect(Seg{}.syn().ack(90001));
    EXPECT_EQ(listener->syn_queue_size(), 1u);
    auto dead = listener->accept();
    ASSERT_TRUE(dead);
    EXPECT_EQ(dead->state(), State::closed);
    EXPECT_EQ(dead->error(), std::errc::connection_reset);
}

}  // namespace
}  // namespace tcpp
