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

// Kept in 32-bit microseconds (every connection has one): times up to 71 minutes, far beyond any RTO.
class RttEstimator {
public:
    explicit RttEstimator(RtoLimits limits = {})
        : min_us_(narrow(limits.min_us)),
          max_us_(narrow(limits.max_us)),
          granularity_us_(narrow(limits.clock_granularity_us)),
          rto_us_(narrow(limits.initial_us)) {}

    // A new measurement (RFC 6298 2.2 for the first, 2.3 after). Clears the backoff (5.7 leaves the
    // backed-off RTO in place until a new sample arrives; this is that sample).
    void add_sample(std::uint64_t rtt_us);
    // Section 5.5: the timer expired; double the RTO, up to the maximum.
    void back_off() { backoff_ = static_cast<std::uint8_t>(std::min<unsigned>(backoff_ + 1u, 31)); }
    void reset_backoff() { backoff_ = 0; }

    bool has_sample() const { return has_sample_; }
    std::uint64_t srtt_us() const { return srtt_us_; }
    std::uint64_t rttvar_us() const { return rttvar_us_; }
    unsigned backoff() const { return backoff_; }
    // The RTO to arm now: the computed RTO, backed off, within [min, max].
    std::uint64_t rto_us() const;

private:
    static std::uint32_t narrow(std::uint64_t us) { return static_cast<std::uint32_t>(std::min<std::uint64_t>(us, UINT32_MAX)); }

    std::uint32_t min_us_;
    std::uint32_t max_us_;
    std::uint32_t granularity_us_;
    std::uint32_t srtt_us_ = 0;
    std::uint32_t rttvar_us_ = 0;
    std::uint32_t rto_us_;  // before backoff
    std::uint8_t backoff_ = 0;
    bool has_sample_ = false;
};

}  // namespace tcpp::tcp
