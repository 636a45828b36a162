#include "wire/seq.h"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "test_random.h"

namespace tcpp::wire {
namespace {

TEST(Seq, ComparesAcrossTheWrap) {
    Seq a{0xfffffff0u};
    Seq b = a + 0x20;
    EXPECT_EQ(b.raw(), 0x10u);
    EXPECT_LT(a, b);
    EXPECT_GT(b, a);
    EXPECT_EQ(b - a, 0x20);
    EXPECT_EQ(a - b, -0x20);
}

TEST(Seq, InWindowIsHalfOpen) {
    Seq left{0xfffffffeu};
    EXPECT_TRUE(in_window(left, left, 4));
    EXPECT_TRUE(in_window(left + 3, left, 4));
    EXPECT_FALSE(in_window(left + 4, left, 4));
    EXPECT_FALSE(in_window(left - 1, left, 4));
    EXPECT_FALSE(in_window(left, left, 0));
}

TEST(Seq, DistanceIsSignedAndWrapsModulo2To32) {
    EXPECT_EQ(Seq{5} - Seq{3}, 2);
    EXPECT_EQ(Seq{3} - Seq{5}, -2);
    EXPECT_EQ(Seq{0} - Seq{0xffffffffu}, 1);
    EXPECT_EQ(Seq{0xffffffffu} - Seq{0}, -1);
    EXPECT_EQ(Seq{0x7fffffffu} - Seq{0}, std::numeric_limits<std::int32_t>::max());
    EXPECT_EQ(Seq{0x80000001u} - Seq{0}, -std::numeric_limits<std::int32_t>::max());
}

TEST(Seq, AheadByLessThanHalfTheCircle_IsGreater) {
    Seq a{0x12345678u};
    EXPECT_LT(a, a + 1);
    EXPECT_LT(a, a + 0x7fffffffu);
    EXPECT_GT(a, a + 0x80000001u);  // that far ahead is behind
    EXPECT_GT(a, a - 1);
    EXPECT_LE(a, a);
    EXPECT_GE(a, a);
    EXPECT_FALSE(a < a);
    EXPECT_FALSE(a > a);
}

TEST(Seq, ExactlyHalfTheCircleApart_EachIsBelowTheOther) {
    // RFC 9293 leaves this case undefined; with the signed distance both compare as "before". Callers must
    // keep windows below 2^31 (RFC 7323 limits them to 2^30), so it never decides anything.
    Seq a{0};
    Seq b{0x80000000u};
    EXPECT_TRUE(a < b);
    EXPECT_TRUE(b < a);
    EXPECT_EQ(a - b, std::numeric_limits<std::int32_t>::min());
    EXPECT_EQ(b - a, std::numeric_limits<std::int32_t>::min());
}

TEST(Seq, ComparisonsAgreeWithTheDistanceEverywhere) {
    test::TestRandom random{0x5e9};
    for (int i = 0; i < 5000; ++i) {
        Seq a{random.u32()};
        std::uint32_t step = 1 + static_cast<std::uint32_t>(random.below(0x7fffffffu));  // 1 .. 2^31-1
        Seq b = a + step;
        ASSERT_LT(a, b);
        ASSERT_LE(a, b);
        ASSERT_GT(b, a);
        ASSERT_GE(b, a);
        ASSERT_FALSE(b < a);
        ASSERT_EQ(b - a, static_cast<std::int32_t>(step));
        ASSERT_EQ(a - b, -static_cast<std::int32_t>(step));
        ASSERT_EQ(b - step, a);
        ASSERT_EQ(max(a, b), b);
        ASSERT_EQ(min(a, b), a);
        ASSERT_EQ(max(b, a), b);
        ASSERT_EQ(min(b, a), a);
    }
}

TEST(Seq, CompoundArithmetic_WrapsAround) {
    Seq s{0xfffffffeu};
    s += 3;
    EXPECT_EQ(s.raw(), 1u);
    s -= 2;
    EXPECT_EQ(s.raw(), 0xffffffffu);
    EXPECT_EQ((Seq{0} - 1).raw(), 0xffffffffu);
    EXPECT_EQ(Seq{}.raw(), 0u);
}

TEST(Seq, MaxAndMin_FollowTheCircleNotTheIntegers) {
    Seq before_wrap{0xfffffff0u};
    Seq after_wrap{0x10u};
    EXPECT_EQ(max(before_wrap, after_wrap), after_wrap);
    EXPECT_EQ(min(before_wrap, after_wrap), before_wrap);
    EXPECT_EQ(max(after_wrap, after_wrap), after_wrap);
}

TEST(Seq, InWindow_AcrossTheWrap) {
    Seq left{0xfffffff0u};
    EXPECT_TRUE(in_window(Seq{0xffffffffu}, left, 0x20));
    EXPECT_TRUE(in_window(Seq{0}, left, 0x20));
    EXPECT_TRUE(in_window(Seq{0xf}, left, 0x20));
    EXPECT_FALSE(in_window(Seq{0x10}, left, 0x20));
    EXPECT_FALSE(in_window(Seq{0xffffffefu}, left, 0x20));
}

TEST(Seq, InWindow_SizeOneHoldsOnlyTheLeftEdge) {
    Seq left{0};
    EXPECT_TRUE(in_window(left, left, 1));
    EXPECT_FALSE(in_window(left + 1, left, 1));
    EXPECT_FALSE(in_window(left - 1, left, 1));
}

TEST(Seq, InWindow_LargestWindowHoldsAllButTheOneBeforeTheLeftEdge) {
    Seq left{0x80000000u};
    std::uint32_t size = 0xffffffffu;
    EXPECT_TRUE(in_window(left, left, size));
    EXPECT_TRUE(in_window(left + 0x7fffffffu, left, size));
    EXPECT_TRUE(in_window(left + 0xfffffffeu, left, size));
    EXPECT_FALSE(in_window(left - 1, left, size));
}

TEST(Seq, InWindow_MatchesLeftLeqSAndSBelowRightForSmallWindows) {
    test::TestRandom random{0x1d};
    for (int i = 0; i < 5000; ++i) {
        Seq left{random.u32()};
        std::uint32_t size = static_cast<std::uint32_t>(random.below(0x40000000u));  // up to 2^30, as RFC 7323
        auto ahead = static_cast<std::uint32_t>(random.below(2u * size + 2));
        auto behind = static_cast<std::uint32_t>(random.below(size + 1));
        Seq s = left + ahead - behind;
        bool expected = left <= s && s < left + size;
        ASSERT_EQ(in_window(s, left, size), expected) << left.raw() << " " << size << " " << s.raw();
    }
}

TEST(Seq, OperationsAreConstexpr) {
    static_assert(Seq{1} < Seq{2});
    static_assert(Seq{0} > Seq{0xffffffffu});
    static_assert((Seq{0xffffffffu} + 1).raw() == 0);
    static_assert(in_window(Seq{3}, Seq{1}, 5));
    static_assert(max(Seq{0xffffffffu}, Seq{1}) == Seq{1});
}

}  // namespace
}  // namespace tcpp::wire
