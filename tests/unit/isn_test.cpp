#include "tcp/isn.h"

#include <array>
#include <numeric>
#include <random>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

#include "tcp/siphash.h"

namespace tcpp::tcp {
namespace {

// The test vector of the SipHash paper, appendix A: key 00..0f, message 00..0e.
TEST(SipHash, PaperTestVector) {
    SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    std::array<std::byte, 15> message;
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = std::byte(i);
    EXPECT_EQ(siphash24(key, message), 0xa129ca6149be45e5ull);
}

TEST(SipHash, EmptyMessageUnderTheSameKey) {
    SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    EXPECT_EQ(siphash24(key, {}), 0x726fdb47dd0e0e31ull);  // the reference implementation's first vector
}

TEST(SipHash, FullVectorsOfTheReferenceImplementation) {
    // Messages 0, 1, ..., 63 bytes long (0x00, 0x01, ...) under the paper's key: a few of the 64 published
    // outputs, across the word boundaries (7, 8, 9 bytes and a whole 63).
    SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    std::array<std::byte, 64> message;
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = std::byte(i);
    const std::array<std::pair<std::size_t, std::uint64_t>, 5> vectors{{{1, 0x74f839c593dc67fdull},
                                                                        {7, 0xab0200f58b01d137ull},
                                                                        {8, 0x93f5f5799a932462ull},
                                                                        {9, 0x9e0082df0ba9e4b0ull},
                                                                        {63, 0x958a324ceb064572ull}}};
    for (auto [length, expected] : vectors) {
        EXPECT_EQ(siphash24(key, wire::Bytes{message}.first(length)), expected) << length << " bytes";
    }
}

TEST(SipHash, OneThree_KnownOutputsUnderTheZeroKey) {
    // SipHash-1-3 outputs as published by implementations that carry it, for the empty message and "siphash".
    const SipKey zero{0, 0};
    EXPECT_EQ(siphash13(zero, {}), 0xd1fba762150c532cull);
    const std::string_view text = "siphash";
    EXPECT_EQ(siphash13(zero, std::as_bytes(std::span{text.data(), text.size()})), 0x8264ceeccb16bcbeull);
}

TEST(SipHash, OneThreeOfAWordAndATail_IsOneThreeOfTheirTwelveLittleEndianBytes) {
    std::mt19937_64 random{1234};
    for (int i = 0; i < 1000; ++i) {
        const SipKey key{random(), random()};
        const std::uint64_t word = random();
        const auto tail = static_cast<std::uint32_t>(random());
        std::array<std::byte, 12> bytes;
        for (std::size_t k = 0; k < 8; ++k) bytes[k] = std::byte(word >> (8 * k));
        for (std::size_t k = 0; k < 4; ++k) bytes[8 + k] = std::byte(tail >> (8 * k));
        ASSERT_EQ(siphash13(key, word, tail), siphash13(key, bytes)) << "case " << i;
    }
}

const FourTuple tuple{{wire::Ipv4Address{10, 0, 0, 1}, 40000}, {wire::Ipv4Address{10, 0, 0, 2}, 80}};

TEST(Isn, Rfc6528_ClockAdvancesTheIsnEveryFourMicroseconds) {
    IsnGenerator isn{{1, 2}};
    wire::Seq at0 = isn.generate(tuple, 0);
    EXPECT_EQ(isn.generate(tuple, 3), at0);
    EXPECT_EQ(isn.generate(tuple, 4), at0 + 1);
    EXPECT_EQ(isn.generate(tuple, 4'000'000), at0 + 1'000'000);
}

TEST(Isn, Rfc6528_DependsOnEveryPartOfTheTupleAndOnTheKey) {
    IsnGenerator isn{{1, 2}};
    wire::Seq base = isn.generate(tuple, 100);
    FourTuple other_port = tuple;
    other_port.local.port = 40001;
    FourTuple other_remote = tuple;
    other_remote.remote.address = wire::Ipv4Address{10, 0, 0, 3};
    EXPECT_NE(isn.generate(other_port, 100), base);
    EXPECT_NE(isn.generate(other_remote, 100), base);
    EXPECT_NE(IsnGenerator({1, 3}).generate(tuple, 100), base);
}

}  // namespace
}  // namespace tcpp::tcp
