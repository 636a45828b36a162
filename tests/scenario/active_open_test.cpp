// RFC 9293 3.10.1 (OPEN) and 3.10.7.3 (SYN-SENT): the CLOSED -> SYN_SENT -> ESTABLISHED arrows, and
// everything SYN_SENT does with a segment that is not the SYN,ACK it waits for.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

// The stack connects from client_port to the peer and has sent its SYN; returns the stack's ISS.
std::uint32_t syn_sent(SegmentScript& t, Connection& connection) {
    t.local_port = SegmentScript::client_port;
    auto connected = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                                     Endpoint{{}, SegmentScript::client_port});
    EXPECT_TRUE(connected);
    if (!connected) return 0;
    connection = *connected;
    wire::TcpSegment syn = t.expect(Seg{}.syn().mss(1460).window(65535));
    return syn.seq.raw();
}

TEST(ActiveOpen, Closed_Connect_SendsSynWithMssAndEntersSynSent) {
    SegmentScript t;
    Connection c;
    syn_sent(t, c);
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::syn_sent);
    EXPECT_EQ(c.tuple().local.port, SegmentScript::client_port);
    EXPECT_EQ(t.stack.counters().ActiveOpens, 1u);
    EXPECT_EQ(t.states(), "SYN_SENT");
}

TEST(ActiveOpen, SynSent_SynAck_IsAckedAndEntersEstablished) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    t.inject(Seg{}.syn().seq(7000).ack(iss + 1).mss(1460).window(30000));
    t.expect(Seg{}.seq(iss + 1).ack(7001).window(65535));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::established);
    EXPECT_TRUE(c.writable());
    EXPECT_EQ(t.states(), "SYN_SENT ESTABLISHED");
    EXPECT_EQ(t.stack.counters().CurrEstab, 1u);
}

TEST(ActiveOpen, SynSent_DataQueuedBeforeTheHandshake_LeavesWithTheAck) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    std::string text = "early";
    ASSERT_EQ(*c.send(wire::as_bytes(text.data(), text.size())), 5u);
    t.expect_nothing();  // nothing but the SYN before the handshake completes
    t.inject(Seg{}.syn().seq(7000).ack(iss + 1).mss(1460));
    t.expect(Seg{}.psh().seq(iss + 1).ack(7001).payload("early"));
    t.expect_nothing();
}

TEST(ActiveOpen, SynSent_AckAtOrBelowIss_IsAnsweredWithRstSeqSegAck) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    // RFC 9293 3.10.7.3, first: SEG.ACK =< ISS: <SEQ=SEG.ACK><CTL=RST>, and the segment is dropped.
    t.inject(Seg{}.seq(7000).ack(iss));
    t.expect(Seg{}.rst().seq(iss).window(0));
    t.inject(Seg{}.syn().seq(7000).ack(iss - 100));
    t.expect(Seg{}.rst().seq(iss - 100).window(0));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::syn_sent);
}

TEST(ActiveOpen, SynSent_AckBeyondSndNxt_IsAnsweredWithRstSeqSegAck) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    t.inject(Seg{}.syn().seq(7000).ack(iss + 2).mss(1460));
    t.expect(Seg{}.rst().seq(iss + 2).window(0));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::syn_sent);
}

TEST(ActiveOpen, SynSent_RstWithAcceptableAck_IsConnectionRefused) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    t.inject(Seg{}.rst().seq(0).ack(iss + 1));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::closed);
    EXPECT_EQ(c.error(), std::errc::connection_refused);
    EXPECT_EQ(c.send(wire::Bytes{}).error(), std::errc::connection_refused);
    EXPECT_EQ(t.stack.counters().AttemptFails, 1u);
    EXPECT_EQ(t.states(), "SYN_SENT CLOSED");
}

TEST(ActiveOpen, SynSent_RstWithUnacceptableAck_IsDropped) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    t.inject(Seg{}.rst().seq(0).ack(iss + 5));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::syn_sent);
    EXPECT_FALSE(c.error());
}

TEST(ActiveOpen, SynSent_RstWithoutAck_IsIgnored) {
    SegmentScript t;
    Connection c;
    syn_sent(t, c);
    // RFC 9293 3.10.7.3, second, and RFC 5961 3: without an acceptable ACK a reset cannot be believed.
    t.inject(Seg{}.rst().seq(0));
    t.inject(Seg{}.rst().seq(12345));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::syn_sent);
    EXPECT_FALSE(c.error());
}

TEST(ActiveOpen, SynSent_AcceptableAckWithoutSyn_IsDropped) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    // 3.10.7.3, fifth: neither SYN nor RST: drop.
    t.inject(Seg{}.seq(7000).ack(iss + 1));
    t.inject(Seg{}.seq(7000).ack(iss + 1).payload("data"));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::syn_sent);
}

TEST(ActiveOpen, SynSent_SynAckAfterAnIgnoredSegment_StillEstablishes) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = syn_sent(t, c);
    t.inject(Seg{}.rst().seq(0));
    t.inject(Seg{}.syn().seq(9000).ack(iss + 1).mss(1460));
    t.expect(Seg{}.seq(iss + 1).ack(9001));
    EXPECT_EQ(c.state(), State::established);
}

TEST(ActiveOpen, Established_AsClient_ExchangesDataBothWays) {
    SegmentScript t;
    Opened o = t.open_client();
    std::string text = "ping";
    ASSERT_EQ(*o.connection.send(wire::as_bytes(text.data(), text.size())), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("ping"));
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt + 4).payload("pong"));
    t.expect(Seg{}.seq(o.snd_nxt + 4).ack(o.rcv_nxt + 4));
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
    EXPECT_EQ(o.connection.bytes_unread(), 4u);
}

}  // namespace
}  // namespace tcpp
