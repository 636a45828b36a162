// ARP for IPv4 over Ethernet (RFC 826); any other pairing is unsupported.

#include "wire/arp.h"

#include <gtest/gtest.h>

#include "test_bytes.h"
#include "test_random.h"

namespace tcpp::wire {
namespace {

using test::ByteVector;
using test::fails_with;
using test::hex;
using test::succeeds;
using test::TestRandom;
using test::to_hex;
using test::view;

// "Who has 10.0.0.2? Tell 10.0.0.1", from 02:00:00:00:00:01.
const ByteVector request = hex("00 01 08 00 06 04 00 01 02 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02");

ByteVector with_byte(ByteVector bytes, std::size_t offset, std::uint8_t value) {
    bytes[offset] = std::byte{value};
    return bytes;
}

MacAddress random_mac(TestRandom& random) {
    return MacAddress{{random.u8(), random.u8(), random.u8(), random.u8(), random.u8(), random.u8()}};
}

TEST(ArpPacket, Parse_Request_ReadsEveryField) {
    auto packet = ArpPacket::parse(view(request));
    ASSERT_TRUE(succeeds(packet));
    EXPECT_EQ(packet->operation, ArpOperation::request);
    EXPECT_EQ(packet->sender_mac.to_string(), "02:00:00:00:00:01");
    EXPECT_EQ(packet->sender_ip, Ipv4Address(10, 0, 0, 1));
    EXPECT_EQ(packet->target_mac, MacAddress{});
    EXPECT_EQ(packet->target_ip, Ipv4Address(10, 0, 0, 2));
}

TEST(ArpPacket, Parse_Reply_IsOperationTwo) {
    auto packet = ArpPacket::parse(view(with_byte(request, 7, 2)));
    ASSERT_TRUE(succeeds(packet));
    EXPECT_EQ(packet->operation, ArpOperation::reply);
}

TEST(ArpPacket, FewerThanTwentyEightBytes_IsTruncated) {
    for (std::size_t size = 0; size < ArpPacket::wire_size; ++size) {
        ByteVector prefix(request.begin(), request.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_TRUE(fails_with(ArpPacket::parse(view(prefix)), ParseError::truncated)) << size << " bytes";
    }
}

TEST(ArpPacket, EthernetPadding_IsIgnored) {
    ByteVector padded = request;
    padded.resize(46, std::byte{0xab});  // the minimum Ethernet payload
    auto packet = ArpPacket::parse(view(padded));
    ASSERT_TRUE(succeeds(packet));
    EXPECT_EQ(*packet, *ArpPacket::parse(view(request)));
}

TEST(ArpPacket, HardwareTypeOtherThanEthernet_IsUnsupported) {
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 1, 6))), ParseError::unsupported));  // IEEE 802
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 0, 1))), ParseError::unsupported));  // 0x0101
}

TEST(ArpPacket, ProtocolTypeOtherThanIpv4_IsUnsupported) {
    ByteVector ipv6 = with_byte(with_byte(request, 2, 0x86), 3, 0xdd);
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(ipv6)), ParseError::unsupported));
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 3, 0x06))), ParseError::unsupported));
}

TEST(ArpPacket, AddressLengthsOtherThanSixAndFour_AreUnsupported) {
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 4, 8))), ParseError::unsupported));
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 5, 16))), ParseError::unsupported));
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 4, 0))), ParseError::unsupported));
}

TEST(ArpPacket, OperationOtherThanRequestOrReply_IsUnsupported) {
    for (std::uint8_t operation : {0, 3, 4, 8, 9}) {  // RARP and InARP among them
        EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 7, operation))), ParseError::unsupported))
            << int{operation};
    }
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(with_byte(request, 6, 1))), ParseError::unsupported));  // 0x0101
}

TEST(ArpPacket, ShortPacketOfAnUnsupportedKind_IsUnsupported) {
    // The fixed part (types and lengths) is enough to know tcpp cannot use the packet, whatever follows.
    ByteVector ipv6 = with_byte(with_byte(request, 2, 0x86), 3, 0xdd);
    ipv6.resize(8);
    EXPECT_TRUE(fails_with(ArpPacket::parse(view(ipv6)), ParseError::unsupported));
}

TEST(ArpPacket, Emit_WritesRfc826LayoutForEthernetAndIpv4) {
    ArpPacket reply{ArpOperation::reply, *MacAddress::parse("02:00:00:00:00:02"), Ipv4Address{10, 0, 0, 2},
                    *MacAddress::parse("02:00:00:00:00:01"), Ipv4Address{10, 0, 0, 1}};
    ByteVector out(ArpPacket::size());
    reply.emit(test::mutable_view(out));
    EXPECT_EQ(to_hex(view(out)), "00 01 08 00 06 04 00 02 02 00 00 00 00 02 0a 00 00 02 02 00 00 00 00 01 0a 00 00 01");
}

TEST(ArpPacket, ParseOfEmit_IsIdentity) {
    TestRandom random{0xa4b};
    for (int i = 0; i < 2000; ++i) {
        ArpPacket packet{random.coin() ? ArpOperation::request : ArpOperation::reply, random_mac(random),
                         Ipv4Address{random.u32()}, random_mac(random), Ipv4Address{random.u32()}};
        ByteVector out(ArpPacket::size() + random.below(20));
        packet.emit(test::mutable_view(out));
        auto parsed = ArpPacket::parse(view(out));
        ASSERT_TRUE(succeeds(parsed));
        ASSERT_EQ(*parsed, packet) << "case " << i;
    }
}

TEST(ArpPacket, RandomBytes_ParseOrFailWithoutReadingPastTheEnd) {
    TestRandom random{0xa7};
    for (int i = 0; i < 3000; ++i) {
        ByteVector bytes = random.bytes(random.below(40));
        if (bytes.size() >= 8 && random.coin()) std::copy(request.begin(), request.begin() + 6, bytes.begin());
        auto packet = ArpPacket::parse(view(bytes));
        if (packet) {
            EXPECT_GE(bytes.size(), ArpPacket::wire_size);
        } else {
            EXPECT_TRUE(packet.error() == ParseError::truncated || packet.error() == ParseError::unsupported);
        }
    }
}

}  // namespace
}  // namespace tcpp::wire
