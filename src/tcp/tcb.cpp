#include "tcp/tcb.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace tcpp::tcp {
namespace {

using wire::Seq;
using wire::TcpFlags;

std::error_code errno_code(std::errc value) { return std::make_error_code(value); }

// RFC 7323 2.3: the smallest shift that lets the window field say the whole buffer, 14 at most.
std::uint8_t window_shift_for(std::size_t buffer) {
    std::uint8_t shift = 0;
    while (shift < 14 && (buffer >> shift) > 0xffff) ++shift;
    return shift;
}

// The shift we offer: enough for the largest buffer the connection may grow to, but no more than leaves
// its receive buffer at least 2 units, or a small buffer would round to a zero window for ever.
std::uint8_t offered_window_shift(std::size_t max_receive_buffer, std::size_t receive_buffer) {
    std::uint8_t shift = window_shift_for(max_receive_buffer);
    while (shift > 0 && (receive_buffer >> shift) < 2) --shift;
    return shift;
}

}  // namespace

// At the end of every event (user call, segment, timer): give the Flow back if the connection fell idle.
struct Tcb::IdleCheck {
    Tcb& tcb;
    ~IdleCheck() { tcb.release_flow_if_idle(); }
};

bool StoredOptions::representable(const ConnectionOptions& o) {
    return o.msl_us <= UINT32_MAX && 2 * o.msl_us / 1000 <= TimeWaitState::max_duration_ms &&
           o.linger.timeout_us <= UINT32_MAX && o.send_buffer <= UINT32_MAX / 2 &&
           o.receive_buffer <= UINT32_MAX / 2 && o.keepalive_idle_us % 1000 == 0 &&
           o.keepalive_idle_us / 1000 <= UINT32_MAX && o.keepalive_interval_us % 1000 == 0 &&
           o.keepalive_interval_us / 1000 <= UINT32_MAX && o.keepalive_probes <= 255 &&
           // Zero would probe without end, or give up at once (Linux refuses these too).
           o.keepalive_idle_us >= 1000 && o.keepalive_interval_us >= 1000 && o.keepalive_probes >= 1 &&
           o.user_timeout_us % 1000 == 0 && o.user_timeout_us / 1000 <= UINT32_MAX;
}

StoredOptions StoredOptions::from(const ConnectionOptions& o) {
    auto narrow = [](std::uint64_t v, std::uint64_t most) { return static_cast<std::uint32_t>(std::min(v, most)); };
    StoredOptions s;
    s.msl_us = narrow(o.msl_us, UINT32_MAX);
    s.linger_us = narrow(o.linger.timeout_us, UINT32_MAX);
    s.send_buffer = narrow(o.send_buffer, UINT32_MAX / 2);
    s.receive_buffer = narrow(o.receive_buffer, UINT32_MAX / 2);
    s.keepalive_idle_ms = narrow(o.keepalive_idle_us / 1000, UINT32_MAX);
    s.keepalive_interval_ms = narrow(o.keepalive_interval_us / 1000, UINT32_MAX);
    s.keepalive_probes = static_cast<std::uint8_t>(std::min(o.keepalive_probes, 255u));
    s.user_timeout_ms = narrow(o.user_timeout_us / 1000, UINT32_MAX);
    s.linger_on = o.linger.on;
    s.nodelay = o.nodelay;
    s.keepalive = o.keepalive;
    return s;
}

ConnectionOptions StoredOptions::expand() const {
    ConnectionOptions o;
    o.linger = {linger_on, linger_us};
    o.msl_us = msl_us;
    o.send_buffer = send_buffer;
    o.receive_buffer = receive_buffer;
    o.nodelay = nodelay;
    o.keepalive = keepalive;
    o.keepalive_idle_us = keepalive_idle_us();
    o.keepalive_interval_us = keepalive_interval_us();
    o.keepalive_probes = keepalive_probes;
    o.user_timeout_us = std::uint64_t{user_timeout_ms} * 1000;
    return o;
}

Tcb::Tcb(TcbHost& host, const FourTuple& tuple, const ConnectionOptions& options)
    : host_(host),
      tuple_(tuple),
      options_(StoredOptions::from(options)),
      rtt_(host.config().rto),
      congestion_(host.config().congestion, host.config().mss) {}

Tcb::~Tcb() {
    if (flow_ != nullptr) {
        flow_->send_buffer.release_storage();
        flow_->receive_buffer.release_storage();
        host_.timers().cancel(flow_->delayed_ack_timer);
        host_.release_flow(flow_);
    }
    if (scoreboard_ != nullptr) host_.release_scoreboard(scoreboard_);
    if (out_of_order_ != nullptr) host_.release_out_of_order(out_of_order_);
}

// ---------------------------------------------------------------------------------------------------------
// State changes

void Tcb::set_state(State next) {
    State previous = state_;
    if (previous == next) return;
    state_ = next;
    Counters& counters = host_.counters();
    auto counts_as_established = [](State s) { return s == State::established || s == State::close_wait; };
    if (counts_as_established(next) && !counts_as_established(previous)) ++counters.CurrEstab;
    if (counts_as_established(previous) && !counts_as_established(next)) --counters.CurrEstab;
    if (next == State::closed) {
        if (previous == State::syn_sent || previous == State::syn_received) ++counters.AttemptFails;
        if (counts_as_established(previous)) ++counters.EstabResets;  // as Linux counts it
    }
    if (options_.keepalive) arm_keepalive();
    host_.state_changed(*this, previous, next);
}

void Tcb::enter_closed(std::error_code error) {
    if (error && error_ == 0) error_ = error.value();  // errno values, all in the generic category
    ack_pending_ = false;
    host_.timers().cancel(retransmission_timer_);
    host_.timers().cancel(user_timer_);
    if (flow_ != nullptr) host_.timers().cancel(flow_->delayed_ack_timer);
    if (scoreboard_ != nullptr) {
        host_.release_scoreboard(scoreboard_);
        scoreboard_ = nullptr;
    }
    if (out_of_order_ != nullptr) {
        host_.release_out_of_order(out_of_order_);
        out_of_order_ = nullptr;
    }
    set_state(State::closed);
}

void Tcb::enter_time_wait() {
    host_.timers().cancel(retransmission_timer_);
    set_state(State::time_wait);
    // RFC 9293 3.10.7.4 step eight: start the time-wait timer (2*MSL).
    host_.timers().arm(retransmission_timer_, host_.now_us() + 2 * std::uint64_t{options_.msl_us});
}

// ---------------------------------------------------------------------------------------------------------
// Opening

void Tcb::open_active(Seq iss) {
    assert(state_ == State::closed);
    iss_ = snd_una_ = snd_nxt_ = snd_max_ = iss;
    ts_offset_ = iss.raw();  // RFC 7323 5.4: a per-connection offset, from the keyed hash of the ISN
    recover_ = iss;          // RFC 6582 3.2
    ++host_.counters().ActiveOpens;
    set_state(State::syn_sent);
    send_syn();
}

void Tcb::open_passive(const wire::TcpSegment& syn, Seq iss) {
    assert(state_ == State::closed);
    passive_ = true;
    last_received_us_ = host_.now_us();
    irs_ = syn.seq;
    rcv_nxt_ = syn.seq + 1;
    iss_ = snd_una_ = snd_nxt_ = snd_max_ = iss;
    ts_offset_ = iss.raw();
    recover_ = iss;
    take_syn_options(syn.options);
    // RFC 9293 3.10.7.2: the SYN's window is the first send window; wl1/wl2 so the first ACK updates it.
    snd_wnd_ = max_snd_wnd_ = syn.window;
    snd_wl1_ = syn.seq;
    snd_wl2_ = iss;
    ++host_.counters().PassiveOpens;
    set_state(State::syn_received);
    send_syn();
}

void Tcb::send_syn() {
    std::uint8_t flags = TcpFlags::syn | (state_ == State::syn_received ? TcpFlags::ack : 0);
    bool retransmission = snd_max_ != iss_;
    transmit(iss_, flags, 0, 0, true);
    if (retransmission) {
        ++host_.counters().RetransSegs;
        ++total_retransmits_;
    } else {
        rtt_timing_ = true;
        flow().rtt_seq = iss_;
        flow_->rtt_sent_us = host_.now_us();
    }
    snd_nxt_ = iss_ + 1;
    if (snd_max_ < snd_nxt_) snd_max_ = snd_nxt_;
    arm_retransmission();
}

// ---------------------------------------------------------------------------------------------------------
// User calls

std::size_t Tcb::send(wire::Bytes data, std::error_code& error) {
    const IdleCheck idle_check{*this};
    error.clear();
    if (error_ != 0) {
        error = this->error();
        return 0;
    }
    switch (state_) {
    case State::closed:
    case State::listen: error = errno_code(std::errc::not_connected); return 0;
    case State::syn_sent:
    case State::syn_received:
    case State::established:
    case State::close_wait: break;
    default: error = errno_code(std::errc::broken_pipe); return 0;
    }
    if (fin_queued_) {
        error = errno_code(std::errc::broken_pipe);
        return 0;
    }
    std::size_t queued = data.empty() ? 0 : flow().send_buffer.push(data);
    if (queued == 0 && !data.empty()) error = errno_code(std::errc::resource_unavailable_try_again);
    output();
    return queued;
}

std::size_t Tcb::receive(wire::MutableBytes out, std::error_code& error) {
    const IdleCheck idle_check{*this};
    error.clear();
    if (receive_queued() != 0) {
        ByteRing& receive_buffer = flow_->receive_buffer;
        std::size_t n = std::min(out.size(), receive_buffer.size());
        std::uint32_t window_before = rcv_wnd();
        receive_buffer.copy_out(0, out.first(n));
        receive_buffer.consume(n);
        receive_queued_ -= static_cast<std::uint32_t>(n);
        // Drained: the buffer goes back to the pool, unless bytes are held ahead of RCV.NXT.
        if (receive_buffer.empty() && out_of_order_ == nullptr) receive_buffer.release();
        // RFC 9293 3.8.6.2.2 (receiver-side SWS avoidance): announce the opened window once it has grown
        // by a full segment or half the buffer, whichever is less.
        std::size_t threshold = std::max<std::size_t>(1, std::min<std::size_t>(effective_mss(), std::size_t{options_.receive_buffer} / 2));
        if (is_synchronized(state_) && state_ != State::time_wait && !fin_received_ &&
            static_cast<std::size_t>(rcv_wnd() - window_before) >= threshold && window_before < threshold) {
            send_ack();
        }
        return n;
    }
    return nothing_to_receive(error);
}

// Nothing buffered to read: 0 at the end of the stream, else the error, or EAGAIN while more may come.
std::size_t Tcb::nothing_to_receive(std::error_code& error) const {
    if (fin_received_) return 0;
    if (error_ != 0) {
        error = this->error();
        return 0;
    }
    error = state_ == State::closed ? errno_code(std::errc::not_connected)
                                    : errno_code(std::errc::resource_unavailable_try_again);
    return 0;
}

std::size_t Tcb::peek(wire::MutableBytes out, std::error_code& error) const {
    error.clear();
    if (receive_queued() != 0) {
        const std::size_t n = std::min(out.size(), flow_->receive_buffer.size());
        flow_->receive_buffer.copy_out(0, out.first(n));
        return n;
    }
    return nothing_to_receive(error);
}

std::error_code Tcb::shutdown_write() {
    const IdleCheck idle_check{*this};
    if (error_ != 0) return this->error();
    switch (state_) {
    case State::syn_received:
    case State::established:
    case State::close_wait: break;
    case State::closed:
    case State::listen:
    case State::syn_sent: return errno_code(std::errc::not_connected);
    default: return {};  // already sending or sent our FIN
    }
    fin_queued_ = true;
    fin_seq_ = send_buffer_seq() + static_cast<std::uint32_t>(send_queued());
    set_state(state_ == State::close_wait ? State::last_ack : State::fin_wait_1);
    output();
    return {};
}

void Tcb::close() {
    const IdleCheck idle_check{*this};
    user_closed_ = true;
    // RFC 2525 2.17: closing with data the user never read loses it; tell the peer with a reset. Checked
    // before linger {on, 0}, as Linux's tcp_close does, so such a close counts as TCPAbortOnClose.
    // Not in TIME_WAIT: both sides have closed, nothing is left to reset, and a reset would cut TIME_WAIT
    // short (Linux's socket is CLOSED by then, its TIME_WAIT kept apart, and tcp_close sends nothing).
    if (receive_queued() != 0 && is_synchronized(state_) && state_ != State::time_wait) {
        ++host_.counters().TCPAbortOnClose;
        send_reset_and_close();
        return;
    }
    if (options_.linger_on && options_.linger_us == 0) {
        ++host_.counters().TCPAbortOnData;  // Linux's name for an abort by linger {on, 0}
        abort();
        return;
    }
    switch (state_) {
    case State::syn_sent: enter_closed({}); return;  // 3.10.4: delete the TCB, no segment
    case State::syn_received:
    case State::established:
    case State::close_wait:
        (void)shutdown_write();
        break;
    case State::fin_wait_2: arm_fin_timeout(); break;  // half closed before: now an orphan
    default: break;  // CLOSED, or closing already
    }
    host_.timers().cancel(user_timer_);  // keepalive ends with close()
    if (options_.linger_on && !close_complete()) {
        user_timer_.kind = TimerKind::linger;
        host_.timers().arm(user_timer_, host_.now_us() + options_.linger_us);
    }
}

void Tcb::abort() {
    const IdleCheck idle_check{*this};
    user_closed_ = true;
    switch (state_) {
    case State::syn_received:
    case State::established:
    case State::fin_wait_1:
    case State::fin_wait_2:
    case State::close_wait: send_reset_and_close(); return;
    default: enter_closed({}); return;
    }
}

void Tcb::send_reset_and_close() {
    // Linux's reset on abort carries an ACK too: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>.
    transmit(snd_max_, TcpFlags::rst | TcpFlags::ack);
    enter_closed({});
}

std::error_code Tcb::set_options(const ConnectionOptions& options) {
    const IdleCheck idle_check{*this};
    if (options.send_buffer == 0 || options.receive_buffer == 0 || !StoredOptions::representable(options)) {
        return errno_code(std::errc::invalid_argument);
    }
    // Against the sizes as set (the receive ring also holds the slack of scaled windows). A receive buffer
    // with bytes held beyond a hole is busy, though nothing in it can be read yet.
    const bool send_changes = options.send_buffer != options_.send_buffer;
    const bool receive_changes = options.receive_buffer != options_.receive_buffer;
    if ((send_changes && send_queued() != 0) ||
        (receive_changes && (receive_queued() != 0 || out_of_order_ != nullptr))) {
        return errno_code(std::errc::device_or_resource_busy);
    }
    if (send_changes && flow_ != nullptr) flow_->send_buffer.set_capacity(options.send_buffer);
    if (receive_changes && flow_ != nullptr) {
        flow_->receive_buffer.set_capacity(options.receive_buffer + (window_scaling_ ? window_slack() : 0));
    }
    const bool keepalive_changes = options.keepalive != options_.keepalive ||
                                   options.keepalive_idle_us != options_.keepalive_idle_us();
    options_ = StoredOptions::from(options);
    if (keepalive_changes) {
        keepalive_probes_sent_ = 0;
        arm_keepalive();
    }
    return {};
}

bool Tcb::readable() const { return receive_queued() != 0 || fin_received_ || error_ != 0; }

bool Tcb::writable() const {
    if (error_ != 0) return true;
    bool can_send = state_ == State::established || state_ == State::close_wait;
    return can_send && !fin_queued_ && send_queued() < options_.send_buffer;
}

bool Tcb::close_complete() const {
    return state_ == State::closed || state_ == State::time_wait || state_ == State::fin_wait_2 || fin_acked();
}

std::size_t Tcb::window_space() const {
    const std::size_t free = receive_free();
    const std::size_t slack = window_scaling_ ? window_slack() : 0;
    return free > slack ? free - slack : 0;
}

// RFC 7323 2.3: the window, in units of 2^Rcv.Wind.Shift. RFC 9293 3.8.6.2.2 (and RFC 1122 4.2.2.16):
// the right edge should not move left, though rounding the shrinking free space down to the scale's units
// would move it; then the window is rounded up instead, into the slack the buffer keeps for it. Rounding
// up again and again would push the edge past what the buffer holds, so it stops there: at worst the edge
// then moves left by less than a unit, and what the peer sends up to the old edge still fits.
// The highest SEG.SEQ whose ACK a zero window still takes: the furthest right edge we may have announced,
// RCV.NXT plus one unit of the window scale past the last one.
wire::Seq Tcb::zero_window_ack_limit() const {
    const std::uint32_t unit = std::uint32_t{1} << rcv_wscale_;
    const wire::Seq edge = rcv_adv_valid_ && rcv_nxt_ < rcv_adv_ ? rcv_adv_ : rcv_nxt_;
    return edge + unit;
}

std::uint32_t Tcb::rcv_wnd() const {
    // Whole units: masks, the unit being a power of two (a division would cost tens of cycles a segment).
    const std::uint32_t units = ~((std::uint32_t{1} << rcv_wscale_) - 1);
    const std::uint32_t most = std::uint32_t{0xffff} << rcv_wscale_;
    auto window = static_cast<std::uint32_t>(std::min<std::size_t>(window_space(), most)) & units;
    if (rcv_adv_valid_ && rcv_nxt_ + window < rcv_adv_) {
        const std::uint32_t edge = static_cast<std::uint32_t>(rcv_adv_ - rcv_nxt_);
        const auto storable = static_cast<std::uint32_t>(std::min<std::size_t>(receive_free(), most));
        window = std::min((edge + ~units) & units, storable & units);
    }
    return window;
}

TimeWaitState Tcb::time_wait_state() const {
    TimeWaitState state;
    state.packed = PackedTuple::pack(tuple_);
    state.snd_nxt = snd_max_;
    state.rcv_nxt = rcv_nxt_;
    state.duration_ms = static_cast<std::uint32_t>(2 * std::uint64_t{options_.msl_us} / 1000);
    state.ts_recent = ts_recent_;
    state.ts_offset = ts_offset_;
    state.window = static_cast<std::uint16_t>(rcv_wnd() >> rcv_wscale_);
    state.timestamps = timestamps_;
    return state;
}

ConnectionInfo Tcb::info() const {
    ConnectionInfo info;
    info.state = state_;
    info.tuple = tuple_;
    info.snd_mss = effective_mss();
    info.pmtu = std::uint32_t{path_mss_ != 0 ? path_mss_ : host_.config().mss} + 40;
    info.soft_error = soft_error_;
    info.rcv_mss = host_.config().mss;
    info.snd_wnd = snd_wnd_;
    info.rcv_wnd = rcv_wnd();
    info.snd_wscale = snd_wscale_;
    info.rcv_wscale = rcv_wscale_;
    info.window_scaling = window_scaling_;
    info.timestamps = timestamps_;
    info.sack = sack_permitted_;
    info.srtt_us = rtt_.srtt_us();
    info.rttvar_us = rtt_.rttvar_us();
    info.rto_us = rtt_.rto_us();
    info.retransmits = retries_;
    info.backoff = rtt_.backoff();
    info.total_retransmits = total_retransmits_;
    info.bytes_sent = bytes_sent_;
    info.bytes_acked = bytes_acked_;
    info.bytes_received = bytes_received_;
    info.unacked = static_cast<std::uint32_t>(snd_max_ - snd_una_);
    info.send_queue = send_queued();
    info.receive_queue = receive_queued();
    info.out_of_order_ranges = out_of_order_ != nullptr ? out_of_order_->size() : 0;
    info.cwnd = congestion_.cwnd();
    info.ssthresh = congestion_.ssthresh();
    info.in_recovery = congestion_.in_recovery();
    info.sack_recovery = sack_recovery();
    info.sacked = scoreboard_ != nullptr ? scoreboard_->sacked_bytes() : 0;
    info.sacked_ranges = scoreboard_ != nullptr ? scoreboard_->size() : 0;
    info.loss_probe_outstanding = probe_outstanding_;
    info.active = flow_ != nullptr;
    if (retransmission_timer_.armed()) {
        info.timer = state_ == State::time_wait ? "timewait" : probing_ ? "persist" : "on";
        info.timer_expiry_us = retransmission_timer_.expiry();
    } else if (user_timer_.armed() && user_timer_.kind == TimerKind::keepalive) {
        info.timer = "keepalive";
        info.timer_expiry_us = user_timer_.expiry();
    }
    return info;
}

std::uint32_t Tcb::ts_now() const { return static_cast<std::uint32_t>(host_.now_us() / 1000) + ts_offset_; }

void Tcb::take_syn_options(const wire::TcpOptions& options) {
    const TcpConfig& config = host_.config();
    if (options.mss) peer_mss_ = std::max(*options.mss, minimum_mss);
    window_scaling_ = config.window_scaling && options.window_scale.has_value();
    // RFC 7323 2.3: a shift above 14 is taken as 14.
    snd_wscale_ = window_scaling_ ? std::min<std::uint8_t>(*options.window_scale, 14) : 0;
    // A passive open offers its shift in the SYN,ACK that follows; an active one offered it in its SYN.
    if (passive_) rcv_wscale_ = offered_window_shift(config.max_receive_buffer, options_.receive_buffer);
    if (!window_scaling_) rcv_wscale_ = 0;
    if (flow_ != nullptr) flow_->receive_buffer.set_capacity(receive_capacity());
    timestamps_ = config.timestamps && options.timestamps.has_value();
    if (timestamps_) ts_recent_ = options.timestamps->value;
    sack_permitted_ = config.sack && options.sack_permitted;
    // The initial window depends on the MSS (RFC 6928): start afresh now that it is known.
    congestion_ = CongestionControl(config.congestion, effective_mss());
    if (config.initial_window_segments != 0) {
        congestion_.set_initial_window(config.initial_window_segments * std::uint32_t{effective_mss()});
    }
    congestion_.set_stretch_acks(largest_segment(effective_mss()) > effective_mss());
}

// RFC 7323 5.3 R1: a segment whose timestamp is older than TS.Recent is an old duplicate (unless an RST).
bool Tcb::paws_ok(const wire::TcpSegment& segment) const {
    if (!timestamps_ || !segment.options.timestamps || segment.flags.rst_set()) return true;
    return static_cast<std::int32_t>(segment.options.timestamps->value - ts_recent_) >= 0;
}

// RFC 7323 4.3: TS.Recent follows the timestamps of segments that reach the left edge of the window.
void Tcb::update_ts_recent(const wire::TcpSegment& segment) {
    if (!timestamps_ || !segment.options.timestamps) return;
    if (segment.seq <= last_ack_sent_ &&
        static_cast<std::int32_t>(segment.options.timestamps->value - ts_recent_) >= 0) {
        ts_recent_ = segment.options.timestamps->value;
    }
}

// RFC 7323 2.3: the window field of every segment but a SYN is scaled by Snd.Wind.Shift.
std::uint32_t Tcb::window_of(const wire::TcpSegment& segment) const {
    return segment.flags.syn_set() ? segment.window : std::uint32_t{segment.window} << snd_wscale_;
}

// RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS + 20, MMS_S) - TCPhdrsize. The peer's MSS and the path's
// count the data with no options (RFC 6691), so the options every segment carries come off: timestamps,
// 12 bytes, as Linux counts them (1448 bytes of data in a 1500-byte packet).
std::uint16_t Tcb::effective_mss() const {
    return static_cast<std::uint16_t>(segment_limit() - (timestamps_ ? 12 : 0));
}

std::uint16_t Tcb::segment_limit() const {
    return std::min(peer_mss_, path_mss_ != 0 ? path_mss_ : host_.config().mss);
}

// Offload is for the steady stream only: in a loss recovery (or once the peer SACKs) every segment is one
// MSS, so that the pipe and the scoreboard count what they always count.
std::size_t Tcb::largest_segment(std::uint16_t mss) const {
    const std::uint32_t offload = host_.config().segmentation_offload;  // capped by the host
    if (offload < 2u * mss || scoreboard_ != nullptr || congestion_.in_recovery()) return mss;
    return offload / mss * mss;
}

// ---------------------------------------------------------------------------------------------------------
// ICMP errors

bool Tcb::quotes_our_segment(Seq seq) const {
    if (state_ == State::closed || state_ == State::listen) return false;
    return snd_una_ <= seq && seq < snd_max_;
}

void Tcb::on_icmp_error(std::errc error, bool hard) {
    if (state_ == State::syn_sent) {
        enter_closed(errno_code(error));
        return;
    }
    if (state_ == State::syn_received && passive_ && hard) {
        enter_closed({});  // no RST: the peer's host says it has nobody at that port
        return;
    }
    soft_error_ = static_cast<std::uint8_t>(errno_code(error).value());
}

void Tcb::on_path_mtu(std::uint16_t mtu) {
    // IPv4 and TCP headers without options: the MSS counts the data and the options together.
    const auto limit = static_cast<std::uint16_t>(std::max(mtu, path_mtu_floor) - 40);
    const std::uint16_t current = path_mss_ != 0 ? path_mss_ : host_.config().mss;
    if (limit >= current) return;  // an ICMP message only ever lowers the path MTU (RFC 1191 6.3)
    const std::uint16_t before = effective_mss();
    path_mss_ = limit;
    ++host_.counters().TCPPathMtuLowered;
    if (effective_mss() == before) return;  // the peer's MSS was smaller still: nothing sent was too large
    congestion_.set_mss(effective_mss());
    if (!syn_acked_ || snd_una_ == snd_max_) return;
    // What is in flight went in segments the path drops. RFC 1191 6.4: resend at once at the new size, as
    // a retransmission but not a congestion signal (the window stays). As after a timeout, from SND.UNA on,
    // and RACK's log starts afresh with what is sent now.
    if (flow_ != nullptr) {
        flow_->rack.clear();
        flow_->rack_deadline_us = 0;
    }
    snd_nxt_ = retransmit(snd_una_, snd_max_, std::max<std::size_t>(snd_wnd_, 1), true);
    arm_retransmission();
    output();
}

std::error_code Tcb::timeout_error() const {
    return soft_error_ != 0 ? soft_error() : errno_code(std::errc::timed_out);
}

// ---------------------------------------------------------------------------------------------------------
// Segment arrival

void Tcb::on_segment(const wire::TcpSegment& segment) {
    const IdleCheck idle_check{*this};
    last_received_us_ = host_.now_us();
    keepalive_probes_sent_ = 0;
    switch (state_) {
    case State::closed:
    case State::listen: return;  // the stack handles these without a TCB
    case State::syn_sent: on_segment_syn_sent(segment); return;
    case State::time_wait: time_wait_segment(segment); return;
    default:
        on_segment_synchronized(segment);
        flush_ack();
        return;
    }
}

void Tcb::flush_ack() {
    if (ack_pending_ && state_ != State::closed) send_ack();
    ack_pending_ = false;
}

// RFC 9293 3.10.7.3.
void Tcb::on_segment_syn_sent(const wire::TcpSegment& segment) {
    const TcpFlags flags = segment.flags;
    // First, the ACK: it must acknowledge our SYN and nothing beyond.
    bool ack_acceptable = false;
    if (flags.ack_set()) {
        if (segment.ack <= iss_ || segment.ack > snd_max_) {
            if (!flags.rst_set()) transmit(segment.ack, TcpFlags::rst);
            return;
        }
        ack_acceptable = true;  // snd_una <= ack <= snd_nxt holds, since snd_una == iss here
    }
    // Second, the RST: believed only with an acceptable ACK (RFC 5961 3.2 for SYN_SENT).
    if (flags.rst_set()) {
        if (ack_acceptable) enter_closed(errno_code(std::errc::connection_refused));
        return;
    }
    // Fourth, the SYN.
    if (!flags.syn_set()) return;
    irs_ = segment.seq;
    rcv_nxt_ = segment.seq + 1;
    take_syn_options(segment.options);
    if (ack_acceptable) {
        snd_una_ = segment.ack;
        syn_acked_ = true;
        if (timestamps_ && segment.options.timestamps->echo_reply != 0) {
            rtt_.add_sample(std::uint64_t{ts_now() - segment.options.timestamps->echo_reply} * 1000);
            rtt_timing_ = false;
        } else if (rtt_timing_ && segment.ack > flow_->rtt_seq) {
            rtt_.add_sample(host_.now_us() - flow_->rtt_sent_us);
            rtt_timing_ = false;
        }
    }
    snd_wnd_ = max_snd_wnd_ = segment.window;
    snd_wl1_ = segment.seq;
    snd_wl2_ = segment.ack;
    if (syn_acked()) {
        if (!rtt_.has_sample()) fall_back_rto();
        retries_ = 0;
        host_.timers().cancel(retransmission_timer_);
        set_state(State::established);
        // Data queued before the handshake completed goes out now, carrying the ACK; else a bare ACK.
        ack_pending_ = true;
        output();
        flush_ack();
        return;
    }
    // Simultaneous open: SYN_RECEIVED, and our SYN again with an ACK (3.10.7.3, "Otherwise, ...").
    set_state(State::syn_received);
    transmit(iss_, TcpFlags::syn | TcpFlags::ack, 0, 0, true);
}

// RFC 9293 3.10.7.4, first check: the four cases of segment length and receive window.
bool Tcb::acceptable(const wire::TcpSegment& segment) const {
    const std::uint32_t length = segment.sequence_length();
    const std::uint32_t window = rcv_wnd();
    if (length == 0) {
        return window == 0 ? segment.seq == rcv_nxt_ : wire::in_window(segment.seq, rcv_nxt_, window);
    }
    if (window == 0) return false;
    return wire::in_window(segment.seq, rcv_nxt_, window) ||
           wire::in_window(segment.seq + (length - 1), rcv_nxt_, window);
}

void Tcb::on_segment_synchronized(const wire::TcpSegment& segment) {
    const TcpFlags flags = segment.flags;

    // RFC 9293 3.5, figure 7 (simultaneous open): in SYN-RECEIVED after an active OPEN, the peer's SYN,ACK
    // repeats the SYN we took in (SEG.SEQ = IRS), so the acceptability test would drop it, yet its ACK is
    // what takes us to ESTABLISHED. Process it without the SYN, its text starting at IRS+1 (Linux, too,
    // lets exactly this segment through: tcp_validate_incoming).
    if (state_ == State::syn_received && !passive_ && flags.syn_set() && flags.ack_set() && !flags.rst_set() &&
        segment.seq == irs_) {
        wire::TcpSegment without_syn = segment;
        without_syn.flags.bits &= static_cast<std::uint8_t>(~TcpFlags::syn);
        without_syn.seq = irs_ + 1;
        on_segment_synchronized(without_syn);
        return;
    }

    // RFC 7323 5.3: PAWS comes before the sequence number check. (A segment without a timestamp on a
    // connection that uses them is let through, as Linux does, although RFC 7323 3.2 would drop it.)
    if (!paws_ok(segment)) {
        ++host_.counters().PAWSEstab;
        send_ack();
        return;
    }

    if (!acceptable(segment)) {
        if (flags.rst_set()) return;
        // A retransmission of the SYN we answered: our SYN,ACK was lost, send it again.
        if (state_ == State::syn_received && flags.syn_set() && !flags.ack_set() && segment.seq == irs_) {
            transmit(iss_, TcpFlags::syn | TcpFlags::ack, 0, 0, true);
            ++host_.counters().RetransSegs;
        ++total_retransmits_;
            return;
        }
        // RFC 5961 4.2, as RFC 9293 3.10.7.4 adopts it: a SYN in a synchronized state draws a challenge
        // ACK "irrespective of the sequence number", so counted and rate-limited even when outside the
        // window (as Linux: tcp_validate_incoming, syn_challenge).
        if (flags.syn_set() && is_synchronized(state_)) {
            send_challenge_ack(true);
            return;
        }
        // RCV.WND is zero: still take a valid ACK (3.10.7.4, "special allowance"), and whatever follows
        // from it, but none of the text. The peer's sequence may be past RCV.NXT: it may have sent up to a
        // right edge we announced before the window closed (an edge can move left by less than a unit of
        // the window scale, see rcv_wnd()), and its later segments carry that SND.NXT. Were their ACKs
        // ignored too, a peer waiting for our window and we for its ACKs would wait for ever (found
        // against Linux through an impaired link: both sides backing off, nothing acknowledged).
        if (rcv_wnd() == 0 && flags.ack_set() && !flags.syn_set() && rcv_nxt_ <= segment.seq &&
            segment.seq <= zero_window_ack_limit()) {
            wire::TcpSegment ack_only = segment;
            ack_only.seq = rcv_nxt_;  // the idealized segment, at RCV.NXT and empty: acceptable, so no loop
            ack_only.payload = {};
            ack_only.flags.bits &= static_cast<std::uint8_t>(~(TcpFlags::fin | TcpFlags::psh | TcpFlags::urg));
            on_segment_synchronized(ack_only);
            if (state_ != State::closed) ack_pending_ = true;
            return;
        }
        // Data wholly below RCV.NXT: a duplicate, which the ACK reports in a D-SACK block (RFC 2883).
        if (!segment.payload.empty() && !flags.syn_set() &&
            segment.seq + static_cast<std::uint32_t>(segment.payload.size()) <= rcv_nxt_) {
            note_duplicate(segment.seq, segment.seq + static_cast<std::uint32_t>(segment.payload.size()), false);
        }
        send_out_of_window_ack(segment);
        return;
    }

    // Second, the RST (RFC 5961 3.2): only an exact match resets; in-window gets a challenge ACK.
    if (flags.rst_set()) {
        if (segment.seq != rcv_nxt_) {
            send_challenge_ack(false);
            return;
        }
        switch (state_) {
        case State::syn_received:
            // A passive open goes back to LISTEN (the stack drops this TCB); an active one was refused.
            enter_closed(passive_ ? std::error_code{} : errno_code(std::errc::connection_refused));
            return;
        case State::established:
        case State::fin_wait_1:
        case State::fin_wait_2:
        case State::close_wait: enter_closed(errno_code(std::errc::connection_reset)); return;
        default: enter_closed({}); return;  // CLOSING, LAST_ACK
        }
    }

    // Fourth, a SYN in a synchronized state (RFC 5961 4.2): a challenge ACK, whatever its number.
    if (flags.syn_set()) {
        if (state_ == State::syn_received && passive_) {
            enter_closed({});  // RFC 9293: return this connection to LISTEN
            return;
        }
        send_challenge_ack(true);
        return;
    }

    // A segment whose ACK the fifth check refuses is dropped: it must not move TS.Recent either, or one forged
    // TSval would make PAWS drop the peer's real segments (as Linux; packetdrill's ts_recent/invalid_ack).
    const bool ack_refused = flags.ack_set() && state_ != State::syn_received && !ack_acceptable(segment.ack);
    if (!ack_refused) update_ts_recent(segment);

    // Fifth, the ACK.
    if (!flags.ack_set()) return;
    if (!process_ack(segment)) return;
    if (state_ == State::closed) return;

    // Seventh and eighth, the text and the FIN.
    process_text(segment);
    if (state_ == State::closed) return;
    if (flags.fin_set() && segment.seq + static_cast<std::uint32_t>(segment.payload.size()) == rcv_nxt_) {
        process_fin(segment);
    } else if (fin_ahead_ && rcv_nxt_ == fin_ahead_seq_) {
        process_fin(segment);  // the gap before an out-of-order FIN is filled
    }
    if (state_ == State::fin_wait_1 && fin_acked()) enter_fin_wait_2();
    output();
}

void Tcb::enter_fin_wait_2() {
    set_state(State::fin_wait_2);
    arm_fin_timeout();
}

// An orphan (closed by its user) in FIN_WAIT_2 waits only so long for the peer's FIN: nothing else would
// ever end it if the peer never closes.
void Tcb::arm_fin_timeout() {
    if (user_closed_ && state_ == State::fin_wait_2) {
        host_.timers().arm(retransmission_timer_, host_.now_us() + host_.config().fin_timeout_us);
    }
}

bool Tcb::process_ack(const wire::TcpSegment& segment) {
    const Seq ack = segment.ack;
    if (state_ == State::syn_received) {
        if (!(snd_una_ < ack && ack <= snd_max_)) {
            transmit(ack, TcpFlags::rst);  // <SEQ=SEG.ACK><CTL=RST>
            return false;
        }
        snd_wnd_ = window_of(segment);
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = segment.seq;
        snd_wl2_ = ack;
        set_state(State::established);
    }
    // RFC 9293: an ACK of something not yet sent is answered with an ACK and dropped. RFC 5961 5.2: so is
    // one older than SND.UNA - MAX.SND.WND, which a blind attacker might have guessed.
    if (!ack_acceptable(ack)) {
        send_out_of_window_ack(segment);
        return false;
    }
    // RFC 9293 3.8.6.1: the connection stays open as long as the peer answers our zero-window probes.
    if (probing_) retries_ = 0;
    const bool advanced = snd_una_ < ack;
    const SackScoreboard::UpdateResult sack = update_scoreboard(segment);
    if (ack == snd_una_ && syn_acked_) on_duplicate_ack(segment, sack);
    if (snd_una_ < ack) {
        const std::uint32_t flight_before = flight();
        const bool acks_syn = !syn_acked_;
        std::uint32_t acked = static_cast<std::uint32_t>(ack - snd_una_);
        if (acks_syn) {
            --acked;  // the SYN's sequence number
            syn_acked_ = true;
        }
        if (fin_queued_ && ack == fin_seq_ + 1) --acked;
        if (flow_ != nullptr) {
            ByteRing& send_buffer = flow_->send_buffer;
            send_buffer.consume(std::min<std::size_t>(acked, send_buffer.size()));
            if (send_buffer.empty()) send_buffer.release();  // all acknowledged: back to the pool
        }
        bytes_acked_ += acked;
        snd_una_ = ack;
        if (flow_ != nullptr) flow_->unacked_since_us = host_.now_us();  // progress: the user timeout restarts
        soft_error_ = 0;  // the peer is reached again: an earlier ICMP error no longer says why it is not
        if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
        // RFC 7323 4.1: with timestamps, every ACK of new data measures the RTT from its echoed TSval
        // (which names the transmission it answers, so Karn's ambiguity does not arise); else the one
        // timed segment does.
        //
        // One exception, Karn's rule in another guise: an echo older than our last timeout names a
        // transmission from before it. The peer received that one but its ACK was lost, and this ACK was
        // drawn by the resend (a duplicate, which does not update TS.Recent, RFC 7323 5.3 R2). Its "RTT"
        // would include the whole timeout, and inflate the RTO that backs off from it.
        if (timestamps_ && segment.options.timestamps && segment.options.timestamps->echo_reply != 0) {
            const std::uint32_t echo = segment.options.timestamps->echo_reply;
            if (!timed_out_ || static_cast<std::int32_t>(echo - timeout_ts_) >= 0) {
                rtt_.add_sample(std::uint64_t{ts_now() - echo} * 1000);
                timed_out_ = false;  // the peer's echoes only move forward: later ones are after it too
            }
            rtt_timing_ = false;
        } else if (rtt_timing_ && ack > flow_->rtt_seq) {
            rtt_.add_sample(host_.now_us() - flow_->rtt_sent_us);
            rtt_timing_ = false;
        }
        if (acks_syn && !rtt_.has_sample()) fall_back_rto();
        if (!acks_syn) {
            if (congestion_.in_recovery()) {
                if (ack >= recover_) {
                    exit_recovery();  // RFC 6582 3.2 step 3, RFC 6675 section 5: a full ACK
                } else if (!sack_recovery_) {
                    // A partial ACK: the next hole was lost too; resend it at once (RFC 6582 3.2 step 3).
                    // With SACK the scoreboard already says what to resend (RFC 6675).
                    congestion_.on_partial_ack(acked);
                    retransmit_first_unacknowledged();
                }
            } else {
                congestion_.on_ack(acked, flight_before, host_.now_us(), rtt_.srtt_us());
            }
        }
        // RFC 6582's "recover" trails SND.UNA outside recovery, so that after 2^31 bytes it cannot
        // appear to lie ahead again.
        if (!congestion_.in_recovery() && snd_una_ > recover_) recover_ = snd_una_;
        duplicate_acks_ = 0;
        // The backoff stays until a new RTT sample clears it (RFC 6298 5.7's note, and Karn): an ACK of a
        // retransmitted segment measures nothing.
        retries_ = 0;
        // RFC 6298 5.2 and 5.3: stop the timer when all is acknowledged, else restart it.
        if (snd_una_ == snd_max_) {
            host_.timers().cancel(retransmission_timer_);
        } else {
            arm_retransmission();
        }
    }
    // RFC 6675 section 5: the scoreboard may show SND.UNA lost (IsLost) before the third duplicate ACK.
    if (scoreboard_ != nullptr && sack.sacked_new_data() && !congestion_.in_recovery() && snd_una_ >= recover_ &&
        snd_una_ != snd_max_ && scoreboard_->is_lost(snd_una_, effective_mss())) {
        enter_recovery();
    }
    if (probe_outstanding_) on_loss_probe_acked(segment, sack, advanced);
    // RFC 8985 section 6: RACK, on every ACK of a connection that SACKs.
    if (rack_enabled() && flow_ != nullptr && syn_acked_) {
        const SackScoreboard* board = scoreboard_;
        auto is_sacked = [board](Seq begin, Seq end) {
            if (board == nullptr) return false;
            const auto* range = board->range_ending_after(begin);
            return range != nullptr && range->begin <= begin && end <= range->end;
        };
        on_rack_result(flow_->rack.on_ack(snd_una_, is_sacked, host_.now_us(), congestion_.in_recovery(),
                                          duplicate_acks_, rtt_.srtt_us(), sack.sacked_new_data()));
    }
    release_scoreboard_if_empty();
    // The window, from the newest segment only (RFC 9293 3.10.7.4, SND.WL1 and SND.WL2).
    if (snd_una_ <= ack && (snd_wl1_ < segment.seq || (snd_wl1_ == segment.seq && snd_wl2_ <= ack))) {
        snd_wnd_ = window_of(segment);
        if (snd_wnd_ > 0) probing_ = false;
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = segment.seq;
        snd_wl2_ = ack;
    }
    switch (state_) {
    case State::closing:
        if (fin_acked()) enter_time_wait();
        break;
    case State::last_ack:
        if (fin_acked()) {
            enter_closed({});
            return false;
        }
        break;
    default: break;
    }
    return true;
}

void Tcb::process_text(const wire::TcpSegment& segment) {
    if (state_ != State::established && state_ != State::fin_wait_1 && state_ != State::fin_wait_2) return;
    wire::Bytes payload = segment.payload;
    if (payload.empty()) return;
    Seq seq = segment.seq;
    if (seq < rcv_nxt_) {  // the front was received before
        std::size_t seen = static_cast<std::uint32_t>(rcv_nxt_ - seq);
        note_duplicate(seq, seq + static_cast<std::uint32_t>(std::min(seen, payload.size())), false);
        payload = payload.subspan(std::min(seen, payload.size()));
        seq = rcv_nxt_;
    }
    if (payload.empty()) {  // a duplicate: acknowledge at once (RFC 5681 4.2), the peer may be in recovery
        ack_pending_ = true;
        return;
    }
    // Data for a connection the user has closed cannot be delivered: reset it (as Linux does).
    if (user_closed_) {
        ++host_.counters().TCPAbortOnData;
        rcv_nxt_ += static_cast<std::uint32_t>(payload.size());
        send_reset_and_close();
        return;
    }
    if (seq != rcv_nxt_) {
        hold_out_of_order(segment, seq, payload);
        ack_pending_ = true;  // out of order: at once, a duplicate ACK with SACK blocks
        return;
    }
    const bool fills_a_gap = out_of_order_ != nullptr;
    std::size_t taken = flow().receive_buffer.push(payload);
    receive_queued_ += static_cast<std::uint32_t>(taken);
    rcv_nxt_ += static_cast<std::uint32_t>(taken);
    bytes_received_ += taken;
    acknowledge_in_order(static_cast<std::uint32_t>(taken), static_cast<std::uint32_t>(payload.size()),
                         fills_a_gap || taken < payload.size());
    // The bytes held out of order that now follow on become part of the stream.
    if (out_of_order_ == nullptr) return;
    while (auto end = out_of_order_->take_from(rcv_nxt_)) {
        flow_->receive_buffer.commit_ahead(static_cast<std::uint32_t>(*end - rcv_nxt_));
        receive_queued_ += static_cast<std::uint32_t>(*end - rcv_nxt_);
        bytes_received_ += static_cast<std::uint32_t>(*end - rcv_nxt_);
        rcv_nxt_ = *end;
    }
    if (out_of_order_->empty()) {
        host_.release_out_of_order(out_of_order_);
        out_of_order_ = nullptr;
    }
}

// RFC 5681 3.2: an ACK that acknowledges nothing new, carries no data and no window change, while data is
// outstanding, is a duplicate ACK. With SACK (RFC 6675 section 2) it is one that SACKs new data, whatever
// else it carries. The third starts fast retransmit and recovery, unless it belongs to data sent before
// the last recovery or timeout began (RFC 6582 3.2 step 1, "recover").
void Tcb::on_duplicate_ack(const wire::TcpSegment& segment, const SackScoreboard::UpdateResult& sack) {
    // Answers to zero-window probes repeat SND.UNA too, but say nothing of loss.
    if (snd_una_ == snd_max_ || snd_wnd_ == 0 || probing_) return;
    const bool classic = segment.options.sack_block_count == 0 && segment.payload.empty() &&
                         !segment.flags.fin_set() && !segment.flags.syn_set() && window_of(segment) == snd_wnd_;
    if (!sack.sacked_new_data() && !classic) return;
    ++duplicate_acks_;
    if (congestion_.in_recovery()) {
        if (!sack_recovery_) congestion_.on_duplicate_ack_in_recovery();  // RFC 5681 3.2 step 4: inflate
        return;
    }
    if (duplicate_acks_ >= SackScoreboard::dup_thresh && snd_una_ >= recover_) enter_recovery();
}

void Tcb::enter_recovery() {
    recover_ = snd_max_;
    sack_recovery_ = scoreboard_ != nullptr;
    flow().rxt_end = snd_una_;
    rescue_sent_ = false;
    congestion_.on_enter_recovery(sack_recovery_ ? LossRecovery::sack : LossRecovery::duplicate_acks, flight());
    ++(sack_recovery_ ? host_.counters().TCPSackRecovery : host_.counters().TCPRenoRecovery);
    // RFC 5681 3.2 step 2, RFC 6675 section 5 step 4.3: the segment at SND.UNA goes at once.
    const Seq end = retransmit(snd_una_, snd_max_);
    if (end != snd_una_) {
        ++host_.counters().TCPFastRetrans;
        flow_->rxt_end = end;
        arm_retransmission();
    }
    // RFC 6675 section 5 step 4.3: RescueRxt = HighRxt, so that no rescue goes before this retransmission
    // is acknowledged.
    rescue_sent_ = true;
    flow_->rescue_end = flow_->rxt_end;
    // A tail loss probe still unresolved is part of this loss: the window is reduced once (as Linux).
    probe_outstanding_ = false;
}

void Tcb::exit_recovery() {
    congestion_.on_exit_recovery(flight());
    sack_recovery_ = false;
}

SackScoreboard::UpdateResult Tcb::update_scoreboard(const wire::TcpSegment& segment) {
    const wire::TcpOptions& options = segment.options;
    if (!sack_permitted_ || !syn_acked_ || (options.sack_block_count == 0 && scoreboard_ == nullptr)) return {};
    if (scoreboard_ == nullptr) scoreboard_ = host_.acquire_scoreboard();
    const Seq una = segment.ack > snd_una_ ? segment.ack : snd_una_;
    const auto result = scoreboard_->update(una, snd_max_, {options.sack_blocks.data(), options.sack_block_count});
    Counters& counters = host_.counters();
    if (result.dsack) ++counters.TCPDSACKRecv;
    counters.TCPSACKDiscard += result.invalid_blocks;
    if (result.reneged) {
        ++counters.TCPSACKReneging;
        scoreboard_suspect_ = true;
    }
    return result;
}

Flow& Tcb::flow() {
    if (flow_ == nullptr) {
        flow_ = host_.acquire_flow();
        flow_->rack.clear();
        flow_->rack_deadline_us = 0;
        flow_->send_buffer.set_capacity(options_.send_buffer);
        flow_->receive_buffer.set_capacity(receive_capacity());
        flow_->send_buffer.set_first_storage(ByteRing::min_storage << send_storage_shift_);
        flow_->receive_buffer.set_first_storage(ByteRing::min_storage << receive_storage_shift_);
        flow_->delayed_ack_timer.owner = host_index();
        flow_->unacknowledged_bytes = 0;
        flow_->rcv_mss = std::min(host_.config().mss, default_mss);
    }
    return *flow_;
}

// Idle: nothing buffered or held, nothing in flight or owed, no recovery, probe or measurement under way,
// and no timer running that reads the Flow (in the states that move data, any retransmission timer does).
void Tcb::release_flow_if_idle() {
    if (flow_ == nullptr) return;
    const Flow& f = *flow_;
    if (f.send_buffer.size() != 0 || f.receive_buffer.size() != 0 || out_of_order_ != nullptr || scoreboard_ != nullptr) return;
    if (f.delayed_ack_timer.armed() || f.unacknowledged_bytes != 0 || snd_una_ != snd_max_) return;
    if (congestion_.in_recovery() || probe_outstanding_ || probe_timer_ || rack_timer_ || dsack_pending_ || rtt_timing_) return;
    if (retransmission_timer_.armed() && state_ != State::time_wait && state_ != State::fin_wait_2) return;
    flow_->send_buffer.release_storage();
    flow_->receive_buffer.release_storage();
    auto shift_of = [](const ByteRing& ring) {
        return static_cast<std::uint8_t>(std::countr_zero(ring.first_storage() / ByteRing::min_storage));
    };
    send_storage_shift_ = shift_of(flow_->send_buffer);
    receive_storage_shift_ = shift_of(flow_->receive_buffer);
    flow_->rack.clear();
    flow_->rack_deadline_us = 0;
    host_.release_flow(flow_);
    flow_ = nullptr;
}

void Tcb::release_scoreboard_if_empty() {
    if (scoreboard_ == nullptr || !scoreboard_->empty() || congestion_.in_recovery()) return;
    host_.release_scoreboard(scoreboard_);
    scoreboard_ = nullptr;
    scoreboard_suspect_ = false;
}

// RFC 6675 section 5 step (C): while cwnd - pipe >= 1 SMSS, send what NextSeg() picks: lost data first,
// then new data, then data not SACKed, then once the rescue segment.
void Tcb::sack_recovery_output() {
    resend_rack_lost();
    const std::uint32_t mss = effective_mss();
    bool restart_timer = false;
    // Every pass sends a segment, and each raises the pipe, so cwnd ends the loop; the count is a backstop.
    // New data Nagle or SWS avoidance holds back is no reason to stop: NextSeg is asked again without it.
    bool new_data = new_data_sendable();
    for (std::uint32_t pass = 0; pass <= congestion_.cwnd() / mss + 2; ++pass) {
        SackScoreboard::Flight flight{snd_una_, snd_max_, flow().rxt_end, std::nullopt, mss};
        if (rescue_sent_) flight.rescue_end = flow_->rescue_end;
        if (scoreboard_->pipe(flight) + std::uint64_t{mss} > congestion_.cwnd()) break;
        const auto next = scoreboard_->next_segment(flight, new_data);
        if (!next) break;
        if (next->rule == SackScoreboard::SendRange::Rule::new_data) {
            const std::int64_t room = std::int64_t{snd_wnd_} - static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
            if (!send_next_segment(room, restart_timer)) new_data = false;
            continue;
        }
        const Seq end = retransmit(next->begin, next->end);
        if (end == next->begin) break;
        if (next->rule == SackScoreboard::SendRange::Rule::rescue) {
            rescue_sent_ = true;
            flow_->rescue_end = end;
        } else if (flow_->rxt_end < end) {
            flow_->rxt_end = end;
        }
        if (!retransmission_timer_.armed()) arm_retransmission();
    }
}

Seq Tcb::retransmit(Seq begin, Seq end, std::size_t most, bool push) {
    // Never what the peer has SACKed: stop short of the next SACKed range.
    if (scoreboard_ != nullptr) {
        if (const auto* range = scoreboard_->range_ending_after(begin)) {
            if (range->begin <= begin) return begin;
            if (range->begin < end) end = range->begin;
        }
    }
    const std::size_t offset = static_cast<std::uint32_t>(begin - send_buffer_seq());
    std::size_t length = 0;
    if (offset < send_queued()) {
        length = std::min<std::size_t>({send_queued() - offset, static_cast<std::uint32_t>(end - begin),
                                        std::min<std::size_t>(most, effective_mss())});
    }
    const bool fin = fin_queued_ && fin_seq_ < snd_max_ && begin + static_cast<std::uint32_t>(length) == fin_seq_ &&
                     fin_seq_ < end;
    if (length == 0 && !fin) return begin;
    std::uint8_t flags = TcpFlags::ack | (fin ? TcpFlags::fin : 0);
    if (length > 0 && (push || offset + length == send_queued())) flags |= TcpFlags::psh;
    transmit(begin, flags, offset, length);
    ++host_.counters().RetransSegs;
    ++total_retransmits_;
    rtt_timing_ = false;  // Karn
    const Seq end_sent = begin + static_cast<std::uint32_t>(length) + (fin ? 1 : 0);
    if (rack_enabled()) flow().rack.retransmitted(begin, end_sent, host_.now_us());
    return end_sent;
}

// Fast retransmit: the segment at SND.UNA again, at once, without touching SND.NXT.
void Tcb::retransmit_first_unacknowledged() {
    if (retransmit(snd_una_, snd_max_) != snd_una_) arm_retransmission();
}

bool Tcb::new_data_sendable() const {
    if (snd_nxt_ != snd_max_ || fin_sent()) return false;
    const std::size_t offset = static_cast<std::uint32_t>(snd_nxt_ - send_buffer_seq());
    if (offset >= send_queued()) return fin_queued_;
    return snd_wnd_ > static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
}

void Tcb::on_rack_result(const Rack::AckResult& result) {
    Flow& f = flow();
    if (result.newly_lost > 0) {
        ++host_.counters().TCPRackLoss;
        if (!congestion_.in_recovery() && snd_una_ >= recover_ && snd_una_ != snd_max_) enter_recovery();
    }
    // The reordering timer: armed through the retransmission timer, like the loss probe.
    const std::uint64_t deadline = result.timer_us ? host_.now_us() + *result.timer_us : 0;
    if (deadline != f.rack_deadline_us) {
        f.rack_deadline_us = deadline;
        if (retransmission_timer_.armed()) schedule_retransmission_timer();
    }
}

std::uint32_t Tcb::rack_lost_beyond_scoreboard() const {
    std::uint32_t bytes = 0;
    if (flow_ == nullptr) return 0;
    const std::uint32_t mss = effective_mss();
    flow_->rack.for_each_lost([&](const Rack::Segment& s) {
        if (scoreboard_ == nullptr || !scoreboard_->is_lost(s.begin, mss)) bytes += static_cast<std::uint32_t>(s.end - s.begin);
    });
    return bytes;
}

// RFC 8985 section 6 with RFC 6675's accounting: a segment RACK holds lost is resent before NextSeg's
// choices, while cwnd - pipe allows one more segment (RACK's lost bytes taken out of the pipe).
void Tcb::resend_rack_lost() {
    Flow& f = flow();
    const std::uint32_t mss = effective_mss();
    for (int guard = 0; guard < 64; ++guard) {
        std::optional<Rack::Segment> next;
        f.rack.for_each_lost([&](const Rack::Segment& s) {
            if (!next) next = s;
        });
        if (!next || next->begin < snd_una_) return;
        if (scoreboard_ != nullptr) {
            SackScoreboard::Flight flight{snd_una_, snd_max_, f.rxt_end, std::nullopt, mss};
            if (rescue_sent_) flight.rescue_end = f.rescue_end;
            const std::uint64_t pipe = scoreboard_->pipe(flight);
            const std::uint64_t lost = rack_lost_beyond_scoreboard();
            if ((pipe > lost ? pipe - lost : 0) + mss > congestion_.cwnd()) return;
        }
        const Seq end = retransmit(next->begin, next->end);
        if (end == next->begin) {
            f.rack.retransmitted(next->begin, next->end, host_.now_us());  // nothing to send there: unmark
            continue;
        }
        if (f.rxt_end < end) f.rxt_end = end;
        if (!retransmission_timer_.armed()) arm_retransmission();
    }
}

// RFC 8985 7.2: a probe may be scheduled with SACK in use, data outstanding, no loss being recovered, no
// probe unresolved and no backoff under way.
bool Tcb::loss_probe_allowed() const {
    return may_send(state_) && sack_permitted_ && syn_acked_ && snd_una_ != snd_max_ && snd_nxt_ == snd_max_ &&
           !probing_ && !probe_outstanding_ && !congestion_.in_recovery() && retries_ == 0;
}

// RFC 8985 7.3: the probe is new data if the windows let some go, else the last segment sent.
void Tcb::send_loss_probe() {
    const std::uint32_t mss = effective_mss();
    bool sent = false;
    if (new_data_sendable()) {
        bool restart_timer = false;
        send_small_ = true;  // the probe goes whatever its size
        const std::int64_t room = std::int64_t{snd_wnd_} - static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
        sent = send_next_segment(std::min<std::int64_t>(room, mss), restart_timer);
        send_small_ = false;
        probe_was_retransmission_ = false;
    }
    if (!sent) {
        // The last segment sent: our FIN alone if it went alone (as Linux's FIN behind data already sent), else
        // the last MSS of data, with the FIN if it rode on it.
        const bool fin_alone = fin_sent() && fin_sent_alone_;
        const Seq data_end = fin_sent() ? fin_seq_ : snd_max_;
        const std::uint32_t before =
            fin_alone ? 0 : std::min<std::uint32_t>(mss, static_cast<std::uint32_t>(data_end - snd_una_));
        const Seq begin = fin_alone ? fin_seq_ : data_end - before;
        if (retransmit(begin, snd_max_) == begin) retransmit(snd_una_, snd_max_);
        probe_was_retransmission_ = true;
    }
    ++host_.counters().TCPLossProbes;
    probe_outstanding_ = true;
    flow().probe_end = snd_max_;
    arm_retransmission();  // as the RTO now
}

// RFC 8985 7.4: did the probe repair a loss? A D-SACK for it, or a duplicate ACK at its end, says the
// original arrived too: no loss. An ACK beyond it without either says the probe filled the hole: the
// congestion window is reduced as for a loss.
void Tcb::on_loss_probe_acked(const wire::TcpSegment& segment, const SackScoreboard::UpdateResult& sack,
                              bool advanced) {
    const Seq ack = segment.ack;
    const Seq probe_end = flow().probe_end;
    if (ack < probe_end) return;
    if (!probe_was_retransmission_) {
        probe_outstanding_ = false;
    } else if (sack.dsack && probe_end - effective_mss() - 1 <= sack.dsack->left && sack.dsack->right <= probe_end) {
        probe_outstanding_ = false;
    } else if (ack > probe_end) {
        probe_outstanding_ = false;
        ++host_.counters().TCPLossProbeRecovery;
        if (!congestion_.in_recovery()) {
            // One reduction, from the window (the flight after this ACK may be nearly nothing): ssthresh
            // as for a loss, and cwnd down to it.
            congestion_.on_enter_recovery(LossRecovery::sack, congestion_.cwnd());
            congestion_.on_exit_recovery(congestion_.ssthresh());
        }
    } else if (ack == snd_una_ && segment.payload.empty() && !sack.sacked_new_data() && !advanced) {
        probe_outstanding_ = false;  // a pure duplicate ACK: the original and the probe both arrived
    }
}

// RFC 1122 4.2.3.2 and RFC 5681 4.2: an ACK for at least every second full-sized segment, and none later
// than the delayed-ACK timeout; at once when the data filled a gap (or did not all fit), and while quick
// ACKs last (TcpConfig::quick_acks).
void Tcb::acknowledge_in_order(std::uint32_t bytes, std::uint32_t segment_length, bool at_once) {
    const TcpConfig& config = host_.config();
    Flow& f = flow();
    if (segment_length > 0) last_data_ms_ = static_cast<std::uint32_t>(host_.now_us() / 1000) + 1;
    if (segment_length > 0 && bytes_received_ == bytes && config.quick_acks > 0) {  // the first data: quick ACKs begin
        const std::size_t half_window = receive_capacity() / (2 * std::size_t{std::max<std::uint16_t>(f.rcv_mss, 1)});
        quick_acks_ = static_cast<std::uint8_t>(std::min<std::size_t>(std::max<std::size_t>(half_window, 2), config.quick_acks));
    }
    f.rcv_mss = std::max(f.rcv_mss, static_cast<std::uint16_t>(std::min<std::uint32_t>(segment_length, config.mss)));
    f.unacknowledged_bytes += bytes;
    const bool quick = quick_acks_ > 0 && !interactive_;
    if (at_once || quick || config.delayed_ack_us == 0 || f.unacknowledged_bytes > f.rcv_mss) {
        if (quick) {
            const std::uint32_t segments = (f.unacknowledged_bytes + f.rcv_mss - 1) / f.rcv_mss;
            quick_acks_ = static_cast<std::uint8_t>(quick_acks_ - std::min<std::uint32_t>(quick_acks_, segments));
        }
        ack_pending_ = true;
        return;
    }
    if (!f.delayed_ack_timer.armed()) host_.timers().arm(f.delayed_ack_timer, host_.now_us() + config.delayed_ack_us);
}

// RFC 9293 3.10.7.4: a segment beyond RCV.NXT but in the window is held, in the receive buffer at its
// place, until the bytes before it arrive. Bounded by the window and by OutOfOrder::max_ranges.
void Tcb::hold_out_of_order(const wire::TcpSegment& segment, Seq seq, wire::Bytes payload) {
    const std::size_t gap = static_cast<std::uint32_t>(seq - rcv_nxt_);
    const std::size_t room = receive_free();
    if (gap >= room) {
        ++host_.counters().TCPOFODrop;
        return;
    }
    const std::size_t length = std::min(payload.size(), room - gap);
    if (out_of_order_ == nullptr) out_of_order_ = host_.acquire_out_of_order();
    if (out_of_order_->holds(seq, seq + static_cast<std::uint32_t>(length))) {
        note_duplicate(seq, seq + static_cast<std::uint32_t>(length), true);
        out_of_order_->touch(seq);  // RFC 2883 4.2: the range holding it follows the D-SACK block
        return;
    }
    if (!out_of_order_->add(seq, seq + static_cast<std::uint32_t>(length))) {
        ++host_.counters().TCPOFODrop;
        return;
    }
    flow().receive_buffer.write_ahead(gap, payload.first(length));
    ++host_.counters().TCPOFOQueue;
    if (segment.flags.fin_set() && length == payload.size()) {
        fin_ahead_ = true;
        fin_ahead_seq_ = seq + static_cast<std::uint32_t>(length);
    }
}

// RFC 2883 section 4: the next ACK reports the duplicate in a first, D-SACK, block.
void Tcb::note_duplicate(Seq begin, Seq end, bool out_of_order) {
    if (!sack_permitted_ || begin == end) return;
    dsack_pending_ = true;
    flow().dsack = {begin, end};
    ++(out_of_order ? host_.counters().TCPDSACKOfoSent : host_.counters().TCPDSACKOldSent);
}

void Tcb::process_fin(const wire::TcpSegment&) {
    if (fin_received_) return;
    fin_received_ = true;
    rcv_nxt_ += 1;
    if (state_ == State::established && !ack_pending_ && (bytes_received_ > 0 || host_.config().quick_acks == 0)) {
        // The FIN that ends ESTABLISHED after data is acknowledged as in-order data is, after the delayed-ACK
        // timeout (as Linux does: 40 ms in the client_closes_first fixture), so that a user who closes at
        // once sends its FIN with the ACK: a close in three segments. The connection turns interactive: no
        // quick ACK for the FIN. Anything else the FIN ends, or a FIN before any data, is acknowledged at once.
        interactive_ = true;
        acknowledge_in_order(1, 0, out_of_order_ != nullptr);
    } else {
        ack_pending_ = true;
    }
    switch (state_) {
    case State::syn_received:
    case State::established: set_state(State::close_wait); break;
    case State::fin_wait_1:
        if (fin_acked()) {
            enter_time_wait();
        } else {
            set_state(State::closing);
        }
        break;
    case State::fin_wait_2: enter_time_wait(); break;
    default: break;
    }
}

// TIME_WAIT (RFC 9293 3.10.7.4, and RFC 1337): a reset is ignored; a retransmitted FIN is acknowledged
// and restarts the 2*MSL timeout; anything else gets an ACK.
void Tcb::time_wait_segment(const wire::TcpSegment& segment) {
    switch (classify(time_wait_state(), segment)) {
    case TimeWaitAction::ignore: return;
    case TimeWaitAction::ack_and_restart:
        send_ack();
        host_.timers().arm(retransmission_timer_, host_.now_us() + 2 * std::uint64_t{options_.msl_us});
        return;
    case TimeWaitAction::ack:
    case TimeWaitAction::new_connection:  // the user still holds this one: no listener may take it
        send_out_of_window_ack(segment);
        return;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Output

void Tcb::output() {
    if (!may_send(state_)) return;
    if (sack_recovery()) {
        sack_recovery_output();
    } else {
        // With nothing in flight, an armed timer is the persist timer: the first segment sent restarts it
        // as the retransmission timer (RFC 6298 5.1), lest it fire early.
        bool restart_timer = snd_una_ == snd_max_;
        for (;;) {
            // RFC 5681: what may be in flight is the lesser of the peer's window and the congestion window.
            // Resending after a timeout, what the peer has SACKed is not in flight.
            const auto outstanding = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
            const std::uint32_t sacked = scoreboard_ != nullptr && snd_nxt_ < snd_max_ ? scoreboard_->sacked_below(snd_nxt_) : 0;
            const std::int64_t room = std::min(std::int64_t{snd_wnd_} - outstanding,
                                               std::int64_t{congestion_.cwnd()} - (outstanding - sacked));
            if (!send_next_segment(room, restart_timer)) break;
        }
    }
    // Data waits behind a zero window: the retransmission timer doubles as the persist timer.
    if (!retransmission_timer_.armed() && snd_wnd_ == 0 && send_queued() != 0) arm_retransmission();
}

bool Tcb::send_next_segment(std::int64_t room, bool& restart_timer) {
    // Resending after a timeout: skip what the peer has SACKed.
    while (scoreboard_ != nullptr && snd_nxt_ < snd_max_) {
        const auto* range = scoreboard_->range_ending_after(snd_nxt_);
        if (range == nullptr || snd_nxt_ < range->begin) break;
        snd_nxt_ = range->end;
    }
    if (fin_queued_ && snd_nxt_ == fin_seq_ + 1) return false;
    const std::uint16_t mss = effective_mss();
    const std::size_t offset = static_cast<std::uint32_t>(snd_nxt_ - send_buffer_seq());
    const std::size_t queued = send_queued();
    const std::size_t available = queued - std::min(offset, queued);
    const bool retransmission = snd_nxt_ < snd_max_;
    std::size_t length = std::min<std::size_t>({available, static_cast<std::size_t>(std::max<std::int64_t>(room, 0)),
                                                retransmission ? mss : largest_segment(mss)});
    // An offloaded segment carries whole MSSes: a short tail goes on its own, through Nagle and SWS
    // avoidance below, as it would after the full segments it followed.
    if (length > mss) length -= length % mss;
    if (retransmission && scoreboard_ != nullptr) {
        // ... and stop short of the next SACKed range.
        if (const auto* range = scoreboard_->range_ending_after(snd_nxt_)) {
            length = std::min<std::size_t>(length, static_cast<std::uint32_t>(range->begin - snd_nxt_));
        }
    }
    const bool fin = fin_queued_ && offset + length == queued;
    if (length == 0 && !fin) return false;
    // RFC 9293 3.8.6.2.1, sender-side SWS avoidance: send a full segment, or all the data there is, or at
    // least half the largest window the peer has offered; else wait for the window to open (the override
    // timeout sends the small segment if it does not).
    if (!retransmission && length < mss && length < available && length < max_snd_wnd_ / 2 && !send_small_) {
        if (snd_una_ == snd_max_ && !retransmission_timer_.armed()) arm_retransmission();
        return false;
    }
    // Nagle (RFC 896, RFC 9293 3.7.4): with data in flight, a segment short of a full one waits until the
    // outstanding data is acknowledged (TCP_NODELAY turns this off).
    if (!retransmission && !options_.nodelay && length > 0 && length < mss && snd_una_ != snd_max_ && !send_small_) {
        return false;
    }
    send_small_ = false;
    std::uint8_t flags = TcpFlags::ack | (fin ? TcpFlags::fin : 0);
    if (length > 0 && offset + length == queued) flags |= TcpFlags::psh;
    transmit(snd_nxt_, flags, offset, length);
    if (retransmission) {
        ++host_.counters().RetransSegs;
        ++total_retransmits_;
    } else if (!rtt_timing_) {
        rtt_timing_ = true;
        flow().rtt_seq = snd_nxt_;
        flow_->rtt_sent_us = host_.now_us();
    }
    if (rack_enabled()) {
        const Seq end = snd_nxt_ + static_cast<std::uint32_t>(length) + (fin ? 1 : 0);
        if (retransmission) {
            flow().rack.retransmitted(snd_nxt_, end, host_.now_us());
        } else {
            // One record per MSS, offloaded or not: loss is marked, and resent, an MSS at a time.
            Rack& rack = flow().rack;
            for (Seq begin = snd_nxt_; begin != end;) {
                const Seq piece_end = static_cast<std::uint32_t>(end - begin) > mss ? begin + mss : end;
                rack.sent(begin, piece_end, host_.now_us());
                begin = piece_end;
            }
        }
    }
    if (snd_una_ == snd_max_) flow().unacked_since_us = host_.now_us();  // the first byte outstanding
    snd_nxt_ += static_cast<std::uint32_t>(length) + (fin ? 1 : 0);
    if (snd_max_ < snd_nxt_) snd_max_ = snd_nxt_;
    if (restart_timer || !retransmission_timer_.armed()) {
        arm_retransmission();
    } else if (!retransmission) {
        schedule_retransmission_timer();  // RFC 8985 7.2: new data restarts the probe timeout (not the RTO)
    }
    restart_timer = false;
    return true;
}

// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, where SND.NXT is the highest sent: after a timeout sets snd_nxt back
// to resend, the peer has seen numbers up to snd_max, and an ACK below them would fail its acceptability test.
void Tcb::send_ack() { transmit(snd_max_, TcpFlags::ack); }

void Tcb::send_out_of_window_ack(const wire::TcpSegment& segment) {
    const bool carries_nothing = segment.payload.empty() && !segment.flags.fin_set();
    const std::uint64_t now = host_.now_us();
    if (carries_nothing && last_out_of_window_ack_us_ != 0 &&
        now - last_out_of_window_ack_us_ < out_of_window_ack_interval_us) {
        ++host_.counters().TCPACKSkippedSeq;
        return;
    }
    if (carries_nothing) last_out_of_window_ack_us_ = now;
    send_ack();
}

void Tcb::send_challenge_ack(bool for_syn) {
    if (!host_.allow_challenge_ack()) {
        ++host_.counters().TCPChallengeACKLimit;
        return;
    }
    ++host_.counters().TCPChallengeACK;
    if (for_syn) ++host_.counters().TCPSYNChallenge;
    send_ack();
}

void Tcb::transmit(Seq seq, std::uint8_t flags, std::size_t payload_offset, std::size_t length,
                   bool with_syn_options) {
    const TcpConfig& config = host_.config();
    wire::TcpSegment segment;
    segment.source_port = tuple_.local.port;
    segment.destination_port = tuple_.remote.port;
    segment.seq = seq;
    segment.flags.bits = flags;
    if (flags & TcpFlags::ack) segment.ack = rcv_nxt_;
    if ((flags & TcpFlags::rst) && !(flags & TcpFlags::ack)) {
        segment.window = 0;
    } else if (flags & TcpFlags::syn) {
        // RFC 7323 2.2: the window of a SYN is never scaled.
        // The buffer as configured: the slack kept for rounding scaled windows is no room to offer.
        segment.window = static_cast<std::uint16_t>(std::min<std::size_t>(window_space(), 0xffff));
    } else {
        segment.window = static_cast<std::uint16_t>(rcv_wnd() >> rcv_wscale_);
    }
    bytes_sent_ += length;
    // Data of ours soon after the peer's: a conversation, whose ACKs ride on the answers (see quick_acks).
    if (!interactive_ && length > 0 && last_data_ms_ != 0 &&
        static_cast<std::uint32_t>(host_.now_us() / 1000 + 1 - last_data_ms_) * std::uint64_t{1000} <
            config.delayed_ack_us) {
        interactive_ = true;
    }
    if ((flags & TcpFlags::fin) && length == 0 && seq == fin_seq_) fin_sent_alone_ = true;
    else if ((flags & TcpFlags::fin) && length > 0) fin_sent_alone_ = false;
    if (with_syn_options) {
        // A SYN offers what the configuration allows; a SYN,ACK only what the peer's SYN offered.
        const bool answering = (flags & TcpFlags::ack) != 0;
        segment.options.mss = config.mss;
        if (answering ? window_scaling_ : config.window_scaling) {
            if (!answering) rcv_wscale_ = offered_window_shift(config.max_receive_buffer, options_.receive_buffer);
            segment.options.window_scale = rcv_wscale_;
        }
        if (answering ? timestamps_ : config.timestamps) {
            segment.options.timestamps = wire::TcpTimestamps{ts_now(), answering ? ts_recent_ : 0};
        }
        segment.options.sack_permitted = answering ? sack_permitted_ : config.sack;
    } else {
        // RFC 7323 3.2: timestamps on every segment once in use (Linux puts them on its RSTs too).
        if (timestamps_) segment.options.timestamps = wire::TcpTimestamps{ts_now(), ts_recent_};
        // RFC 2018 4: an ACK while data is held out of order carries SACK blocks, newest first; RFC 2883:
        // after a duplicate, a D-SACK block naming it comes first.
        if (sack_permitted_ && (flags & TcpFlags::ack) && !(flags & TcpFlags::rst)) {
            std::size_t most = timestamps_ ? 3 : 4;
            if (length > 0) {
                // A full data segment has no room for blocks within the path's limit: fewer of them (the
                // next pure ACK carries them all), never a packet larger than the path takes.
                const std::size_t used = length + (timestamps_ ? 12 : 0);
                const std::size_t room = segment_limit() > used ? segment_limit() - used : 0;
                most = std::min(most, room >= 12 ? (room - 4) / 8 : 0);  // NOP, NOP, kind, length, blocks
            }
            if (most > 0 && dsack_pending_) {  // else a pending D-SACK waits for the next ACK
                segment.options.add_sack_block(flow_->dsack);
                dsack_pending_ = false;
            }
            if (most > 0 && out_of_order_ != nullptr) {
                out_of_order_->sack_blocks(segment.options, most - segment.options.sack_block_count);
            }
        }
    }
    if (flags & TcpFlags::ack) {
        ack_pending_ = false;
        if (flow_ != nullptr) {
            flow_->unacknowledged_bytes = 0;
            if (flow_->delayed_ack_timer.armed()) host_.timers().cancel(flow_->delayed_ack_timer);
        }
        last_ack_sent_ = rcv_nxt_;
        if (!(flags & TcpFlags::rst)) {
            const std::uint32_t announced = (flags & TcpFlags::syn) ? segment.window
                                                                    : std::uint32_t{segment.window} << rcv_wscale_;
            if ((announced == 0) != zero_window_announced_) {
                ++(zero_window_announced_ ? host_.counters().TCPFromZeroWindowAdv : host_.counters().TCPToZeroWindowAdv);
                zero_window_announced_ = announced == 0;
            }
            if (!rcv_adv_valid_ || rcv_adv_ < rcv_nxt_ + announced) rcv_adv_ = rcv_nxt_ + announced;
            rcv_adv_valid_ = true;
        }
    }
    host_.transmit(*this, segment, payload_offset, length);
}

// RFC 6298 5.7: the handshake gave no RTT sample (its SYN or SYN,ACK was retransmitted, and Karn forbids
// measuring that), so the RTO for data starts at 3 s instead of 1 s (Linux: TCP_TIMEOUT_FALLBACK).
void Tcb::fall_back_rto() {
    RtoLimits limits = host_.config().rto;
    limits.initial_us = std::max<std::uint64_t>(limits.initial_us, 3'000'000);
    rtt_ = RttEstimator{limits};
}

// The retransmission timer (RFC 6298), or first the tail loss probe's timeout when that comes sooner
// (RFC 8985 7.2): PTO = 2*SRTT, plus the worst-case delayed ACK when a single segment is out (else 2 ms),
// or 1 s without an RTT sample.
void Tcb::arm_retransmission() {
    flow().rto_deadline_us = host_.now_us() + rtt_.rto_us();
    schedule_retransmission_timer();
}

void Tcb::schedule_retransmission_timer() {
    std::uint64_t deadline = flow().rto_deadline_us;
    probe_timer_ = false;
    rack_timer_ = false;
    // RFC 8985 6.2 step 5: the reordering timer, when it comes before the RTO. (The loss probe is not
    // scheduled while RACK waits on a segment: its answer would come no sooner.)
    if (flow_->rack_deadline_us != 0 && flow_->rack_deadline_us < deadline) {
        host_.timers().arm(retransmission_timer_, flow_->rack_deadline_us);
        rack_timer_ = true;
        return;
    }
    if (loss_probe_allowed()) {
        std::uint64_t pto = 1'000'000;
        if (rtt_.has_sample()) pto = 2 * rtt_.srtt_us() + (flight() <= effective_mss() ? 200'000 : 2'000);
        // RFC 8985 7.2: the probe is scheduled for min(PTO, RTO): when the RTO would come first, a probe goes
        // in its place, and the RTO, with its backoff, follows it.
        deadline = std::min(deadline, host_.now_us() + pto);
        probe_timer_ = true;
    }
    host_.timers().arm(retransmission_timer_, deadline);
}

// ---------------------------------------------------------------------------------------------------------
// Timeouts

void Tcb::on_timer(TimerKind kind) {
    const IdleCheck idle_check{*this};
    if (kind == TimerKind::linger) return;  // the stack tells the closing user; the close goes on
    if (kind == TimerKind::keepalive) {
        on_keepalive_timer();
        return;
    }
    if (kind == TimerKind::delayed_ack) {
        if (state_ != State::closed && flow_ != nullptr && flow_->unacknowledged_bytes > 0) {
            interactive_ = false;  // the ACK goes alone: no data of ours to ride on
            send_ack();
        }
        return;
    }
    switch (state_) {
    case State::time_wait:
        ++host_.counters().TW;
        enter_closed({});
        return;
    case State::fin_wait_2: enter_closed({}); return;  // an orphan whose peer never closed
    case State::closed:
    case State::listen: return;
    default: on_retransmission_timeout(); return;
    }
}

// The timer is armed for when the connection will have been idle for keepalive_idle_us, counting from the
// last segment received; segments arriving meanwhile do not move it (no timer work per packet): when it
// fires early it is simply armed again for the rest.
void Tcb::arm_keepalive() {
    if (!options_.keepalive || user_closed_ || (state_ != State::established && state_ != State::close_wait)) {
        if (user_timer_.kind == TimerKind::keepalive) host_.timers().cancel(user_timer_);
        return;
    }
    user_timer_.kind = TimerKind::keepalive;
    const std::uint64_t from = std::max(last_received_us_, host_.now_us() - std::min(host_.now_us(), options_.keepalive_idle_us()));
    host_.timers().arm(user_timer_, from + options_.keepalive_idle_us());
}

void Tcb::on_keepalive_timer() {
    if (!options_.keepalive || user_closed_ || (state_ != State::established && state_ != State::close_wait)) return;
    const std::uint64_t now = host_.now_us();
    // Data outstanding or waiting: the retransmission or persist timer watches the peer instead.
    const bool busy = snd_una_ != snd_max_ || send_queued() != 0;
    if (busy || (keepalive_probes_sent_ == 0 && now - last_received_us_ < options_.keepalive_idle_us())) {
        keepalive_probes_sent_ = 0;
        host_.timers().arm(user_timer_, (busy ? now : last_received_us_) + options_.keepalive_idle_us());
        return;
    }
    if (keepalive_probes_sent_ >= options_.keepalive_probes) {
        ++host_.counters().TCPKeepAliveTimeouts;
        transmit(snd_max_, TcpFlags::rst | TcpFlags::ack);  // as Linux: the peer learns it is given up
        enter_closed(timeout_error());
        return;
    }
    // The probe: <SEQ=SND.NXT-1><ACK=RCV.NXT>, a byte already acknowledged, so the peer must answer with an
    // ACK (RFC 1122 4.2.3.6), and no data (as Linux sends it).
    transmit(snd_max_ - 1, TcpFlags::ack);
    ++keepalive_probes_sent_;
    ++host_.counters().TCPKeepAlive;
    host_.timers().arm(user_timer_, now + options_.keepalive_interval_us());
}

void Tcb::on_retransmission_timeout() {
    if (rack_timer_) {
        rack_timer_ = false;
        Flow& f = flow();
        f.rack_deadline_us = 0;
        on_rack_result(f.rack.on_timer(host_.now_us(), congestion_.in_recovery(), duplicate_acks_, rtt_.srtt_us()));
        output();
        if (!retransmission_timer_.armed() && snd_una_ != snd_max_) schedule_retransmission_timer();
        return;
    }
    if (probe_timer_) {
        probe_timer_ = false;
        send_loss_probe();
        return;
    }
    const TcpConfig& config = host_.config();
    // TCP_USER_TIMEOUT (RFC 9293 3.10.8): data unacknowledged for longer than the user allows ends the
    // connection, however few retries that took.
    if (options_.user_timeout_ms != 0 && syn_acked_ && flow_ != nullptr && snd_una_ != snd_max_ &&
        host_.now_us() - flow_->unacked_since_us >= std::uint64_t{options_.user_timeout_ms} * 1000) {
        ++host_.counters().TCPAbortOnTimeout;
        enter_closed(timeout_error());
        return;
    }
    unsigned limit = state_ == State::syn_sent       ? config.syn_retries
                     : state_ == State::syn_received ? config.synack_retries
                                                     : config.retries;
    if (retries_ >= limit) {
        const bool half_open_child = passive_ && state_ == State::syn_received;
        if (!half_open_child) ++host_.counters().TCPAbortOnTimeout;
        enter_closed(half_open_child ? std::error_code{} : timeout_error());
        return;
    }
    ++retries_;
    probing_ = syn_acked_ && snd_wnd_ == 0 && send_queued() != 0;
    if (syn_acked_ && !probing_ && snd_una_ != snd_max_) {
        congestion_.on_timeout(flight());  // RFC 5681 eq. 4: ssthresh halved, cwnd one segment
        duplicate_acks_ = 0;
        recover_ = snd_max_;               // RFC 6582 4.1: no fast retransmit for what was sent before
        sack_recovery_ = false;
        probe_outstanding_ = false;
        // Everything outstanding goes again: RACK's log starts afresh with the data sent after this.
        if (flow_ != nullptr) {
            flow_->rack.clear();
            flow_->rack_deadline_us = 0;
        }
        // RFC 2018 section 8: the receiver may have reneged. Its SACKs are believed through one timeout
        // (the resend skips what they cover) but not through a second, or after it was seen to renege.
        if (scoreboard_ != nullptr && (scoreboard_suspect_ || retries_ > 1)) {  // retries_ counts this one
            scoreboard_->clear();
            scoreboard_suspect_ = false;
        }
    }
    ++(probing_ ? host_.counters().TCPWinProbe : host_.counters().TCPTimeouts);
    timed_out_ = true;
    timeout_ts_ = ts_now();
    rtt_.back_off();
    rtt_timing_ = false;  // Karn: no sample from a retransmitted segment
    if (!syn_acked()) {
        send_syn();
        return;
    }
    if (snd_una_ == snd_max_ && snd_wnd_ == 0 && send_queued() != 0) {
        // A zero-window probe: one byte past the window, so the peer answers with its window.
        // SND.NXT stays: the probe byte goes again, in order, once the window opens. SND.MAX covers it, so
        // an ACK of it is acceptable.
        if (snd_una_ == snd_max_) flow().unacked_since_us = host_.now_us();  // the user timeout counts from it
        transmit(snd_una_, TcpFlags::ack, 0, 1);
        if (snd_max_ < snd_una_ + 1) snd_max_ = snd_una_ + 1;
        arm_retransmission();
        return;
    }
    if (snd_una_ == snd_max_) {
        // Nothing outstanding: the timer ran as SWS avoidance's override timeout. Send what fits.
        if (snd_wnd_ > 0 && send_queued() != 0) {
            send_small_ = true;
            output();
        }
        return;
    }
    // Go back: resend the first outstanding segment alone; ACKs clock out the rest (snd_nxt < snd_max).
    snd_nxt_ = retransmit(snd_una_, snd_max_, std::max<std::size_t>(snd_wnd_, 1), true);
    arm_retransmission();
}

}  // namespace tcpp::tcp
