// Simultaneous open (RFC 9293 3.5, figure 7: SYN_SENT -> SYN_RECEIVED -> ESTABLISHED) and simultaneous
// close (3.6, figure 13: FIN_WAIT_1 -> CLOSING -> TIME_WAIT). The stack is the client in both.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

constexpr std::uint32_t peer_iss = 300;

// Both sides sent a SYN; the peer's arrived first. The stack answers <SEQ=ISS><ACK=301><CTL=SYN,ACK> and
// enters SYN_RECEIVED. Returns the stack's ISS.
std::uint32_t crossed_syns(SegmentScript& t, Connection& connection) {
    t.local_port = SegmentScript::client_port;
    auto connected = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                                     Endpoint{{}, SegmentScript::client_port});
    EXPECT_TRUE(connected);
    if (!connected) return 0;
    connection = *connected;
    std::uint32_t iss = t.expect(Seg{}.syn().mss(1460)).seq.raw();
    t.inject(Seg{}.syn().seq(peer_iss).mss(1460));
    t.expect(Seg{}.syn().seq(iss).ack(peer_iss + 1).mss(1460).window(65535));
    t.expect_nothing();
    EXPECT_EQ(connection.state(), State::syn_received);
    return iss;
}

TEST(SimultaneousOpen, SynSent_Syn_SendsSynAckAndEntersSynReceived) {
    SegmentScript t;
    Connection c;
    crossed_syns(t, c);
    EXPECT_EQ(t.states(), "SYN_SENT SYN_RECEIVED");
    EXPECT_EQ(t.stack.counters().PassiveOpens, 0u);
}

TEST(SimultaneousOpen, SynReceived_PeersSynAck_EntersEstablished) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = crossed_syns(t, c);
    // Figure 7, line 6: <SEQ=300><ACK=101><CTL=SYN,ACK>; the SYN repeats the one already taken in.
    t.inject(Seg{}.syn().seq(peer_iss).ack(iss + 1).mss(1460));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::established);
    EXPECT_EQ(t.states(), "SYN_SENT SYN_RECEIVED ESTABLISHED");
    EXPECT_EQ(t.stack.counters().TCPSYNChallenge, 0u);
}

TEST(SimultaneousOpen, SynReceived_AckOfOurSyn_EntersEstablished) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = crossed_syns(t, c);
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 1));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::established);
    std::string text = "after";
    ASSERT_EQ(*c.send(wire::as_bytes(text.data(), text.size())), 5u);
    t.expect(Seg{}.psh().seq(iss + 1).ack(peer_iss + 1).payload("after"));
}

TEST(SimultaneousOpen, SynReceived_UnacceptableAck_IsAnsweredWithRstSeqSegAck) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = crossed_syns(t, c);
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 77));
    t.expect(Seg{}.rst().seq(iss + 77).window(0));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::syn_received);
}

TEST(SimultaneousOpen, SynReceived_RstExact_IsConnectionRefused) {
    SegmentScript t;
    Connection c;
    crossed_syns(t, c);
    // RFC 9293 3.10.7.4, second, SYN-RECEIVED from an active OPEN: "connection refused".
    t.inject(Seg{}.rst().seq(peer_iss + 1));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::closed);
    EXPECT_EQ(c.error(), std::errc::connection_refused);
    EXPECT_EQ(t.stack.counters().AttemptFails, 1u);
}

TEST(SimultaneousOpen, SynReceived_RstInWindowNotExact_SendsChallengeAck) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = crossed_syns(t, c);
    t.inject(Seg{}.rst().seq(peer_iss + 10));
    t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 1));
    EXPECT_EQ(c.state(), State::syn_received);
    EXPECT_EQ(t.stack.counters().TCPChallengeACK, 1u);
}

TEST(SimultaneousOpen, SynReceived_Timeout_RetransmitsSynAck) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = crossed_syns(t, c);
    // The SYN went at the connect; the timer it armed still runs, now for the SYN,ACK.
    t.expect_after(1'000'000, Seg{}.syn().seq(iss).ack(peer_iss + 1).mss(1460));
    t.expect_after(2'000'000, Seg{}.syn().seq(iss).ack(peer_iss + 1).mss(1460));
    EXPECT_EQ(c.state(), State::syn_received);
}

TEST(SimultaneousOpen, SynReceived_Close_SendsFinAndEntersFinWait1) {
    SegmentScript t;
    Connection c;
    std::uint32_t iss = crossed_syns(t, c);
    // RFC 9293 3.10.4, SYN-RECEIVED: nothing queued to send, so a FIN and FIN-WAIT-1.
    ASSERT_FALSE(c.shutdown());
    t.expect(Seg{}.fin().seq(iss + 1).ack(peer_iss + 1));
    EXPECT_EQ(c.state(), State::fin_wait_1);
    // The peer's ACK of SYN and FIN together: FIN_WAIT_2.
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 2));
    t.expect_nothing();
    EXPECT_EQ(c.state(), State::fin_wait_2);
}

TEST(SimultaneousClose, FinWait1_FinWithoutAckOfOurs_IsAckedAndEntersClosing) {
    SegmentScript t;
    Opened o = t.open_client();
    ASSERT_FALSE(o.connection.shutdown());
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    // Figure 13: the FINs cross; theirs acknowledges everything but our FIN.
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::closing);
}

TEST(SimultaneousClose, Closing_AckOfOurFin_EntersTimeWait) {
    SegmentScript t;
    Opened o = t.open_client();
    ASSERT_FALSE(o.connection.shutdown());
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    t.inject(Seg{}.seq(o.rcv_nxt + 1).ack(o.snd_nxt + 1));
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::time_wait);
    EXPECT_EQ(t.states(), "SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT");
    o.connection.close();
    EXPECT_EQ(t.stack.time_wait_count(), 1u);
}

TEST(SimultaneousClose, Closing_RetransmittedFin_IsReAcked) {
    SegmentScript t;
    Opened o = t.open_client();
    ASSERT_FALSE(o.connection.shutdown());
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    EXPECT_EQ(o.connection.state(), State::closing);
}

TEST(SimultaneousClose, Closing_FinUnacknowledged_IsRetransmittedOnTheTimer) {
    SegmentScript t;
    Opened o = t.open_client();
    ASSERT_FALSE(o.connection.shutdown());
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));
    // The handshake's RTT sample was 0: RTO = max(G, 4 * RTTVAR) held at the 200 ms minimum.
    t.expect_after(200'000, Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt + 1));
}

}  // namespace
}  // namespace tcpp
