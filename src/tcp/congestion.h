#pragma once
// Congestion control: how many bytes a connection may have in flight.
//
// NewReno is RFC 5681's slow start, congestion avoidance and fast retransmit/fast recovery, with RFC
// 3465's byte counting and RFC 6582's partial ACKs. CUBIC (RFC 9438) replaces congestion avoidance and
// the multiplicative decrease, and keeps the rest. Both keep their window in bytes; time is an argument
// in microseconds. Nothing here reads a clock, allocates, or calls a virtual function: a TCB embeds a
// CongestionControl by value, and it dispatches over a std::variant.
//
// The engine decides *when*: it counts duplicate ACKs, keeps RFC 6582's "recover", runs the
// retransmission timer and the SACK scoreboard, and chooses what to (re)send. This decides *how much*.
// The calls an engine makes, per ACK or event:
//
//   new data ACKed, not in recovery         on_ack(acked, flight, now, srtt)
//   3rd duplicate ACK / SACK loss           on_enter_recovery(how, flight)     (once per recovery)
//   each further duplicate ACK (no SACK)    on_duplicate_ack_in_recovery()
//   ACK below "recover"                     on_partial_ack(acked)
//   ACK at or above "recover"               on_exit_recovery(flight)            (flight after the ACK)
//   retransmission timer expired            on_timeout(flight)
//
// A TCB built before the handshake can simply be assigned a new CongestionControl once the MSS is
// known: the initial window (RFC 6928) depends on it. set_mss() is for later changes (PMTU), and keeps
// the window in bytes.

#include <cstdint>
#include <string_view>
#include <variant>

namespace tcpp::tcp {

enum class CongestionAlgorithm : std::uint8_t { new_reno, cubic };

std::string_view to_string(CongestionAlgorithm algorithm);  // "newreno", "cubic"

// How the engine accounts, during fast recovery, for the data that has left the network.
enum class LossRecovery : std::uint8_t {
    // No SACK (RFC 5681 3.2 steps 3-4, RFC 6582): cwnd is inflated by the three segments the duplicate
    // ACKs stand for and by one SMSS per further duplicate ACK, and deflated by partial ACKs.
    duplicate_acks,
    // SACK (RFC 6675): the scoreboard's pipe counts what is in flight, so cwnd is the reduced window
    // itself and is never inflated.
    sack,
};

// RFC 6928 section 2: IW = min(10*MSS, max(2*MSS, 14600)) bytes.
std::uint32_t initial_window(std::uint32_t mss);

// RFC 5681 3.1: the initial ssthresh "SHOULD be set arbitrarily high".
inline constexpr std::uint32_t unlimited_ssthresh = UINT32_MAX;

// The window and threshold RFC 5681 defines, with what both algorithms share: slow start, the
// byte-counted additive increase, and the inflation and deflation of fast recovery.
class RenoWindow {
public:
    explicit RenoWindow(std::uint32_t mss);

    std::uint32_t cwnd() const { return cwnd_; }
    std::uint32_t ssthresh() const { return ssthresh_; }
    std::uint32_t mss() const { return mss_; }
    // RFC 5681 3.1 lets cwnd == ssthresh go either way; like Linux, that is congestion avoidance.
    bool in_slow_start() const { return cwnd_ < ssthresh_; }
    bool in_recovery() const { return in_recovery_; }

    // Whether an ACK that found `flight` bytes outstanding may grow the window. RFC 5681 does not ask;
    // RFC 7661 and RFC 9438 5.8 say a window the sender does not use must not grow. The thresholds are
    // Linux's (tcp_is_cwnd_limited): in slow start at least half the window in use, since slow start
    // would double it; in congestion avoidance, no room left for another full segment.
    bool cwnd_limited(std::uint32_t flight) const;
    // New data was acknowledged: an RTO that follows is a new loss, not a repeated timeout.
    void note_new_ack() { timeout_pending_ = false; }

    // RFC 5681 3.1 eq. 2 with RFC 3465 byte counting: cwnd += min(acked, L), L = 2*SMSS (1*SMSS in the
    // slow start after an RTO), never past ssthresh. Returns the bytes of `acked` left once cwnd reaches
    // ssthresh, for congestion avoidance to count.
    std::uint32_t slow_start(std::uint32_t acked);
    // Stretch ACKs expected: over a link with segmentation offload one ACK covers a whole long segment,
    // many MSS, and L = 2*SMSS would turn slow start's doubling into a crawl. Then L is what the ACK
    // covers, as Linux counts it (every segment acknowledged), except after an RTO.
    void set_stretch_acks(bool on) { stretch_acks_ = on; }
    // An initial window other than RFC 6928's (set before any data is sent).
    void set_initial_window(std::uint32_t bytes) { cwnd_ = std::max<std::uint32_t>(bytes, mss_); }
    // RFC 5681 3.1, byte counting as RFC 3465 2.1 gives it: SMSS more each time a window's worth of
    // bytes has been acknowledged, so about one SMSS per RTT.
    void additive_increase(std::uint32_t acked);
    // Congestion avoidance by some other rule (CUBIC): raise cwnd to `bytes`, never lower it.
    void grow_to(std::uint64_t bytes);

    // RFC 5681 3.2 steps 2-3 with the new ssthresh the algorithm chose.
    void enter_recovery(std::uint32_t ssthresh, LossRecovery how);
    void duplicate_ack();
    void partial_ack(std::uint32_t acked);
    void exit_recovery(std::uint32_t flight);
    // RFC 5681 3.1: cwnd to the loss window, one SMSS. Returns whether ssthresh is to be lowered too:
    // eq. 4 applies only if the segment that timed out has not been retransmitted by the timer
    // already, i.e. not to a timeout repeated before any new data was acknowledged.
    bool timeout();
    void set_ssthresh(std::uint32_t ssthresh) { ssthresh_ = ssthresh; }
    void set_mss(std::uint32_t mss);

private:
    std::uint32_t cwnd_;
    std::uint32_t ssthresh_ = unlimited_ssthresh;
    std::uint32_t mss_;
    std::uint32_t bytes_acked_ = 0;  // RFC 3465 2.1: counted toward the next additive increase
    bool in_recovery_ = false;
    bool inflating_ = false;         // recovering with LossRecovery::duplicate_acks
    bool after_timeout_ = false;     // in the slow start that follows an RTO
    bool timeout_pending_ = false;   // timed out, and no new data acknowledged since
    bool stretch_acks_ = false;      // see set_stretch_acks()
};

// RFC 5681 with RFC 6582.
class NewReno {
public:
    explicit NewReno(std::uint32_t mss) : window_(mss) {}

    void on_ack(std::uint32_t acked, std::uint32_t flight, std::uint64_t now_us, std::uint64_t srtt_us);
    void on_enter_recovery(LossRecovery how, std::uint32_t flight);
    void on_duplicate_ack_in_recovery() { window_.duplicate_ack(); }
    void on_partial_ack(std::uint32_t acked) { window_.partial_ack(acked); }
    void on_exit_recovery(std::uint32_t flight) { window_.exit_recovery(flight); }
    void on_timeout(std::uint32_t flight);
    void set_mss(std::uint32_t mss) { window_.set_mss(mss); }
    void set_stretch_acks(bool on) { window_.set_stretch_acks(on); }
    void set_initial_window(std::uint32_t bytes) { window_.set_initial_window(bytes); }

    const RenoWindow& window() const { return window_; }

private:
    RenoWindow window_;
};

// RFC 9438. Its formulas count segments; W_max, W_est and cwnd are kept in bytes here, so the segment
// terms are scaled by SMSS (RFC 9438 4.1 allows exactly this).
class Cubic {
public:
    static constexpr double c = 0.4;     // RFC 9438 4.1.1, segments / s^3
    static constexpr double beta = 0.7;  // beta_cubic
    static constexpr double alpha = 3 * (1 - beta) / (1 + beta);  // RFC 9438 4.3: about 0.529

    explicit Cubic(std::uint32_t mss, bool fast_convergence = true)
        : window_(mss), fast_convergence_(fast_convergence) {}

    void on_ack(std::uint32_t acked, std::uint32_t flight, std::uint64_t now_us, std::uint64_t srtt_us);
    void on_enter_recovery(LossRecovery how, std::uint32_t flight);
    void on_duplicate_ack_in_recovery() { window_.duplicate_ack(); }
    void on_partial_ack(std::uint32_t acked) { window_.partial_ack(acked); }
    void on_exit_recovery(std::uint32_t flight) { window_.exit_recovery(flight); }
    void on_timeout(std::uint32_t flight);
    void set_mss(std::uint32_t mss);
    void set_stretch_acks(bool on) { window_.set_stretch_acks(on); }
    void set_initial_window(std::uint32_t bytes) { window_.set_initial_window(bytes); }

    const RenoWindow& window() const { return window_; }
    // The curve of the current congestion avoidance epoch, for tests and tracing.
    bool in_epoch() const { return epoch_started_; }
    double w_max() const { return w_max_; }            // bytes
    double k_seconds() const { return k_s_; }
    double w_est() const { return w_est_; }            // bytes
    double cwnd_prior() const { return cwnd_prior_; }  // bytes
    // RFC 9438 figure 1, W_cubic(t) = C*(t-K)^3 + W_max, in bytes, t seconds into the epoch.
    double w_cubic(double t_s) const;

private:
    void start_epoch(std::uint64_t now_us);

    RenoWindow window_;
    bool fast_convergence_;
    bool epoch_started_ = false;
    bool app_limited_ = false;
    std::uint64_t t_epoch_us_ = 0;
    std::uint64_t app_limited_since_us_ = 0;
    double k_s_ = 0;
    double w_max_ = 0;       // 0: no congestion event yet, or a timeout since (RFC 9438 4.8)
    double w_est_ = 0;
    double cwnd_prior_ = 0;  // 0: not set yet
    double increment_ = 0;   // the fraction of a byte of growth not yet added to cwnd
};

class CongestionControl {
public:
    // cwnd = IW (RFC 6928), ssthresh = unlimited_ssthresh.
    CongestionControl(CongestionAlgorithm algorithm, std::uint32_t mss)
        : impl_(make(algorithm, mss)) {}

    // New data acknowledged outside recovery: `acked` bytes newly acknowledged, `flight` bytes
    // outstanding before this ACK (a window the sender leaves unused does not grow), `srtt_us` the
    // smoothed RTT (CUBIC's target looks one RTT ahead).
    void on_ack(std::uint32_t acked, std::uint32_t flight, std::uint64_t now_us, std::uint64_t srtt_us) {
        std::visit([&](auto& cc) { cc.on_ack(acked, flight, now_us, srtt_us); }, impl_);
    }
    // Loss found by the third duplicate ACK or by SACK (RFC 5681 3.2 step 2, RFC 6582 3.2 step 2,
    // RFC 9438 4.6): ssthresh and cwnd reduced. `flight` is what was outstanding when loss was found.
    void on_enter_recovery(LossRecovery how, std::uint32_t flight) {
        std::visit([&](auto& cc) { cc.on_enter_recovery(how, flight); }, impl_);
    }
    // RFC 5681 3.2 step 4: each further duplicate ACK inflates cwnd by SMSS (duplicate_acks only).
    void on_duplicate_ack_in_recovery() {
        std::visit([](auto& cc) { cc.on_duplicate_ack_in_recovery(); }, impl_);
    }
    // RFC 6582 3.2 step 3, partial ACK: deflate by `acked`, add back SMSS if at least SMSS was acked.
    void on_partial_ack(std::uint32_t acked) {
        std::visit([&](auto& cc) { cc.on_partial_ack(acked); }, impl_);
    }
    // RFC 6582 3.2 step 3, full ACK: cwnd = min(ssthresh, max(flight, SMSS) + SMSS), `flight` being
    // what is outstanding after this ACK.
    void on_exit_recovery(std::uint32_t flight) {
        std::visit([&](auto& cc) { cc.on_exit_recovery(flight); }, impl_);
    }
    // RTO: cwnd = 1 SMSS; ssthresh = max(flight/2, 2*SMSS) (RFC 5681 eq. 4), or flight*0.7 for CUBIC
    // (RFC 9438 4.8); ends any recovery.
    void on_timeout(std::uint32_t flight) {
        std::visit([&](auto& cc) { cc.on_timeout(flight); }, impl_);
    }
    void set_mss(std::uint32_t mss) {
        std::visit([&](auto& cc) { cc.set_mss(mss); }, impl_);
    }
    // RenoWindow::set_stretch_acks().
    void set_stretch_acks(bool on) {
        std::visit([&](auto& cc) { cc.set_stretch_acks(on); }, impl_);
    }
    // RenoWindow::set_initial_window().
    void set_initial_window(std::uint32_t bytes) {
        std::visit([&](auto& cc) { cc.set_initial_window(bytes); }, impl_);
    }

    std::uint32_t cwnd() const { return window().cwnd(); }
    std::uint32_t ssthresh() const { return window().ssthresh(); }
    std::uint32_t mss() const { return window().mss(); }
    bool in_slow_start() const { return window().in_slow_start(); }
    bool in_recovery() const { return window().in_recovery(); }
    CongestionAlgorithm algorithm() const {
        return std::holds_alternative<Cubic>(impl_) ? CongestionAlgorithm::cubic : CongestionAlgorithm::new_reno;
    }
    const std::variant<NewReno, Cubic>& algorithm_state() const { return impl_; }

private:
    static std::variant<NewReno, Cubic> make(CongestionAlgorithm algorithm, std::uint32_t mss);
    const RenoWindow& window() const {
        return std::visit([](const auto& cc) -> const RenoWindow& { return cc.window(); }, impl_);
    }

    std::variant<NewReno, Cubic> impl_;
};

}  // namespace tcpp::tcp
