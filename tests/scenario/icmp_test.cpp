// ICMP at the stack (RFC 792, RFC 1122 3.2.2.6): an echo request to our address is answered with the same
// identifier, sequence number and data, from our address, with both checksums right; anything else is
// counted and answered with nothing.

#include <cstdint>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "icmp_packet.h"
#include "tcpp/stack.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace tcpp {
namespace {

using testing::icmp_packet;

const Ipv4Address ours{10, 0, 0, 2};
const Ipv4Address peer{10, 0, 0, 1};

std::vector<std::byte> pattern(std::size_t size) {
    std::vector<std::byte> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>(i * 7 + 3);
    return bytes;
}

TEST(Icmp, AnEchoRequestIsAnsweredWithItsIdentifierSequenceAndData) {
    Stack stack{{.address = ours, .name = "tcpp"}};
    for (std::size_t size : {0u, 1u, 56u, 1472u}) {  // 1472: the largest that fits MTU 1500 unfragmented
        const std::vector<std::byte> body = pattern(size);
        stack.receive(icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(0x1234, 7), body), 1000);
        auto reply = stack.next_output();
        ASSERT_TRUE(reply) << size;
        auto ip = wire::Ipv4View::parse(*reply);  // the IPv4 checksum verified
        ASSERT_TRUE(ip) << size;
        EXPECT_EQ(ip->source(), ours);
        EXPECT_EQ(ip->destination(), peer);
        EXPECT_EQ(ip->protocol(), wire::ip_protocol::icmp);
        auto icmp = wire::Icmpv4View::parse(ip->payload());  // the ICMP checksum verified
        ASSERT_TRUE(icmp) << size;
        const auto header = wire::Icmpv4Header::from(*icmp);
        EXPECT_EQ(header.type, wire::icmp_type::echo_reply);
        EXPECT_EQ(header.code, 0);
        EXPECT_EQ(header.identifier(), 0x1234);
        EXPECT_EQ(header.sequence(), 7);
        EXPECT_TRUE(std::ranges::equal(icmp->body(), body)) << size;
        EXPECT_FALSE(stack.next_output());
    }
    EXPECT_EQ(stack.counters().IcmpInMsgs, 4u);
    EXPECT_EQ(stack.counters().IcmpInEchos, 4u);
    EXPECT_EQ(stack.counters().IcmpOutEchoReps, 4u);
}

TEST(Icmp, OtherMessagesAndBadOnesGetNoAnswer) {
    Stack stack{{.address = ours, .name = "tcpp"}};
    // Not for us.
    stack.receive(icmp_packet(peer, Ipv4Address{10, 0, 0, 3}, wire::Icmpv4Header::echo_request(1, 1), pattern(8)), 1);
    EXPECT_EQ(stack.counters().IcmpInMsgs, 0u);
    // A reply (we sent no request), and a destination unreachable: counted, not answered.
    stack.receive(icmp_packet(peer, ours, wire::Icmpv4Header::echo_reply(1, 1), pattern(8)), 2);
    stack.receive(icmp_packet(peer, ours, wire::Icmpv4Header::destination_unreachable(wire::icmp_unreachable::port),
                              pattern(28)),
                  3);
    // A request whose ICMP checksum fails; one cut short of its header.
    std::vector<std::byte> corrupt = icmp_packet(peer, ours, wire::Icmpv4Header::echo_request(2, 2), pattern(16));
    corrupt.back() ^= std::byte{1};
    stack.receive(corrupt, 4);
    std::vector<std::byte> short_one(wire::Ipv4Header::size() + 4, std::byte{8});
    wire::Ipv4Header ip;
    ip.protocol = wire::ip_protocol::icmp;
    ip.source = peer;
    ip.destination = ours;
    ip.payload_length = 4;
    ip.emit(short_one);
    stack.receive(short_one, 5);
    EXPECT_FALSE(stack.next_output());
    EXPECT_EQ(stack.counters().IcmpInMsgs, 4u);
    EXPECT_EQ(stack.counters().IcmpInErrors, 2u);
    EXPECT_EQ(stack.counters().IcmpInDestUnreachs, 1u);
    EXPECT_EQ(stack.counters().IcmpInEchos, 0u);
    EXPECT_EQ(stack.counters().IcmpOutEchoReps, 0u);
}

}  // namespace
}  // namespace tcpp
