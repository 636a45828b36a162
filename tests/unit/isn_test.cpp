#include "tcp/isn.h"

#include <array>
#include <numeric>

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
