#include "tcp/rtt.h"

#include <gtest/gtest.h>

namespace tcpp::tcp {
namespace {

TEST(Rtt, Rfc6298_2_1_BeforeAnySampleTheRtoIsOneSecond) {
    RttEstimator rtt;
    EXPECT_FALSE(rtt.has_sample());
    EXPECT_EQ(rtt.rto_us(), 1'000'000u);
}

TEST(Rtt, Rfc6298_2_2_FirstSampleSetsSrttAndHalfOfItAsRttvar) {
    RttEstimator rtt{{.min_us = 0}};
    rtt.add_sample(100'000);
    EXPECT_EQ(rtt.srtt_us(), 100'000u);
    EXPECT_EQ(rtt.rttvar_us(), 50'000u);
    EXPECT_EQ(rtt.rto_us(), 100'000u + 4 * 50'000u);
}

TEST(Rtt, Rfc6298_2_3_LaterSamplesSmoothWithAlphaEighthAndBetaQuarter) {
    RttEstimator rtt{{.min_us = 0}};
    rtt.add_sample(100'000);
    rtt.add_sample(200'000);
    // RTTVAR = 3/4 * 50000 + 1/4 * |100000 - 200000| = 62500; SRTT = 7/8 * 100000 + 1/8 * 200000 = 112500.
    EXPECT_EQ(rtt.rttvar_us(), 62'500u);
    EXPECT_EQ(rtt.srtt_us(), 112'500u);
    EXPECT_EQ(rtt.rto_us(), 112'500u + 250'000u);
}

TEST(Rtt, Rfc6298_2_4_RtoIsHeldToTheMinimum) {
    RttEstimator rtt;  // Linux's 200 ms minimum
    rtt.add_sample(1'000);
    EXPECT_EQ(rtt.rto_us(), 200'000u);
}

TEST(Rtt, Rfc6298_ClockGranularityBoundsTheVarianceTerm) {
    RttEstimator rtt{{.min_us = 0, .clock_granularity_us = 10'000}};
    rtt.add_sample(1'000);
    rtt.add_sample(1'000);
    rtt.add_sample(1'000);
    EXPECT_EQ(rtt.rto_us(), rtt.srtt_us() + 10'000u);
}

TEST(Rtt, Rfc6298_5_5_BackoffDoublesUpToTheMaximumAndASampleClearsIt) {
    RttEstimator rtt;
    for (int i = 0; i < 3; ++i) rtt.back_off();
    EXPECT_EQ(rtt.rto_us(), 8'000'000u);
    for (int i = 0; i < 40; ++i) rtt.back_off();
    EXPECT_EQ(rtt.rto_us(), 120'000'000u);
    rtt.add_sample(300'000);
    EXPECT_EQ(rtt.backoff(), 0u);
    EXPECT_EQ(rtt.rto_us(), 300'000u + 600'000u);
}

}  // namespace
}  // namespace tcpp::tcp
