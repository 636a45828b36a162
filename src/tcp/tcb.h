#pragma once
// One connection: the transmission control block of RFC 9293 section 3.3.1 and its event processing
// (section 3.10): user calls, segment arrival and timeouts. Sans-I/O: it reads the time, sends segments
// and arms timers only through its TcbHost.

#include <cassert>
#include <cstdint>
#include <system_error>

#include "tcp/byte_ring.h"
#include "tcp/config.h"
#include "tcp/connection_info.h"
#include "tcp/counters.h"
#include "tcp/four_tuple.h"
#include "tcp/reassembly.h"
#include "tcp/rack.h"
#include "tcp/rtt.h"
#include "tcp/sack_scoreboard.h"
#include "tcp/state.h"
#include "tcp/time_wait.h"
#include "timer/timing_wheel.h"
#include "wire/seq.h"
#include "wire/tcp.h"

namespace tcpp::tcp {

class Tcb;

enum class TimerKind : std::uint8_t {
    retransmission,  // SYN, SYN-ACK, data and FIN; in TIME_WAIT, the 2*MSL timeout
    linger,          // close() with linger {on, t}: how long close waits for the peer's ACK
    keepalive,       // before close(), on the same timer: the keepalive idle time and probe interval
    delayed_ack,     // the ACK for in-order data, when no second segment or data of ours came first
};

// A timer of a TCB, so the stack can tell whose timer fired: by the TCB's index in the stack (4 bytes,
// where a reference would take 8 and pad to 16).
struct TcbTimer : timer::Timer {
    explicit TcbTimer(TimerKind kind_) : kind(kind_) {}
    std::uint32_t owner = 0;  // the TCB's host_index()
    TimerKind kind;           // the user timer changes kind: keepalive until close(), linger after
};

// What a TCB needs from the stack it lives in.
struct Flow;

class TcbHost {
public:
    // The clock, the settings, the timers and the counters: used many times for every segment, so plain
    // data here rather than virtual calls.
    std::uint64_t now_us() const { return now_us_; }
    const TcpConfig& config() const { return *config_; }
    // Sends one segment. Its payload, if any, is `payload_length` bytes of the TCB's send buffer from
    // `payload_offset` on; the host copies them into the packet and points the segment's payload at them
    // (the segment is the caller's scratch, not copied again).
    virtual void transmit(Tcb& tcb, wire::TcpSegment& segment, std::size_t payload_offset,
                          std::size_t payload_length) = 0;
    virtual void state_changed(Tcb& tcb, State from, State to) = 0;
    timer::TimingWheel& timers() { return *timers_; }
    Counters& counters() { return *counters_; }
    // RFC 5961 section 7: may a challenge ACK be sent now? Counts it if so.
    virtual bool allow_challenge_ack() = 0;
    // A SACK scoreboard for a connection whose peer has begun to SACK, from a pool so that the packet path
    // does not allocate; given back once it is empty. Never null.
    virtual SackScoreboard* acquire_scoreboard() = 0;
    virtual void release_scoreboard(SackScoreboard* scoreboard) = 0;
    // Likewise the out-of-order ranges of a connection receiving data beyond a hole.
    virtual OutOfOrder* acquire_out_of_order() = 0;
    virtual void release_out_of_order(OutOfOrder* ranges) = 0;
    // Likewise a Flow; given back with its rings empty and without storage and its timer stopped.
    virtual Flow* acquire_flow() = 0;
    virtual void release_flow(Flow* flow) = 0;
    // Where send and receive buffers come from and go back to.
    virtual BufferPool& buffer_pool() = 0;

protected:
    TcbHost() = default;
    ~TcbHost() = default;
    // What config(), timers() and counters() refer to (set before any TCB is made; they outlive them).
    void attach(const TcpConfig& config, timer::TimingWheel& timers, Counters& counters) {
        config_ = &config;
        timers_ = &timers;
        counters_ = &counters;
    }

    std::uint64_t now_us_ = 0;  // the host's clock, which only it moves

private:
    const TcpConfig* config_ = nullptr;
    timer::TimingWheel* timers_ = nullptr;
    Counters* counters_ = nullptr;
};

// What a connection needs only while data moves: its buffers, the delayed-ACK timer, the state of a
// loss recovery or probe, the segment being timed. Taken from a per-stack pool when the connection starts
// to move data and given back when it falls idle (nothing buffered or in flight, no timer but keepalive),
// so that an idle connection is only its Tcb.
struct Flow {
    explicit Flow(BufferPool* pool) : send_buffer(0, pool), receive_buffer(0, pool) {}
    Flow(const Flow&) = delete;
    Flow& operator=(const Flow&) = delete;

    ByteRing send_buffer;     // from SND.UNA on (after the SYN)
    ByteRing receive_buffer;  // up to RCV.NXT, not yet read; data held out of order beyond it, in place
    TcbTimer delayed_ack_timer{TimerKind::delayed_ack};
    std::uint32_t unacknowledged_bytes = 0;  // in-order data received since our last ACK
    // The size of the peer's full-sized segments, as far as seen: the largest in-order payload so far
    // (from default_mss on, never above our MSS). More than one of it unacknowledged is ACKed at once.
    std::uint16_t rcv_mss = 0;
    std::uint64_t unacked_since_us = 0;  // when SND.UNA last moved, or data went out with none outstanding
    wire::Seq rxt_end;        // RFC 6675 HighRxt + 1
    wire::Seq rescue_end;     // RFC 6675 RescueRxt + 1
    wire::Seq probe_end;      // RFC 8985 TLP.end_seq: SND.MAX when the probe went
    wire::Seq rtt_seq;        // timed: the ACK that covers this sequence number ends the measurement
    wire::SackBlock dsack{};  // RFC 2883: the duplicate the next ACK reports first
    std::uint64_t rtt_sent_us = 0;
    std::uint64_t rto_deadline_us = 0;  // when the RTO is due while the timer runs as the loss probe's
    // RFC 8985 section 6: the send log and its time-based loss marks (with SACK); the reordering timer's
    // deadline, 0 when it is not wanted.
    Rack rack;
    std::uint64_t rack_deadline_us = 0;
};

// ConnectionOptions as a TCB keeps them, in 32 bytes instead of 80: MSL and linger in 32-bit
// microseconds (up to 71 minutes), keepalive times in milliseconds, buffers in 32 bits.
struct StoredOptions {
    std::uint32_t msl_us = 0;
    std::uint32_t linger_us = 0;
    std::uint32_t send_buffer = 0;
    std::uint32_t receive_buffer = 0;
    std::uint32_t keepalive_idle_ms = 0;
    std::uint32_t keepalive_interval_ms = 0;
    std::uint32_t user_timeout_ms = 0;
    std::uint8_t keepalive_probes = 0;
    bool linger_on = false;
    bool nodelay = false;
    bool keepalive = false;

    // Whether the options can be kept exactly (the limits above, 2*MSL within what a TIME_WAIT entry holds,
    // probes from 1 to 255, keepalive times in whole milliseconds, at least one).
    static bool representable(const ConnectionOptions& options);
    static StoredOptions from(const ConnectionOptions& options);
    ConnectionOptions expand() const;
    std::uint64_t keepalive_idle_us() const { return std::uint64_t{keepalive_idle_ms} * 1000; }
    std::uint64_t keepalive_interval_us() const { return std::uint64_t{keepalive_interval_ms} * 1000; }
};

class Tcb {
public:
    Tcb(TcbHost& host, const FourTuple& tuple, const ConnectionOptions& options);
    Tcb(const Tcb&) = delete;
    Tcb& operator=(const Tcb&) = delete;
    ~Tcb();

    // --- Opening (RFC 9293 3.10.1) ---
    // Active OPEN: send SYN, enter SYN_SENT.
    void open_active(wire::Seq iss);
    // A SYN arrived for a listener: enter SYN_RECEIVED and send SYN,ACK (3.10.7.2).
    void open_passive(const wire::TcpSegment& syn, wire::Seq iss);

    // --- User calls ---
    // SEND (3.10.2): queues as much as fits in the send buffer and returns how much; 0 when full.
    // EPIPE after shutdown or close, ENOTCONN before an open, the connection's error after a failure.
    std::size_t send(wire::Bytes data, std::error_code& error);
    // RECEIVE (3.10.3): copies out what has arrived; 0 with no error at end of stream (the peer's FIN),
    // 0 with EAGAIN when nothing is there yet.
    std::size_t receive(wire::MutableBytes out, std::error_code& error);
    // As receive(), but the bytes stay to be received again (MSG_PEEK).
    std::size_t peek(wire::MutableBytes out, std::error_code& error) const;
    // Half close: no more sends; a FIN follows the data already queued.
    std::error_code shutdown_write();
    // CLOSE (3.10.4): graceful, except an RST for unread data (RFC 2525 2.17) or linger {on, 0}.
    void close();
    // ABORT (3.10.5): RST in the states where the peer has a connection, and CLOSED.
    void abort();

    // --- Events from the stack ---
    void on_segment(const wire::TcpSegment& segment);
    void on_timer(TimerKind kind);

    // --- ICMP errors (RFC 1122 4.2.3.9, RFC 5461, RFC 5927), given after the stack has found the connection
    // the quoted segment names ---
    // Whether an error quoting a segment with this sequence number may concern us: one we have sent and not
    // seen acknowledged, SND.UNA <= SEQ < SND.NXT (RFC 5927 4.1), so a blind attacker must guess it.
    bool quotes_our_segment(wire::Seq seq) const;
    // Destination unreachable or time exceeded, as the errno it maps to. A connection attempt (SYN_SENT)
    // ends with it at once (RFC 5461: the application may have another address to try; Linux does the
    // same); a half-open passive connection is dropped on a hard error (protocol or port unreachable);
    // a synchronized connection only remembers it (RFC 5461 4: every error is soft there), and reports
    // it instead of ETIMEDOUT if the connection later times out.
    void on_icmp_error(std::errc error, bool hard);
    // Fragmentation needed (RFC 1191): the path to the peer carries at most `mtu` bytes. The MSS comes down
    // to fit (never below path_mss_floor), and what was in flight, too large to arrive, goes again.
    void on_path_mtu(std::uint16_t mtu);
    // The last soft error an ICMP message reported, if any.
    std::error_code soft_error() const { return soft_error_ != 0 ? std::error_code(soft_error_, std::generic_category()) : std::error_code{}; }
    // RFC 1191 leaves the least MTU to believe to the host; Linux's min_pmtu: 552 bytes.
    static constexpr std::uint16_t path_mtu_floor = 552;

    // --- What the user and the stack see ---
    State state() const { return state_; }
    const FourTuple& tuple() const { return tuple_; }
    std::error_code error() const { return error_ != 0 ? std::error_code(error_, std::generic_category()) : std::error_code{}; }
    bool passive() const { return passive_; }
    // Data or end of stream or an error waits to be received.
    bool readable() const;
    // send() would accept at least one byte, or report an error.
    bool writable() const;
    // The FIN this side sent has been acknowledged (or there was nothing to wait for): a lingering close
    // is complete.
    bool close_complete() const;
    std::uint64_t time_wait_expiry_us() const { return retransmission_timer_.expiry(); }
    // What a compact TIME_WAIT entry keeps of this connection.
    TimeWaitState time_wait_state() const;
    ConnectionOptions options() const { return options_.expand(); }
    // Buffer sizes change only while the buffers are empty (EBUSY otherwise, and nothing changes). EINVAL
    // for options StoredOptions cannot keep.
    std::error_code set_options(const ConnectionOptions& options);
    // Bytes in the send buffer (from SND.UNA on) and in the receive buffer (not yet read).
    std::size_t send_queued() const { return flow_ != nullptr ? flow_->send_buffer.size() : 0; }
    std::size_t receive_queued() const {
        assert(receive_queued_ == (flow_ != nullptr ? flow_->receive_buffer.size() : 0));
        return receive_queued_;
    }
    // Copies bytes of the send buffer, `offset` bytes after its front, for the host to put in a segment,
    // and adds them to the segment's checksum as it goes.
    void copy_send_data(std::size_t offset, wire::MutableBytes out, wire::ChecksumAccumulator& sum) const {
        flow_->send_buffer.copy_out(offset, out, sum);
    }
    // Whether the connection holds a Flow (it is moving data, or was moments ago).
    bool active() const { return flow_ != nullptr; }
    const RttEstimator& rtt() const { return rtt_; }
    const CongestionControl& congestion() const { return congestion_; }
    // The sender's SACK scoreboard while the peer SACKs data above SND.UNA; nullptr otherwise.
    const SackScoreboard* scoreboard() const { return scoreboard_; }
    // In fast recovery driven by the scoreboard (RFC 6675) rather than by duplicate ACKs (RFC 6582).
    bool sack_recovery() const { return sack_recovery_ && congestion_.in_recovery(); }
    unsigned retransmissions() const { return retries_; }
    ConnectionInfo info() const;

    // Sequence variables (RFC 9293 3.3.1), for the stack and for tests.
    wire::Seq snd_una() const { return snd_una_; }
    wire::Seq snd_nxt() const { return snd_nxt_; }
    std::uint32_t snd_wnd() const { return snd_wnd_; }
    wire::Seq iss() const { return iss_; }
    wire::Seq rcv_nxt() const { return rcv_nxt_; }
    // The receive window as announced, in bytes: the free receive buffer, rounded to what the window field
    // can say (below 64 KiB without scaling; a multiple of 2^Rcv.Wind.Shift with it).
    std::uint32_t rcv_wnd() const;
    wire::Seq irs() const { return irs_; }

    // What the handshake negotiated (RFC 7323, RFC 2018).
    bool window_scaling() const { return window_scaling_; }
    std::uint8_t snd_wscale() const { return snd_wscale_; }
    std::uint8_t rcv_wscale() const { return rcv_wscale_; }
    bool timestamps() const { return timestamps_; }
    bool sack_permitted() const { return sack_permitted_; }
    std::uint32_t ts_recent() const { return ts_recent_; }
    // Our timestamp clock (RFC 7323 section 5.4): milliseconds, from a per-connection offset.
    std::uint32_t ts_now() const;
    // The ranges held beyond RCV.NXT; nullptr when none are.
    const OutOfOrder* out_of_order() const { return out_of_order_; }

    // The stack's own index for this TCB (its slot), so a timer or a state change leads back to it.
    std::uint32_t host_index() const { return retransmission_timer_.owner; }
    void set_host_index(std::uint32_t index) {
        retransmission_timer_.owner = user_timer_.owner = index;
        if (flow_ != nullptr) flow_->delayed_ack_timer.owner = index;
    }

private:
    void set_state(State next);
    // Ends the connection: CLOSED, timers stopped, `error` kept for the user.
    void enter_closed(std::error_code error);
    void enter_time_wait();
    void enter_fin_wait_2();
    void arm_fin_timeout();
    // Keepalive (RFC 1122 4.2.3.6): arms the user timer for the next check, or stops it.
    void arm_keepalive();
    void on_keepalive_timer();

    // Segment arrival in each kind of state (3.10.7.3 and 3.10.7.4).
    void on_segment_syn_sent(const wire::TcpSegment& segment);
    void on_segment_synchronized(const wire::TcpSegment& segment);
    bool acceptable(const wire::TcpSegment& segment) const;
    // Step five of 3.10.7.4; false when the segment is to be dropped.
    bool process_ack(const wire::TcpSegment& segment);
    void process_text(const wire::TcpSegment& segment);
    // RFC 5681 3.2 and RFC 6582: duplicate ACKs, fast retransmit, NewReno recovery; with SACK, RFC 6675.
    void on_duplicate_ack(const wire::TcpSegment& segment, const SackScoreboard::UpdateResult& sack);
    // RFC 6675 section 5 (and RFC 5681 3.2 step 2): loss found; reduce the window and resend SND.UNA.
    void enter_recovery();
    void exit_recovery();
    // Takes the SACK blocks of an acceptable ACK into the scoreboard (RFC 6675 Update()).
    SackScoreboard::UpdateResult update_scoreboard(const wire::TcpSegment& segment);
    void release_scoreboard_if_empty();
    // The Flow, taken from the host if the connection has none.
    Flow& flow();
    // Gives the Flow back if the connection is idle.
    void release_flow_if_idle();
    struct IdleCheck;
    std::size_t receive_capacity() const {
        return options_.receive_buffer + (window_scaling_ ? window_slack() : 0);
    }
    std::size_t receive_free() const { return receive_capacity() - receive_queued(); }
    // RFC 6675 section 5 step (C): while the window allows, send what NextSeg() picks.
    void sack_recovery_output();
    // Resends from `begin` (at least SND.UNA) at most one segment, not past `end`, with the FIN if the
    // range reaches it. PSH when it ends the buffered data, or when `push`. Returns the end of what went
    // (begin when nothing did).
    wire::Seq retransmit(wire::Seq begin, wire::Seq end, std::size_t most = SIZE_MAX, bool push = false);
    void retransmit_first_unacknowledged();
    // Sends the next segment at SND.NXT: at most `room` bytes of data, and the FIN once all data is in.
    // Applies SWS avoidance and Nagle; skips what the peer has SACKed when resending after a timeout.
    // False when nothing was sent.
    bool send_next_segment(std::int64_t room, bool& restart_timer);
    // Data not yet sent, or our FIN, waits and the peer's window lets at least some of it go.
    bool new_data_sendable() const;
    // RFC 8985 section 7: the tail loss probe.
    bool loss_probe_allowed() const;
    void send_loss_probe();
    // RFC 8985 section 6: after an ACK or the reordering timer, what RACK found; starts recovery on a loss.
    void on_rack_result(const Rack::AckResult& result);
    bool rack_enabled() const { return sack_permitted_ && host_.config().rack; }
    // Resends RACK's lost segments while the window allows (lowest first). Returns the bytes it sent.
    void resend_rack_lost();
    // Bytes RACK holds lost that the scoreboard's IsLost does not: out of the pipe too.
    std::uint32_t rack_lost_beyond_scoreboard() const;
    void on_loss_probe_acked(const wire::TcpSegment& segment, const SackScoreboard::UpdateResult& sack,
                             bool advanced);
    // RFC 2883: remember [begin, end) as a duplicate, for the next ACK's D-SACK block.
    void note_duplicate(wire::Seq begin, wire::Seq end, bool out_of_order);
    std::uint32_t flight() const { return static_cast<std::uint32_t>(snd_max_ - snd_una_); }
    void hold_out_of_order(const wire::TcpSegment& segment, wire::Seq seq, wire::Bytes payload);
    void acknowledge_in_order(std::uint32_t bytes, std::uint32_t segment_length, bool at_once);
    void process_fin(const wire::TcpSegment& segment);
    void time_wait_segment(const wire::TcpSegment& segment);

    // Output.
    void output();
    void send_syn();
    void send_ack();
    // The ACK for a segment outside the window: at most one per out_of_window_ack_interval_us for
    // segments that carry no data (Linux's tcp_oow_rate_limited).
    void send_out_of_window_ack(const wire::TcpSegment& segment);
    // Sends the ACK that processing a segment called for, unless a segment sent since carried it.
    void flush_ack();
    void send_challenge_ack(bool for_syn);
    void send_reset_and_close();
    void transmit(wire::Seq seq, std::uint8_t flags, std::size_t payload_offset = 0, std::size_t length = 0,
                  bool with_syn_options = false);
    // The options of the peer's SYN: which of ours to use, and its scale, MSS and first timestamp.
    void take_syn_options(const wire::TcpOptions& options);
    // RFC 7323 section 5.3: false for a segment PAWS rejects (an older timestamp than TS.Recent).
    bool paws_ok(const wire::TcpSegment& segment) const;
    void update_ts_recent(const wire::TcpSegment& segment);
    std::uint32_t window_of(const wire::TcpSegment& segment) const;
    // Restarts the RTO (RFC 6298 5.1, 5.3), then schedules the timer.
    void arm_retransmission();
    // Arms the timer for the RTO deadline, or for the tail loss probe if that comes first.
    void schedule_retransmission_timer();
    void fall_back_rto();
    void on_retransmission_timeout();

    // Where the data in the send buffer starts: after the SYN.
    wire::Seq send_buffer_seq() const { return syn_acked() ? snd_una_ : iss_ + 1; }
    // Kept as a flag, not derived from SND.UNA != ISS: after 2^32 bytes SND.UNA comes round to ISS again.
    bool syn_acked() const { return syn_acked_; }
    bool fin_sent() const { return fin_queued_ && snd_max_ == fin_seq_ + 1; }
    // RFC 9293 3.10.7.4 and RFC 5961 5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.MAX (what was sent).
    bool ack_acceptable(wire::Seq ack) const { return !(ack > snd_max_ || ack < snd_una_ - max_snd_wnd_); }
    // receive() and peek() with nothing buffered: 0 at the end of the stream, else the error, or EAGAIN.
    std::size_t nothing_to_receive(std::error_code& error) const;
    bool fin_acked() const { return fin_queued_ && snd_una_ == fin_seq_ + 1; }
    std::uint16_t effective_mss() const;
    // The most a segment may carry, data and options together: the peer's MSS or the path's, the smaller.
    std::uint16_t segment_limit() const;
    // What a connection that times out reports: the last ICMP soft error, else ETIMEDOUT (as Linux does).
    std::error_code timeout_error() const;
    // The most new data one segment may carry: one MSS, or whole MSSes up to the link's offload size.
    std::size_t largest_segment(std::uint16_t mss) const;
    // Room in the receive buffer to announce: its free space less the slack kept for rounding.
    std::size_t window_space() const;
    wire::Seq zero_window_ack_limit() const;
    // Extra receive buffer beyond the configured size, eight units of the scale, so that windows rounded up
    // to the scale's granularity (to keep their right edge from moving left) can be stored.
    std::size_t window_slack() const { return std::size_t{8} << rcv_wscale_; }

    TcbHost& host_;
    FourTuple tuple_;
    StoredOptions options_;
    State state_ = State::closed;
    bool passive_ = false;       // opened from LISTEN
    bool fin_queued_ = false;    // a FIN follows the data in the send buffer
    bool fin_received_ = false;  // the peer's FIN has been taken in: end of stream
    bool user_closed_ = false;   // close() was called: nothing more will be read
    bool ack_pending_ = false;   // an ACK is owed for what arrived
    bool syn_acked_ = false;     // our SYN has been acknowledged
    bool probing_ = false;       // the peer's window is zero and the timer sends probes
    bool send_small_ = false;    // the override timeout: send a segment smaller than SWS avoidance allows
    bool rcv_adv_valid_ = false;
    bool fin_ahead_ = false;      // the peer's FIN came out of order: it follows the data held
    bool sack_recovery_ = false;  // the current recovery follows RFC 6675
    bool rescue_sent_ = false;    // RFC 6675 NextSeg rule 4 used in this recovery (RescueRxt defined)
    bool scoreboard_suspect_ = false;  // the peer reneged: the next timeout forgets its SACKs
    bool probe_outstanding_ = false;
    bool probe_was_retransmission_ = false;
    bool dsack_pending_ = false;
    bool timed_out_ = false;       // the retransmission timer has expired at least once
    bool rtt_timing_ = false;  // a segment is being timed (Karn: never a retransmitted one)
    // RFC 8985 7: the retransmission timer runs as the tail loss probe's timeout (see probe_end_).
    bool probe_timer_ = false;
    bool rack_timer_ = false;  // the retransmission timer runs as RACK's reordering timer
    // What the send and receive buffers needed when the Flow was last given back (ByteRing::first_storage(),
    // as a shift of ByteRing::min_storage): kept here so that the next Flow's rings start there.
    std::uint8_t send_storage_shift_ = 0;
    std::uint8_t receive_storage_shift_ = 0;
    std::uint8_t soft_error_ = 0;  // the errno of the last ICMP soft error (all fit in a byte)
    // Quick ACKs (see TcpConfig::quick_acks): how many more ACKs of in-order data go at once, unless the
    // connection is interactive (our data followed the peer's within the delayed-ACK timeout).
    std::uint8_t quick_acks_ = 0;
    bool interactive_ = false;
    bool fin_sent_alone_ = false;  // our FIN went in a segment of its own (the loss probe's choice)
    bool zero_window_announced_ = false;  // our last ACK announced a window of zero
    wire::Seq rcv_adv_;          // the right edge of the window we last announced: it never moves left
    int error_ = 0;  // the errno the connection failed with; 0 while it has not

    // Send sequence space (RFC 9293 3.3.1). snd_max is the highest snd_nxt so far: after a timeout
    // snd_nxt goes back to snd_una to resend, and ACKs up to snd_max remain acceptable.
    wire::Seq iss_;
    wire::Seq snd_una_;
    wire::Seq snd_nxt_;
    wire::Seq snd_max_;
    wire::Seq fin_seq_;
    std::uint32_t snd_wnd_ = 0;
    std::uint32_t max_snd_wnd_ = 0;
    wire::Seq snd_wl1_;
    wire::Seq snd_wl2_;
    std::uint16_t peer_mss_ = default_mss;
    // The largest segment, options included, the path carries: our MSS, until an ICMP message lowers it.
    std::uint16_t path_mss_ = 0;

    // Options (RFC 7323, RFC 2018): offered in our SYN; in use once the peer's SYN offered them too.
    bool window_scaling_ = false;
    std::uint8_t snd_wscale_ = 0;  // Snd.Wind.Shift: the peer's windows are scaled by it
    std::uint8_t rcv_wscale_ = 0;  // Rcv.Wind.Shift: ours are
    bool timestamps_ = false;
    bool sack_permitted_ = false;
    std::uint32_t ts_recent_ = 0;
    std::uint32_t ts_offset_ = 0;
    wire::Seq last_ack_sent_;      // RCV.NXT as our last ACK carried it (RFC 7323 4.3)

    // Receive sequence space.
    wire::Seq irs_;
    wire::Seq rcv_nxt_;
    // Bytes of the receive buffer up to RCV.NXT not yet read (the Flow's receive_buffer.size()), kept here
    // beside RCV.NXT: readable() and the window read this line, not the Flow's.
    std::uint32_t receive_queued_ = 0;

    // Present while data moves (see Flow); use flow() to have one.
    Flow* flow_ = nullptr;
    // Data held beyond RCV.NXT, in the receive buffer at its place: the ranges, while there are any.
    OutOfOrder* out_of_order_ = nullptr;
    wire::Seq fin_ahead_seq_;

    RttEstimator rtt_;
    CongestionControl congestion_;
    unsigned duplicate_acks_ = 0;
    wire::Seq recover_;           // RFC 6582: the highest sequence sent when recovery began
    SackScoreboard* scoreboard_ = nullptr;

    // RFC 8985 section 7: a tail loss probe. The retransmission timer runs as the probe timeout (PTO)
    // while probe_timer_ is set; after a probe it runs as the RTO again until the probe is resolved
    // (probe_outstanding_).


    // RFC 2883: a duplicate segment arrived (dsack_pending_); the next ACK reports it first in a D-SACK block.

    std::uint32_t timeout_ts_ = 0; // our timestamp clock when it last did

    unsigned retries_ = 0;
    std::uint64_t total_retransmits_ = 0;
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t bytes_acked_ = 0;
    std::uint64_t bytes_received_ = 0;
    std::uint64_t last_out_of_window_ack_us_ = 0;

    TcbTimer retransmission_timer_{TimerKind::retransmission};
    // Keepalive until close(), linger after it: the two never run at once.
    TcbTimer user_timer_{TimerKind::keepalive};
    std::uint64_t last_received_us_ = 0;  // when a segment last arrived (keepalive's idle time)
    // When in-order data last arrived, in milliseconds of the stack's clock plus one (0: never): the
    // interactive test (see TcpConfig::quick_acks). Here, not in the Flow, which goes back to the pool as
    // soon as the request is read, before the reply.
    std::uint32_t last_data_ms_ = 0;
    unsigned keepalive_probes_sent_ = 0;

};

}  // namespace tcpp::tcp
