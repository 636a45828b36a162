// ICMP errors about TCP segments (RFC 1122 4.2.3.9, RFC 5461, RFC 5927) and path MTU discovery (RFC 1191):
// an error is believed only when it quotes a segment the connection has in flight; in SYN_SENT it ends the
// attempt with its errno, in a synchronized state it is remembered (and reported if the connection later
// times out); fragmentation-needed lowers the MSS and resends what was too large at once.

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "icmp_packet.h"
#include "segment_script.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace tcpp::testing {
namespace {

constexpr Ipv4Address router{10, 0, 0, 254};

// An ICMP error from `from`, quoting the IPv4 header and first 8 bytes of a segment the stack sent
// (`quoted_size` bytes long, as its IPv4 total length said) from local_port to the peer.
std::vector<std::byte> icmp_error(std::uint8_t type, std::uint8_t code, std::uint32_t seq, std::uint16_t local_port,
                                  std::uint16_t quoted_size = 1500, std::uint16_t next_hop_mtu = 0,
                                  Ipv4Address from = router) {
    std::vector<std::byte> quoted(wire::Ipv4Header::size() + 8);
    wire::Ipv4Header original;
    original.protocol = wire::ip_protocol::tcp;
    original.source = SegmentScript::local_address;
    original.destination = SegmentScript::peer_address;
    original.payload_length = static_cast<std::uint16_t>(quoted_size - wire::Ipv4Header::size());
    original.emit(quoted);
    wire::store_be16(quoted.data() + 20, local_port);
    wire::store_be16(quoted.data() + 22, SegmentScript::peer_port);
    wire::store_be32(quoted.data() + 24, seq);

    const wire::Icmpv4Header header =
        type == wire::icmp_type::time_exceeded ? wire::Icmpv4Header::time_exceeded(code)
                                               : wire::Icmpv4Header::destination_unreachable(code, next_hop_mtu);
    return icmp_packet(from, SegmentScript::local_address, header, quoted);
}

std::vector<std::byte> too_big(std::uint32_t seq, std::uint16_t next_hop_mtu, std::uint16_t quoted_size = 1500) {
    return icmp_error(wire::icmp_type::destination_unreachable, wire::icmp_unreachable::fragmentation_needed, seq,
                      80, quoted_size, next_hop_mtu);
}

std::string bytes_from(std::size_t offset, std::size_t length, const std::string& data) {
    return data.substr(offset, length);
}

std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
}

TEST(PathMtu, FragmentationNeededLowersTheMssAndResendsWhatWasInFlightAtOnce) {
    SegmentScript t;
    Opened o = t.open_server();
    const std::string data = pattern(3000);
    ASSERT_EQ(o.connection.send(wire::as_bytes(data.data(), data.size())).value_or(0), 3000u);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt).payload(bytes_from(0, 1460, data)));
    t.expect(Seg{}.seq(o.snd_nxt + 1460).ack(o.rcv_nxt).payload(bytes_from(1460, 1460, data)));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 2920).ack(o.rcv_nxt).payload(bytes_from(2920, 80, data)));

    // A router on the way has a 1280-byte link: the first segment (1500 bytes in all) did not pass.
    t.inject_packet(too_big(o.snd_nxt, 1280));
    EXPECT_EQ(t.stack.counters().TCPPathMtuLowered, 1u);
    // At once, not after a timeout: the first 1240 bytes (1280 less 40 of headers) again.
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload(bytes_from(0, 1240, data)));
    auto info = o.connection.info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->pmtu, 1280u);
    EXPECT_EQ(info->snd_mss, 1240u);
    EXPECT_EQ(info->soft_error, 0);  // not an error: the path told us its size
    // The peer acknowledges it; the rest follows at the new size, from where the resend stopped.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 1240));
    t.expect(Seg{}.seq(o.snd_nxt + 1240).ack(o.rcv_nxt).payload(bytes_from(1240, 1240, data)));
    t.expect(Seg{}.psh().seq(o.snd_nxt + 2480).ack(o.rcv_nxt).payload(bytes_from(2480, 520, data)));
    t.expect_nothing();
    EXPECT_EQ(t.stack.counters().TCPTimeouts, 0u);
}

TEST(PathMtu, OnlyLowersNeverBelowTheFloorAndGuessesAPlateauWhenTheRouterSaysNothing) {
    SegmentScript t;
    Opened o = t.open_server();
    const std::string data = pattern(1460);
    ASSERT_EQ(o.connection.send(wire::as_bytes(data.data(), data.size())).value_or(0), 1460u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload(data));
    auto mss = [&] { return o.connection.info()->snd_mss; };

    // After each lowering, the data in flight goes again at once: a first segment of the new MSS, then the
    // rest, none larger.
    auto expect_resent_in_segments_of = [&](std::size_t size) {
        for (std::size_t sent = 0; sent < data.size(); sent += t.last_payload.size()) {
            const std::size_t length = std::min(size, data.size() - sent);
            const bool push = sent == 0 || sent + length == data.size();  // the resend pushes; so does the end
            t.expect(Seg{}.psh_if(push).seq(o.snd_nxt + sent).ack(o.rcv_nxt).payload(data.substr(sent, length)));
        }
        t.expect_nothing();
    };
    // An old router (RFC 792) gives no MTU: the plateau below the 1500-byte packet, 1492 (RFC 1191 7).
    t.inject_packet(too_big(o.snd_nxt, 0));
    EXPECT_EQ(mss(), 1452u);
    expect_resent_in_segments_of(1452);
    // An MTU no smaller than the packet that was too big is nonsense: the plateau below it instead.
    t.inject_packet(too_big(o.snd_nxt, 1600, 1492));
    EXPECT_EQ(mss(), 966u);  // 1006 - 40
    expect_resent_in_segments_of(966);
    // A larger MTU than we know of now is not believed: ICMP only lowers it.
    t.inject_packet(too_big(o.snd_nxt, 1400, 1500));
    EXPECT_EQ(mss(), 966u);
    t.expect_nothing();
    // Below 552 bytes (Linux's min_pmtu) it is not believed either: 552 is used.
    t.inject_packet(too_big(o.snd_nxt, 200, 1006));
    EXPECT_EQ(mss(), 512u);
    EXPECT_EQ(o.connection.info()->pmtu, 552u);
    expect_resent_in_segments_of(512);
    EXPECT_EQ(t.stack.counters().TCPPathMtuLowered, 3u);
}

TEST(IcmpErrors, AnErrorQuotingASequenceNumberNotInFlightIsNotBelieved) {
    SegmentScript t;
    Opened o = t.open_server();
    const std::string data = pattern(100);
    ASSERT_EQ(o.connection.send(wire::as_bytes(data.data(), data.size())).value_or(0), 100u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload(data));
    // RFC 5927 4.1: SND.UNA <= SEQ < SND.NXT. One past, and one already acknowledged, are blind guesses.
    t.inject_packet(too_big(o.snd_nxt + 100, 576));
    t.inject_packet(too_big(o.snd_nxt - 1, 576));
    t.inject_packet(icmp_error(wire::icmp_type::destination_unreachable, wire::icmp_unreachable::host,
                               o.snd_nxt + 5000, 80));
    EXPECT_EQ(t.stack.counters().OutOfWindowIcmps, 3u);
    // About another connection (another port of ours), or not about TCP at all: ignored.
    t.inject_packet(icmp_error(wire::icmp_type::destination_unreachable, wire::icmp_unreachable::host, o.snd_nxt, 81));
    EXPECT_EQ(t.stack.counters().TCPIcmpErrorsIgnored, 1u);
    t.expect_nothing();
    auto info = o.connection.info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->pmtu, 1500u);
    EXPECT_EQ(info->soft_error, 0);
    EXPECT_EQ(o.connection.state(), State::established);
}

TEST(IcmpErrors, AConnectionAttemptEndsAtOnceWithTheErrorsErrno) {
    struct Case {
        std::uint8_t type;
        std::uint8_t code;
        std::errc error;
    };
    for (const Case& c : {Case{wire::icmp_type::destination_unreachable, wire::icmp_unreachable::host,
                               std::errc::host_unreachable},
                          Case{wire::icmp_type::destination_unreachable, wire::icmp_unreachable::net,
                               std::errc::network_unreachable},
                          Case{wire::icmp_type::destination_unreachable, wire::icmp_unreachable::port,
                               std::errc::connection_refused},
                          Case{wire::icmp_type::destination_unreachable, 13, std::errc::host_unreachable},
                          Case{wire::icmp_type::time_exceeded, 0, std::errc::host_unreachable}}) {
        SCOPED_TRACE(static_cast<int>(c.code));
        SegmentScript t;
        t.local_port = SegmentScript::client_port;
        auto connection = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                                          Endpoint{{}, SegmentScript::client_port});
        ASSERT_TRUE(connection);
        wire::TcpSegment syn = t.expect(Seg{}.syn());
        // Quoting anything but our ISN is a guess, and changes nothing.
        t.inject_packet(icmp_error(c.type, c.code, syn.seq.raw() + 1, SegmentScript::client_port));
        EXPECT_EQ(connection->state(), State::syn_sent);
        t.inject_packet(icmp_error(c.type, c.code, syn.seq.raw(), SegmentScript::client_port));
        EXPECT_EQ(connection->state(), State::closed);
        EXPECT_EQ(connection->error(), std::make_error_code(c.error));
        EXPECT_EQ(t.stack.counters().AttemptFails, 1u);
        EXPECT_EQ(t.stack.counters().OutOfWindowIcmps, 1u);
        t.expect_nothing();  // no RST: nobody at the other end has heard of us
        t.advance(10'000'000);
        t.expect_nothing();  // and no retransmitted SYN
    }
}

TEST(IcmpErrors, AnUnreachableCodeThatDoesNotExistIsIgnored) {
    SegmentScript t;
    t.local_port = SegmentScript::client_port;
    auto connection = t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port},
                                      Endpoint{{}, SegmentScript::client_port});
    ASSERT_TRUE(connection);
    wire::TcpSegment syn = t.expect(Seg{}.syn());
    t.inject_packet(icmp_error(wire::icmp_type::destination_unreachable, 200, syn.seq.raw(), SegmentScript::client_port));
    EXPECT_EQ(connection->state(), State::syn_sent);
    EXPECT_EQ(t.stack.counters().TCPIcmpErrorsIgnored, 1u);
}

TEST(IcmpErrors, ASynchronizedConnectionKeepsASoftErrorAndReportsItWhenItTimesOut) {
    SegmentScript t;
    Opened o = t.open_server();
    const std::string data = pattern(100);
    ASSERT_EQ(o.connection.send(wire::as_bytes(data.data(), data.size())).value_or(0), 100u);
    t.expect(Seg{}.psh().seq(o.snd_nxt).ack(o.rcv_nxt).payload(data));
    // RFC 5461: even a hard error (port unreachable) is soft once synchronized.
    t.inject_packet(icmp_error(wire::icmp_type::destination_unreachable, wire::icmp_unreachable::port, o.snd_nxt, 80));
    EXPECT_EQ(o.connection.state(), State::established);
    EXPECT_FALSE(o.connection.error());
    EXPECT_EQ(o.connection.info()->soft_error, ECONNREFUSED);
    // The peer is heard from again (it acknowledges the data): the error is forgotten.
    t.inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt + 100));
    EXPECT_EQ(o.connection.info()->soft_error, 0);
    // More data, another error (host unreachable, from the router), then silence until the retries run out.
    ASSERT_EQ(o.connection.send(wire::as_bytes(data.data(), data.size())).value_or(0), 100u);
    t.expect(Seg{}.psh().seq(o.snd_nxt + 100).ack(o.rcv_nxt).payload(data));
    t.inject_packet(icmp_error(wire::icmp_type::destination_unreachable, wire::icmp_unreachable::host,
                               o.snd_nxt + 100, 80));
    EXPECT_EQ(o.connection.info()->soft_error, EHOSTUNREACH);
    for (int i = 0; i < 100 && o.connection.state() != State::closed; ++i) t.advance_to_next_deadline();
    EXPECT_EQ(o.connection.state(), State::closed);
    // Not ETIMEDOUT: why the peer could not be reached.
    EXPECT_EQ(o.connection.error(), std::make_error_code(std::errc::host_unreachable));
}

TEST(IcmpErrors, AHalfOpenPassiveConnectionIsDroppedOnAHardErrorOnly) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    ASSERT_TRUE(listener);
    t.inject(Seg{}.syn().seq(1000).mss(1460));
    wire::TcpSegment synack = t.expect(Seg{}.syn().ack(1001));
    t.inject_packet(icmp_error(wire::icmp_type::destination_unreachable, wire::icmp_unreachable::host,
                               synack.seq.raw(), 80));
    EXPECT_EQ(t.stack.connection_count(), 1u);  // soft: the handshake may still complete
    EXPECT_EQ(listener->syn_queue_size(), 1u);
    t.inject_packet(icmp_error(wire::icmp_type::destination_unreachable, wire::icmp_unreachable::port,
                               synack.seq.raw(), 80));
    EXPECT_EQ(t.stack.connection_count(), 0u);
    EXPECT_EQ(listener->syn_queue_size(), 0u);
    t.expect_nothing();  // dropped without an RST
}

// With timestamps and SACK, a full data segment has no room left for SACK blocks: it must not grow past
// the path's MTU because the stack also holds data out of order. The blocks go on the pure ACKs.
TEST(PathMtu, AFullSegmentNeverOutgrowsTheMtuWithSackBlocks) {
    SegmentScript t;
    auto listener = t.stack.listen({{}, 80}, 8);
    t.inject(Seg{}.syn().seq(1000).mss(1460).sack_ok().ts(5000, 0).wscale(7));
    wire::TcpSegment synack = t.expect(Seg{}.syn().ack(1001));
    const std::uint32_t iss = synack.seq.raw();
    t.inject(Seg{}.seq(1001).ack(iss + 1).ts(5001, synack.options.timestamps->value).window(4096));
    auto c = listener->accept();
    ASSERT_TRUE(c);
    // The peer's data arrives with a hole: the stack holds 100 bytes out of order and SACKs them.
    t.inject(Seg{}.seq(1101).ack(iss + 1).ts(5002, 0).payload(std::string(100, 'x')));
    wire::TcpSegment dupack = t.expect(Seg{}.ack(1001).ts_echo(5001).sack(1101, 1201));
    (void)dupack;
    // Now the stack sends full segments: every one fits 1500 bytes.
    const std::string data = pattern(5000);
    ASSERT_EQ(c->send(wire::as_bytes(data.data(), data.size())).value_or(0), 5000u);
    for (std::size_t sent = 0; sent < data.size(); sent += t.last_payload.size()) {
        const std::size_t length = std::min<std::size_t>(1448, data.size() - sent);
        wire::TcpSegment s = t.expect(Seg{}.ack(1001).psh_if(sent + length == data.size()).seq(iss + 1 + sent)
                                          .payload(bytes_from(sent, length, data)));
        EXPECT_LE(wire::Ipv4Header::size() + s.header_size() + t.last_payload.size(), 1500u);
        // Full segments carry no blocks; the short last one has room for them.
        EXPECT_EQ(s.options.sack_block_count, length == 1448 ? 0u : 1u);
        if (t.last_payload.empty()) break;
    }
    t.expect_nothing();
}

}  // namespace
}  // namespace tcpp::testing
