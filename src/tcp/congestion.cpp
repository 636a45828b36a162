#include "tcp/congestion.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tcpp::tcp {

namespace {

constexpr std::uint32_t max_bytes = std::numeric_limits<std::uint32_t>::max();

std::uint32_t saturate(std::uint64_t bytes) { return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, max_bytes)); }

std::uint32_t to_bytes(double bytes) {
    if (!(bytes > 0)) return 0;
    if (bytes >= static_cast<double>(max_bytes)) return max_bytes;
    return static_cast<std::uint32_t>(bytes);
}

double seconds(std::uint64_t us) { return static_cast<double>(us) / 1e6; }

}  // namespace

std::string_view to_string(CongestionAlgorithm algorithm) {
    switch (algorithm) {
        case CongestionAlgorithm::new_reno: return "newreno";
        case CongestionAlgorithm::cubic: return "cubic";
    }
    return "unknown";
}

std::uint32_t initial_window(std::uint32_t mss) {
    const std::uint64_t smss = mss;
    return saturate(std::min<std::uint64_t>(10 * smss, std::max<std::uint64_t>(2 * smss, 14'600)));
}

// --- RenoWindow -------------------------------------------------------------------------------------

RenoWindow::RenoWindow(std::uint32_t mss) : mss_(std::max<std::uint32_t>(mss, 1)) {
    cwnd_ = initial_window(mss_);
}

bool RenoWindow::cwnd_limited(std::uint32_t flight) const {
    if (in_slow_start()) return 2 * std::uint64_t{flight} > cwnd_;
    return std::uint64_t{flight} + mss_ > cwnd_;
}

std::uint32_t RenoWindow::slow_start(std::uint32_t acked) {
    // RFC 3465 2.3: L = 2*SMSS, except in the slow start after a retransmission timeout, where ACKs can
    // cover data the receiver held before the timeout and L = 1*SMSS. Either way cwnd stops at
    // ssthresh (as Linux's tcp_slow_start does), and the rest of the ACK counts toward congestion
    // avoidance.
    const std::uint64_t limit = after_timeout_  ? std::uint64_t{mss_}
                                : stretch_acks_ ? std::uint64_t{acked}
                                                : 2 * std::uint64_t{mss_};
    const std::uint32_t room = ssthresh_ - cwnd_;  // cwnd_ < ssthresh_ in slow start
    cwnd_ += static_cast<std::uint32_t>(std::min<std::uint64_t>({acked, limit, room}));
    if (cwnd_ < ssthresh_) return 0;
    after_timeout_ = false;
    return acked > room ? acked - room : 0;
}

void RenoWindow::additive_increase(std::uint32_t acked) {
    // RFC 3465 2.1: count the bytes acknowledged; each time they reach cwnd, take cwnd off the count and
    // add SMSS. RFC 5681 3.1 recommends this over eq. 3 (SMSS*SMSS/cwnd per ACK), which rounds badly.
    bytes_acked_ = saturate(std::uint64_t{bytes_acked_} + acked);
    if (bytes_acked_ >= cwnd_) {
        bytes_acked_ -= cwnd_;
        cwnd_ = saturate(std::uint64_t{cwnd_} + mss_);
    }
}

void RenoWindow::grow_to(std::uint64_t bytes) { cwnd_ = std::max(cwnd_, saturate(bytes)); }

void RenoWindow::enter_recovery(std::uint32_t ssthresh, LossRecovery how) {
    ssthresh_ = ssthresh;
    in_recovery_ = true;
    inflating_ = how == LossRecovery::duplicate_acks;
    bytes_acked_ = 0;
    after_timeout_ = false;
    timeout_pending_ = false;
    // RFC 5681 3.2 step 3: cwnd = ssthresh + 3*SMSS, the three segments that left the network and
    // produced the duplicate ACKs. With SACK the pipe counts them instead (RFC 6675 5 step 4.2).
    cwnd_ = inflating_ ? saturate(std::uint64_t{ssthresh} + 3 * std::uint64_t{mss_}) : ssthresh;
}

void RenoWindow::duplicate_ack() {
    // RFC 5681 3.2 step 4.
    if (in_recovery_ && inflating_) cwnd_ = saturate(std::uint64_t{cwnd_} + mss_);
}

void RenoWindow::partial_ack(std::uint32_t acked) {
    // RFC 6582 3.2 step 3: deflate by the data the partial ACK covers, add SMSS back if it covers at
    // least SMSS, so that about ssthresh stays outstanding when recovery ends. Deflation undoes
    // inflation, so with SACK (never inflated) there is nothing to do. Never below one SMSS: the engine
    // must still be able to retransmit.
    if (!in_recovery_ || !inflating_) return;
    cwnd_ = cwnd_ > acked ? cwnd_ - acked : 0;
    if (acked >= mss_) cwnd_ = saturate(std::uint64_t{cwnd_} + mss_);
    cwnd_ = std::max(cwnd_, mss_);
}

void RenoWindow::exit_recovery(std::uint32_t flight) {
    // RFC 6582 3.2 step 3, full ACK, option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS). Option (2),
    // ssthresh, would need burst mitigation when little is outstanding; (1) cannot burst.
    if (!in_recovery_) return;
    cwnd_ = std::min<std::uint32_t>(ssthresh_, saturate(std::uint64_t{std::max(flight, mss_)} + mss_));
    in_recovery_ = false;
    inflating_ = false;
    bytes_acked_ = 0;
}

bool RenoWindow::timeout() {
    const bool first = !timeout_pending_;
    timeout_pending_ = true;
    in_recovery_ = false;
    inflating_ = false;
    bytes_acked_ = 0;
    after_timeout_ = true;
    cwnd_ = mss_;  // RFC 5681 3.1: the loss window, LW = 1 full-sized segment
    return first;
}

void RenoWindow::set_mss(std::uint32_t mss) {
    mss_ = std::max<std::uint32_t>(mss, 1);
    cwnd_ = std::max(cwnd_, mss_);
    if (ssthresh_ != unlimited_ssthresh) ssthresh_ = std::max(ssthresh_, saturate(2 * std::uint64_t{mss_}));
}

// --- NewReno ----------------------------------------------------------------------------------------

namespace {

// RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS).
std::uint32_t halved(std::uint32_t flight, std::uint32_t mss) {
    return saturate(std::max<std::uint64_t>(flight / 2, 2 * std::uint64_t{mss}));
}

// RFC 9438 4.6 figure 5: ssthresh = flight_size * beta_cubic, at least 2 segments (beta = 0.7, in
// integers so that 100000 bytes give exactly 70000).
std::uint32_t cubic_reduced(std::uint32_t flight, std::uint32_t mss) {
    static_assert(Cubic::beta == 0.7);
    return saturate(std::max<std::uint64_t>(std::uint64_t{flight} * 7 / 10, 2 * std::uint64_t{mss}));
}

}  // namespace

void NewReno::on_ack(std::uint32_t acked, std::uint32_t flight, std::uint64_t /*now_us*/,
                     std::uint64_t /*srtt_us*/) {
    if (window_.in_recovery() || acked == 0) return;
    window_.note_new_ack();
    if (!window_.cwnd_limited(flight)) return;
    if (window_.in_slow_start()) {
        acked = window_.slow_start(acked);
        if (acked == 0) return;
    }
    window_.additive_increase(acked);
}

void NewReno::on_enter_recovery(LossRecovery how, std::uint32_t flight) {
    // Once per loss event: RFC 6582's "recover" (the engine's) keeps a second one from starting.
    if (window_.in_recovery()) return;
    window_.enter_recovery(halved(flight, window_.mss()), how);
}

void NewReno::on_timeout(std::uint32_t flight) {
    if (window_.timeout()) window_.set_ssthresh(halved(flight, window_.mss()));
}

// --- Cubic ------------------------------------------------------------------------------------------

double Cubic::w_cubic(double t_s) const {
    const double d = t_s - k_s_;
    return w_max_ + c * d * d * d * window_.mss();
}

void Cubic::start_epoch(std::uint64_t now_us) {
    // RFC 9438 4.2: t counts from the start of this congestion avoidance stage, and figure 2 puts the
    // plateau K seconds later, K = cubic_root((W_max - cwnd_epoch)/C). After a reduction to
    // beta*W_max that is cubic_root(W_max*(1-beta)/C).
    epoch_started_ = true;
    t_epoch_us_ = now_us;
    increment_ = 0;
    const double cwnd_epoch = window_.cwnd();
    if (w_max_ > cwnd_epoch) {
        k_s_ = std::cbrt((w_max_ - cwnd_epoch) / window_.mss() / c);
    } else {
        // No W_max above us: after a timeout RFC 9438 4.8 sets W_max = cwnd_epoch and K = 0; with no
        // congestion event yet, or after app-limited growth past W_max, Linux does the same (its
        // bic_origin_point is cwnd). The curve starts at its plateau and turns convex.
        k_s_ = 0;
        w_max_ = cwnd_epoch;
    }
    // RFC 9438 4.3: W_est starts at cwnd_epoch. 4.1.2: cwnd_prior is also set on exiting the first
    // slow start, when no congestion event has set it.
    w_est_ = cwnd_epoch;
    if (cwnd_prior_ == 0) cwnd_prior_ = cwnd_epoch;
}

void Cubic::on_ack(std::uint32_t acked, std::uint32_t flight, std::uint64_t now_us, std::uint64_t srtt_us) {
    if (window_.in_recovery() || acked == 0) return;
    window_.note_new_ack();
    if (!window_.cwnd_limited(flight)) {
        // RFC 9438 5.8: an application-limited flow does not grow cwnd, and t may leave such periods
        // out. Like Linux (which shifts epoch_start by idle time), the epoch is moved forward by the
        // time spent app-limited, so the curve resumes where it left off.
        if (epoch_started_ && !app_limited_) {
            app_limited_ = true;
            app_limited_since_us_ = now_us;
        }
        return;
    }
    if (app_limited_) {
        app_limited_ = false;
        if (epoch_started_ && now_us > app_limited_since_us_) t_epoch_us_ += now_us - app_limited_since_us_;
    }
    if (window_.in_slow_start()) {
        acked = window_.slow_start(acked);
        if (acked == 0) return;
    }
    if (!epoch_started_) start_epoch(now_us);

    const double mss = window_.mss();
    const double cwnd = window_.cwnd();
    const double t = now_us > t_epoch_us_ ? seconds(now_us - t_epoch_us_) : 0.0;

    // RFC 9438 4.3 figure 4: W_est += alpha_cubic * segments_acked / cwnd, in bytes; alpha_cubic
    // becomes 1 once W_est reaches cwnd_prior. Where W_cubic(t) < W_est the flow is in the Reno-friendly
    // region and cwnd SHOULD be W_est (never lowered here: cwnd follows W_cubic(t + RTT), so it can be
    // ahead of W_est even then).
    w_est_ += (w_est_ >= cwnd_prior_ ? 1.0 : alpha) * acked / cwnd * mss;
    if (w_cubic(t) < w_est_) {
        window_.grow_to(to_bytes(w_est_));
        return;
    }

    // RFC 9438 4.2: target = W_cubic(t + RTT) within [cwnd, 1.5*cwnd]; 4.4 (concave) and 4.5 (convex):
    // cwnd += (target - cwnd)/cwnd per segment acknowledged, which in bytes is
    // (target - cwnd) * acked / cwnd. Fractions of a byte accumulate.
    const double target = std::clamp(w_cubic(t + seconds(srtt_us)), cwnd, 1.5 * cwnd);
    increment_ += (target - cwnd) * acked / cwnd;
    if (increment_ >= 1) {
        const double whole = std::floor(increment_);
        increment_ -= whole;
        window_.grow_to(to_bytes(cwnd + whole));
    }
}

void Cubic::on_enter_recovery(LossRecovery how, std::uint32_t flight) {
    if (window_.in_recovery()) return;
    const double cwnd = window_.cwnd();
    // RFC 9438 4.7, before the reduction: a loss below the previous W_max means a competing flow took
    // bandwidth; release some by remembering a lower plateau, W_max = cwnd * (1 + beta) / 2.
    w_max_ = fast_convergence_ && cwnd < w_max_ ? cwnd * (1 + beta) / 2 : cwnd;
    cwnd_prior_ = cwnd;
    epoch_started_ = false;
    app_limited_ = false;
    // RFC 9438 4.6: ssthresh = flight_size * beta_cubic, cwnd = max(ssthresh, 2 SMSS) (and RFC 5681's
    // inflation when recovering without SACK: CUBIC leaves fast recovery itself alone).
    window_.enter_recovery(cubic_reduced(flight, window_.mss()), how);
}

void Cubic::on_timeout(std::uint32_t flight) {
    const double cwnd = window_.cwnd();
    if (window_.timeout()) {
        // RFC 9438 4.8: cwnd as Reno (the loss window), ssthresh by beta_cubic as in 4.6.
        window_.set_ssthresh(cubic_reduced(flight, window_.mss()));
        cwnd_prior_ = cwnd;
    }
    // RFC 9438 4.8: the first congestion avoidance after a timeout uses K = 0 and W_max = cwnd_epoch
    // (start_epoch does both when W_max is 0), and W_est = cwnd_epoch.
    w_max_ = 0;
    epoch_started_ = false;
    app_limited_ = false;
}

void Cubic::set_mss(std::uint32_t mss) {
    window_.set_mss(mss);
    epoch_started_ = false;  // K was computed in segments of the old size
}

// --- CongestionControl ------------------------------------------------------------------------------

std::variant<NewReno, Cubic> CongestionControl::make(CongestionAlgorithm algorithm, std::uint32_t mss) {
    if (algorithm == CongestionAlgorithm::cubic) return Cubic{mss};
    return NewReno{mss};
}

}  // namespace tcpp::tcp
