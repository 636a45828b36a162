// IPv4 headers (RFC 791): every way a header can be malformed, the fragment fields, the quoted header of
// an ICMP error, and emit/parse as inverses.

#include "wire/ipv4.h"

#include <gtest/gtest.h>

#include "test_bytes.h"
#include "test_random.h"
#include "wire/checksum.h"

namespace tcpp::wire {
namespace {

using test::ByteVector;
using test::fails_with;
using test::hex;
using test::succeeds;
using test::TestRandom;
using test::view;
using test::within;

// A UDP packet from 192.168.0.1 to 192.168.0.199, total length 0x73 = 115: its header and 95 payload bytes.
ByteVector known_packet() {
    ByteVector packet = hex("45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7");
    for (int i = 0; i < 95; ++i) packet.push_back(static_cast<std::byte>(i));
    return packet;
}

// Rewrites the header checksum after a test changed a field, so that only the change under test is wrong.
void fix_checksum(ByteVector& packet) {
    std::size_t ihl = std::to_integer<std::size_t>(packet[0]) & 0x0f;
    std::size_t header_length = std::min(ihl * 4, packet.size());
    store_be16(packet.data() + 10, 0);
    store_be16(packet.data() + 10, internet_checksum(Bytes{packet.data(), header_length}));
}

// A packet with a header of `header_length` bytes (options of NOPs) and `payload` bytes of payload.
ByteVector packet_with(std::size_t header_length, std::size_t payload) {
    ByteVector packet(header_length + payload, std::byte{0x01});
    store_u8(packet.data(), static_cast<std::uint8_t>(0x40 | header_length / 4));
    store_u8(packet.data() + 1, 0);
    store_be16(packet.data() + 2, static_cast<std::uint16_t>(header_length + payload));
    store_be32(packet.data() + 4, 0x12344000);
    store_u8(packet.data() + 8, 64);
    store_u8(packet.data() + 9, ip_protocol::tcp);
    store_be32(packet.data() + 12, Ipv4Address{10, 0, 0, 1}.value());
    store_be32(packet.data() + 16, Ipv4Address{10, 0, 0, 2}.value());
    fix_checksum(packet);
    return packet;
}

TEST(Ipv4View, Parse_KnownPacket_ReadsEveryField) {
    ByteVector bytes = known_packet();
    auto packet = Ipv4View::parse(view(bytes));
    ASSERT_TRUE(succeeds(packet));
    EXPECT_EQ(packet->header_length(), 20u);
    EXPECT_EQ(packet->tos(), 0u);
    EXPECT_EQ(packet->total_length(), 115u);
    EXPECT_EQ(packet->identification(), 0u);
    EXPECT_TRUE(packet->dont_fragment());
    EXPECT_FALSE(packet->more_fragments());
    EXPECT_EQ(packet->fragment_offset(), 0u);
    EXPECT_FALSE(packet->is_fragment());
    EXPECT_EQ(packet->ttl(), 64u);
    EXPECT_EQ(packet->protocol(), ip_protocol::udp);
    EXPECT_EQ(packet->header_checksum(), 0xb861u);
    EXPECT_TRUE(packet->header_checksum_ok());
    EXPECT_EQ(packet->source(), Ipv4Address(192, 168, 0, 1));
    EXPECT_EQ(packet->destination(), Ipv4Address(192, 168, 0, 199));
    EXPECT_EQ(packet->header().size(), 20u);
    EXPECT_TRUE(packet->options().empty());
    EXPECT_EQ(packet->payload().size(), 95u);
    EXPECT_EQ(packet->payload().data(), bytes.data() + 20);
}

TEST(Ipv4View, FewerThanTwentyBytes_IsTruncated) {
    ByteVector bytes = known_packet();
    for (std::size_t size = 0; size < 20; ++size) {
        ByteVector prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_TRUE(fails_with(Ipv4View::parse(view(prefix)), ParseError::truncated)) << size;
        EXPECT_TRUE(fails_with(Ipv4View::parse_quoted(view(prefix)), ParseError::truncated)) << size;
        EXPECT_TRUE(fails_with(Ipv4Header::parse(view(prefix)), ParseError::truncated)) << size;
    }
}

TEST(Ipv4View, VersionOtherThanFour_IsBadVersion) {
    for (std::uint8_t version : {0, 1, 5, 6, 15}) {
        ByteVector packet = packet_with(20, 8);
        store_u8(packet.data(), static_cast<std::uint8_t>(version << 4 | 5));
        fix_checksum(packet);
        EXPECT_TRUE(fails_with(Ipv4View::parse(view(packet)), ParseError::bad_version)) << int{version};
        EXPECT_TRUE(fails_with(Ipv4View::parse_quoted(view(packet)), ParseError::bad_version)) << int{version};
    }
}

TEST(Ipv4View, IhlBelowFive_IsBadIhl) {
    for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
        ByteVector packet = packet_with(20, 8);
        store_u8(packet.data(), static_cast<std::uint8_t>(0x40 | ihl));
        EXPECT_TRUE(fails_with(Ipv4View::parse(view(packet), ChecksumCheck::skip), ParseError::bad_ihl)) << int{ihl};
        EXPECT_TRUE(fails_with(Ipv4View::parse_quoted(view(packet)), ParseError::bad_ihl)) << int{ihl};
    }
}

TEST(Ipv4View, IhlPastTheBuffer_IsBadIhl) {
    ByteVector bare = packet_with(20, 0);
    store_u8(bare.data(), 0x46);  // 24 bytes of header claimed, 20 present
    store_be16(bare.data() + 2, 20);
    EXPECT_TRUE(fails_with(Ipv4View::parse(view(bare), ChecksumCheck::skip), ParseError::bad_ihl));
    EXPECT_TRUE(fails_with(Ipv4View::parse_quoted(view(bare)), ParseError::bad_ihl));

    ByteVector longest = packet_with(60, 0);
    ByteVector short_by_one(longest.begin(), longest.end() - 1);
    EXPECT_TRUE(fails_with(Ipv4View::parse(view(short_by_one), ChecksumCheck::skip), ParseError::bad_ihl));
    EXPECT_TRUE(succeeds(Ipv4View::parse(view(longest))));
}

TEST(Ipv4View, TotalLengthBelowTheHeader_IsTotalLengthMismatch) {
    for (std::uint16_t total : {0, 1, 19}) {
        ByteVector packet = packet_with(20, 8);
        store_be16(packet.data() + 2, total);
        fix_checksum(packet);
        EXPECT_TRUE(fails_with(Ipv4View::parse(view(packet)), ParseError::total_length_mismatch)) << total;
        EXPECT_TRUE(fails_with(Ipv4View::parse_quoted(view(packet)), ParseError::total_length_mismatch)) << total;
    }
    ByteVector with_options = packet_with(24, 8);
    store_be16(with_options.data() + 2, 23);  // covers the fixed header, not the options
    fix_checksum(with_options);
    EXPECT_TRUE(fails_with(Ipv4View::parse(view(with_options)), ParseError::total_length_mismatch));
}

TEST(Ipv4View, TotalLengthAboveTheBuffer_IsTotalLengthMismatch) {
    ByteVector packet = packet_with(20, 8);
    store_be16(packet.data() + 2, 29);
    fix_checksum(packet);
    EXPECT_TRUE(fails_with(Ipv4View::parse(view(packet)), ParseError::total_length_mismatch));
    EXPECT_TRUE(fails_with(Ipv4Header::parse(view(packet)), ParseError::total_length_mismatch));
    store_be16(packet.data() + 2, 0xffff);
    fix_checksum(packet);
    EXPECT_TRUE(fails_with(Ipv4View::parse(view(packet)), ParseError::total_length_mismatch));
}

TEST(Ipv4View, LinkPadding_IsNotPartOfThePacket) {
    ByteVector packet = packet_with(20, 6);
    packet.resize(46, std::byte{0});  // a 60-byte Ethernet frame pads 26 bytes of IP to 46
    auto parsed = Ipv4View::parse(view(packet));
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_EQ(parsed->bytes().size(), 26u);
    EXPECT_EQ(parsed->payload().size(), 6u);
}

TEST(Ipv4View, CorruptHeader_IsBadChecksum) {
    ByteVector bytes = known_packet();
    for (std::size_t offset = 0; offset < 20; ++offset) {
        if (offset == 0 || offset == 2 || offset == 3) continue;  // those change what parses, not the checksum
        ByteVector packet = bytes;
        packet[offset] ^= std::byte{0x10};
        EXPECT_TRUE(fails_with(Ipv4View::parse(view(packet)), ParseError::bad_checksum)) << "offset " << offset;
        auto skipped = Ipv4View::parse(view(packet), ChecksumCheck::skip);
        ASSERT_TRUE(succeeds(skipped));
        EXPECT_FALSE(skipped->header_checksum_ok());
    }
}

TEST(Ipv4View, CorruptPayload_DoesNotAffectTheHeaderChecksum) {
    ByteVector packet = known_packet();
    packet[60] ^= std::byte{0xff};
    EXPECT_TRUE(succeeds(Ipv4View::parse(view(packet))));
}

TEST(Ipv4View, HeaderOptions_AreSkippedByIhl) {
    ByteVector packet = packet_with(24, 3);
    store_be32(packet.data() + 20, 0x94040000);  // router alert
    fix_checksum(packet);
    auto parsed = Ipv4View::parse(view(packet));
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_EQ(parsed->header_length(), 24u);
    EXPECT_EQ(test::to_hex(parsed->options()), "94 04 00 00");
    EXPECT_EQ(parsed->payload().size(), 3u);
    EXPECT_EQ(parsed->payload().data(), packet.data() + 24);
    EXPECT_EQ(Ipv4Header::from(*parsed).payload_length, 3u);
}

TEST(Ipv4View, FragmentFields_ReadFlagsAndOffsetInBytes) {
    struct Case {
        std::uint16_t field;
        bool df, mf;
        std::uint16_t offset;
    };
    for (const auto& c : {Case{0x4000, true, false, 0}, Case{0x2000, false, true, 0}, Case{0x2001, false, true, 8},
                          Case{0x00b9, false, false, 1480}, Case{0x1fff, false, false, 65528},
                          Case{0x6000, true, true, 0}}) {
        ByteVector packet = packet_with(20, 0);
        store_be16(packet.data() + 6, c.field);
        fix_checksum(packet);
        auto parsed = Ipv4View::parse(view(packet));
        ASSERT_TRUE(succeeds(parsed));
        EXPECT_EQ(parsed->dont_fragment(), c.df) << std::hex << c.field;
        EXPECT_EQ(parsed->more_fragments(), c.mf) << std::hex << c.field;
        EXPECT_EQ(parsed->fragment_offset(), c.offset) << std::hex << c.field;
        EXPECT_EQ(parsed->is_fragment(), c.mf || c.offset != 0) << std::hex << c.field;
    }
}

TEST(Ipv4View, EveryPrefix_FailsCleanlyOrStaysInsideTheBuffer) {
    ByteVector packet = packet_with(28, 12);
    for (std::size_t size = 0; size <= packet.size(); ++size) {
        ByteVector prefix(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(size));
        auto whole = Ipv4View::parse(view(prefix));
        EXPECT_EQ(whole.has_value(), size == packet.size()) << size;
        auto quoted = Ipv4View::parse_quoted(view(prefix));
        EXPECT_EQ(quoted.has_value(), size >= 28) << size;
        for (const auto* parsed : {&whole, &quoted}) {
            if (!*parsed) continue;
            const Ipv4View& v = **parsed;
            EXPECT_TRUE(within(v.bytes(), view(prefix)));
            EXPECT_TRUE(within(v.header(), view(prefix)));
            EXPECT_TRUE(within(v.options(), view(prefix)));
            EXPECT_TRUE(within(v.payload(), view(prefix)));
            EXPECT_EQ(v.source(), Ipv4Address(10, 0, 0, 1));
        }
    }
}

TEST(Ipv4View, RandomBytes_ParseOnlyIntoConsistentViews) {
    TestRandom random{0x1b4};
    for (int i = 0; i < 5000; ++i) {
        ByteVector bytes = random.bytes(random.below(80));
        // Mostly version 4 and a small total length, so that many cases get past the first checks.
        if (!bytes.empty() && random.below(4) != 0) {
            store_u8(bytes.data(), static_cast<std::uint8_t>(0x40 | random.below(16)));
        }
        if (bytes.size() >= 4 && random.coin()) {
            store_be16(bytes.data() + 2, static_cast<std::uint16_t>(random.below(90)));
        }
        for (bool quoted : {false, true}) {
            auto parsed =
                quoted ? Ipv4View::parse_quoted(view(bytes)) : Ipv4View::parse(view(bytes), ChecksumCheck::skip);
            if (!parsed) continue;
            ASSERT_GE(parsed->header_length(), 20u);
            ASSERT_LE(parsed->header_length(), parsed->bytes().size());
            ASSERT_GE(parsed->total_length(), parsed->header_length());
            if (!quoted) {
                ASSERT_EQ(parsed->bytes().size(), parsed->total_length());
            }
            ASSERT_TRUE(within(parsed->bytes(), view(bytes)));
            ASSERT_TRUE(within(parsed->payload(), view(bytes)));
        }
    }
}

TEST(Ipv4View, ParseQuoted_TotalLengthBeyondWhatIsQuoted_IsAccepted) {
    // An ICMP error quotes the header and 8 bytes of a 1500-byte packet.
    ByteVector whole = packet_with(20, 1480);
    ByteVector quoted(whole.begin(), whole.begin() + 28);
    EXPECT_TRUE(fails_with(Ipv4View::parse(view(quoted)), ParseError::total_length_mismatch));
    auto parsed = Ipv4View::parse_quoted(view(quoted));
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_EQ(parsed->total_length(), 1500u);
    EXPECT_EQ(parsed->bytes().size(), 28u);
    EXPECT_EQ(parsed->payload().size(), 8u);
}

TEST(Ipv4View, ParseQuoted_DoesNotCheckTheChecksum) {
    ByteVector packet = packet_with(20, 8);
    store_u8(packet.data() + 8, 1);  // the TTL changed after the checksum was computed
    EXPECT_TRUE(fails_with(Ipv4View::parse(view(packet)), ParseError::bad_checksum));
    EXPECT_TRUE(succeeds(Ipv4View::parse_quoted(view(packet))));
}

TEST(Ipv4View, ParseQuoted_MoreBytesThanTheTotalLength_AreCutOff) {
    ByteVector packet = packet_with(20, 8);
    packet.resize(40, std::byte{0xcc});
    auto parsed = Ipv4View::parse_quoted(view(packet));
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_EQ(parsed->bytes().size(), 28u);
}

TEST(Ipv4Header, Emit_WritesTheKnownHeaderByteForByte) {
    Ipv4Header header;
    header.dont_fragment = true;
    header.ttl = 64;
    header.protocol = ip_protocol::udp;
    header.source = Ipv4Address{192, 168, 0, 1};
    header.destination = Ipv4Address{192, 168, 0, 199};
    header.payload_length = 95;
    ByteVector out(20);
    header.emit(test::mutable_view(out));
    EXPECT_EQ(test::to_hex(view(out)), "45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7");
}

TEST(Ipv4Header, Defaults_AreDontFragmentAndTtl64) {
    Ipv4Header header;
    EXPECT_TRUE(header.dont_fragment);
    EXPECT_FALSE(header.more_fragments);
    EXPECT_EQ(header.ttl, 64u);
    EXPECT_EQ(Ipv4Header::size(), 20u);
}

TEST(Ipv4Header, ParseOfEmit_IsIdentity) {
    TestRandom random{0x4444};
    for (int i = 0; i < 3000; ++i) {
        Ipv4Header header;
        header.tos = random.u8();
        header.identification = random.u16();
        header.dont_fragment = random.coin();
        header.more_fragments = random.coin();
        header.fragment_offset = static_cast<std::uint16_t>(8 * random.below(0x2000));
        header.ttl = random.u8();
        header.protocol = random.u8();
        header.source = Ipv4Address{random.u32()};
        header.destination = Ipv4Address{random.u32()};
        header.payload_length = static_cast<std::uint16_t>(i == 0 ? 0xffff - 20 : random.below(600));
        ByteVector packet = random.bytes(20 + header.payload_length);
        header.emit(test::mutable_view(packet));
        auto parsed = Ipv4Header::parse(view(packet));
        ASSERT_TRUE(succeeds(parsed)) << "case " << i;
        ASSERT_EQ(*parsed, header) << "case " << i;
        auto v = Ipv4View::parse(view(packet));
        ASSERT_TRUE(succeeds(v));
        ASSERT_EQ(v->fragment_offset(), header.fragment_offset);
        ASSERT_EQ(v->total_length(), 20u + header.payload_length);
    }
}

// The one's complement sum of a header the slow, obvious way: the reference for the unrolled 20-byte sum.
std::uint16_t plain_sum(Bytes header) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < header.size(); i += 2) {
        sum += load_be16(header.data() + i);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(sum);
}

TEST(Ipv4View, HeaderChecksum_AgreesWithThePlainSum_ForRandomHeaders) {
    // Headers of every IHL, random, all-ones or mostly-ones bytes, with the right checksum or one bit off.
    TestRandom random{0x1e4d};
    for (int i = 0; i < 5000; ++i) {
        const std::size_t header_length = i % 2 == 0 ? 20 : 4 * (5 + random.below(11));
        ByteVector packet = random.bytes(header_length + random.below(40));
        for (std::size_t k = 0; k < header_length; ++k) {
            if (i % 3 == 0 || (i % 3 == 1 && random.coin())) packet[k] = std::byte{0xff};
        }
        store_u8(packet.data(), static_cast<std::uint8_t>(0x40 | header_length / 4));
        store_be16(packet.data() + 2, static_cast<std::uint16_t>(packet.size()));
        store_be16(packet.data() + 10, 0);
        store_be16(packet.data() + 10, static_cast<std::uint16_t>(~plain_sum(Bytes{packet.data(), header_length})));
        if (random.coin()) {
            const std::size_t at = 4 + random.below(header_length - 4);  // past version, IHL and total length
            packet[at] ^= std::byte{static_cast<std::uint8_t>(1u << random.below(8))};
        }
        const bool valid = plain_sum(Bytes{packet.data(), header_length}) == 0xffff;
        auto parsed = Ipv4View::parse(view(packet));
        ASSERT_EQ(parsed.has_value(), valid) << "case " << i;
        if (!valid) {
            ASSERT_EQ(parsed.error(), ParseError::bad_checksum) << "case " << i;
        }
        auto skipped = Ipv4View::parse(view(packet), ChecksumCheck::skip);
        ASSERT_TRUE(succeeds(skipped));
        ASSERT_EQ(skipped->header_checksum_ok(), valid) << "case " << i;
    }
}

TEST(Ipv4Header, Emit_ChecksumEqualsThePlainSum_ForRandomFields) {
    TestRandom random{0xe417};
    for (int i = 0; i < 5000; ++i) {
        Ipv4Header header;
        const bool ones = i % 4 == 0;
        header.tos = ones ? 0xff : random.u8();
        header.identification = ones ? 0xffff : random.u16();
        header.dont_fragment = ones || random.coin();
        header.more_fragments = ones || random.coin();
        header.fragment_offset = static_cast<std::uint16_t>(ones ? 0xfff8 : random.u16() & 0xfff8);
        header.ttl = ones ? 0xff : random.u8();
        header.protocol = ones ? 0xff : random.u8();
        header.source = Ipv4Address{ones ? 0xffffffffu : random.u32()};
        header.destination = Ipv4Address{ones ? 0xffffffffu : random.u32()};
        header.payload_length = static_cast<std::uint16_t>(ones ? 0xffff - 20 : random.below(1500));
        ByteVector out(Ipv4Header::size() + header.payload_length);
        header.emit(test::mutable_view(out));
        ASSERT_EQ(plain_sum(Bytes{out.data(), Ipv4Header::size()}), 0xffffu) << "case " << i;
        auto parsed = Ipv4Header::parse(view(out), ChecksumCheck::skip);
        ASSERT_TRUE(succeeds(parsed));
        ASSERT_EQ(*parsed, header) << "case " << i;
    }
}

}  // namespace
}  // namespace tcpp::wire
