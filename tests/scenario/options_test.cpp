// Window scaling and timestamps (RFC 7323), SACK (RFC 2018) and the out-of-order queue, as segment scripts.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Seg;
using testing::SegmentScript;

constexpr std::uint32_t peer_iss = 1000;

// Opens a passive connection whose peer offers window scale 7, timestamps and SACK, as Linux does.
// Returns the stack's ISS.
std::uint32_t open_with_options(SegmentScript& t, Listener& listener, std::uint8_t peer_wscale = 7) {
    t.inject(Seg{}.syn().seq(peer_iss).mss(1460).sack_ok().ts(5000, 0).wscale(peer_wscale));
    wire::TcpSegment synack = t.expect(Seg{}.syn().ack(peer_iss + 1));
    EXPECT_TRUE(synack.options.timestamps);
    std::uint32_t iss = synack.seq.raw();
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 1).ts(5001, synack.options.timestamps->value).window(512));
    t.expect_nothing();
    EXPECT_EQ(listener.accept_queue_size(), 1u);
    return iss;
}

TEST(Options, Syn_OffersMssSackTimestampsAndWindowScale7InLinuxOrder) {
    SegmentScript t;
    t.local_port = SegmentScript::client_port;
    auto c = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                             Endpoint{{}, SegmentScript::client_port});
    ASSERT_TRUE(c);
    wire::TcpSegment syn = t.expect(Seg{}.syn().window(65535));
    ASSERT_TRUE(syn.options.timestamps);
    EXPECT_EQ(syn.options.timestamps->echo_reply, 0u);
    EXPECT_EQ(syn.options.mss, 1460);
    EXPECT_TRUE(syn.options.sack_permitted);
    EXPECT_EQ(syn.options.window_scale, 7);  // from the 6 MiB largest receive buffer, as Linux
    EXPECT_EQ(syn.options.size(), 20u);      // mss, sackOK+TS, nop+wscale: Linux's 20 bytes
}

TEST(Options, Rfc7323_SynAckOffersOnlyWhatTheSynOffered) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.listen({{}, 80}, 8));
    t.inject(Seg{}.syn().seq(peer_iss).mss(1460));
    t.expect(Seg{}.syn().ack(peer_iss + 1).mss(1460).options_exactly());
}

TEST(Options, Rfc7323_SynAckEchoesTimestampAndScale) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.listen({{}, 80}, 8));
    t.inject(Seg{}.syn().seq(peer_iss).mss(1460).sack_ok().ts(5000, 0).wscale(2));
    wire::TcpSegment synack = t.expect(Seg{}.syn().ack(peer_iss + 1).window(65535));
    EXPECT_EQ(synack.options.window_scale, 7);
    EXPECT_TRUE(synack.options.sack_permitted);
    ASSERT_TRUE(synack.options.timestamps);
    EXPECT_EQ(synack.options.timestamps->echo_reply, 5000u);
}

TEST(Options, Rfc7323_2_WindowsAreScaledBothWays) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener, 3);
    auto c = listener->accept();
    ASSERT_TRUE(c);
    // Our window: 64 KiB of receive buffer, shift 7, so 512 in the field.
    ASSERT_EQ(c->send(wire::as_bytes("x", 1)).value_or(0), 1u);
    wire::TcpSegment data = t.expect(Seg{}.psh().seq(iss + 1).ack(peer_iss + 1).payload("x"));
    EXPECT_EQ(data.window, 65536 >> 7);
    // Theirs: the handshake's ACK said 512 with shift 3, so 4096 bytes may be in flight: 2 full segments
    // (1448 bytes each: the MSS less the timestamps' 12) and 1200 bytes more of 8000 queued.
    std::string big(8000, 'a');
    ASSERT_EQ(c->send(wire::as_bytes(big.data(), big.size())).value_or(0), 8000u);
    t.expect(Seg{}.seq(iss + 2).ack(peer_iss + 1).payload(std::string(1448, 'a')));
    t.expect(Seg{}.seq(iss + 2 + 1448).ack(peer_iss + 1).payload(std::string(1448, 'a')));
    // 1199 bytes of window remain: less than a segment, than the data queued, and than half the largest
    // window offered (the SYN's 65535; RFC 9293 3.8.6.2.1, sender SWS avoidance): wait for it to open.
    t.expect_nothing();
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 2 + 1448).ts(5002, 1).window(512));  // 4096 more from here
    t.expect(Seg{}.seq(iss + 2 + 2896).ack(peer_iss + 1).payload(std::string(1448, 'a')));
    t.expect_nothing();  // 1200 more would fit: still less than half the SYN's 65535
}

// RFC 7323 5.3 R2: a duplicate (the peer had the original, its ACK was lost) does not update TS.Recent,
// so the ACK the resend draws echoes the original's timestamp. Measured, it would count the whole timeout
// as RTT; the sender ignores an echo from before its last timeout, and the backoff stays.
TEST(Options, Rfc7323_AnEchoFromBeforeATimeoutIsNoRttSample) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    auto c = listener->accept();
    ASSERT_TRUE(c);
    ASSERT_EQ(c->send(wire::as_bytes("x", 1)).value_or(0), 1u);
    wire::TcpSegment original = t.expect(Seg{}.psh().seq(iss + 1).ack(peer_iss + 1).payload("x"));
    const std::uint64_t srtt = c->info()->srtt_us;
    t.advance(c->info()->rto_us);
    t.expect(Seg{}.psh().seq(iss + 1).ack(peer_iss + 1).payload("x"));  // the loss probe, in the RTO's place
    t.advance(c->info()->rto_us);
    t.expect(Seg{}.psh().seq(iss + 1).ack(peer_iss + 1).payload("x"));  // the timeout's resend
    EXPECT_EQ(c->info()->backoff, 1u);
    t.advance(5'000);
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 2).ts(5002, original.options.timestamps->value));
    EXPECT_EQ(c->info()->unacked, 0u);
    EXPECT_EQ(c->info()->srtt_us, srtt) << "no sample from the echo of the original";
    EXPECT_EQ(c->info()->backoff, 1u) << "so the backoff stays";
}

TEST(Options, Rfc9293_3_8_6_2_1_SmallWindowWaitsForTheOverrideTimeout) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    // A peer whose window is never more than 512 bytes: half of it is 256.
    t.inject(Seg{}.syn().seq(peer_iss).mss(1460).window(512));
    std::uint32_t iss = t.expect(Seg{}.syn().ack(peer_iss + 1)).seq.raw();
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 1).window(512));
    auto c = listener->accept();
    ASSERT_TRUE(c);
    std::string big(3000, 'b');
    ASSERT_EQ(c->send(wire::as_bytes(big.data(), big.size())).value_or(0), 3000u);
    t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 1).payload(std::string(512, 'b')));  // the whole window
    t.inject(Seg{}.seq(peer_iss + 1).ack(iss + 1 + 512).window(100));               // then a window of 100
    t.expect_nothing();  // 100 < 256: wait for more
    // With nothing in flight the timer runs as the override timeout (here the RTO: the handshake gave an
    // RTT sample of 0, held to the 200 ms minimum), then sends what fits.
    t.advance(199'999);
    t.expect_nothing();
    t.advance(1);
    t.expect(Seg{}.seq(iss + 1 + 512).ack(peer_iss + 1).payload(std::string(100, 'b')));
}

// RFC 9293 3.8.6.2.2: the right edge of the window does not move left, though the free buffer, rounded
// down to the scale's units of 128 bytes, would move it; and every byte sent within it is taken.
TEST(Options, Rfc9293_3_8_6_2_2_TheWindowsRightEdgeNeverMovesLeft) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    std::uint32_t right_edge = 0;
    std::uint32_t seq = peer_iss + 1;
    std::uint32_t window = 65535;
    for (int i = 0; window >= 1000; ++i) {  // never read: the buffer fills; every byte sent into the window fits
        t.inject(Seg{}.seq(seq).ack(iss + 1).ts(6000 + i, 1).payload(std::string(1000, 'z')));
        wire::TcpSegment ack = t.expect(Seg{}.seq(iss + 1).ack(seq + 1000).ts_echo(6000 + i));
        window = std::uint32_t{ack.window} << 7;
        std::uint32_t edge = ack.ack.raw() + window;
        if (i > 0) {
            // Never back by a whole unit of 128 bytes: by less only where the buffer holds no more (and what
            // was sent to the old edge still fits: every ACK above took all 1000 bytes).
            EXPECT_TRUE(wire::Seq{edge} + 127 >= wire::Seq{right_edge}) << "moved left at segment " << i;
        }
        right_edge = edge;
        seq += 1000;
    }
    EXPECT_GE(right_edge - (peer_iss + 1), 65536u) << "the whole buffer was offered";
}

TEST(Options, Rfc7323_4_3_AcksEchoTheNewestTimestampAtTheLeftEdge) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    t.inject(Seg{}.psh().seq(peer_iss + 1).ack(iss + 1).ts(6000, 1).payload("abc"));
    wire::TcpSegment ack = t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 4));
    ASSERT_TRUE(ack.options.timestamps);
    EXPECT_EQ(ack.options.timestamps->echo_reply, 6000u);
    // A segment beyond the left edge (out of order) does not move TS.Recent.
    t.inject(Seg{}.psh().seq(peer_iss + 10).ack(iss + 1).ts(7000, 1).payload("zzz"));
    t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 4).ts_echo(6000).sack(peer_iss + 10, peer_iss + 13));
}

// A segment whose ACK acknowledges what was never sent is answered with an ACK and dropped (RFC 9293
// 3.10.7.4): its TSval, perhaps forged, must not become TS.Recent, or PAWS would then drop the peer's real
// segments (packetdrill's ts_recent/invalid_ack asks this of Linux too).
TEST(Options, Rfc7323_ASegmentWithAnAckOfUnsentDataDoesNotMoveTsRecent) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    auto c = listener->accept();
    t.inject(Seg{}.fin().seq(peer_iss + 1).ack(iss + 9999).ts(200000, 1));
    t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 1).ts_echo(5001));  // the ACK RFC 9293 asks for
    t.inject(Seg{}.psh().seq(peer_iss + 1).ack(iss + 1).ts(5002, 1).payload("abc"));
    t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 4).ts_echo(5002));  // not dropped by PAWS
    EXPECT_EQ(t.stack.counters().PAWSEstab, 0u);
    EXPECT_EQ(c->state(), State::established);  // the FIN went with the segment
}

TEST(Options, Rfc7323_5_Paws_AnOlderTimestampIsDroppedWithAnAck) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    auto c = listener->accept();
    t.inject(Seg{}.psh().seq(peer_iss + 1).ack(iss + 1).ts(6000, 1).payload("new"));
    t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 4));
    // An old duplicate from an earlier wrap of the sequence space: its timestamp gives it away.
    t.inject(Seg{}.psh().seq(peer_iss + 4).ack(iss + 1).ts(5999, 1).payload("old"));
    t.expect(Seg{}.seq(iss + 1).ack(peer_iss + 4));
    EXPECT_EQ(t.stack.counters().PAWSEstab, 1u);
    std::byte buffer[16];
    EXPECT_EQ(c->receive(buffer).value_or(0), 3u) << "only the new bytes";
    // An RST is not subject to PAWS.
    t.inject(Seg{}.rst().seq(peer_iss + 4).ts(1, 0));
    EXPECT_EQ(c->error(), std::errc::connection_reset);
}

TEST(Options, OutOfOrderData_IsHeldAndSackedThenDeliveredInOrder) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    auto c = listener->accept();
    const std::uint32_t base = peer_iss + 1;
    // TS.Recent stays 5001 (from the handshake's ACK) while the segments arrive beyond the left edge.
    t.inject(Seg{}.seq(base + 10).ack(iss + 1).ts(6000, 1).payload("KLMNO"));  // bytes 10..14
    t.expect(Seg{}.seq(iss + 1).ack(base).ts_echo(5001).sack(base + 10, base + 15));
    t.inject(Seg{}.seq(base + 20).ack(iss + 1).ts(6001, 1).payload("UVW"));  // bytes 20..22
    t.expect(Seg{}.seq(iss + 1).ack(base).ts_echo(5001).sack(base + 20, base + 23).sack(base + 10, base + 15));
    EXPECT_EQ(c->bytes_unread(), 0u);
    EXPECT_EQ(t.stack.counters().TCPOFOQueue, 2u);
    t.inject(Seg{}.seq(base).ack(iss + 1).ts(6002, 1).payload("ABCDEFGHIJ"));  // 0..9: fills the first gap
    t.expect(Seg{}.seq(iss + 1).ack(base + 15).ts_echo(6002).sack(base + 20, base + 23));
    t.inject(Seg{}.seq(base + 15).ack(iss + 1).ts(6003, 1).payload("PQRST"));  // 15..19: fills the second
    t.expect(Seg{}.seq(iss + 1).ack(base + 23).ts_echo(6003));
    std::string got(23, '?');
    EXPECT_EQ(c->receive(std::as_writable_bytes(std::span{got})).value_or(0), 23u);
    EXPECT_EQ(got, "ABCDEFGHIJKLMNOPQRSTUVW");
}

TEST(Options, OutOfOrderFin_IsTakenOnceTheGapBeforeItIsFilled) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    auto c = listener->accept();
    const std::uint32_t base = peer_iss + 1;
    t.inject(Seg{}.fin().seq(base + 3).ack(iss + 1).ts(6000, 1).payload("def"));
    t.expect(Seg{}.seq(iss + 1).ack(base).ts_echo(5001).sack(base + 3, base + 6));
    EXPECT_EQ(c->state(), State::established);
    t.inject(Seg{}.seq(base).ack(iss + 1).ts(6001, 1).payload("abc"));
    t.expect(Seg{}.seq(iss + 1).ack(base + 7).ts_echo(6001));  // the data and the FIN
    EXPECT_EQ(c->state(), State::close_wait);
    std::string got(6, '?');
    EXPECT_EQ(c->receive(std::as_writable_bytes(std::span{got})).value_or(0), 6u);
    EXPECT_EQ(got, "abcdef");
    EXPECT_EQ(c->receive(std::as_writable_bytes(std::span{got})).value_or(99), 0u) << "then end of stream";
}

TEST(Options, OutOfOrderQueue_IsBoundedByTheWindow) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    std::uint32_t iss = open_with_options(t, *listener);
    const std::uint32_t base = peer_iss + 1;
    // Beyond the 64 KiB receive buffer: not held.
    t.inject(Seg{}.seq(base + 70'000).ack(iss + 1).ts(6000, 1).payload("far"));
    t.expect(Seg{}.seq(iss + 1).ack(base).ts_echo(5001).options_exactly());
    EXPECT_EQ(t.stack.counters().TCPOFOQueue, 0u);
}

}  // namespace
}  // namespace tcpp
