// Keepalive (RFC 1122 4.2.3.6, RFC 9293 3.8.4): probes on an idle connection, an answered probe keeping
// it, unanswered probes ending it with a reset and ETIMEDOUT, and traffic postponing the first probe.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::Opened;
using testing::OpenOptions;
using testing::Seg;
using testing::SegmentScript;

constexpr std::uint64_t s = 1'000'000;

OpenOptions keepalive_options() {
    OpenOptions options;
    options.connection.keepalive = true;
    options.connection.keepalive_idle_us = 10 * s;
    options.connection.keepalive_interval_us = 1 * s;
    options.connection.keepalive_probes = 3;
    return options;
}

// The probe: a byte already acknowledged, <SEQ=SND.NXT-1><ACK=RCV.NXT>, no data.
Seg probe(const Opened& o) { return Seg{}.seq(o.snd_nxt - 1).ack(o.rcv_nxt); }

TEST(Keepalive, Rfc1122_4_2_3_6_IdleConnectionIsProbedAndAnAnswerKeepsIt) {
    SegmentScript t;
    Opened o = t.open_server(keepalive_options());
    t.expect_after(10 * s, probe(o));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));  // the peer answers
    t.expect_after(10 * s, probe(o));                // idle again for the whole idle time
    EXPECT_EQ(o.connection.state(), State::established);
    EXPECT_EQ(t.stack.counters().TCPKeepAlive, 2u);
}

TEST(Keepalive, UnansweredProbes_ResetTheConnectionWithEtimedout) {
    SegmentScript t;
    Opened o = t.open_server(keepalive_options());
    t.expect_after(10 * s, probe(o));
    t.expect_after(1 * s, probe(o));
    t.expect_after(1 * s, probe(o));
    // The third went unanswered too: a reset, as Linux sends, and the user sees ETIMEDOUT.
    t.expect_after(1 * s, Seg{}.rst().seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_EQ(o.connection.state(), State::closed);
    EXPECT_EQ(o.connection.error(), std::make_error_code(std::errc::timed_out));
    EXPECT_EQ(t.stack.counters().TCPKeepAliveTimeouts, 1u);
    t.advance(60 * s);
    t.expect_nothing();
}

TEST(Keepalive, ArrivingDataPostponesTheFirstProbe) {
    SegmentScript t;
    Opened o = t.open_server(keepalive_options());
    t.advance(6 * s);
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt).payload("ping"));
    o.rcv_nxt += 4;
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    t.expect_after(10 * s, probe(o));  // ten seconds after the data, not after the handshake
}

TEST(Keepalive, OffByDefault_NothingInThreeHours) {
    SegmentScript t;
    Opened o = t.open_server();
    EXPECT_FALSE(o.connection.options().keepalive);
    t.advance(3 * 3600 * s);
    t.expect_nothing();
    EXPECT_EQ(o.connection.state(), State::established);
}

TEST(Keepalive, TurnedOnLater_CountsIdleTimeFromTheLastSegment) {
    SegmentScript t;
    Opened o = t.open_server();
    t.advance(4 * s);
    tcp::ConnectionOptions options = o.connection.options();
    options.keepalive = true;
    options.keepalive_idle_us = 10 * s;
    options.keepalive_interval_us = 1 * s;
    ASSERT_FALSE(o.connection.set_options(options));
    t.expect_after(6 * s, probe(o));
}

TEST(Keepalive, CloseStopsIt) {
    SegmentScript t;
    Opened o = t.open_server(keepalive_options());
    t.advance(5 * s);
    o.connection.close();
    t.expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1));  // FIN_WAIT_2
    t.advance(30 * s);
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPKeepAlive, 0u);
}

TEST(Keepalive, ZeroTimesOrProbes_AreRefused) {
    SegmentScript t;
    Opened o = t.open_server();
    for (int which = 0; which < 3; ++which) {
        tcp::ConnectionOptions options = o.connection.options();
        options.keepalive = true;
        if (which == 0) options.keepalive_idle_us = 0;
        if (which == 1) options.keepalive_interval_us = 0;
        if (which == 2) options.keepalive_probes = 0;
        EXPECT_EQ(o.connection.set_options(options), std::make_error_code(std::errc::invalid_argument)) << which;
    }
    // And buffers too large to keep, at listen and connect.
    tcp::ConnectionOptions huge = o.connection.options();
    huge.send_buffer = std::size_t{1} << 32;
    ListenOptions listen_options;
    listen_options.connection = huge;
    EXPECT_EQ(t.stack.listen({{}, 81}, 8, listen_options).error(), std::make_error_code(std::errc::invalid_argument));
    EXPECT_EQ(t.stack.connect({SegmentScript::peer_address, 9}, std::nullopt, &huge).error(),
              std::make_error_code(std::errc::invalid_argument));
}

// TCP_USER_TIMEOUT (RFC 9293 3.10.8's USER TIMEOUT): data unacknowledged for longer than the user allows
// ends the connection with ETIMEDOUT at the next retransmission timeout, long before the retry limit.
TEST(UserTimeout, UnacknowledgedDataEndsTheConnectionAfterTheUsersTimeout) {
    SegmentScript t;
    OpenOptions options;
    options.connection.user_timeout_us = 1 * s;
    Opened o = t.open_server(options);
    ASSERT_EQ(o.connection.send(wire::as_bytes("lost", 4)).value_or(0), 4u);
    const Seg resend = Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("lost");
    t.expect(resend);
    // The probe and the timeouts resend it, backing off, until a timeout finds a second gone by.
    std::uint64_t elapsed = 0;
    unsigned resends = 0;
    while (o.connection.state() == State::established && elapsed < 10 * s) {
        const std::uint64_t before = t.stack.now_us();
        t.advance_to_next_deadline();
        elapsed += t.stack.now_us() - before;
        if (t.pending() > 0 && o.connection.state() == State::established) {
            t.expect(resend);
            ++resends;
        }
    }
    EXPECT_EQ(o.connection.error(), std::make_error_code(std::errc::timed_out));
    EXPECT_GE(elapsed, 1 * s);
    EXPECT_LT(elapsed, 2 * s) << "at the first timeout past the user's second";
    EXPECT_GE(resends, 2u);
    EXPECT_LT(resends, 6u) << "far from the 15 retries of the limit";
    EXPECT_EQ(t.stack.counters().TCPAbortOnTimeout, 1u);
}

TEST(UserTimeout, ProgressRestartsIt) {
    SegmentScript t;
    OpenOptions options;
    options.connection.user_timeout_us = 1 * s;
    options.connection.nodelay = true;
    Opened o = t.open_server(options);
    ASSERT_EQ(o.connection.send(wire::as_bytes("ab", 2)).value_or(0), 2u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload("ab"));
    // Each ACK moves SND.UNA a byte, just before the user's second is up: the connection lives on.
    for (std::uint32_t acked = 1; acked <= 2; ++acked) {
        t.advance(900'000);
        const std::string unacked = acked == 1 ? "ab" : "b";
        while (t.pending() > 0) {  // resends meanwhile
            t.expect(Seg{}.psh().seq(o.snd_nxt + acked - 1).ack(o.rcv_nxt).payload(unacked));
        }
        t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + acked));
    }
    EXPECT_EQ(o.connection.state(), State::established) << "1.8 s in all, but never 1 s without progress";
    EXPECT_FALSE(o.connection.error());
}

}  // namespace
}  // namespace tcpp
