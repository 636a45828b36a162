#include "tcp/rtt.h"

namespace tcpp::tcp {

void RttEstimator::add_sample(std::uint64_t rtt_us) {
    if (!has_sample_) {
        // RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2.
        srtt_us_ = rtt_us;
        rttvar_us_ = rtt_us / 2;
        has_sample_ = true;
    } else {
        // RFC 6298 2.3, alpha = 1/8 and beta = 1/4, RTTVAR updated first with the old SRTT.
        std::uint64_t deviation = srtt_us_ > rtt_us ? srtt_us_ - rtt_us : rtt_us - srtt_us_;
        rttvar_us_ = (3 * rttvar_us_ + deviation) / 4;
        srtt_us_ = (7 * srtt_us_ + rtt_us) / 8;
    }
    // RTO <- SRTT + max(G, K*RTTVAR), K = 4.
    rto_us_ = srtt_us_ + std::max(limits_.clock_granularity_us, 4 * rttvar_us_);
    backoff_ = 0;
}

std::uint64_t RttEstimator::rto_us() const {
    std::uint64_t rto = std::clamp(rto_us_, limits_.min_us, limits_.max_us);
    for (unsigned i = 0; i < backoff_ && rto < limits_.max_us; ++i) rto *= 2;
    return std::min(rto, limits_.max_us);
}

}  // namespace tcpp::tcp
