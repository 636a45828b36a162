// Ipv4Address and MacAddress: construction, strict text parsing, formatting, wire load/store.

#include "wire/address.h"

#include <array>
#include <string_view>

#include <gtest/gtest.h>

#include "test_bytes.h"
#include "test_random.h"

namespace tcpp::wire {
namespace {

using test::hex;
using test::TestRandom;
using test::to_hex;

TEST(Ipv4Address, Octets_AreTheHostOrderValueMostSignificantFirst) {
    EXPECT_EQ(Ipv4Address(10, 0, 0, 1).value(), 0x0a000001u);
    EXPECT_EQ(Ipv4Address(192, 168, 0, 199).value(), 0xc0a800c7u);
    EXPECT_EQ(Ipv4Address{}.value(), 0u);
    static_assert(Ipv4Address(255, 255, 255, 255).value() == 0xffffffffu);
}

TEST(Ipv4Address, Parse_ValidDottedQuad_GivesItsValue) {
    struct Case {
        std::string_view text;
        std::uint32_t value;
    };
    for (const auto& [text, value] : {Case{"0.0.0.0", 0}, Case{"255.255.255.255", 0xffffffff},
                                      Case{"10.0.0.1", 0x0a000001}, Case{"192.168.100.200", 0xc0a864c8},
                                      Case{"1.22.233.4", 0x0116e904}, Case{"10.99.0.2", 0x0a630002}}) {
        SCOPED_TRACE(text);
        auto address = Ipv4Address::parse(text);
        ASSERT_TRUE(address.has_value());
        EXPECT_EQ(address->value(), value);
    }
}

TEST(Ipv4Address, Parse_LeadingZero_IsRejected) {
    for (std::string_view text :
         {"01.2.3.4", "1.02.3.4", "1.2.03.4", "1.2.3.04", "00.0.0.0", "1.2.3.00", "0.0.0.000"}) {
        EXPECT_FALSE(Ipv4Address::parse(text).has_value()) << text;
    }
}

TEST(Ipv4Address, Parse_PartAbove255_IsRejected) {
    for (std::string_view text : {"256.0.0.0", "0.256.0.0", "0.0.256.0", "1.2.3.256", "999.1.1.1", "1000.1.1.1",
                                  "4294967297.1.1.1", "99999999999999999999.1.1.1"}) {
        EXPECT_FALSE(Ipv4Address::parse(text).has_value()) << text;
    }
}

TEST(Ipv4Address, Parse_MissingPart_IsRejected) {
    for (std::string_view text : {"", "1", "1.2", "1.2.3", "1.2.3.", "1..2.3", ".1.2.3", "...", "1.2..3", "."}) {
        EXPECT_FALSE(Ipv4Address::parse(text).has_value()) << '"' << text << '"';
    }
}

TEST(Ipv4Address, Parse_TrailingCharacters_AreRejected) {
    for (std::string_view text : {"1.2.3.4 ", "1.2.3.4.", "1.2.3.4.5", "1.2.3.4x", "1.2.3.4\n", "1.2.3.4/24",
                                  "1.2.3.4:80"}) {
        EXPECT_FALSE(Ipv4Address::parse(text).has_value()) << text;
    }
    EXPECT_FALSE(Ipv4Address::parse(std::string_view{"1.2.3.4\0", 8}).has_value());
}

TEST(Ipv4Address, Parse_SignsSpacesAndOtherBases_AreRejected) {
    for (std::string_view text : {" 1.2.3.4", "+1.2.3.4", "-1.2.3.4", "1.-2.3.4", "1.+2.3.4", "0x1.2.3.4",
                                  "1.2.3.a", "1.2. 3.4", "1,2,3,4", "a.b.c.d", "1.2.3.4e0"}) {
        EXPECT_FALSE(Ipv4Address::parse(text).has_value()) << text;
    }
}

TEST(Ipv4Address, Parse_ReadsOnlyTheGivenLength) {
    // The view stops before the "5": what lies past its end must not be read.
    std::string_view text{"1.2.3.45", 7};
    auto address = Ipv4Address::parse(text);
    ASSERT_TRUE(address.has_value());
    EXPECT_EQ(*address, Ipv4Address(1, 2, 3, 4));
}

TEST(Ipv4Address, ToString_IsTheDottedQuad) {
    EXPECT_EQ(Ipv4Address(10, 0, 0, 1).to_string(), "10.0.0.1");
    EXPECT_EQ(Ipv4Address(0, 0, 0, 0).to_string(), "0.0.0.0");
    EXPECT_EQ(Ipv4Address(255, 255, 255, 255).to_string(), "255.255.255.255");
    EXPECT_EQ(Ipv4Address(192, 168, 100, 7).to_string(), "192.168.100.7");
}

TEST(Ipv4Address, ParseOfToString_IsIdentity) {
    TestRandom random{0x1f4a};
    for (int i = 0; i < 3000; ++i) {
        Ipv4Address address{random.u32()};
        auto parsed = Ipv4Address::parse(address.to_string());
        ASSERT_TRUE(parsed.has_value()) << address.to_string();
        EXPECT_EQ(parsed->value(), address.value());
    }
}

TEST(Ipv4Address, Ordering_IsNumericOrderOfTheValue) {
    EXPECT_LT(Ipv4Address(10, 0, 0, 1), Ipv4Address(10, 0, 0, 2));
    EXPECT_LT(Ipv4Address(9, 255, 255, 255), Ipv4Address(10, 0, 0, 0));
    EXPECT_EQ(Ipv4Address(10, 0, 0, 1), Ipv4Address{0x0a000001});
    EXPECT_NE(Ipv4Address(10, 0, 0, 1), Ipv4Address(1, 0, 0, 10));
}

TEST(MacAddress, Parse_ColonSeparatedPairs_GivesTheOctets) {
    auto mac = MacAddress::parse("02:00:5e:10:00:01");
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ(mac->octets(), (std::array<std::uint8_t, 6>{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}));
}

TEST(MacAddress, Parse_UppercaseHex_IsAcceptedAndPrintsLowercase) {
    auto mac = MacAddress::parse("AA:BB:cc:Dd:EE:FF");
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ(mac->octets(), (std::array<std::uint8_t, 6>{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}));
    EXPECT_EQ(mac->to_string(), "aa:bb:cc:dd:ee:ff");
}

TEST(MacAddress, Parse_MalformedText_IsRejected) {
    for (std::string_view text : {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02-00-00-00-00-01",
                                  "2:00:00:00:00:001", "02:00:00:00:0:001", "0g:00:00:00:00:01", "+2:00:00:00:00:01",
                                  "-1:00:00:00:00:01", " 2:00:00:00:00:01", "02:00:00:00:00:0 ", "0x:00:00:00:00:01",
                                  "02:00:00:00:00:01\n", "02::0:00:00:00:01", "02:00:00:00:00:1", "020000000001",
                                  "02.00.00.00.00.01", "02:00:00:00:00:0x"}) {
        EXPECT_FALSE(MacAddress::parse(text).has_value()) << '"' << text << '"';
    }
}

TEST(MacAddress, ToString_IsLowercaseColonSeparatedPairs) {
    EXPECT_EQ(MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, 0x01}).to_string(), "02:00:00:00:00:01");
    EXPECT_EQ(MacAddress::broadcast().to_string(), "ff:ff:ff:ff:ff:ff");
    EXPECT_EQ(MacAddress{}.to_string(), "00:00:00:00:00:00");
}

TEST(MacAddress, ParseOfToString_IsIdentity) {
    TestRandom random{0x3ac};
    for (int i = 0; i < 2000; ++i) {
        MacAddress mac{{random.u8(), random.u8(), random.u8(), random.u8(), random.u8(), random.u8()}};
        auto parsed = MacAddress::parse(mac.to_string());
        ASSERT_TRUE(parsed.has_value()) << mac.to_string();
        EXPECT_EQ(*parsed, mac);
    }
}

TEST(MacAddress, LoadAndStore_UseTheOctetsInWireOrder) {
    auto bytes = hex("de ad be ef 00 42");
    MacAddress mac = MacAddress::load(bytes.data());
    EXPECT_EQ(mac.to_string(), "de:ad:be:ef:00:42");
    test::ByteVector out(8, std::byte{0x55});
    mac.store(out.data() + 1);
    EXPECT_EQ(to_hex(test::view(out)), "55 de ad be ef 00 42 55");
}

TEST(MacAddress, Broadcast_IsAllOnes) {
    EXPECT_EQ(MacAddress::broadcast(), *MacAddress::parse("ff:ff:ff:ff:ff:ff"));
    EXPECT_NE(MacAddress::broadcast(), MacAddress{});
}

}  // namespace
}  // namespace tcpp::wire
