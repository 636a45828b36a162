#include "wire/seq.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tcpp::wire
