// Ethernet II frames: the 14-byte header, as a view and as values.

#include "wire/ethernet.h"

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

// An ARP request as Linux broadcasts it, header and the first bytes of the ARP packet.
const ByteVector arp_frame = hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01");

MacAddress random_mac(TestRandom& random) {
    return MacAddress{{random.u8(), random.u8(), random.u8(), random.u8(), random.u8(), random.u8()}};
}

TEST(EthernetView, Parse_ReadsDestinationSourceEthertypeAndPayload) {
    auto frame = EthernetView::parse(view(arp_frame));
    ASSERT_TRUE(succeeds(frame));
    EXPECT_EQ(frame->destination(), MacAddress::broadcast());
    EXPECT_EQ(frame->source().to_string(), "02:00:00:00:00:01");
    EXPECT_EQ(frame->ethertype(), ethertype::arp);
    EXPECT_EQ(to_hex(frame->payload()), "00 01 08 00 06 04 00 01");
    EXPECT_EQ(frame->payload().data(), arp_frame.data() + 14);
    EXPECT_EQ(frame->bytes().size(), arp_frame.size());
}

TEST(EthernetView, FewerThanFourteenBytes_IsTruncated) {
    for (std::size_t size = 0; size < EthernetView::header_size; ++size) {
        ByteVector prefix(arp_frame.begin(), arp_frame.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_TRUE(fails_with(EthernetView::parse(view(prefix)), ParseError::truncated)) << size << " bytes";
        EXPECT_TRUE(fails_with(EthernetHeader::parse(view(prefix)), ParseError::truncated)) << size << " bytes";
    }
}

TEST(EthernetView, HeaderAlone_ParsesWithAnEmptyPayload) {
    ByteVector header(arp_frame.begin(), arp_frame.begin() + 14);
    auto frame = EthernetView::parse(view(header));
    ASSERT_TRUE(succeeds(frame));
    EXPECT_TRUE(frame->payload().empty());
}

TEST(EthernetView, VlanTaggedFrame_ReportsTheTagEthertype) {
    auto tagged = hex("02 00 00 00 00 02 02 00 00 00 00 01 81 00 00 64 08 00 45 00");
    auto frame = EthernetView::parse(view(tagged));
    ASSERT_TRUE(succeeds(frame));
    EXPECT_EQ(frame->ethertype(), ethertype::vlan);
    EXPECT_EQ(to_hex(frame->payload()), "00 64 08 00 45 00");
}

TEST(EthernetView, EveryPrefix_FailsCleanlyOrStaysInsideTheBuffer) {
    for (std::size_t size = 0; size <= arp_frame.size(); ++size) {
        // A copy of exactly `size` bytes, so a sanitizer sees any read past its end.
        ByteVector prefix(arp_frame.begin(), arp_frame.begin() + static_cast<std::ptrdiff_t>(size));
        auto frame = EthernetView::parse(view(prefix));
        if (!frame) continue;
        EXPECT_TRUE(test::within(frame->payload(), view(prefix)));
        EXPECT_EQ(frame->payload().size(), size - 14);
        EXPECT_EQ(frame->source().to_string(), "02:00:00:00:00:01");
    }
}

TEST(EthernetHeader, Emit_WritesDestinationSourceEthertype) {
    EthernetHeader header{MacAddress::broadcast(), *MacAddress::parse("02:00:00:00:00:01"), ethertype::ipv4};
    ByteVector out(16, std::byte{0xee});
    header.emit(test::mutable_view(out));
    EXPECT_EQ(to_hex(view(out)), "ff ff ff ff ff ff 02 00 00 00 00 01 08 00 ee ee");
    EXPECT_EQ(EthernetHeader::size(), 14u);
}

TEST(EthernetHeader, ParseOfEmit_IsIdentity) {
    TestRandom random{0xe7e7};
    for (int i = 0; i < 2000; ++i) {
        EthernetHeader header{random_mac(random), random_mac(random), random.u16()};
        ByteVector frame = random.bytes(14 + random.below(50));
        header.emit(test::mutable_view(frame));
        auto parsed = EthernetHeader::parse(view(frame));
        ASSERT_TRUE(succeeds(parsed));
        ASSERT_EQ(*parsed, header) << "case " << i;
    }
}

TEST(EthernetHeader, From_CopiesTheViewFields) {
    auto frame = EthernetView::parse(view(arp_frame));
    ASSERT_TRUE(succeeds(frame));
    EthernetHeader header = EthernetHeader::from(*frame);
    EXPECT_EQ(header.destination, MacAddress::broadcast());
    EXPECT_EQ(header.source, frame->source());
    EXPECT_EQ(header.ethertype, ethertype::arp);
}

}  // namespace
}  // namespace tcpp::wire
