#include "tcp/congestion.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace tcpp::tcp {
namespace {

constexpr std::uint32_t smss = 1460;

std::uint32_t cwnd_of(const CongestionControl& cc) { return cc.cwnd(); }
std::uint32_t cwnd_of(const Cubic& cc) { return cc.window().cwnd(); }

// One round trip with the window in use: cwnd bytes outstanding, acknowledged `ack_size` bytes at a
// time, evenly over the RTT. The sender refills the window after each ACK, so each ACK finds it full.
template <class Cc>
void ack_round(Cc& cc, std::uint64_t& now_us, std::uint64_t rtt_us, std::uint32_t ack_size) {
    const std::uint64_t start = now_us;
    const std::uint32_t acks = std::max<std::uint32_t>(cwnd_of(cc) / ack_size, 1);
    for (std::uint32_t i = 0; i < acks; ++i) {
        now_us = start + rtt_us * (i + 1) / acks;
        cc.on_ack(ack_size, cwnd_of(cc), now_us, rtt_us);
    }
}

// Leaves a connection in congestion avoidance at cwnd = ssthresh = `window`: a loss found by SACK with
// twice that in flight, then the full ACK.
void enter_congestion_avoidance(CongestionControl& cc, std::uint32_t window) {
    cc.on_enter_recovery(LossRecovery::sack, 2 * window);
    cc.on_exit_recovery(window);
    ASSERT_EQ(cc.cwnd(), window);
    ASSERT_FALSE(cc.in_slow_start());
}

// --- Initial window, names --------------------------------------------------------------------------

TEST(Congestion, Rfc6928_InitialWindow_IsMinOf10MssAndMaxOf2MssAnd14600) {
    // min(10*MSS, max(2*MSS, 14600)):
    EXPECT_EQ(initial_window(536), 5'360u);    // min(5360, 14600): ten segments
    EXPECT_EQ(initial_window(1460), 14'600u);  // min(14600, 14600): ten segments
    EXPECT_EQ(initial_window(4000), 14'600u);  // min(40000, 14600): three and a half segments
    EXPECT_EQ(initial_window(9000), 18'000u);  // min(90000, max(18000, 14600)): two segments
}

TEST(Congestion, Rfc5681_3_1_StartsAtTheInitialWindowWithAnArbitrarilyHighSsthresh) {
    for (auto algorithm : {CongestionAlgorithm::new_reno, CongestionAlgorithm::cubic}) {
        CongestionControl cc{algorithm, 536};
        EXPECT_EQ(cc.algorithm(), algorithm);
        EXPECT_EQ(cc.cwnd(), 5'360u);
        EXPECT_EQ(cc.ssthresh(), unlimited_ssthresh);
        EXPECT_TRUE(cc.in_slow_start());
        EXPECT_FALSE(cc.in_recovery());
    }
    EXPECT_EQ(to_string(CongestionAlgorithm::new_reno), "newreno");
    EXPECT_EQ(to_string(CongestionAlgorithm::cubic), "cubic");
}

// --- NewReno: slow start and congestion avoidance ---------------------------------------------------

TEST(NewReno, Rfc5681_SlowStart_DoublesTheWindowEachRtt) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    std::uint64_t now = 0;
    for (std::uint32_t expected : {29'200u, 58'400u, 116'800u}) {
        ack_round(cc, now, 100'000, smss);  // one ACK per segment
        EXPECT_EQ(cc.cwnd(), expected);
    }
}

TEST(NewReno, Rfc5681_SlowStart_GrowsByAtMostTwoSmssPerAck) {
    // RFC 5681 eq. 2 with RFC 3465's L = 2*SMSS: cwnd += min(N, L).
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_ack(500, cc.cwnd(), 1, 0);
    EXPECT_EQ(cc.cwnd(), 14'600u + 500);
    cc.on_ack(2 * smss, cc.cwnd(), 2, 0);  // a delayed ACK: both segments count
    EXPECT_EQ(cc.cwnd(), 15'100u + 2 * smss);
    cc.on_ack(5 * smss, cc.cwnd(), 3, 0);  // a stretch ACK: no more than L
    EXPECT_EQ(cc.cwnd(), 18'020u + 2 * smss);
}

// Over a link with segmentation offload one ACK covers a long segment: with stretch ACKs expected, slow
// start counts all it covers (as Linux does), for both algorithms; after a timeout L is one SMSS again.
TEST(Congestion, StretchAcks_SlowStartCountsEveryByteAcked_ButOneSmssAfterATimeout) {
    for (CongestionAlgorithm algorithm : {CongestionAlgorithm::new_reno, CongestionAlgorithm::cubic}) {
        CongestionControl cc{algorithm, smss};
        cc.set_stretch_acks(true);
        cc.on_ack(10 * smss, cc.cwnd(), 1, 0);  // the whole initial window, one ACK
        EXPECT_EQ(cc.cwnd(), 20 * smss);
        cc.on_ack(20 * smss, cc.cwnd(), 2, 0);
        EXPECT_EQ(cc.cwnd(), 40 * smss);
        cc.on_timeout(40 * smss);
        ASSERT_EQ(cc.cwnd(), smss);
        cc.on_ack(3 * smss, smss, 3, 0);
        EXPECT_EQ(cc.cwnd(), 2 * smss);
    }
}

TEST(NewReno, Rfc3465_SlowStartAfterTimeout_GrowsByAtMostOneSmssPerAck) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_timeout(20 * smss);
    ASSERT_EQ(cc.cwnd(), smss);
    cc.on_ack(3 * smss, smss, 1, 0);  // covers data the receiver held before the timeout
    EXPECT_EQ(cc.cwnd(), 2 * smss);
}

TEST(NewReno, Rfc5681_SlowStart_StopsAtSsthreshAndCountsTheRestTowardCongestionAvoidance) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_timeout(4 * smss);  // ssthresh = max(4 SMSS / 2, 2 SMSS)
    ASSERT_EQ(cc.ssthresh(), 2 * smss);
    cc.on_ack(2 * smss, smss, 1, 0);  // L = 1 SMSS after the timeout: exactly to ssthresh
    EXPECT_EQ(cc.cwnd(), 2 * smss);
    EXPECT_FALSE(cc.in_slow_start());
    cc.on_ack(2 * smss, 2 * smss, 2, 0);  // now a window's worth acknowledged: one SMSS more
    EXPECT_EQ(cc.cwnd(), 3 * smss);
}

TEST(NewReno, Rfc5681_CongestionAvoidance_AddsOneSmssPerRtt) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    enter_congestion_avoidance(cc, 20 * smss);
    std::uint64_t now = 0;
    // Byte counting (RFC 3465 2.1): nothing until a whole window has been acknowledged.
    for (int i = 0; i < 19; ++i) cc.on_ack(smss, cc.cwnd(), now += 5'000, 100'000);
    EXPECT_EQ(cc.cwnd(), 20 * smss);
    cc.on_ack(smss, cc.cwnd(), now += 5'000, 100'000);
    EXPECT_EQ(cc.cwnd(), 21 * smss);
    for (std::uint32_t segments = 22; segments <= 30; ++segments) {
        ack_round(cc, now, 100'000, smss);
        EXPECT_EQ(cc.cwnd(), segments * smss);
    }
    // Delayed ACKs (two segments each) acknowledge the same bytes: the same growth.
    ack_round(cc, now, 100'000, 2 * smss);
    EXPECT_EQ(cc.cwnd(), 31 * smss);
}

TEST(NewReno, Rfc7661_AWindowTheSenderDoesNotUse_DoesNotGrow) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_ack(smss, 14'600 / 2, 1, 0);  // slow start: half the window in use is not enough
    EXPECT_EQ(cc.cwnd(), 14'600u);
    cc.on_ack(smss, 14'600 / 2 + 1, 2, 0);
    EXPECT_EQ(cc.cwnd(), 14'600u + smss);

    enter_congestion_avoidance(cc, 20 * smss);
    for (int i = 0; i < 40; ++i) cc.on_ack(smss, 19 * smss, 3, 0);  // room for one more segment
    EXPECT_EQ(cc.cwnd(), 20 * smss);
}

// --- NewReno: fast retransmit and fast recovery -----------------------------------------------------

TEST(NewReno, Rfc5681_3_2_Loss_SetsSsthreshToHalfTheFlightSizeAtLeastTwoSmss) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_enter_recovery(LossRecovery::duplicate_acks, 20 * smss);
    EXPECT_TRUE(cc.in_recovery());
    EXPECT_EQ(cc.ssthresh(), 10 * smss);
    EXPECT_EQ(cc.cwnd(), 10 * smss + 3 * smss);  // step 3: inflated by the three duplicate ACKs

    // FlightSize, not cwnd: a sender using 8000 of its 14600 bytes halves 8000.
    CongestionControl app_limited{CongestionAlgorithm::new_reno, smss};
    app_limited.on_enter_recovery(LossRecovery::sack, 8'000);
    EXPECT_EQ(app_limited.ssthresh(), 4'000u);
    EXPECT_EQ(app_limited.cwnd(), 4'000u);

    CongestionControl small{CongestionAlgorithm::new_reno, smss};
    small.on_enter_recovery(LossRecovery::sack, 2'000);
    EXPECT_EQ(small.ssthresh(), 2 * smss);
}

TEST(NewReno, Rfc5681_3_2_Step4_EachFurtherDuplicateAckInflatesBySmss) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_enter_recovery(LossRecovery::duplicate_acks, 20 * smss);
    cc.on_duplicate_ack_in_recovery();
    cc.on_duplicate_ack_in_recovery();
    EXPECT_EQ(cc.cwnd(), 15 * smss);
}

TEST(NewReno, Rfc6582_OneRecoveryPerLossEvent) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_enter_recovery(LossRecovery::duplicate_acks, 20 * smss);
    cc.on_enter_recovery(LossRecovery::duplicate_acks, 13 * smss);  // the engine's "recover" forbids it
    EXPECT_EQ(cc.ssthresh(), 10 * smss);
    EXPECT_EQ(cc.cwnd(), 13 * smss);
    cc.on_ack(smss, 13 * smss, 1, 0);  // only partial ACKs move the window in recovery
    EXPECT_EQ(cc.cwnd(), 13 * smss);
}

TEST(NewReno, Rfc6582_3_2_Step3_PartialAck_DeflatesByTheAmountAckedAndAddsBackOneSmss) {
    // RFC 6582 gives the rule, not numbers; with SMSS 1000 and 10 segments in flight when the third
    // duplicate ACK arrives: ssthresh = 5000, cwnd = 5000 + 3*1000 = 8000, and two more duplicate ACKs
    // make it 10000.
    CongestionControl cc{CongestionAlgorithm::new_reno, 1'000};
    cc.on_enter_recovery(LossRecovery::duplicate_acks, 10'000);
    cc.on_duplicate_ack_in_recovery();
    cc.on_duplicate_ack_in_recovery();
    ASSERT_EQ(cc.cwnd(), 10'000u);
    cc.on_partial_ack(3'000);  // 10000 - 3000 + 1000
    EXPECT_EQ(cc.cwnd(), 8'000u);
    cc.on_partial_ack(500);  // less than SMSS: nothing added back
    EXPECT_EQ(cc.cwnd(), 7'500u);
    EXPECT_TRUE(cc.in_recovery());
}

TEST(NewReno, Rfc6675_SackRecovery_NeitherInflatesNorDeflates) {
    CongestionControl cc{CongestionAlgorithm::new_reno, 1'000};
    cc.on_enter_recovery(LossRecovery::sack, 10'000);
    EXPECT_EQ(cc.cwnd(), 5'000u);  // the pipe, not cwnd, counts what left the network
    cc.on_duplicate_ack_in_recovery();
    cc.on_partial_ack(3'000);
    EXPECT_EQ(cc.cwnd(), 5'000u);
}

TEST(NewReno, Rfc6582_3_2_Step3_FullAck_SetsCwndToMinOfSsthreshAndFlightPlusSmss) {
    struct Case {
        std::uint32_t flight;
        std::uint32_t cwnd;
    };
    // ssthresh 5000, SMSS 1000: min(5000, max(flight, 1000) + 1000).
    for (auto [flight, cwnd] : {Case{6'000, 5'000}, Case{4'500, 5'000}, Case{2'000, 3'000}, Case{0, 2'000}}) {
        CongestionControl cc{CongestionAlgorithm::new_reno, 1'000};
        cc.on_enter_recovery(LossRecovery::duplicate_acks, 10'000);
        cc.on_exit_recovery(flight);
        EXPECT_FALSE(cc.in_recovery());
        EXPECT_EQ(cc.cwnd(), cwnd) << "flight " << flight;
        EXPECT_EQ(cc.ssthresh(), 5'000u);
        EXPECT_EQ(cc.in_slow_start(), cwnd < 5'000);  // and slow start back up to ssthresh
    }
}

TEST(NewReno, Rfc5681_Eq4_Timeout_CwndToOneSmssSsthreshToHalfTheFlightSize) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_enter_recovery(LossRecovery::duplicate_acks, 20 * smss);
    cc.on_timeout(16 * smss);
    EXPECT_FALSE(cc.in_recovery());
    EXPECT_EQ(cc.cwnd(), smss);
    EXPECT_EQ(cc.ssthresh(), 8 * smss);
    EXPECT_TRUE(cc.in_slow_start());
}

TEST(NewReno, Rfc5681_Eq4_RepeatedTimeout_KeepsSsthresh) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_timeout(20 * smss);
    cc.on_timeout(smss);  // the same segment again: ssthresh is not halved to 2*SMSS
    EXPECT_EQ(cc.ssthresh(), 10 * smss);
    EXPECT_EQ(cc.cwnd(), smss);
    cc.on_ack(smss, smss, 1, 0);  // new data acknowledged: a later timeout is a new loss
    cc.on_timeout(2 * smss);
    EXPECT_EQ(cc.ssthresh(), 2 * smss);
}

TEST(NewReno, SetMss_KeepsTheWindowInBytesAndAtLeastOneSegment) {
    CongestionControl cc{CongestionAlgorithm::new_reno, smss};
    cc.on_timeout(20 * smss);
    cc.set_mss(1'000);
    EXPECT_EQ(cc.mss(), 1'000u);
    EXPECT_EQ(cc.cwnd(), smss);
    cc.set_mss(9'000);
    EXPECT_EQ(cc.cwnd(), 9'000u);
    EXPECT_EQ(cc.ssthresh(), 18'000u);
}

// --- CUBIC ------------------------------------------------------------------------------------------

constexpr std::uint64_t rtt_100ms = 100'000;

// A CUBIC flow with SMSS 1000 that slow-started to 100 segments and lost one there, found by SACK with
// the whole window in flight; recovery is over, and the next ACK starts the congestion avoidance epoch.
Cubic cubic_after_loss_at_100_segments(bool fast_convergence = true) {
    Cubic cubic{1'000, fast_convergence};
    while (cubic.window().cwnd() < 100'000) cubic.on_ack(1'000, cubic.window().cwnd(), 0, rtt_100ms);
    EXPECT_EQ(cubic.window().cwnd(), 100'000u);
    cubic.on_enter_recovery(LossRecovery::sack, 100'000);
    cubic.on_exit_recovery(70'000);
    return cubic;
}

TEST(Cubic, Rfc9438_SlowStart_IsRfc5681s) {
    CongestionControl cc{CongestionAlgorithm::cubic, smss};
    std::uint64_t now = 0;
    ack_round(cc, now, rtt_100ms, smss);
    EXPECT_EQ(cc.cwnd(), 29'200u);
    cc.on_ack(5 * smss, cc.cwnd(), now + 1, rtt_100ms);
    EXPECT_EQ(cc.cwnd(), 29'200u + 2 * smss);
}

TEST(Cubic, Rfc9438_4_6_Loss_ReducesToBetaTimesFlightSizeAndRemembersWmax) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    EXPECT_EQ(cubic.window().ssthresh(), 70'000u);  // 0.7 * W_max
    EXPECT_EQ(cubic.window().cwnd(), 70'000u);
    EXPECT_DOUBLE_EQ(cubic.w_max(), 100'000);
    EXPECT_DOUBLE_EQ(cubic.cwnd_prior(), 100'000);

    // Without SACK, RFC 5681's fast recovery on top of the reduced window: +3 SMSS.
    CongestionControl cc{CongestionAlgorithm::cubic, 1'000};
    cc.on_enter_recovery(LossRecovery::duplicate_acks, 10'000);
    EXPECT_EQ(cc.ssthresh(), 7'000u);
    EXPECT_EQ(cc.cwnd(), 10'000u);
    CongestionControl small{CongestionAlgorithm::cubic, 1'000};
    small.on_enter_recovery(LossRecovery::sack, 2'000);  // 0.7 * 2 segments: held at 2
    EXPECT_EQ(small.cwnd(), 2'000u);
}

TEST(Cubic, Rfc9438_K_FromWmaxAndBeta) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    cubic.on_ack(1'000, 70'000, 1'000'000, rtt_100ms);  // the epoch starts: cwnd_epoch = 70 segments
    ASSERT_TRUE(cubic.in_epoch());
    // K = cubic_root((W_max - cwnd_epoch)/C) = cubic_root(W_max*(1-beta)/C) = cbrt(100*0.3/0.4)
    //   = cbrt(75); 4.2^3 = 74.09 and 4.22^3 = 75.15, so K = 4.217 s.
    EXPECT_NEAR(cubic.k_seconds(), 4.2172, 1e-4);
}

TEST(Cubic, Rfc9438_Figure1_WcubicStartsAtCwndEpochAndReachesWmaxAtK) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    cubic.on_ack(1'000, 70'000, 0, rtt_100ms);
    EXPECT_NEAR(cubic.w_cubic(0), 70'000, 1);
    EXPECT_NEAR(cubic.w_cubic(cubic.k_seconds()), 100'000, 1);
    // Symmetric about K: C*(K)^3 = 30 segments either side.
    EXPECT_NEAR(cubic.w_cubic(2 * cubic.k_seconds()), 130'000, 1);

    // And the window itself, clocked by ACKs with a 100 ms RTT, is within a segment of W_max at K.
    std::uint64_t now = 0;
    while (now < static_cast<std::uint64_t>(cubic.k_seconds() * 1e6)) ack_round(cubic, now, rtt_100ms, 1'000);
    EXPECT_NEAR(cubic.window().cwnd(), 100'000, 1'000);
}

TEST(Cubic, Rfc9438_4_4_And_4_5_GrowthIsConcaveBelowWmaxAndConvexAbove) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    std::uint64_t now = 0;
    std::vector<std::uint32_t> cwnd_per_rtt{cubic.window().cwnd()};
    std::vector<double> w_est_per_rtt{cubic.w_est()};
    for (int rtt = 0; rtt < 80; ++rtt) {
        ack_round(cubic, now, rtt_100ms, 1'000);
        cwnd_per_rtt.push_back(cubic.window().cwnd());
        w_est_per_rtt.push_back(cubic.w_est());
    }
    auto growth = [&](std::size_t rtt) { return cwnd_per_rtt[rtt + 1] - cwnd_per_rtt[rtt]; };
    // K = 4.2 s = about RTT 42. Early the window climbs fast; it slows on the approach to W_max and
    // stays near it (the plateau); past it, it speeds up again.
    EXPECT_GT(growth(1), growth(20));
    EXPECT_GT(growth(20), growth(40));
    EXPECT_LT(growth(40), 100u);
    EXPECT_GT(growth(50), growth(42));
    EXPECT_GT(growth(56), growth(50));
    for (std::size_t rtt = 0; rtt < 40; ++rtt) EXPECT_LT(cwnd_per_rtt[rtt], 100'000u) << rtt;
    for (std::size_t rtt = 44; rtt < cwnd_per_rtt.size(); ++rtt) EXPECT_GT(cwnd_per_rtt[rtt], 100'000u) << rtt;
    // The curve, not W_est, sets the pace through all of that...
    for (std::size_t rtt = 0; rtt <= 56; ++rtt) EXPECT_LT(w_est_per_rtt[rtt], cwnd_per_rtt[rtt]) << rtt;
    // ...until W_est, which grew by alpha_cubic = 0.53 segments per RTT, passes cwnd_prior (100
    // segments, near RTT 57): from there it grows as Reno does, one segment per RTT (4.3), and leads
    // the still-flat convex curve for a while.
    EXPECT_NEAR(cwnd_per_rtt[70], w_est_per_rtt[70], 1);
    EXPECT_NEAR(growth(70), 1'000, 20);
}

TEST(Cubic, Rfc9438_4_2_TargetIsAtMostOneAndAHalfTimesCwnd) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    cubic.on_ack(1'000, 70'000, 0, rtt_100ms);
    // Twenty seconds into the epoch W_cubic(t + RTT) is far above cwnd; a window's worth of ACKs can
    // still grow it by no more than half.
    std::uint64_t now = 20'000'000;
    const std::uint32_t before = cubic.window().cwnd();
    for (int i = 0; i < 70; ++i) cubic.on_ack(1'000, cubic.window().cwnd(), now += 1, rtt_100ms);
    EXPECT_GT(cubic.window().cwnd(), before);
    EXPECT_LE(cubic.window().cwnd(), before * 3 / 2 + 1'000);
}

TEST(Cubic, Rfc9438_4_7_FastConvergence_LowersWmaxWhenALossComesBelowIt) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    cubic.on_enter_recovery(LossRecovery::sack, 70'000);  // at 70 segments, below W_max = 100
    EXPECT_DOUBLE_EQ(cubic.w_max(), 70'000 * (1 + 0.7) / 2);  // 59500
    EXPECT_EQ(cubic.window().ssthresh(), 49'000u);

    Cubic without = cubic_after_loss_at_100_segments(false);
    without.on_enter_recovery(LossRecovery::sack, 70'000);
    EXPECT_DOUBLE_EQ(without.w_max(), 70'000);
}

TEST(Cubic, Rfc9438_4_7_ALossAboveWmax_RemembersTheWindowAtTheLoss) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    std::uint64_t now = 0;
    for (int rtt = 0; rtt < 60; ++rtt) ack_round(cubic, now, rtt_100ms, 1'000);
    const std::uint32_t cwnd = cubic.window().cwnd();
    ASSERT_GT(cwnd, 100'000u);
    cubic.on_enter_recovery(LossRecovery::sack, cwnd);
    EXPECT_DOUBLE_EQ(cubic.w_max(), cwnd);
}

TEST(Cubic, Rfc9438_4_3_RenoFriendlyRegion_DominatesAtSmallRttTimesWindow) {
    // W_max = 20 segments, RTT 1 ms: K = cbrt(20*0.3/0.4) = cbrt(15) = 2.47 s, some 2500 RTTs, while
    // W_est gains alpha_cubic = 3*0.3/1.7 = 0.53 segments every RTT.
    Cubic cubic{1'000};
    while (cubic.window().cwnd() < 20'000) cubic.on_ack(1'000, cubic.window().cwnd(), 0, 1'000);
    cubic.on_enter_recovery(LossRecovery::sack, 20'000);
    cubic.on_exit_recovery(14'000);
    std::uint64_t now = 0;
    std::vector<std::uint32_t> cwnd_per_rtt{cubic.window().cwnd()};
    for (int rtt = 0; rtt < 100; ++rtt) {
        ack_round(cubic, now, 1'000, 1'000);
        cwnd_per_rtt.push_back(cubic.window().cwnd());
    }
    EXPECT_NEAR(cubic.k_seconds(), 2.466, 1e-3);
    EXPECT_LT(cubic.w_cubic(0.1), 15'000);  // the curve has hardly moved in 0.1 s
    EXPECT_NEAR(cubic.window().cwnd(), cubic.w_est(), 1);
    // alpha_cubic until W_est reaches cwnd_prior (20 segments, about 11 RTTs), then 1: Reno's pace.
    EXPECT_NEAR(cwnd_per_rtt[2] - cwnd_per_rtt[1], 529, 60);
    EXPECT_NEAR(cwnd_per_rtt[90] - cwnd_per_rtt[89], 1'000, 60);
    EXPECT_GT(cubic.window().cwnd(), 100'000u);
}

TEST(Cubic, Rfc9438_4_8_Timeout_ReducesByBetaThenStartsTheCurveAtCwndEpochWithKZero) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    std::uint64_t now = 0;
    for (int rtt = 0; rtt < 10; ++rtt) ack_round(cubic, now, rtt_100ms, 1'000);
    const std::uint32_t cwnd = cubic.window().cwnd();
    cubic.on_timeout(cwnd);
    EXPECT_EQ(cubic.window().cwnd(), 1'000u);
    EXPECT_EQ(cubic.window().ssthresh(), cwnd * 7 / 10);
    EXPECT_DOUBLE_EQ(cubic.cwnd_prior(), cwnd);
    while (cubic.window().in_slow_start()) ack_round(cubic, now, rtt_100ms, 1'000);
    ASSERT_TRUE(cubic.in_epoch());
    EXPECT_EQ(cubic.k_seconds(), 0);
    EXPECT_DOUBLE_EQ(cubic.w_max(), cwnd * 7 / 10);  // W_max = cwnd_epoch
}

TEST(Cubic, Rfc9438_5_8_AnApplicationLimitedFlow_DoesNotGrowNorAdvanceTheCurve) {
    Cubic cubic = cubic_after_loss_at_100_segments();
    Cubic busy = cubic_after_loss_at_100_segments();
    std::uint64_t now = 0;
    ack_round(cubic, now, rtt_100ms, 1'000);
    now = 0;
    ack_round(busy, now, rtt_100ms, 1'000);
    ASSERT_EQ(cubic.window().cwnd(), busy.window().cwnd());
    // Ten seconds with little to send: the window stays, and the curve waits.
    const std::uint32_t cwnd = cubic.window().cwnd();
    for (int i = 0; i < 100; ++i) cubic.on_ack(1'000, 10'000, now + 100'000 * static_cast<std::uint64_t>(i), rtt_100ms);
    EXPECT_EQ(cubic.window().cwnd(), cwnd);
    std::uint64_t later = now + 10'000'000;
    ack_round(cubic, later, rtt_100ms, 1'000);
    ack_round(busy, now, rtt_100ms, 1'000);
    EXPECT_NEAR(cubic.window().cwnd(), busy.window().cwnd(), 1'000);
}

TEST(Congestion, CubicThroughTheVariant_BehavesAsCubic) {
    CongestionControl cc{CongestionAlgorithm::cubic, 1'000};
    while (cc.cwnd() < 100'000) cc.on_ack(1'000, cc.cwnd(), 0, rtt_100ms);
    cc.on_enter_recovery(LossRecovery::sack, 100'000);
    EXPECT_EQ(cc.ssthresh(), 70'000u);
    cc.on_exit_recovery(70'000);
    cc.on_ack(1'000, 70'000, 1, rtt_100ms);
    const auto* cubic = std::get_if<Cubic>(&cc.algorithm_state());
    ASSERT_NE(cubic, nullptr);
    EXPECT_NEAR(cubic->k_seconds(), std::cbrt(75.0), 1e-9);
    static_assert(sizeof(CongestionControl) <= 128, "embedded by value in every TCB");
}

}  // namespace
}  // namespace tcpp::tcp
