// ICMPv4 (RFC 792): echo, destination unreachable with the next-hop MTU (RFC 1191), time exceeded, and
// what an error's quoted packet says about the TCP segment that provoked it (RFC 5927).

#include "wire/icmpv4.h"

#include <cstring>

#include <gtest/gtest.h>

#include "test_bytes.h"
#include "test_random.h"
#include "wire/checksum.h"

namespace tcpp::wire {
namespace {

using test::ByteVector;
using test::fails_with;
using test::hex;
using test::join;
using test::succeeds;
using test::TestRandom;
using test::to_hex;
using test::view;

// An echo request, identifier 0x1234, sequence 1, data "abcd"; the checksum was computed independently.
const ByteVector echo_request = hex("08 00 21 04 12 34 00 01 61 62 63 64");

// The IPv4 header of a 1500-byte TCP segment from 10.0.0.1 to 10.0.0.2 (protocol at byte 9, flags and
// fragment offset at bytes 6-7), checksum left zero: a router quotes what it got.
ByteVector quoted_ip_header(std::uint8_t protocol = ip_protocol::tcp, std::uint16_t flags_offset = 0x4000) {
    ByteVector header = hex("45 00 05 dc 12 34 00 00 40 06 00 00 0a 00 00 01 0a 00 00 02");
    store_be16(header.data() + 6, flags_offset);
    store_u8(header.data() + 9, protocol);
    return header;
}

// The first 8 bytes of its TCP header: ports 40000 -> 80, sequence number 0xdeadbeef.
const ByteVector quoted_tcp_start = hex("9c 40 00 50 de ad be ef");

TEST(Icmpv4View, Parse_EchoRequest_ReadsTheHeaderAndBody) {
    auto message = Icmpv4View::parse(view(echo_request));
    ASSERT_TRUE(succeeds(message));
    EXPECT_EQ(message->type(), icmp_type::echo_request);
    EXPECT_EQ(message->code(), 0u);
    EXPECT_EQ(message->checksum(), 0x2104u);
    EXPECT_EQ(message->rest_of_header(), 0x12340001u);
    EXPECT_TRUE(message->checksum_ok());
    EXPECT_EQ(to_hex(message->body()), "61 62 63 64");
    Icmpv4Header header = Icmpv4Header::from(*message);
    EXPECT_EQ(header.identifier(), 0x1234u);
    EXPECT_EQ(header.sequence(), 1u);
    EXPECT_FALSE(header.is_error());
}

TEST(Icmpv4View, FewerThanEightBytes_IsTruncated) {
    for (std::size_t size = 0; size < Icmpv4View::header_size; ++size) {
        ByteVector prefix(echo_request.begin(), echo_request.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_TRUE(fails_with(Icmpv4View::parse(view(prefix)), ParseError::truncated)) << size;
        EXPECT_TRUE(fails_with(Icmpv4View::parse(view(prefix), ChecksumCheck::skip), ParseError::truncated)) << size;
    }
}

TEST(Icmpv4View, CorruptMessage_IsBadChecksum) {
    for (std::size_t offset = 0; offset < echo_request.size(); ++offset) {
        ByteVector message = echo_request;
        message[offset] ^= std::byte{0x01};
        EXPECT_TRUE(fails_with(Icmpv4View::parse(view(message)), ParseError::bad_checksum)) << offset;
        auto skipped = Icmpv4View::parse(view(message), ChecksumCheck::skip);
        ASSERT_TRUE(succeeds(skipped));
        EXPECT_FALSE(skipped->checksum_ok());
    }
}

TEST(Icmpv4View, ChecksumCoversAnOddLengthBody) {
    // Echo reply with the 5-byte body "abcde"; checksum computed independently.
    auto reply = hex("00 00 c4 03 12 34 00 01 61 62 63 64 65");
    EXPECT_TRUE(succeeds(Icmpv4View::parse(view(reply))));
    reply[12] = std::byte{0x66};
    EXPECT_TRUE(fails_with(Icmpv4View::parse(view(reply)), ParseError::bad_checksum));
}

TEST(Icmpv4Header, Emit_EchoRequest_MatchesTheKnownBytes) {
    ByteVector out(12);
    Icmpv4Header::echo_request(0x1234, 1).emit(test::mutable_view(out), view(hex("61 62 63 64")));
    EXPECT_EQ(out, echo_request);
}

TEST(Icmpv4Header, Factories_SetTypeCodeAndRestOfHeader) {
    auto request = Icmpv4Header::echo_request(7, 9);
    EXPECT_EQ(request.type, icmp_type::echo_request);
    EXPECT_EQ(request.rest_of_header, 0x00070009u);
    auto reply = Icmpv4Header::echo_reply(7, 9);
    EXPECT_EQ(reply.type, icmp_type::echo_reply);
    EXPECT_EQ(reply.identifier(), 7u);
    EXPECT_EQ(reply.sequence(), 9u);
    auto too_big = Icmpv4Header::destination_unreachable(icmp_unreachable::fragmentation_needed, 1400);
    EXPECT_EQ(too_big.type, icmp_type::destination_unreachable);
    EXPECT_EQ(too_big.code, 4u);
    EXPECT_EQ(too_big.rest_of_header, 1400u);  // RFC 1191: unused high word, MTU in the low word
    EXPECT_EQ(too_big.next_hop_mtu(), 1400u);
    EXPECT_TRUE(too_big.is_error());
    auto port = Icmpv4Header::destination_unreachable(icmp_unreachable::port);
    EXPECT_EQ(port.next_hop_mtu(), 0u);
    EXPECT_EQ(port.code, 3u);
    auto ttl = Icmpv4Header::time_exceeded(0);
    EXPECT_EQ(ttl.type, icmp_type::time_exceeded);
    EXPECT_EQ(ttl.rest_of_header, 0u);
    EXPECT_TRUE(ttl.is_error());
}

TEST(Icmpv4Header, ParseOfEmit_IsIdentityForEveryKind) {
    TestRandom random{0x1c};
    for (int i = 0; i < 3000; ++i) {
        Icmpv4Header header;
        switch (i % 4) {
        case 0: header = Icmpv4Header::echo_request(random.u16(), random.u16()); break;
        case 1: header = Icmpv4Header::echo_reply(random.u16(), random.u16()); break;
        case 2: header = Icmpv4Header::destination_unreachable(random.u8() % 16, random.u16()); break;
        default: header = Icmpv4Header::time_exceeded(random.u8() % 2); break;
        }
        ByteVector body = random.bytes(random.below(100));
        ByteVector out(Icmpv4Header::size() + body.size() + random.below(4), std::byte{0x77});
        header.emit(test::mutable_view(out), view(body));
        Bytes message{out.data(), Icmpv4Header::size() + body.size()};
        auto parsed = Icmpv4View::parse(message);
        ASSERT_TRUE(succeeds(parsed)) << "case " << i;
        ASSERT_EQ(Icmpv4Header::from(*parsed), header) << "case " << i;
        ASSERT_EQ(to_hex(parsed->body()), to_hex(view(body))) << "case " << i;
        ASSERT_EQ(Icmpv4Header::from(*parsed).is_error(), i % 4 >= 2);
    }
}

TEST(Icmpv4Header, Emit_BodyAlreadyInPlace_IsLeftAndChecksummed) {
    ByteVector out = join({ByteVector(8, std::byte{0xee}), hex("61 62 63 64")});
    Bytes body{out.data() + 8, 4};
    Icmpv4Header::echo_request(0x1234, 1).emit(test::mutable_view(out), body);
    EXPECT_EQ(out, echo_request);
}

TEST(Icmpv4Header, Emit_BodyOverlappingTheOutput_IsMovedIntact) {
    // The body sits 4 bytes in, overlapping where it must go: a memmove, not a memcpy, gets it right.
    ByteVector out = join({ByteVector(4, std::byte{0}), hex("61 62 63 64 65 66 67 68"), ByteVector(4)});
    Bytes body{out.data() + 4, 8};
    Icmpv4Header::echo_reply(1, 2).emit(test::mutable_view(out), body);
    EXPECT_EQ(to_hex(Bytes{out.data() + 8, 8}), "61 62 63 64 65 66 67 68");
    EXPECT_TRUE(succeeds(Icmpv4View::parse(view(out))));
}

TEST(QuotedTcp, Parse_HeaderAndEightBytesOfTcp_NameTheConnection) {
    ByteVector body = join({quoted_ip_header(), quoted_tcp_start});
    auto quoted = QuotedTcp::parse(view(body));
    ASSERT_TRUE(succeeds(quoted));
    EXPECT_EQ(quoted->source, Ipv4Address(10, 0, 0, 1));
    EXPECT_EQ(quoted->destination, Ipv4Address(10, 0, 0, 2));
    EXPECT_EQ(quoted->source_port, 40000u);
    EXPECT_EQ(quoted->destination_port, 80u);
    EXPECT_EQ(quoted->seq, Seq{0xdeadbeef});
}

TEST(QuotedTcp, Parse_FromAFragmentationNeededMessage) {
    ByteVector quoted = join({quoted_ip_header(), quoted_tcp_start});
    ByteVector message(Icmpv4Header::size() + quoted.size());
    Icmpv4Header::destination_unreachable(icmp_unreachable::fragmentation_needed, 1400)
        .emit(test::mutable_view(message), view(quoted));
    auto icmp = Icmpv4View::parse(view(message));
    ASSERT_TRUE(succeeds(icmp));
    EXPECT_EQ(Icmpv4Header::from(*icmp).next_hop_mtu(), 1400u);
    auto tcp = QuotedTcp::parse(icmp->body());
    ASSERT_TRUE(succeeds(tcp));
    EXPECT_EQ(tcp->seq, Seq{0xdeadbeef});
    EXPECT_EQ(tcp->source_port, 40000u);
}

TEST(QuotedTcp, Parse_MoreThanEightBytesQuoted_ReadsTheSame) {
    // RFC 1812 routers quote as much as fits; the extra bytes change nothing.
    ByteVector body = join({quoted_ip_header(), quoted_tcp_start, hex("00 00 00 00 50 10 ff ff 00 00 00 00")});
    auto quoted = QuotedTcp::parse(view(body));
    ASSERT_TRUE(succeeds(quoted));
    EXPECT_EQ(quoted->seq, Seq{0xdeadbeef});
}

TEST(QuotedTcp, QuotedHeaderWithOptions_FindsTheTcpHeaderAfterThem) {
    ByteVector header = quoted_ip_header();
    store_u8(header.data(), 0x46);
    ByteVector body = join({header, hex("94 04 00 00"), quoted_tcp_start});
    auto quoted = QuotedTcp::parse(view(body));
    ASSERT_TRUE(succeeds(quoted));
    EXPECT_EQ(quoted->destination_port, 80u);
    EXPECT_EQ(quoted->seq, Seq{0xdeadbeef});
}

TEST(QuotedTcp, QuotedPacketThatIsNotTcp_IsUnsupported) {
    for (std::uint8_t protocol : {ip_protocol::udp, ip_protocol::icmp, std::uint8_t{132}}) {
        ByteVector body = join({quoted_ip_header(protocol), quoted_tcp_start});
        EXPECT_TRUE(fails_with(QuotedTcp::parse(view(body)), ParseError::unsupported)) << int{protocol};
    }
}

TEST(QuotedTcp, QuotedLaterFragment_IsUnsupported) {
    // Bytes after the IP header of a non-first fragment are not a TCP header.
    ByteVector body = join({quoted_ip_header(ip_protocol::tcp, 0x20b9), quoted_tcp_start});
    EXPECT_TRUE(fails_with(QuotedTcp::parse(view(body)), ParseError::unsupported));
    ByteVector last = join({quoted_ip_header(ip_protocol::tcp, 0x0001), quoted_tcp_start});
    EXPECT_TRUE(fails_with(QuotedTcp::parse(view(last)), ParseError::unsupported));
}

TEST(QuotedTcp, QuotedFirstFragment_IsAccepted) {
    ByteVector body = join({quoted_ip_header(ip_protocol::tcp, 0x2000), quoted_tcp_start});
    EXPECT_TRUE(succeeds(QuotedTcp::parse(view(body))));
}

TEST(QuotedTcp, FewerThanEightBytesOfTcp_IsTruncated) {
    ByteVector body = join({quoted_ip_header(), quoted_tcp_start});
    for (std::size_t size = 20; size < 28; ++size) {
        ByteVector prefix(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_TRUE(fails_with(QuotedTcp::parse(view(prefix)), ParseError::truncated)) << size;
    }
}

TEST(QuotedTcp, QuotedHeaderMalformed_FailsWithTheIpv4Error) {
    ByteVector body = join({quoted_ip_header(), quoted_tcp_start});
    ByteVector short_header(body.begin(), body.begin() + 19);
    EXPECT_TRUE(fails_with(QuotedTcp::parse(view(short_header)), ParseError::truncated));
    ByteVector version = body;
    store_u8(version.data(), 0x65);
    EXPECT_TRUE(fails_with(QuotedTcp::parse(view(version)), ParseError::bad_version));
    ByteVector ihl = body;
    store_u8(ihl.data(), 0x44);
    EXPECT_TRUE(fails_with(QuotedTcp::parse(view(ihl)), ParseError::bad_ihl));
    ByteVector total = body;
    store_be16(total.data() + 2, 12);
    EXPECT_TRUE(fails_with(QuotedTcp::parse(view(total)), ParseError::total_length_mismatch));
}

TEST(QuotedTcp, QuotedTotalLengthShorterThanTheTcpStart_IsTruncated) {
    // The quoted packet says it was 24 bytes long: only 4 of the 8 bytes that follow belong to it.
    ByteVector body = join({quoted_ip_header(), quoted_tcp_start});
    store_be16(body.data() + 2, 24);
    EXPECT_TRUE(fails_with(QuotedTcp::parse(view(body)), ParseError::truncated));
}

TEST(QuotedTcp, EveryPrefix_FailsCleanlyOrParses) {
    ByteVector body = join({quoted_ip_header(), quoted_tcp_start});
    for (std::size_t size = 0; size <= body.size(); ++size) {
        ByteVector prefix(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(size));
        auto quoted = QuotedTcp::parse(view(prefix));
        EXPECT_EQ(quoted.has_value(), size == body.size()) << size;
        if (!quoted) {
            EXPECT_EQ(quoted.error(), ParseError::truncated) << size;
        }
    }
}

}  // namespace
}  // namespace tcpp::wire
