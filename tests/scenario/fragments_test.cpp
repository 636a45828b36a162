// IPv4 fragments at the stack (RFC 791 3.2): an echo request in fragments is answered, the reply too long
// for the MTU going out in fragments of its own, byte for byte what RFC 791 makes of it; a TCP segment in
// fragments reaches its connection intact; a datagram whose fragments do not all come is given up after
// the timeout (the stack's next deadline says when) with an ICMP time exceeded, code 1, to its sender
// (RFC 792, RFC 1122 3.3.2).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "icmp_packet.h"
#include "segment_script.h"
#include "tcpp/stack.h"
#include "wire/checksum.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp {
namespace {

using Bytes = std::vector<std::byte>;
using testing::icmp_packet;
using testing::Seg;
using testing::SegmentScript;

const Ipv4Address ours = SegmentScript::local_address;
const Ipv4Address peer = SegmentScript::peer_address;

Bytes pattern(std::size_t size) {
    Bytes bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>(i * 7 + i / 251);
    return bytes;
}

// RFC 791's fragmentation of a whole packet (20-byte header), written here from the RFC for the test:
// `each` bytes of data a fragment (a multiple of 8), MF on all but the last.
std::vector<Bytes> cut(const Bytes& packet, std::size_t each) {
    auto view = wire::Ipv4View::parse(packet);
    EXPECT_TRUE(view);
    const wire::Ipv4Header whole = wire::Ipv4Header::from(*view);
    const wire::Bytes data = view->payload();
    std::vector<Bytes> out;
    for (std::size_t offset = 0; offset < data.size(); offset += each) {
        const std::size_t length = std::min(each, data.size() - offset);
        wire::Ipv4Header header = whole;
        header.dont_fragment = false;
        header.fragment_offset = static_cast<std::uint16_t>(offset);
        header.more_fragments = offset + length < data.size();
        header.payload_length = static_cast<std::uint16_t>(length);
        Bytes fragment(wire::Ipv4Header::size() + length);
        header.emit(fragment);
        std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(offset), length, fragment.begin() + 20);
        out.push_back(std::move(fragment));
    }
    return out;
}

std::vector<Bytes> drain(Stack& stack) {
    std::vector<Bytes> out;
    while (auto packet = stack.next_output()) out.emplace_back(packet->begin(), packet->end());
    return out;
}

TEST(Fragments, AnEchoRequestInFragmentsIsAnsweredInFragments) {
    // `ping -s 3000` and `-s 8000` from Linux, MTU 1500, fragments in order and in reverse; and the largest
    // echo IPv4 can carry (65,507 bytes of data), the reply in 45 fragments.
    for (std::size_t size : {3000u, 8000u, 65507u}) {
        for (bool reverse : {false, true}) {
            Stack stack{{.address = ours, .name = "tcpp"}};
            const Bytes body = pattern(size);
            std::vector<Bytes> request =
                cut(icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(0x1234, 9), body, 0x77, false), 1480);
            if (reverse) std::reverse(request.begin(), request.end());
            for (const Bytes& fragment : request) {
                EXPECT_TRUE(drain(stack).empty());
                stack.receive(fragment, 1000);
            }
            const std::vector<Bytes> reply = drain(stack);
            ASSERT_FALSE(reply.empty()) << size;
            // What RFC 791 makes of the whole reply under MTU 1500, with the identification the stack chose.
            auto first = wire::Ipv4View::parse(reply[0]);
            ASSERT_TRUE(first);
            const std::vector<Bytes> expected = cut(
                icmp_packet(ours, peer, wire::Icmpv4Header::echo_reply(0x1234, 9), body, first->identification(), false),
                1480);
            ASSERT_EQ(reply.size(), expected.size()) << size;
            for (std::size_t i = 0; i < reply.size(); ++i) {
                EXPECT_LE(reply[i].size(), 1500u);
                EXPECT_EQ(reply[i], expected[i]) << size << " fragment " << i;
            }
            const tcp::Counters& c = stack.counters();
            EXPECT_EQ(c.ReasmReqds, request.size());
            EXPECT_EQ(c.ReasmOKs, 1u);
            EXPECT_EQ(c.ReasmFails, 0u);
            EXPECT_EQ(c.IcmpInEchos, 1u);
            EXPECT_EQ(c.IcmpOutEchoReps, 1u);
            EXPECT_EQ(c.FragOKs, 1u);
            EXPECT_EQ(c.FragCreates, reply.size());
            EXPECT_FALSE(stack.next_deadline());  // nothing left waiting
        }
    }
}

TEST(Fragments, AReplyThatFitsTheMtuGoesWholeWithDfSet) {
    Stack stack{{.address = ours, .name = "tcpp"}};
    // 1000 bytes of data, sent in fragments of 504: the reply fits 1500 and goes in one packet.
    const Bytes body = pattern(1000);
    for (const Bytes& fragment :
         cut(icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(1, 2), body, 5, false), 504)) {
        stack.receive(fragment, 1000);
    }
    const std::vector<Bytes> reply = drain(stack);
    ASSERT_EQ(reply.size(), 1u);
    auto ip = wire::Ipv4View::parse(reply[0]);
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->dont_fragment());
    EXPECT_FALSE(ip->is_fragment());
    auto icmp = wire::Icmpv4View::parse(ip->payload());
    ASSERT_TRUE(icmp);
    EXPECT_TRUE(std::ranges::equal(icmp->body(), body));
    EXPECT_EQ(stack.counters().FragOKs, 0u);
    EXPECT_EQ(stack.counters().ReasmOKs, 1u);
}

TEST(Fragments, ATcpSegmentInFragmentsReachesItsConnectionIntact) {
    SegmentScript t;
    testing::Opened opened = t.open_server();
    // 3000 bytes in one segment (any length within the window is taken), cut by IP into 1480-byte pieces
    // and delivered out of order.
    std::string data(3000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
    wire::TcpSegment segment;
    segment.source_port = SegmentScript::peer_port;
    segment.destination_port = t.local_port;
    segment.seq = wire::Seq{opened.rcv_nxt};
    segment.ack = wire::Seq{opened.snd_nxt};
    segment.flags.bits = wire::TcpFlags::ack | wire::TcpFlags::psh;
    segment.window = 65535;
    segment.payload = wire::as_bytes(data.data(), data.size());
    Bytes packet(wire::Ipv4Header::size() + segment.size());
    wire::Ipv4Header ip;
    ip.identification = 0x99;
    ip.dont_fragment = false;
    ip.protocol = wire::ip_protocol::tcp;
    ip.source = peer;
    ip.destination = ours;
    ip.payload_length = static_cast<std::uint16_t>(segment.size());
    ip.emit(packet);
    segment.emit(std::span{packet}.subspan(wire::Ipv4Header::size()), peer, ours);
    std::vector<Bytes> fragments = cut(packet, 1480);
    ASSERT_EQ(fragments.size(), 3u);
    std::swap(fragments[0], fragments[2]);
    for (const Bytes& fragment : fragments) t.inject_packet(fragment);

    // More than two full segments: acknowledged at once.
    t.expect(Seg{}.ack(opened.rcv_nxt + 3000).seq(opened.snd_nxt));
    std::string received(4000, '\0');
    auto n = opened.connection.receive(wire::MutableBytes{reinterpret_cast<std::byte*>(received.data()), received.size()});
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 3000u);
    received.resize(*n);
    EXPECT_EQ(received, data);
    EXPECT_EQ(t.stack.counters().ReasmOKs, 1u);
    EXPECT_EQ(t.stack.counters().InSegs, 3u);  // the handshake's SYN and ACK, and this one, counted once
}

TEST(Fragments, ADatagramThatNeverCompletesTimesOutWithTimeExceeded) {
    Stack stack{{.address = ours, .name = "tcpp"}};
    const std::vector<Bytes> request =
        cut(icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(7, 1), pattern(3000), 0x42, false), 1480);
    stack.receive(request[0], 1'000'000);
    stack.receive(request[2], 2'000'000);
    EXPECT_TRUE(drain(stack).empty());
    ASSERT_EQ(stack.next_deadline(), 31'000'000u);  // 30 s from the first fragment, not the last
    stack.poll(30'999'999);
    EXPECT_TRUE(drain(stack).empty());
    stack.poll(31'000'000);
    const std::vector<Bytes> sent = drain(stack);
    ASSERT_EQ(sent.size(), 1u);
    auto ip = wire::Ipv4View::parse(sent[0]);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->source(), ours);
    EXPECT_EQ(ip->destination(), peer);
    EXPECT_EQ(ip->protocol(), wire::ip_protocol::icmp);
    auto icmp = wire::Icmpv4View::parse(ip->payload());  // its checksum verified
    ASSERT_TRUE(icmp);
    EXPECT_EQ(icmp->type(), wire::icmp_type::time_exceeded);
    EXPECT_EQ(icmp->code(), 1);  // fragment reassembly time exceeded
    EXPECT_EQ(icmp->rest_of_header(), 0u);
    // The first fragment's header and the first 8 bytes of its data: the echo request's ICMP header.
    EXPECT_TRUE(std::ranges::equal(icmp->body(), wire::Bytes{request[0]}.first(28)));
    EXPECT_EQ(stack.counters().ReasmTimeout, 1u);
    EXPECT_EQ(stack.counters().ReasmFails, 1u);
    EXPECT_EQ(stack.counters().IcmpOutTimeExcds, 1u);
    EXPECT_FALSE(stack.next_deadline());
}

TEST(Fragments, WithoutItsFirstFragmentATimeoutSendsNothing) {
    StackConfig config{.address = ours, .name = "tcpp"};
    config.reassembly.timeout_us = 5'000'000;
    Stack stack{config};
    const std::vector<Bytes> request =
        cut(icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(7, 1), pattern(3000), 0x43, false), 1480);
    stack.receive(request[1], 1'000'000);
    ASSERT_EQ(stack.next_deadline(), 6'000'000u);
    stack.poll(6'000'000);
    EXPECT_TRUE(drain(stack).empty());
    EXPECT_EQ(stack.counters().ReasmTimeout, 1u);
    EXPECT_EQ(stack.counters().IcmpOutTimeExcds, 0u);
}

TEST(Fragments, FragmentsOfAProtocolTheStackDropsAreNotHeld) {
    Stack stack{{.address = ours, .name = "tcpp"}};
    Bytes udp = icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(1, 1), pattern(3000), 77, false);
    udp[9] = std::byte{17};  // UDP; the header checksum is made again below
    udp[10] = udp[11] = std::byte{0};
    auto view = wire::Ipv4View::parse(udp, wire::ChecksumCheck::skip);
    ASSERT_TRUE(view);
    Bytes whole(udp);
    wire::Ipv4Header::from(*view).emit(whole);
    for (const Bytes& fragment : cut(whole, 1480)) stack.receive(fragment, 1000);
    EXPECT_EQ(stack.counters().ReasmReqds, 0u);  // never given to the reassembly, so no budget spent
    EXPECT_EQ(stack.counters().ReasmOKs, 0u);
    EXPECT_TRUE(drain(stack).empty());
}

TEST(Fragments, OverlappingFragmentsAreDroppedAndCounted) {
    Stack stack{{.address = ours, .name = "tcpp"}};
    const std::vector<Bytes> request =
        cut(icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(7, 1), pattern(3000), 0x44, false), 1480);
    // The same datagram cut another way: its middle piece overlaps both of the first cut's neighbours.
    const std::vector<Bytes> other =
        cut(icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(7, 1), pattern(3000), 0x44, false), 1000);
    stack.receive(request[0], 1000);
    stack.receive(other[1], 1000);
    stack.receive(request[1], 1000);
    stack.receive(request[2], 1000);
    EXPECT_TRUE(drain(stack).empty());
    EXPECT_EQ(stack.counters().ReasmOverlaps, 1u);
    EXPECT_EQ(stack.counters().ReasmOKs, 0u);
    EXPECT_EQ(stack.counters().IcmpInEchos, 0u);
}

}  // namespace
}  // namespace tcpp
