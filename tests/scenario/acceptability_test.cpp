// The acceptability test of RFC 9293 3.4 / 3.10.7.4 (first check): four cases, segment length zero or
// not by receive window zero or not, and the ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> for an unacceptable
// segment; then the ACK field's own checks (fifth): an ACK of data not yet sent, and one too old
// (RFC 5961 5.2).
//
// Each probe carries an ACK of three bytes the stack has in flight: whether the stack took that ACK
// (bytes_unacknowledged() drops to 0) tells whether it found the segment acceptable.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::OpenOptions;
using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

wire::Bytes bytes_of(const std::string& text) { return wire::as_bytes(text.data(), text.size()); }

// ESTABLISHED with a receive buffer (so a window) of `buffer` bytes and "xyz" sent, unacknowledged;
// o.snd_nxt is after it.
Opened with_data_in_flight(SegmentScript& t, std::size_t buffer) {
    OpenOptions options;
    options.connection.receive_buffer = buffer;
    Opened o = t.open_server(options);
    EXPECT_EQ(*o.connection.send(bytes_of("xyz")), 3u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("xyz").window(static_cast<std::uint16_t>(buffer)));
    o.snd_nxt += 3;
    return o;
}

// As above, then the peer fills the window: RCV.WND is zero.
Opened with_zero_window(SegmentScript& t) {
    Opened o = with_data_in_flight(t, 4);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt - 3).payload("abcd"));
    o.rcv_nxt += 4;
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(0));
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
    return o;
}

// --- Zero length, window open: acceptable when RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND ---

TEST(Acceptability, ZeroLength_WindowOpen_AtRcvNxt_IsAccepted) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(Acceptability, ZeroLength_WindowOpen_AtTheLastSequenceNumberOfTheWindow_IsAccepted) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.seq(o.rcv_nxt + 99).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(Acceptability, ZeroLength_WindowOpen_JustBeyondTheWindow_IsAckedAndDropped) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.seq(o.rcv_nxt + 100).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(100));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
}

TEST(Acceptability, ZeroLength_WindowOpen_BeforeRcvNxt_IsAckedAndDropped) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(100));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
}

// --- Zero length, window zero: acceptable only when SEG.SEQ = RCV.NXT ---

TEST(Acceptability, ZeroLength_WindowZero_AtRcvNxt_IsAccepted) {
    SegmentScript t;
    Opened o = with_zero_window(t);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(Acceptability, ZeroLength_WindowZero_ElsewhereIsAckedAndDropped) {
    SegmentScript t;
    Opened o = with_zero_window(t);
    // Past the last edge we announced (RCV.NXT here) by more than one unit of the scale (1 byte, unscaled):
    // see BeyondRcvNxtWithinTheLastEdge below for what lies within it.
    t.inject(Seg{}.seq(o.rcv_nxt + 2).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(0));
    // Another within 500 ms gets no ACK (Linux's tcp_invalid_ratelimit: forged bare segments cost nothing).
    t.inject(Seg{}.seq(o.rcv_nxt - 1).ack(o.snd_nxt));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPACKSkippedSeq, 1u);
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
}

// --- Data, window zero: never acceptable, but its ACK is still taken ("special allowance") ---

TEST(Acceptability, Data_WindowZero_IsAckedAndDropped_ButItsAckIsTaken) {
    SegmentScript t;
    Opened o = with_zero_window(t);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("e"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(0));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unread(), 4u);  // the "e" was not taken
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

// The peer sent past RCV.NXT, up to an edge we had announced, before the window closed; those bytes were
// not taken, and its ACKs now carry its SND.NXT, beyond RCV.NXT. Their ACK must still be taken: were it
// dropped, a peer waiting for our window and we for its ACK would wait for ever (as happened against
// Linux through an impaired link).
TEST(Acceptability, ZeroLength_WindowZero_BeyondRcvNxtWithinTheLastEdge_ItsAckIsTaken) {
    SegmentScript t;
    Opened o = with_zero_window(t);
    t.inject(Seg{}.seq(o.rcv_nxt + 1).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(0));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);  // the 3 bytes in flight are acknowledged
    EXPECT_EQ(o.connection.bytes_unread(), 4u);
}

TEST(Acceptability, Data_WindowZero_AcceptedAgainOnceTheUserReads) {
    SegmentScript t;
    Opened o = with_zero_window(t);
    std::byte buffer[4];
    ASSERT_EQ(*o.connection.receive(buffer), 4u);
    // The window opened from 0 to 4: the stack says so (RFC 9293 3.8.6.2.2).
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(4));
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("e"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1).window(3));
    EXPECT_EQ(o.connection.bytes_unread(), 1u);
}

// --- Data, window open: acceptable when its first or its last byte is in the window ---

TEST(Acceptability, Data_WindowOpen_StartingAtRcvNxt_IsAccepted) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3).window(97));
    EXPECT_EQ(o.connection.bytes_unread(), 3u);
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(Acceptability, Data_WindowOpen_StartingBeforeRcvNxtAndEndingInside_IsAcceptedForItsNewPart) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt - 3).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 1).ack(o.snd_nxt).payload("bcde"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 5));
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
    std::byte buffer[8];
    ASSERT_EQ(*o.connection.receive(buffer), 5u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer), 5), "abcde");
}

TEST(Acceptability, Data_WindowOpen_EndingInsideTheWindowOnlyAtItsLastByte_IsAccepted) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    // The first byte is old, the last is RCV.NXT itself.
    t.inject(Seg{}.psh().seq(o.rcv_nxt - 1).ack(o.snd_nxt).payload("Xa"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    EXPECT_EQ(o.connection.bytes_unread(), 1u);
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
}

TEST(Acceptability, Data_WindowOpen_StartingInsideBeyondRcvNxt_IsAcceptedAndDupAcked) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    // Out of order: acceptable (its ACK is taken); the hole is reported with an ACK of RCV.NXT.
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 10).ack(o.snd_nxt).payload("later"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 0u);
    EXPECT_EQ(o.connection.bytes_unread(), 0u);
}

TEST(Acceptability, Data_WindowOpen_EntirelyOld_IsAckedAndDropped) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt - 3).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("abc"));  // the same again
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3).window(97));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unread(), 3u);
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
}

TEST(Acceptability, Data_WindowOpen_StartingBeyondTheWindow_IsAckedAndDropped) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 100).ack(o.snd_nxt).payload("far"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).window(100));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
}

// --- The ACK field (3.10.7.4, fifth) ---

TEST(Acceptability, AckOfDataNotYetSent_IsAckedAndDropped) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt + 1).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unread(), 0u);  // the whole segment was dropped
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
    EXPECT_EQ(o.connection.state(), State::established);
}

TEST(Acceptability, AckOlderThanSndUnaLessMaxSndWnd_IsAckedAndDropped) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    // RFC 5961 5.2: acceptable only if SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT (MAX.SND.WND: 65535).
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt - 3 - 65536).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(o.connection.bytes_unread(), 0u);
}

TEST(Acceptability, DuplicateAckWithinMaxSndWnd_IsTakenWithItsData) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt - 3 - 65535).payload("abc"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    EXPECT_EQ(o.connection.bytes_unread(), 3u);
    EXPECT_EQ(o.connection.bytes_unacknowledged(), 3u);
}

TEST(Acceptability, SegmentWithoutAckFlag_IsDropped) {
    SegmentScript t;
    Opened o = with_data_in_flight(t, 100);
    // 3.10.7.4, fifth: "if the ACK bit is off, drop the segment and return".
    t.inject(Seg{}.psh().seq(o.rcv_nxt).payload("abc"));
    t.expect_nothing();
    EXPECT_EQ(o.connection.bytes_unread(), 0u);
}

}  // namespace
}  // namespace tcpp
