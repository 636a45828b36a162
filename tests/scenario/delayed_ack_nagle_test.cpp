// Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2) and Nagle's algorithm (RFC 896, RFC 9293 3.7.4).

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::OpenOptions;
using testing::Seg;
using testing::SegmentScript;

constexpr std::uint64_t ms = 1000;

StackConfig with_delayed_ack() {
    StackConfig config = SegmentScript::default_config();
    config.tcp.delayed_ack_us = 40 * ms;
    config.tcp.quick_acks = 0;  // the delayed ACK alone (QuickAck below has them)
    return config;
}

Opened open_with_nagle(SegmentScript& t) {
    OpenOptions options;
    options.connection.nodelay = false;
    return t.open_server(options);
}

TEST(DelayedAck, OneSegment_IsAckedWhenTheTimerRunsOut) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("hello"));
    t.expect_nothing();
    t.advance(40 * ms - 1);
    t.expect_nothing();
    t.advance(1);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 5));
}

// As Linux does (the client_closes_first fixture: the server's ACK of the FIN comes 40 ms later): the FIN
// that ends ESTABLISHED waits for the delayed-ACK timer, and a user who closes before it runs out sends
// its FIN with the ACK, a close in three segments.
TEST(DelayedAck, FinInEstablished_IsAckedWhenTheTimerRunsOut) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    EXPECT_EQ(o.connection.state(), State::close_wait);
    t.expect_nothing();
    t.advance(40 * ms - 1);
    t.expect_nothing();
    t.advance(1);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    o.connection.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt + 1));
}

TEST(DelayedAck, FinInEstablished_ThenCloseAtOnce_FinCarriesTheAck) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect_nothing();
    o.connection.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    t.advance(100 * ms);
    t.expect_nothing();  // the ACK went with the FIN; no separate one follows
    t.inject(Seg{}.seq(o.rcv_nxt + 1).ack(o.snd_nxt + 1));
    EXPECT_EQ(t.states(), "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
}

TEST(DelayedAck, FinAfterData_AckedTogetherByTheTimer) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.psh().fin().seq(o.rcv_nxt).ack(o.snd_nxt).payload("bye"));
    t.expect_nothing();
    t.advance(40 * ms);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 4));
}

TEST(DelayedAck, RequestReplyThenFin_TheFinWaitsForTheTimerToo) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("request"));
    t.expect_nothing();
    std::vector<std::byte> buffer(100);
    ASSERT_EQ(o.connection.receive(buffer).value_or(0), 7u);
    const std::string reply = "reply";
    ASSERT_EQ(o.connection.send(wire::as_bytes(reply.data(), reply.size())).value_or(0), reply.size());
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt + 7).payload(reply));
    t.inject(Seg{}.fin().seq(o.rcv_nxt + 7).ack(o.snd_nxt + 5));
    t.expect_nothing();
    ASSERT_EQ(o.connection.receive(buffer).value_or(1), 0u);  // end of stream
    t.expect_nothing();
    o.connection.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt + 5).ack(o.rcv_nxt + 8));
}

TEST(DelayedAck, FinInFinWait2_IsAckedAtOnce) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    o.connection.shutdown();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt + 1));  // TIME_WAIT's ACK goes at once
}

TEST(DelayedAck, EverySecondFullSegment_IsAckedAtOnce) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    const std::string full(1460, 'f');
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload(full));
    t.expect_nothing();
    t.inject(Seg{}.seq(o.rcv_nxt + 1460).ack(o.snd_nxt).payload(full));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 2920));
    t.advance(100 * ms);
    t.expect_nothing();  // nothing left to acknowledge
}

TEST(DelayedAck, OutOfOrderData_IsAckedAtOnce_AndSoIsTheGapFill) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.seq(o.rcv_nxt + 5).ack(o.snd_nxt).payload("world"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));  // a duplicate ACK, at once
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload("hello"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 10));  // the gap filled: at once
}

TEST(DelayedAck, TheReplyCarriesTheAck) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("ping"));
    t.advance(10 * ms);
    ASSERT_EQ(o.connection.send(wire::as_bytes("pong", 4)).value_or(0), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt + 4).payload("pong"));
    t.advance(100 * ms);
    t.expect_nothing();  // no separate ACK: the reply carried it
}

TEST(DelayedAck, Duplicates_AreAckedAtOnce) {
    SegmentScript t{with_delayed_ack()};
    Opened o = t.open_server();
    t.inject(Seg{}.seq(o.rcv_nxt - 1).ack(o.snd_nxt).payload("x"));  // the peer's last byte again
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
}

// Quick ACKs (TcpConfig::quick_acks), as Linux: the first data of a connection is ACKed at once, so that
// the peer's slow start is not held up, until the connection turns interactive.
StackConfig with_quick_acks(std::uint8_t count) {
    StackConfig config = with_delayed_ack();
    config.tcp.quick_acks = count;
    return config;
}

TEST(QuickAck, TheFirstSegmentsAreAckedAtOnce_ThenTheDelayedAckResumes) {
    SegmentScript t{with_quick_acks(2)};
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("one"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 3));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 3).ack(o.snd_nxt).payload("two"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 6));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 6).ack(o.snd_nxt).payload("three"));
    t.expect_nothing();  // the two quick ACKs are spent
    t.advance(40 * ms);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 11));
}

TEST(QuickAck, AtMostHalfTheReceiveWindowsSegments) {
    SegmentScript t{with_quick_acks(16)};
    OpenOptions options;
    options.connection.receive_buffer = 4 * 536;  // room for 4 segments of 536 bytes: 2 quick ACKs
    Opened o = t.open_server(options);
    const std::string small(100, 's');
    for (std::uint32_t i = 0; i < 2; ++i) {
        t.inject(Seg{}.seq(o.rcv_nxt + i * 100).ack(o.snd_nxt).payload(small));
        t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + (i + 1) * 100));
    }
    t.inject(Seg{}.seq(o.rcv_nxt + 200).ack(o.snd_nxt).payload(small));
    t.expect_nothing();
}

TEST(QuickAck, AReplyWithinTheDelayMakesTheConnectionInteractive_ItsAcksWaitAgain) {
    SegmentScript t{with_quick_acks(16)};
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("ping"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 4));  // quick
    t.advance(10 * ms);
    ASSERT_EQ(o.connection.send(wire::as_bytes("pong", 4)).value_or(0), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt + 4).payload("pong"));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 4).ack(o.snd_nxt + 4).payload("ping"));
    t.expect_nothing();  // interactive: the ACK waits for the reply
    t.advance(40 * ms);
    t.expect(Seg{}.seq(o.snd_nxt + 4).ack(o.rcv_nxt + 8));  // none came: it goes alone
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 8).ack(o.snd_nxt + 4).payload("ping"));
    t.expect(Seg{}.seq(o.snd_nxt + 4).ack(o.rcv_nxt + 12));  // no longer interactive: quick again
}

// The same when the application reads the request before it replies (the connection's transfer state goes
// back to the pool in between: what makes it interactive is kept in the connection itself).
TEST(QuickAck, AReplyAfterReadingTheRequestMakesItInteractiveToo) {
    SegmentScript t{with_quick_acks(16)};
    Opened o = t.open_server();
    std::byte buffer[16];
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("ping"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 4));  // quick
    ASSERT_EQ(o.connection.receive(buffer).value_or(0), 4u);
    EXPECT_FALSE(o.connection.info()->active) << "read, ACKed: nothing held";
    t.advance(10 * ms);
    ASSERT_EQ(o.connection.send(wire::as_bytes("pong", 4)).value_or(0), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt + 4).payload("pong"));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 4).ack(o.snd_nxt + 4).payload("ping"));
    t.expect_nothing();  // interactive: the ACK waits for the reply
    ASSERT_EQ(o.connection.receive(buffer).value_or(0), 4u);
    ASSERT_EQ(o.connection.send(wire::as_bytes("pong", 4)).value_or(0), 4u);
    t.expect(Seg{}.psh().seq(o.snd_nxt + 4).ack(o.rcv_nxt + 8).payload("pong"));  // it rides on the reply
}

// Before any data, nothing is delayed: the FIN of a connection that carried none is ACKed at once (as
// packetdrill's close-remote-fin-then-close expects of Linux). After data, see DelayedAck above.
TEST(QuickAck, AFinBeforeAnyDataIsAckedAtOnce) {
    SegmentScript t{with_quick_acks(16)};
    Opened o = t.open_server();
    t.inject(Seg{}.fin().seq(o.rcv_nxt).ack(o.snd_nxt));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 1));
    EXPECT_EQ(o.connection.state(), State::close_wait);
}

TEST(QuickAck, AFinAfterDataWaitsForTheDelayedAck) {
    SegmentScript t{with_quick_acks(16)};
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("data"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 4));
    t.inject(Seg{}.fin().seq(o.rcv_nxt + 4).ack(o.snd_nxt));
    t.expect_nothing();
    t.advance(40 * ms);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 5));
}

TEST(Nagle, SmallSegment_WaitsForTheAckOfOutstandingData) {
    SegmentScript t;
    Opened o = open_with_nagle(t);
    ASSERT_EQ(o.connection.send(wire::as_bytes("a", 1)).value_or(0), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("a"));  // nothing in flight: goes at once
    ASSERT_EQ(o.connection.send(wire::as_bytes("b", 1)).value_or(0), 1u);
    ASSERT_EQ(o.connection.send(wire::as_bytes("c", 1)).value_or(0), 1u);
    t.expect_nothing();  // "a" is in flight
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 1).ack(o.rcv_nxt).payload("bc"));  // coalesced
}

TEST(Nagle, NoDelay_SendsSmallSegmentsAtOnce) {
    SegmentScript t;
    Opened o = t.open_server();  // the scripts' connections have TCP_NODELAY
    ASSERT_EQ(o.connection.send(wire::as_bytes("a", 1)).value_or(0), 1u);
    ASSERT_EQ(o.connection.send(wire::as_bytes("b", 1)).value_or(0), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("a"));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 1).ack(o.rcv_nxt).payload("b"));
}

TEST(Nagle, AFullSegment_GoesEvenWithDataInFlight) {
    SegmentScript t;
    Opened o = open_with_nagle(t);
    ASSERT_EQ(o.connection.send(wire::as_bytes("a", 1)).value_or(0), 1u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("a"));
    const std::string full(1460 + 10, 'f');
    ASSERT_EQ(o.connection.send(wire::as_bytes(full.data(), full.size())).value_or(0), full.size());
    t.expect(Seg{}.seq(o.snd_nxt + 1).ack(o.rcv_nxt).payload(full.substr(0, 1460)));
    t.expect_nothing();  // the 10 bytes left wait for an ACK
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1461));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 1461).ack(o.rcv_nxt).payload(full.substr(1460)));
}

}  // namespace
}  // namespace tcpp
