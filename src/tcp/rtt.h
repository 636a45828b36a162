#pragma once
// The retransmission timeout per RFC 6298: smoothed RTT and its variation from measurements, the RTO
// computed from them within limits, and exponential backoff. Karn's rule (never measure a retransmitted
// segment) is the caller's to keep: it decides what to measure.

#include <algorithm>
#include <cstdint>

namespace tcpp::tcp {

// Durations in microseconds. The defaults are Linux's: RFC 6298 2.4 asks for a 1 s minimum but allows
// less, and Linux's 200 ms is what peers (and packetdrill scripts) expect.
struct RtoLimits {
    std::uint64_t initial_us = 1'000'000;  // RFC 6298 2.1
    std::uint64_t min_us = 200'000;
    std::uint64_t max_us = 120'000'000;    // RFC 6298 2.5: at least 60 s
    std::uint64_t clock_granularity_us = 1'000;  // G
};

class RttEstimator {
public:
    explicit RttEstimator(RtoLimits limits = {}) : limits_(limits), rto_us_(limits.initial_us) {}

    // A new measurement (RFC 6298 2.2 for the first, 2.3 after). Clears the backoff (5.7 leaves the
    // backed-off RTO in place until a new sample arrives; this is that sample).
    void add_sample(std::uint64_t rtt_us);
    // Section 5.5: the timer expired; double the RTO, up to the maximum.
    void back_off() { backoff_ = std::min<unsigned>(backoff_ + 1, 31); }
    void reset_backoff() { backoff_ = 0; }

    bool has_sample() const { return has_sample_; }
    std::uint64_t srtt_us() const { return srtt_us_; }
    std::uint64_t rttvar_us() const { return rttvar_us_; }
    unsigned backoff() const { return backoff_; }
    // The RTO to arm now: the computed RTO, backed off, within [min, max].
    std::uint64_t rto_us() const;

private:
    RtoLimits limits_;
    bool has_sample_ = false;
    std::uint64_t srtt_us_ = 0;
    std::uint64_t rttvar_us_ = 0;
    std::uint64_t rto_us_;  // before backoff
    unsigned backoff_ = 0;
};

}  // namespace tcpp::tcp
