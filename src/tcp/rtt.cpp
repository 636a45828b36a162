#include "tcp/rtt.h"

namespace tcpp::tcp {

void RttEstimator::add_sample(std::uint64_t sample_us) {
    const std::uint32_t rtt_us = narrow(sample_us);
    if (!has_sample_) {
        // RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2.
        srtt_us_ = rtt_us;
        rttvar_us_ = rtt_us / 2;
        has_sample_ = true;
    } else {
        // RFC 6298 2.3, alpha = 1/8 and beta = 1/4, RTTVAR updated first with the old SRTT.
        const std::uint64_t deviation = srtt_us_ > rtt_us ? srtt_us_ - rtt_us : rtt_us - srtt_us_;
        rttvar_us_ = narrow((3 * std::uint64_t{rttvar_us_} + deviation) / 4);
        srtt_us_ = narrow((7 * std::uint64_t{srtt_us_} + rtt_us) / 8);
    }
    // RTO <- SRTT + max(G, K*RTTVAR), K = 4.
    rto_us_ = narrow(std::uint64_t{srtt_us_} + std::max<std::uint64_t>(granularity_us_, 4 * std::uint64_t{rttvar_us_}));
    backoff_ = 0;
}

std::uint64_t RttEstimator::rto_us() const {
    std::uint64_t rto = std::clamp(rto_us_, min_us_, max_us_);
    for (unsigned i = 0; i < backoff_ && rto < max_us_; ++i) rto *= 2;
    return std::min<std::uint64_t>(rto, max_us_);
}

}  // namespace tcpp::tcp
