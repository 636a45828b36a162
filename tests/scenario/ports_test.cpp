// Ports and four-tuples: ephemeral ports for connect(), EADDRINUSE for a four-tuple in use (TIME_WAIT
// included), and listen()'s EADDRINUSE on a taken port unless reuse_address.

#include <set>

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

const Endpoint peer{SegmentScript::peer_address, SegmentScript::peer_port};

TEST(Ports, Connect_WithoutALocalPort_TakesAnEphemeralPortFromTheRange) {
    SegmentScript t;
    std::set<std::uint16_t> seen;
    for (int i = 0; i < 5; ++i) {
        auto c = t.stack.connect(peer);
        ASSERT_TRUE(c);
        const std::uint16_t port = c->tuple().local.port;
        EXPECT_GE(port, t.stack.config().ephemeral_first);
        EXPECT_LE(port, t.stack.config().ephemeral_last);
        EXPECT_EQ(c->tuple().local.address, SegmentScript::local_address);
        seen.insert(port);
        t.expect(Seg{}.syn().from_port(port).to_port(SegmentScript::peer_port));
    }
    EXPECT_EQ(seen.size(), 5u);  // five connections to one peer: five four-tuples
}

TEST(Ports, Connect_EphemeralRangeExhausted_IsAddressNotAvailable) {
    StackConfig config = SegmentScript::default_config();
    config.ephemeral_first = 50000;
    config.ephemeral_last = 50001;
    SegmentScript t{config};
    ASSERT_TRUE(t.stack.connect(peer));
    ASSERT_TRUE(t.stack.connect(peer));
    EXPECT_EQ(t.stack.connect(peer).error(), std::errc::address_not_available);
    // Another peer has its own four-tuples.
    EXPECT_TRUE(t.stack.connect({SegmentScript::peer_address, 40001}));
}

TEST(Ports, Connect_EphemeralPort_SkipsPortsWithAListener) {
    StackConfig config = SegmentScript::default_config();
    config.ephemeral_first = 50000;
    config.ephemeral_last = 50001;
    SegmentScript t{config};
    ASSERT_TRUE(t.stack.listen({{}, 50000}, 8));
    auto c = t.stack.connect(peer);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->tuple().local.port, 50001);
}

TEST(Ports, Connect_ExplicitFourTupleInUse_IsAddressInUse) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.connect(peer, Endpoint{{}, 5555}));
    EXPECT_EQ(t.stack.connect(peer, Endpoint{{}, 5555}).error(), std::errc::address_in_use);
    // The same local port towards another peer port is a different four-tuple.
    EXPECT_TRUE(t.stack.connect({SegmentScript::peer_address, 40001}, Endpoint{{}, 5555}));
}

TEST(Ports, Connect_ExplicitFourTupleInTimeWait_IsAddressInUse) {
    SegmentScript t;
    Opened o = t.open_client();
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    ASSERT_EQ(t.stack.time_wait_count(), 1u);
    EXPECT_EQ(t.stack.connect(peer, Endpoint{{}, SegmentScript::client_port}).error(), std::errc::address_in_use);
    // An ephemeral connect never picks it either; after 2*MSL the four-tuple is free again.
    t.advance(60'000'000);
    EXPECT_EQ(t.stack.time_wait_count(), 0u);
    EXPECT_TRUE(t.stack.connect(peer, Endpoint{{}, SegmentScript::client_port}));
}

TEST(Ports, Connect_LocalAddressNotOurs_IsAddressNotAvailable) {
    SegmentScript t;
    EXPECT_EQ(t.stack.connect(peer, Endpoint{Ipv4Address{10, 9, 9, 9}, 5555}).error(),
              std::errc::address_not_available);
}

TEST(Ports, Listen_PortWithAListener_IsAddressInUse_EvenWithReuseAddress) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.listen({{}, 80}, 8));
    EXPECT_EQ(t.stack.listen({{}, 80}, 8).error(), std::errc::address_in_use);
    ListenOptions reuse;
    reuse.reuse_address = true;
    EXPECT_EQ(t.stack.listen({SegmentScript::local_address, 80}, 8, reuse).error(), std::errc::address_in_use);
}

TEST(Ports, Listen_PortUsedByAConnection_IsAddressInUseWithoutReuseAddress) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.connect(peer, Endpoint{{}, 5555}));
    EXPECT_EQ(t.stack.listen({{}, 5555}, 8).error(), std::errc::address_in_use);
    ListenOptions reuse;
    reuse.reuse_address = true;
    EXPECT_TRUE(t.stack.listen({{}, 5555}, 8, reuse));
}

TEST(Ports, Listen_PortHeldOnlyByTimeWait_NeedsReuseAddress) {
    SegmentScript t;
    Opened o = t.open_server();
    Connection c = o.connection;
    c.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    o.listener->close();
    ASSERT_EQ(t.stack.time_wait_count(), 1u);
    // The classic server restart: SO_REUSEADDR lets it listen while its old connection waits out 2*MSL.
    EXPECT_EQ(t.stack.listen({{}, 80}, 8).error(), std::errc::address_in_use);
    ListenOptions reuse;
    reuse.reuse_address = true;
    EXPECT_TRUE(t.stack.listen({{}, 80}, 8, reuse));
}

TEST(Ports, Listen_BadBacklogOrPort_IsInvalidArgument) {
    SegmentScript t;
    EXPECT_EQ(t.stack.listen({{}, 80}, 0).error(), std::errc::invalid_argument);
    EXPECT_EQ(t.stack.listen({{}, 0}, 8).error(), std::errc::invalid_argument);
}

}  // namespace
}  // namespace tcpp
