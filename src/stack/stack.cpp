// The Stack: IPv4 in and out, the demultiplexing of segments to connections, listeners and TIME_WAIT
// entries, the replies of RFC 9293 3.10.7.1 for segments that reach no connection, and the handles.

#include "tcpp/stack.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <deque>
#include <random>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ip/fragment_reassembly.h"
#include "ip/fragmentation.h"
#include "stack/cell_chunks.h"
#include "stack/connection_index.h"
#include "stack/packet_queue.h"
#include "stack/spare_pool.h"
#include "tcp/isn.h"
#include "tcp/tcb.h"
#include "tcp/time_wait.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp {
namespace {

using tcp::Tcb;
using wire::Seq;
using wire::TcpFlags;

std::error_code errno_code(std::errc value) { return std::make_error_code(value); }

// Buffers that can carry a connection: empty ones would leave it a zero window for ever.
// and sizes and times a TCB can keep exactly.
bool usable(const tcp::ConnectionOptions& options) {
    return options.send_buffer > 0 && options.receive_buffer > 0 && tcp::StoredOptions::representable(options);
}

// Slot numbers for connections, the lowest free one first: live connections gather at the front, so that
// the slot table can shrink from its end as connections close (a stack whose connections have all gone to
// TIME_WAIT keeps no table for them). Free numbers are bits, two levels deep: a search reads one summary
// word per 4096 slots.
class SlotNumbers {
public:
    // The lowest free number below `size`, taken; or `size` itself when none is free (the table grows).
    std::uint32_t take(std::uint32_t size) {
        for (std::size_t s = first_; s < summary_.size(); ++s) {
            first_ = s;  // no free number below this summary word
            if (summary_[s] == 0) continue;
            const std::size_t word = s * 64 + static_cast<std::size_t>(std::countr_zero(summary_[s]));
            const auto index = static_cast<std::uint32_t>(word * 64 + static_cast<std::size_t>(std::countr_zero(bits_[word])));
            clear(index);
            return index;
        }
        return size;
    }
    void give_back(std::uint32_t index) {
        const std::size_t word = index / 64;
        if (bits_.size() <= word) bits_.resize(word + 1, 0);
        if (summary_.size() <= word / 64) summary_.resize(word / 64 + 1, 0);
        bits_[word] |= std::uint64_t{1} << (index % 64);
        summary_[word / 64] |= std::uint64_t{1} << (word % 64);
        first_ = std::min(first_, word / 64);
    }
    bool is_free(std::uint32_t index) const {
        const std::size_t word = index / 64;
        return word < bits_.size() && (bits_[word] >> (index % 64) & 1) != 0;
    }
    // The table shrank to `size` slots: numbers from `size` on are no longer free numbers, but absent.
    // Costs what was removed, not what remains.
    void truncate(std::uint32_t size) {
        const std::size_t words = (std::size_t{size} + 63) / 64;
        for (std::size_t w = words; w < bits_.size(); ++w) {
            if (bits_[w] != 0) summary_[w / 64] &= ~(std::uint64_t{1} << (w % 64));
        }
        if (bits_.size() > words) bits_.resize(words);
        if (size % 64 != 0 && words > 0 && words <= bits_.size()) {
            bits_[words - 1] &= (std::uint64_t{1} << (size % 64)) - 1;
            if (bits_[words - 1] == 0) summary_[(words - 1) / 64] &= ~(std::uint64_t{1} << ((words - 1) % 64));
        }
        summary_.resize(std::min(summary_.size(), (bits_.size() + 63) / 64));
        if (bits_.capacity() > 64 && bits_.size() < bits_.capacity() / 4) bits_.shrink_to_fit();
        if (summary_.capacity() > 64 && summary_.size() < summary_.capacity() / 4) summary_.shrink_to_fit();
    }

private:
    void clear(std::uint32_t index) {
        const std::size_t word = index / 64;
        bits_[word] &= ~(std::uint64_t{1} << (index % 64));
        if (bits_[word] == 0) summary_[word / 64] &= ~(std::uint64_t{1} << (word % 64));
    }

    std::vector<std::uint64_t> bits_;     // bit i: slot i is free
    std::vector<std::uint64_t> summary_;  // bit w: some slot of bits_[w] is free
    std::size_t first_ = 0;               // no summary word below this has a bit set
};

// A connection's Readiness bits, as ReadinessObserver defines them.
std::uint8_t readiness_of(const Tcb& tcb) {
    const State state = tcb.state();
    const bool opened = state != State::syn_sent && state != State::syn_received;
    return static_cast<std::uint8_t>((tcb.readable() ? Readiness::readable : 0) |
                                     (tcb.writable() ? Readiness::writable : 0) | (opened ? Readiness::opened : 0));
}

struct EndpointHash {
    std::size_t operator()(const Endpoint& e) const {
        return std::hash<std::uint64_t>{}(std::uint64_t{e.address.value()} << 16 | e.port);
    }
};

}  // namespace

class Stack::Impl final : public tcp::TcbHost {
public:
    struct ConnectionSlot {
        Tcb* tcb = nullptr;          // in tcb_cells_ at this slot's number, while the slot is in use
        std::uint32_t generation = 0;
        bool user_holds = false;     // a Connection handle refers to it
        bool lingering = false;      // closed with linger {on, t}: the handle lasts until the FIN is acked or t
        bool hashed = false;         // in the demultiplexing table (until CLOSED or TIME_WAIT is compacted)
        // With a readiness observer: the Readiness bits as last found (by the stack, or lowered by a user
        // call that found them false); a bit that comes true beyond these is reported. In padding.
        std::uint8_t readiness = 0;
        std::uint32_t syn_queue_position = 0;  // in SYN_RECEIVED from a listener: its place in the SYN queue
        std::uint32_t listener = 0;  // passive and not yet accepted: the listener's index + 1
        // The keyed hash of the TCB's four-tuple, kept from new_slot(): unhashing, and filing the TIME_WAIT
        // entry, need it again.
        std::uint64_t tuple_hash = 0;
    };

    struct ListenerSlot {
        bool open = false;
        std::uint32_t generation = 0;
        Endpoint local;
        std::size_t backlog = 0;
        ListenOptions options;
        std::vector<std::uint32_t> syn_queue;     // connections in SYN_RECEIVED
        std::deque<std::uint32_t> accept_queue;   // connections ESTABLISHED (or since failed), not accepted
    };

    explicit Impl(Stack& owner, StackConfig config)
        : owner_(owner),
          config_(settled(std::move(config))),
          secret_(config_.secret ? *config_.secret : random_key()),
          isn_(secret_),
          output_(largest_packet(config_)),
          reassembly_(config_.reassembly, counters_, secret_),
          tuple_hash_{secret_},
          time_waits_(secret_) {
        attach(config_.tcp, timers_, counters_);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        for (ConnectionSlot& slot : slots_) {
            if (slot.tcb != nullptr) slot.tcb->~Tcb();  // in tcb_cells_, which outlives this loop
        }
    }

    // The configuration as the stack keeps it: the offload size capped once here, so that neither the TCBs
    // nor the output queue need to.
    static StackConfig settled(StackConfig config) {
        config.tcp.segmentation_offload = std::min(config.tcp.segmentation_offload, tcp::max_offload_segment);
        return config;
    }
    // The longest packet the stack builds: one MTU, or an offloaded segment with the largest headers (IPv4 20
    // and TCP 60 bytes); with some room to spare.
    static std::size_t largest_packet(const StackConfig& config) {
        return std::max<std::size_t>(config.mtu, std::size_t{config.tcp.segmentation_offload} + 80) + 64;
    }

    // --- TcbHost ---
    bool allow_challenge_ack() override;
    tcp::SackScoreboard* acquire_scoreboard() override { return scoreboards_.acquire(); }
    void release_scoreboard(tcp::SackScoreboard* scoreboard) override {
        scoreboards_.release(scoreboard, demux_.size());
    }
    tcp::OutOfOrder* acquire_out_of_order() override { return out_of_order_ranges_.acquire(); }
    void release_out_of_order(tcp::OutOfOrder* ranges) override {
        out_of_order_ranges_.release(ranges, demux_.size());
    }
    tcp::Flow* acquire_flow() override { return flows_.acquire(&buffer_pool_); }
    void release_flow(tcp::Flow* flow) override { flows_.release(flow, demux_.size()); }
    tcp::BufferPool& buffer_pool() override { return buffer_pool_; }
    void transmit(Tcb& tcb, wire::TcpSegment& segment, std::size_t payload_offset,
                  std::size_t payload_length) override;
    void state_changed(Tcb& tcb, State from, State to) override;

    // --- Sans-I/O ---
    void receive(wire::Bytes packet, std::uint64_t now);
    void poll(std::uint64_t now);
    std::optional<std::uint64_t> next_deadline() const;
    std::optional<wire::Bytes> next_output() { return output_.pop(); }
    std::optional<wire::Bytes> peek_output() const { return output_.peek(); }
    void prefetch(wire::Bytes packet);

    // --- Opening ---
    Result<Listener> listen(Endpoint local, int backlog, const ListenOptions& options);
    Result<Connection> connect(Endpoint remote, std::optional<Endpoint> local, const tcp::ConnectionOptions* options);

    // --- Handles ---
    Tcb* tcb(std::uint32_t index, std::uint32_t generation);
    ListenerSlot* listener(std::uint32_t index, std::uint32_t generation);
    Result<Connection> accept(ListenerSlot& listener);
    void close_listener(std::uint32_t index);
    void release(std::uint32_t index, bool abort);
    void unhash(std::uint32_t index);
    void leave_syn_queue(ListenerSlot& listener, std::uint32_t index);
    void end_linger(std::uint32_t index);
    bool lingering(std::uint32_t index) const { return slots_[index].lingering; }

    // --- Introspection ---
    const StackConfig& stack_config() const { return config_; }
    std::size_t connection_count() const { return demux_.size(); }
    const tcp::TimeWaitTable& time_waits() const { return time_waits_; }
    void for_each_socket(const std::function<void(const tcp::ConnectionInfo&)>& visit) const {
        for (const ListenerSlot& listener : listeners_) {
            if (!listener.open) continue;
            tcp::ConnectionInfo row;
            row.state = State::listen;
            row.tuple.local = listener.local;
            row.accept_queue = listener.accept_queue.size();
            row.backlog = listener.backlog;
            visit(row);
        }
        for (const ConnectionSlot& slot : slots_) {
            if (slot.tcb != nullptr) visit(slot.tcb->info());
        }
        time_waits_.for_each([&](const tcp::TimeWaitEntry& entry) {
            tcp::ConnectionInfo row;
            row.state = State::time_wait;
            row.tuple = entry.state.tuple();
            row.timer = "timewait";
            row.timer_expiry_us = time_waits_.expiry(entry);
            visit(row);
        });
    }
    void set_trace(TraceSink* sink) { trace_ = sink; }

    // --- Readiness (see ReadinessObserver) ---
    void set_readiness_observer(ReadinessObserver* observer);
    bool observed() const { return observer_ != nullptr; }
    // Calls the observer with what was queued; from the public receive() and poll(), once they are done.
    void deliver_readiness();
    // After a user call on a connection, with an observer: bits the call found false are lowered, so that
    // they are reported again.
    void after_user_call(std::uint32_t index) { slots_[index].readiness &= readiness_of(*slots_[index].tcb); }

private:
    // Compares a connection's readiness with what was last found, and queues what became true. Only with
    // an observer: without one the packet path only tests for it.
    void note_readiness(std::uint32_t index);
    void advance_clock(std::uint64_t now);
    // Where an arriving segment's connection is to be looked for: the last one found, or the index under
    // the tuple's hash (whose cell the CPU has been asked to fetch).
    struct Demux {
        FourTuple tuple;
        std::uint32_t last = stack::ConnectionIndex::none;  // last_found_, if the tuple is its connection's
        std::uint64_t hash = 0;                             // tuple_hash_(tuple), unless `last` is set
    };
    Demux start_demux(const wire::Ipv4View& ip, std::uint16_t source_port, std::uint16_t destination_port);
    void segment_arrived(const wire::TcpView& view, const Demux& demux);
    void icmp_arrived(const wire::Ipv4View& ip);
    void echo_request_arrived(const wire::Ipv4View& ip, const wire::Icmpv4View& icmp,
                              const wire::Icmpv4Header& header);
    void icmp_error_arrived(const wire::Icmpv4Header& header, wire::Bytes body);
    // A datagram for us, whole: arrived so, or reassembled from its fragments.
    void datagram_arrived(const wire::Ipv4View& ip);
    void fragment_arrived(const wire::Ipv4View& fragment);
    void send_time_exceeded(wire::Bytes quote);
    // A datagram we originate, not TCP, too long for the MTU: in fragments. `header`'s payload_length is the
    // whole payload's, given in pieces.
    void send_fragmented(const wire::Ipv4Header& header, std::span<const wire::Bytes> payload);
    void listener_segment(ListenerSlot& listener, std::uint32_t listener_index, const FourTuple& tuple,
                          std::uint64_t tuple_hash, const wire::TcpSegment& segment, std::optional<Seq> iss_floor);
    void time_wait_segment(tcp::TimeWaitEntry& entry, const wire::TcpSegment& segment, bool& reopen);
    // RFC 9293 3.10.7.1: the reset for a segment that reaches no connection (or an unacceptable ACK in
    // LISTEN): <SEQ=SEG.ACK><CTL=RST> if it carried an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    void reset_for(const FourTuple& tuple, const wire::TcpSegment& segment);
    void send_bare(const FourTuple& tuple, Seq seq, Seq ack, std::uint8_t flags, std::uint16_t window);
    void send_time_wait_ack(const tcp::TimeWaitState& state);
    void emit_packet(const FourTuple& tuple, wire::TcpSegment& segment, const Tcb* tcb, std::size_t payload_offset,
                     std::size_t payload_length);

    // `hash` is tuple_hash_(tuple), which the caller has always just computed.
    std::uint32_t new_slot(const FourTuple& tuple, std::uint64_t hash, const tcp::ConnectionOptions& options);
    ListenerSlot* find_listener(const Endpoint& local, std::uint32_t& index);
    // Whether a connection or TIME_WAIT entry has the four-tuple; `hash` is set if it had to be computed.
    bool tuple_in_use(const FourTuple& tuple, std::optional<std::uint64_t>& hash) const;
    std::uint32_t find_connection(const FourTuple& tuple, std::uint64_t hash) const {
        return demux_.find(hash, [&](std::uint32_t index) { return slots_[index].tcb->tuple() == tuple; });
    }
    std::uint32_t find_connection(const FourTuple& tuple) const { return find_connection(tuple, tuple_hash_(tuple)); }
    bool port_in_use(std::uint16_t port) const;
    // Frees TCBs that are CLOSED, and moves those in TIME_WAIT to compact entries, once no user holds them.
    void reap();
    void on_timer(timer::Timer& timer);

    TraceEvent trace_event(TraceEvent::Type type, const Endpoint& local, std::optional<Endpoint> remote) const;
    void trace_segment(const FourTuple& tuple, Direction direction, const wire::TcpSegment& segment);
    // `remote` by pointer (none for a listener): an optional built for the call, a byte written and the
    // whole read back, was a store-forwarding stall on every state change, sink or not.
    void trace_state(const Endpoint& local, const Endpoint* remote, State from, State to) {
        if (trace_ != nullptr) record_state(local, remote, from, to);
    }
    void record_state(const Endpoint& local, const Endpoint* remote, State from, State to);
    void trace_drop(const FourTuple& tuple, const wire::TcpSegment& segment, std::string_view reason);

    static tcp::SipKey random_key() {
        std::random_device device;
        auto word = [&] { return std::uint64_t{device()} << 32 | device(); };
        return {word(), word()};
    }

    Stack& owner_;
    StackConfig config_;
    tcp::SipKey secret_;
    tcp::IsnGenerator isn_;
    tcp::Counters counters_;
    timer::TimingWheel timers_;
    stack::PacketQueue output_;
    std::uint16_t ip_identification_ = 0;
    ip::FragmentReassembly reassembly_;  // IPv4 datagrams arriving in fragments
    TraceSink* trace_ = nullptr;

    // Declared before the slots: a TCB gives back what it holds of these when destroyed.
    stack::SparePool<tcp::SackScoreboard> scoreboards_;
    stack::SparePool<tcp::OutOfOrder> out_of_order_ranges_;
    tcp::BufferPool buffer_pool_;
    stack::SparePool<tcp::Flow> flows_;  // after buffer_pool_: their rings return to it
    stack::CellChunks<Tcb> tcb_cells_;
    std::vector<ConnectionSlot> slots_;
    SlotNumbers free_slots_;
    std::uint32_t generations_ = 0;  // the last generation given: a slot's occupant gets the next
    std::uint32_t last_found_ = ~std::uint32_t{0};  // the slot the last segment went to (a hint, checked)
    bool is_last_found(const FourTuple& tuple) const {
        return last_found_ < slots_.size() && slots_[last_found_].hashed && slots_[last_found_].tcb->tuple() == tuple;
    }
    // The four-tuples prefetch() hashed, and their hashes, for receive() to take (the newest two).
    struct Prefetched {
        FourTuple tuple;
        std::uint64_t hash = 0;
    };
    std::array<Prefetched, 2> prefetched_{};
    std::size_t prefetched_next_ = 0;
    // 256 KiB of index cells, about 16,000 connections or more: past this, many stacks' indexes (as a
    // benchmark's clients have) or one large one no longer stay in a core's cache.
    static constexpr std::size_t prefetch_index_bytes = 256 * 1024;
    bool index_outgrows_caches() const { return demux_.memory_bytes() >= prefetch_index_bytes; }
    tcp::FourTupleHash tuple_hash_;  // keyed with the secret: peers cannot aim at one chain
    stack::ConnectionIndex demux_;   // four-tuple -> slot, for TCBs until CLOSED (or TIME_WAIT compacted)
    // Local port -> the TCBs and TIME_WAIT entries on it: a flat array (256 KiB), O(1) with no hashing, and
    // no per-port nodes to pin freed memory between TCBs.
    std::vector<std::uint32_t> port_users_ = std::vector<std::uint32_t>(65536, 0);
    std::vector<ListenerSlot> listeners_;
    std::unordered_map<Endpoint, std::uint32_t, EndpointHash> listener_index_;
    tcp::TimeWaitTable time_waits_;
    std::vector<std::uint32_t> reap_list_;
    std::uint32_t next_ephemeral_ = 0;  // the next port's place in the range, from 0

    struct ReadyEvent {
        std::uint32_t index = 0;       // the connection's slot, or the listener's
        std::uint32_t generation = 0;  // of that connection or listener: a released handle is not reported
        std::uint8_t became = 0;       // Readiness bits; none for a listener
        bool listener = false;
    };
    ReadinessObserver* observer_ = nullptr;
    std::vector<ReadyEvent> ready_events_;  // found during the current receive() or poll()
    std::vector<ReadyEvent> delivering_;    // being delivered (callbacks may queue more meanwhile)
    bool delivering_now_ = false;

    // A small deterministic generator for the challenge-ACK budget, seeded from the secret.
    struct SplitMix {
        std::uint64_t state;
        std::uint64_t next() {
            std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            return z ^ (z >> 31);
        }
    };
    SplitMix random_{secret_[0] ^ secret_[1]};
    std::uint32_t challenge_budget_ = 0;
    std::uint64_t challenge_window_start_ = 0;
    std::uint32_t challenge_acks_in_window_ = 0;
    bool challenge_window_open_ = false;
};


// ---------------------------------------------------------------------------------------------------------
// Time

void Stack::Impl::advance_clock(std::uint64_t now) {
    if (now < now_us_) now = now_us_;
    now_us_ = now;
    timers_.advance(now, [this](timer::Timer& timer) { on_timer(timer); });
    time_waits_.expire(now, [this](const FourTuple& tuple) {
        ++counters_.TW;
        --port_users_[tuple.local.port];
        trace_state(tuple.local, &tuple.remote, State::time_wait, State::closed);
    });
    reassembly_.expire(now, [this](wire::Bytes quote) { send_time_exceeded(quote); });
    reap();
}

void Stack::Impl::on_timer(timer::Timer& timer) {
    auto& tcb_timer = static_cast<tcp::TcbTimer&>(timer);
    if (tcb_timer.kind == tcp::TimerKind::linger) {
        // The linger time is up: the close stops waiting, and goes on without its user (as on Linux).
        end_linger(tcb_timer.owner);
        return;
    }
    slots_[tcb_timer.owner].tcb->on_timer(tcb_timer.kind);
    if (observer_ != nullptr) [[unlikely]] note_readiness(tcb_timer.owner);
}

void Stack::Impl::end_linger(std::uint32_t index) {
    ConnectionSlot& slot = slots_[index];
    if (!slot.lingering) return;
    slot.lingering = false;
    slot.user_holds = false;
    reap_list_.push_back(index);
}

void Stack::Impl::poll(std::uint64_t now) { advance_clock(now); }

std::optional<std::uint64_t> Stack::Impl::next_deadline() const {
    auto a = timers_.next_deadline();
    auto b = time_waits_.next_deadline();
    if (auto c = reassembly_.next_deadline(); c && (!b || *c < *b)) b = c;  // fragments awaiting the rest
    if (a && b) return std::min(*a, *b);
    return a ? a : b;
}

// RFC 5961 7: challenge ACKs are limited per second. The budget of each second is drawn at random
// between half and one and a half times the configured rate, so an off-path attacker cannot count how
// many were spent and learn from it whether a connection exists (CVE-2016-5696; Linux does the same).
bool Stack::Impl::allow_challenge_ack() {
    // The first window opens with the first challenge: a stack whose clock starts at 0 must not refuse every
    // challenge ACK of its first second.
    if (!challenge_window_open_ || now_us_ - challenge_window_start_ >= 1'000'000) {
        challenge_window_open_ = true;
        challenge_window_start_ = now_us_;
        challenge_acks_in_window_ = 0;
        const std::uint32_t rate = config_.tcp.challenge_acks_per_second;
        challenge_budget_ = rate / 2 + static_cast<std::uint32_t>(random_.next() % (std::uint64_t{rate} + 1));
    }
    if (challenge_acks_in_window_ >= challenge_budget_) return false;
    ++challenge_acks_in_window_;
    return true;
}

// ---------------------------------------------------------------------------------------------------------
// Input

void Stack::Impl::receive(wire::Bytes packet, std::uint64_t now) {
    advance_clock(now);
    auto ip = wire::Ipv4View::parse(packet);
    if (!ip || ip->destination() != config_.address) return;
    if (ip->is_fragment()) [[unlikely]] {
        fragment_arrived(*ip);
        return;
    }
    datagram_arrived(*ip);
}

// RFC 791 3.2: a fragment waits in the reassembly for the rest of its datagram; the datagram it completes
// goes on as if it had arrived whole (its header checksum was made right there).
void Stack::Impl::fragment_arrived(const wire::Ipv4View& fragment) {
    // A datagram of a protocol the stack drops would only spend the reassembly's budget (every fragment
    // names its protocol, so none is held for one).
    if (fragment.protocol() != wire::ip_protocol::tcp && fragment.protocol() != wire::ip_protocol::icmp) return;
    const std::optional<wire::Bytes> whole = reassembly_.add(fragment, now_us_);
    if (!whole) return;
    if (auto ip = wire::Ipv4View::parse(*whole)) datagram_arrived(*ip);
}

void Stack::Impl::datagram_arrived(const wire::Ipv4View& ip) {
    if (ip.protocol() == wire::ip_protocol::icmp) {
        icmp_arrived(ip);
        return;
    }
    if (ip.protocol() != wire::ip_protocol::tcp) return;
    // The ports come before the TCP header is checked (a segment too short to hold them is dropped by that
    // check below): the index lookup can then start while the checksum is verified.
    const wire::Bytes transport = ip.payload();
    if (transport.size() < 4) {
        ++counters_.InErrs;
        return;
    }
    const Demux demux = start_demux(ip, wire::load_be16(transport.data()), wire::load_be16(transport.data() + 2));
    auto view = wire::TcpView::parse(ip, wire::ChecksumCheck::verify);
    if (!view) {
        ++counters_.InErrs;
        if (view.error() == wire::ParseError::bad_checksum) ++counters_.InCsumErrors;
        return;
    }
    ++counters_.InSegs;
    segment_arrived(*view, demux);
    reap();
}

// The connection of the last segment first (a bulk transfer's segments come in runs): a compare instead of
// a keyed hash. Otherwise one keyed hash of the tuple serves both tables, and the index cell it names is
// prefetched: with a million connections the index is larger than the caches, and the load would stall
// the segment; started here, it overlaps the checksum's pass over the segment.
Stack::Impl::Demux Stack::Impl::start_demux(const wire::Ipv4View& ip, std::uint16_t source_port,
                                            std::uint16_t destination_port) {
    Demux demux{{{ip.destination(), destination_port}, {ip.source(), source_port}}};
    if (is_last_found(demux.tuple)) {
        demux.last = last_found_;
        return demux;
    }
    if (index_outgrows_caches()) {
        for (const Prefetched& p : prefetched_) {
            if (p.tuple == demux.tuple && p.tuple.local.port != 0) {
                demux.hash = p.hash;  // hashed, and its cell asked for, by prefetch()
                return demux;
            }
        }
    }
    demux.hash = tuple_hash_(demux.tuple);
    demux_.prefetch(demux.hash);
    return demux;
}

// What start_demux() does, ahead of time, from the raw bytes: the addresses and ports are read where an
// IPv4 packet carrying TCP has them; anything else is ignored (receive() checks it all).
// Only while the index is large: a small one stays in the cache, and there the hint would cost more than
// the load it hides.
void Stack::Impl::prefetch(wire::Bytes packet) {
    if (!index_outgrows_caches() || packet.size() < wire::Ipv4Header::size()) return;
    const std::size_t header = std::size_t{std::to_integer<std::uint8_t>(packet[0])} % 16 * 4;  // IHL
    if (header < wire::Ipv4Header::size() || packet.size() < header + 4) return;
    const FourTuple tuple{{Ipv4Address{wire::load_be32(packet.data() + 16)}, wire::load_be16(packet.data() + header + 2)},
                          {Ipv4Address{wire::load_be32(packet.data() + 12)}, wire::load_be16(packet.data() + header)}};
    if (tuple.local.address != config_.address || tuple.local.port == 0) return;
    if (is_last_found(tuple)) return;
    Prefetched& p = prefetched_[prefetched_next_];
    prefetched_next_ = (prefetched_next_ + 1) % prefetched_.size();
    p.tuple = tuple;
    p.hash = tuple_hash_(tuple);
    demux_.prefetch(p.hash);
}

void Stack::Impl::segment_arrived(const wire::TcpView& view, const Demux& demux) {
    const wire::TcpSegment segment = wire::TcpSegment::from(view);
    const FourTuple& tuple = demux.tuple;
    assert(tuple.local.port == segment.destination_port && tuple.remote.port == segment.source_port);
    trace_segment(tuple, Direction::in, segment);

    std::uint32_t found = demux.last;
    const std::uint64_t tuple_hash = demux.hash;
    if (found == stack::ConnectionIndex::none) {
        found = find_connection(tuple, tuple_hash);
        if (found != stack::ConnectionIndex::none) last_found_ = found;
    }
    if (found != stack::ConnectionIndex::none) {
        ConnectionSlot& slot = slots_[found];
        Tcb& tcb = *slot.tcb;
        // Linux's default when the accept queue is full (tcp_abort_on_overflow = 0): drop the ACK that
        // would complete the handshake; our SYN,ACK is sent again, so the client is not refused.
        if (tcb.state() == State::syn_received && slot.listener != 0 && segment.flags.ack_set() &&
            !segment.flags.rst_set() && !segment.flags.syn_set()) {
            ListenerSlot& listener = listeners_[slot.listener - 1];
            if (listener.accept_queue.size() >= listener.backlog) {
                ++counters_.ListenOverflows;
                ++counters_.ListenDrops;
                trace_drop(tuple, segment, "accept queue full");
                return;
            }
        }
        tcb.on_segment(segment);
        if (observer_ != nullptr) [[unlikely]] note_readiness(found);
        return;
    }
    // A SYN that may take over a TIME_WAIT entry must start beyond its numbers (RFC 9293 3.6.1 / RFC 6191).
    std::optional<Seq> iss_floor;
    if (tcp::TimeWaitEntry* entry = time_waits_.find(tuple, tuple_hash)) {
        bool reopen = false;
        time_wait_segment(*entry, segment, reopen);
        if (!reopen) return;
        iss_floor = entry->state.snd_nxt + 65535 + 2;  // as Linux: beyond anything the old one sent
    }
    std::uint32_t listener_index = 0;
    if (ListenerSlot* listener = find_listener(tuple.local, listener_index)) {
        listener_segment(*listener, listener_index, tuple, tuple_hash, segment, iss_floor);
        return;
    }
    reset_for(tuple, segment);
}

void Stack::Impl::time_wait_segment(tcp::TimeWaitEntry& entry, const wire::TcpSegment& segment, bool& reopen) {
    const FourTuple tuple = entry.state.tuple();
    switch (tcp::classify(entry.state, segment)) {
    case tcp::TimeWaitAction::ignore: return;
    case tcp::TimeWaitAction::ack: {
        // At most one ACK per interval for segments that carry nothing (see out_of_window_ack_interval_us).
        if (segment.sequence_length() == 0 && !time_waits_.may_ack_bare(entry, now_us_)) {
            ++counters_.TCPACKSkippedSeq;
            return;
        }
        send_time_wait_ack(entry.state);
        return;
    }
    case tcp::TimeWaitAction::ack_and_restart:
        send_time_wait_ack(entry.state);
        time_waits_.restart(entry, now_us_);
        return;
    case tcp::TimeWaitAction::new_connection: {
        std::uint32_t index = 0;
        if (find_listener(tuple.local, index) == nullptr) {
            send_time_wait_ack(entry.state);
            return;
        }
        reopen = true;  // the listener decides; the entry goes only if it takes the SYN
        return;
    }
    }
}

// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> from a compact TIME_WAIT entry, with a timestamp if the connection
// used them (RFC 7323 3.2).
void Stack::Impl::send_time_wait_ack(const tcp::TimeWaitState& state) {
    wire::TcpSegment segment;
    segment.source_port = state.packed.local_port;
    segment.destination_port = state.packed.remote_port;
    segment.seq = state.snd_nxt;
    segment.ack = state.rcv_nxt;
    segment.flags.bits = TcpFlags::ack;
    segment.window = state.window;
    if (state.timestamps) {
        segment.options.timestamps =
            wire::TcpTimestamps{static_cast<std::uint32_t>(now_us_ / 1000) + state.ts_offset, state.ts_recent};
    }
    emit_packet(state.tuple(), segment, nullptr, 0, 0);
}

// RFC 9293 3.10.7.2.
void Stack::Impl::listener_segment(ListenerSlot& listener, std::uint32_t listener_index, const FourTuple& tuple,
                                   std::uint64_t tuple_hash, const wire::TcpSegment& segment,
                                   std::optional<Seq> iss_floor) {
    const TcpFlags flags = segment.flags;
    if (flags.rst_set()) return;
    if (flags.ack_set()) {
        reset_for(tuple, segment);
        return;
    }
    if (!flags.syn_set()) return;
    const bool accept_queue_full = listener.accept_queue.size() >= listener.backlog;
    if (accept_queue_full || listener.syn_queue.size() >= listener.backlog) {
        // As Linux counts them (tcp_conn_request): ListenOverflows only for a full accept queue,
        // ListenDrops for every SYN dropped.
        if (accept_queue_full) ++counters_.ListenOverflows;
        ++counters_.ListenDrops;
        trace_drop(tuple, segment, accept_queue_full ? "accept queue full" : "SYN queue full");
        return;
    }
    Seq iss = isn_.generate(tuple, now_us_);
    if (iss_floor) {
        // The SYN takes over a TIME_WAIT entry (RFC 6191): the entry goes, and the new ISS starts beyond it.
        ++counters_.TWRecycled;
        time_waits_.erase(tuple);
        --port_users_[tuple.local.port];
        trace_state(tuple.local, &tuple.remote, State::time_wait, State::closed);
        if (iss < *iss_floor) iss = *iss_floor;
    }
    std::uint32_t index = new_slot(tuple, tuple_hash, listener.options.connection.value_or(config_.tcp.defaults));
    slots_[index].listener = listener_index + 1;
    slots_[index].syn_queue_position = static_cast<std::uint32_t>(listener.syn_queue.size());
    listener.syn_queue.push_back(index);
    slots_[index].tcb->open_passive(segment, iss);
}

// ---------------------------------------------------------------------------------------------------------
// Output

void Stack::Impl::transmit(Tcb& tcb, wire::TcpSegment& segment, std::size_t payload_offset,
                           std::size_t payload_length) {
    emit_packet(tcb.tuple(), segment, &tcb, payload_offset, payload_length);
}

void Stack::Impl::reset_for(const FourTuple& tuple, const wire::TcpSegment& segment) {
    if (segment.flags.rst_set()) return;
    if (segment.flags.ack_set()) {
        send_bare(tuple, segment.ack, Seq{0}, TcpFlags::rst, 0);
    } else {
        send_bare(tuple, Seq{0}, segment.seq + segment.sequence_length(), TcpFlags::rst | TcpFlags::ack, 0);
    }
}

void Stack::Impl::send_bare(const FourTuple& tuple, Seq seq, Seq ack, std::uint8_t flags, std::uint16_t window) {
    wire::TcpSegment segment;
    segment.source_port = tuple.local.port;
    segment.destination_port = tuple.remote.port;
    segment.seq = seq;
    segment.ack = ack;
    segment.flags.bits = flags;
    segment.window = window;
    emit_packet(tuple, segment, nullptr, 0, 0);
}

// ICMP (RFC 792, RFC 1122 3.2.2): an echo request is answered; destination unreachable and time exceeded
// go to the connection they concern; the rest (source quench among them, RFC 6633) is counted and dropped.
void Stack::Impl::icmp_arrived(const wire::Ipv4View& ip) {
    ++counters_.IcmpInMsgs;
    auto icmp = wire::Icmpv4View::parse(ip.payload());
    if (!icmp) {
        ++counters_.IcmpInErrors;
        return;
    }
    const wire::Icmpv4Header header = wire::Icmpv4Header::from(*icmp);
    if (header.type == wire::icmp_type::destination_unreachable) ++counters_.IcmpInDestUnreachs;
    if (header.type == wire::icmp_type::time_exceeded) ++counters_.IcmpInTimeExcds;
    if (header.type == wire::icmp_type::echo_request && header.code == 0) echo_request_arrived(ip, *icmp, header);
    if (header.is_error()) icmp_error_arrived(header, icmp->body());
}

namespace {

// RFC 1191 7: the plateaus of the MTUs in use, for a fragmentation-needed message from a router too old
// to say the next hop's MTU: the highest one below the packet that was too big.
std::uint16_t mtu_plateau_below(std::uint16_t packet_size) {
    constexpr std::uint16_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
    for (std::uint16_t plateau : plateaus) {
        if (plateau < packet_size) return plateau;
    }
    return 68;
}

// What a destination-unreachable code means to TCP (RFC 1122 4.2.3.9), as the errno Linux gives it: hard
// for protocol and port unreachable (the host itself answered), soft for the rest.
std::pair<std::errc, bool> unreachable_error(std::uint8_t code) {
    switch (code) {
    case wire::icmp_unreachable::net:
    case 6:   // destination network unknown (RFC 1122 3.2.2.1)
    case 9:   // network administratively prohibited
    case 11:  // network unreachable for the type of service
        return {std::errc::network_unreachable, false};
    case wire::icmp_unreachable::protocol: return {std::errc::no_protocol_option, true};
    case wire::icmp_unreachable::port: return {std::errc::connection_refused, true};
    case wire::icmp_unreachable::source_route_failed: return {std::errc::operation_not_supported, false};
    default: return {std::errc::host_unreachable, false};  // host unreachable, unknown, prohibited, filtered
    }
}

}  // namespace

// An error about a segment we sent (RFC 1122 4.2.3.9; RFC 5927 for what to believe): the quoted IP and
// TCP headers name the connection, and the quoted sequence number must be one it has in flight, which a
// blind attacker would have to guess. Then the connection acts on it: a soft or hard error, or the path's
// MTU (RFC 1191).
void Stack::Impl::icmp_error_arrived(const wire::Icmpv4Header& header, wire::Bytes body) {
    auto quoted = wire::QuotedTcp::parse(body);
    auto quoted_ip = wire::Ipv4View::parse_quoted(body);
    if (!quoted || !quoted_ip || quoted->source != config_.address) {
        ++counters_.TCPIcmpErrorsIgnored;  // not about TCP, or not about a packet of ours
        return;
    }
    const FourTuple tuple{{quoted->source, quoted->source_port}, {quoted->destination, quoted->destination_port}};
    const std::uint32_t index = find_connection(tuple);
    if (index == stack::ConnectionIndex::none) {
        ++counters_.TCPIcmpErrorsIgnored;  // no such connection (a TIME_WAIT entry has nothing to act on)
        return;
    }
    Tcb& tcb = *slots_[index].tcb;
    if (!tcb.quotes_our_segment(quoted->seq)) {
        ++counters_.OutOfWindowIcmps;
        return;
    }
    if (header.type == wire::icmp_type::destination_unreachable &&
        header.code == wire::icmp_unreachable::fragmentation_needed) {
        // A next-hop MTU of 0 (RFC 792 routers), or one not below the packet that was too big (nonsense),
        // is replaced by the plateau under the packet's size.
        const std::uint16_t too_big = quoted_ip->total_length();
        const std::uint16_t mtu = header.next_hop_mtu();
        tcb.on_path_mtu(mtu != 0 && mtu < too_big ? mtu : mtu_plateau_below(too_big));
    } else if (header.type == wire::icmp_type::destination_unreachable) {
        if (header.code > 15) {  // no such code (RFC 1812 5.2.7.1 ends at 15): believed by nobody, as on Linux
            ++counters_.TCPIcmpErrorsIgnored;
            return;
        }
        const auto [error, hard] = unreachable_error(header.code);
        tcb.on_icmp_error(error, hard);
    } else {
        tcb.on_icmp_error(std::errc::host_unreachable, false);  // time exceeded: a loop, or a TTL too small
    }
    reap();  // a connection attempt may have ended
}

// An echo request is answered with the same identifier, sequence and data, so `ping` works.
void Stack::Impl::echo_request_arrived(const wire::Ipv4View& ip, const wire::Icmpv4View& icmp,
                                       const wire::Icmpv4Header& header) {
    ++counters_.IcmpInEchos;
    const std::size_t total = wire::Ipv4Header::size() + icmp.bytes().size();
    wire::Ipv4Header reply;
    reply.identification = ip_identification_++;
    reply.protocol = wire::ip_protocol::icmp;
    reply.source = config_.address;
    reply.destination = ip.source();
    reply.payload_length = static_cast<std::uint16_t>(icmp.bytes().size());
    if (total > config_.mtu) {
        // The request came in fragments (`ping -s 3000`), and so goes the reply. At most 65,515 bytes of
        // ICMP, the request's own length. Its checksum covers the whole message: summed over the header and
        // the data where they lie, before either is cut.
        std::array<std::byte, wire::Icmpv4Header::size()> reply_header{};
        wire::Icmpv4Header::echo_reply(header.identifier(), header.sequence()).emit(reply_header, {});
        wire::store_be16(reply_header.data() + 2, 0);
        wire::ChecksumAccumulator sum;
        sum.add_header(reply_header);
        sum.add(icmp.body());
        wire::store_be16(reply_header.data() + 2, sum.checksum());
        const std::array<wire::Bytes, 2> message{wire::Bytes{reply_header}, icmp.body()};
        send_fragmented(reply, message);
        ++counters_.IcmpOutEchoReps;
        return;
    }
    wire::MutableBytes buffer = output_.reserve();  // at least an MTU
    reply.emit(buffer);
    wire::Icmpv4Header::echo_reply(header.identifier(), header.sequence())
        .emit(buffer.subspan(wire::Ipv4Header::size()), icmp.body());
    output_.commit(total);
    ++counters_.IcmpOutEchoReps;
}

// RFC 792, RFC 1122 3.3.2: a datagram we gave up reassembling, whose first fragment had come, is reported to
// its sender (time exceeded, code 1), quoting that fragment's header and first 8 bytes of data. Not about
// ICMP other than echo (never an error about an error), nor to an address that is no single host's (RFC 1122
// 3.2.2).
void Stack::Impl::send_time_exceeded(wire::Bytes quote) {
    auto quoted = wire::Ipv4View::parse_quoted(quote);
    if (!quoted) return;
    const Ipv4Address to = quoted->source();
    const std::uint8_t first_octet = static_cast<std::uint8_t>(to.value() >> 24);
    if (to == Ipv4Address{} || to.value() == 0xffffffff || first_octet >= 224 || first_octet == 127) return;
    if (quoted->protocol() == wire::ip_protocol::icmp && !quoted->payload().empty()) {
        const auto type = std::to_integer<std::uint8_t>(quoted->payload()[0]);
        if (type != wire::icmp_type::echo_request && type != wire::icmp_type::echo_reply) return;
    }
    const std::size_t icmp_length = wire::Icmpv4Header::size() + quote.size();
    wire::MutableBytes buffer = output_.reserve();
    wire::Ipv4Header ip;
    ip.identification = ip_identification_++;
    ip.protocol = wire::ip_protocol::icmp;
    ip.source = config_.address;
    ip.destination = to;
    ip.payload_length = static_cast<std::uint16_t>(icmp_length);
    ip.emit(buffer);
    wire::Icmpv4Header::time_exceeded(1).emit(buffer.subspan(wire::Ipv4Header::size()), quote);
    output_.commit(wire::Ipv4Header::size() + icmp_length);
    ++counters_.IcmpOutTimeExcds;
}

// RFC 791 3.2: the fragments go out in order, each at most an MTU, so each fits a reserve() of the queue.
void Stack::Impl::send_fragmented(const wire::Ipv4Header& header, std::span<const wire::Bytes> payload) {
    const std::size_t count = ip::fragment(header, payload, config_.mtu, output_);
    if (count == 0) {
        ++counters_.FragFails;
        return;
    }
    ++counters_.FragOKs;
    counters_.FragCreates += count;
}

void Stack::Impl::emit_packet(const FourTuple& tuple, wire::TcpSegment& segment, const Tcb* tcb,
                              std::size_t payload_offset, std::size_t payload_length) {
    wire::MutableBytes buffer = output_.reserve();
    const std::size_t ip_header = wire::Ipv4Header::size();
    const std::size_t tcp_header = segment.header_size();
    const std::size_t total = ip_header + tcp_header + payload_length;
    assert(total <= buffer.size());
    // The payload is copied from the send buffer and summed for the checksum in the same pass.
    wire::ChecksumAccumulator payload_sum;
    if (payload_length > 0) {
        wire::MutableBytes payload = buffer.subspan(ip_header + tcp_header, payload_length);
        tcb->copy_send_data(payload_offset, payload, payload_sum);
        segment.payload = payload;
    }
    wire::Ipv4Header ip;
    ip.identification = ip_identification_++;
    ip.protocol = wire::ip_protocol::tcp;
    ip.source = tuple.local.address;
    ip.destination = tuple.remote.address;
    ip.payload_length = static_cast<std::uint16_t>(tcp_header + payload_length);
    ip.emit(buffer);
    segment.emit_with_payload_sum(buffer.subspan(ip_header), tuple.local.address, tuple.remote.address, payload_sum);
    output_.commit(total);
    ++counters_.OutSegs;
    if (segment.flags.rst_set()) ++counters_.OutRsts;
    trace_segment(tuple, Direction::out, segment);
}

// ---------------------------------------------------------------------------------------------------------
// Connections and their lifetime

std::uint32_t Stack::Impl::new_slot(const FourTuple& tuple, std::uint64_t hash, const tcp::ConnectionOptions& options) {
    assert(hash == tuple_hash_(tuple));
    const std::uint32_t index = free_slots_.take(static_cast<std::uint32_t>(slots_.size()));
    if (index == slots_.size()) slots_.emplace_back();
    ConnectionSlot& slot = slots_[index];
    // A generation no earlier occupant of any slot had: a handle to a closed connection never matches,
    // even after the table shrank and grew again.
    slot.generation = ++generations_;
    slot.tcb = new (tcb_cells_.take(index)) Tcb(*this, tuple, options);
    slot.user_holds = false;
    slot.lingering = false;
    slot.listener = 0;
    slot.hashed = true;
    slot.readiness = 0;
    slot.tuple_hash = hash;
    slot.tcb->set_host_index(index);
    demux_.insert(hash, index);
    ++port_users_[tuple.local.port];
    return index;
}

// Takes a TCB out of the demultiplexing table: once CLOSED it is no connection to the peer (a new SYN on
// its four-tuple may open another), even while a user still holds its handle.
void Stack::Impl::unhash(std::uint32_t index) {
    ConnectionSlot& slot = slots_[index];
    if (!slot.hashed) return;
    slot.hashed = false;
    const FourTuple& tuple = slot.tcb->tuple();
    demux_.erase(slot.tuple_hash, index);
    --port_users_[tuple.local.port];
}

// O(1): the last entry of the SYN queue takes the leaver's place.
void Stack::Impl::leave_syn_queue(ListenerSlot& listener, std::uint32_t index) {
    const std::uint32_t position = slots_[index].syn_queue_position;
    const std::uint32_t last = listener.syn_queue.back();
    listener.syn_queue[position] = last;
    slots_[last].syn_queue_position = position;
    listener.syn_queue.pop_back();
}

void Stack::Impl::state_changed(Tcb& tcb, State from, State to) {
    trace_state(tcb.tuple().local, &tcb.tuple().remote, from, to);
    const std::uint32_t index = tcb.host_index();
    ConnectionSlot& slot = slots_[index];
    if (slot.listener != 0 && from == State::syn_received) {
        ListenerSlot& listener = listeners_[slot.listener - 1];
        leave_syn_queue(listener, index);
        if (to != State::closed) {
            listener.accept_queue.push_back(index);  // room was checked before the ACK was processed
            if (observer_ != nullptr && listener.accept_queue.size() == 1) {
                ready_events_.push_back({slot.listener - 1, listener.generation, 0, true});
            }
        } else {
            slot.listener = 0;  // back to LISTEN: the half-open connection just goes
        }
    }
    if (slot.lingering && tcb.close_complete()) end_linger(index);
    if (to == State::closed) unhash(index);
    // A close found outside a segment or timer of this connection's own (an ICMP error, a user's abort).
    if (to == State::closed && observer_ != nullptr) note_readiness(index);
    if (to == State::closed || to == State::time_wait) reap_list_.push_back(index);
    // Where its TIME_WAIT entry will go starts loading when a connection closes first (a round trip before
    // reap() files it: time for a miss to the last cache) and again when it enters TIME_WAIT.
    if (to == State::time_wait || to == State::fin_wait_1) time_waits_.prefetch_insert(slot.tuple_hash);
}

void Stack::Impl::reap() {
    if (reap_list_.empty()) return;  // as after most segments: nothing has closed, so nothing to trim
    while (!reap_list_.empty()) {
        std::uint32_t index = reap_list_.back();
        reap_list_.pop_back();
        ConnectionSlot& slot = slots_[index];
        if (!slot.tcb || slot.user_holds || slot.listener != 0) continue;
        Tcb& tcb = *slot.tcb;
        if (tcb.state() != State::closed && tcb.state() != State::time_wait) continue;
        if (tcb.state() == State::time_wait) {
            // Not there: the tuple is the connection's, still in the connection index (a tuple is in one or
            // the other: connect() checks both, and a SYN that reopens a TIME_WAIT tuple erases its entry).
            time_waits_.insert_new(tcb.time_wait_state(), tcb.time_wait_expiry_us(), slot.tuple_hash);
            ++port_users_[tcb.tuple().local.port];
        }
        unhash(index);
        slot.tcb->~Tcb();
        slot.tcb = nullptr;
        tcb_cells_.give_back(index);
        free_slots_.give_back(index);
    }
    // The spares of connections that have gone go too.
    scoreboards_.trim(demux_.size());
    out_of_order_ranges_.trim(demux_.size());
    flows_.trim(demux_.size());
    // Free slots at the end of the table go, and the table's memory with them once it is mostly unused.
    std::size_t size = slots_.size();
    while (size > 0 && free_slots_.is_free(static_cast<std::uint32_t>(size - 1))) --size;
    if (size != slots_.size()) {
        slots_.resize(size);
        free_slots_.truncate(static_cast<std::uint32_t>(size));
        if (slots_.capacity() > 64 && size < slots_.capacity() / 4) slots_.shrink_to_fit();
    }
}

void Stack::Impl::release(std::uint32_t index, bool abort) {
    ConnectionSlot& slot = slots_[index];
    if (slot.lingering && !abort) return;  // already closing
    slot.lingering = false;
    if (abort) {
        slot.tcb->abort();
    } else {
        slot.tcb->close();
        // linger {on, t}: the close waits up to t for the peer to acknowledge our data and FIN; until then
        // the handle still answers (state, lingering), and then it is released.
        const tcp::Linger linger = slot.tcb->options().linger;
        if (linger.on && linger.timeout_us > 0 && !slot.tcb->close_complete()) {
            slot.lingering = true;
            return;
        }
    }
    slot.user_holds = false;
    reap_list_.push_back(index);
    reap();
}

Tcb* Stack::Impl::tcb(std::uint32_t index, std::uint32_t generation) {
    if (index >= slots_.size()) return nullptr;
    ConnectionSlot& slot = slots_[index];
    if (!slot.tcb || slot.generation != generation || !slot.user_holds) return nullptr;
    return slot.tcb;
}

bool Stack::Impl::tuple_in_use(const FourTuple& tuple, std::optional<std::uint64_t>& hash) const {
    // A local port that no connection or TIME_WAIT entry uses (as a fresh ephemeral port mostly is): no
    // hash and no probe of either table, which would each miss the cache once the tables are large.
    hash.reset();
    if (port_users_[tuple.local.port] == 0) return false;
    hash = tuple_hash_(tuple);  // one hash for both tables
    return find_connection(tuple, *hash) != stack::ConnectionIndex::none || time_waits_.find(tuple, *hash) != nullptr;
}

bool Stack::Impl::port_in_use(std::uint16_t port) const { return port_users_[port] != 0; }

// ---------------------------------------------------------------------------------------------------------
// Listeners

Stack::Impl::ListenerSlot* Stack::Impl::find_listener(const Endpoint& local, std::uint32_t& index) {
    if (listener_index_.empty()) return nullptr;  // as on a client: no hashing (and dividing) for nothing
    auto found = listener_index_.find(local);
    if (found == listener_index_.end()) found = listener_index_.find(Endpoint{Ipv4Address{}, local.port});
    if (found == listener_index_.end()) return nullptr;
    index = found->second;
    return &listeners_[index];
}

Stack::Impl::ListenerSlot* Stack::Impl::listener(std::uint32_t index, std::uint32_t generation) {
    if (index >= listeners_.size()) return nullptr;
    ListenerSlot& slot = listeners_[index];
    return slot.open && slot.generation == generation ? &slot : nullptr;
}

Result<Listener> Stack::Impl::listen(Endpoint local, int backlog, const ListenOptions& options) {
    if (backlog <= 0 || local.port == 0 || (options.connection && !usable(*options.connection))) {
        return Unexpected{errno_code(std::errc::invalid_argument)};
    }
    if (local.address != Ipv4Address{} && local.address != config_.address) {
        return Unexpected{errno_code(std::errc::address_not_available)};
    }
    for (const auto& [endpoint, index] : listener_index_) {
        if (endpoint.port == local.port) return Unexpected{errno_code(std::errc::address_in_use)};
    }
    if (!options.reuse_address && port_in_use(local.port)) return Unexpected{errno_code(std::errc::address_in_use)};
    auto free = std::find_if(listeners_.begin(), listeners_.end(), [](const ListenerSlot& s) { return !s.open; });
    if (free == listeners_.end()) free = listeners_.insert(listeners_.end(), ListenerSlot{});
    std::uint32_t index = static_cast<std::uint32_t>(free - listeners_.begin());
    ListenerSlot& slot = *free;
    slot.open = true;
    slot.local = local;
    slot.backlog = static_cast<std::size_t>(backlog);
    slot.options = options;
    listener_index_[local] = index;
    trace_state(local, nullptr, State::closed, State::listen);
    return Listener{&owner_, index, slot.generation};
}

Result<Connection> Stack::Impl::accept(ListenerSlot& listener) {
    if (listener.accept_queue.empty()) return Unexpected{errno_code(std::errc::resource_unavailable_try_again)};
    std::uint32_t index = listener.accept_queue.front();
    listener.accept_queue.pop_front();
    ConnectionSlot& slot = slots_[index];
    slot.listener = 0;
    slot.user_holds = true;
    return Connection{&owner_, index, slot.generation};
}

void Stack::Impl::close_listener(std::uint32_t index) {
    ListenerSlot& listener = listeners_[index];
    std::vector<std::uint32_t> children(listener.syn_queue.begin(), listener.syn_queue.end());
    children.insert(children.end(), listener.accept_queue.begin(), listener.accept_queue.end());
    listener.syn_queue.clear();
    listener.accept_queue.clear();
    for (std::uint32_t child : children) {
        slots_[child].listener = 0;
        slots_[child].tcb->abort();  // the peer's connection is reset, as Linux does
        reap_list_.push_back(child);
    }
    listener_index_.erase(listener.local);
    listener.open = false;
    ++listener.generation;
    trace_state(listener.local, nullptr, State::listen, State::closed);
    reap();
}

// ---------------------------------------------------------------------------------------------------------
// Active open

Result<Connection> Stack::Impl::connect(Endpoint remote, std::optional<Endpoint> local,
                                        const tcp::ConnectionOptions* options) {
    if (remote.port == 0 || remote.address == Ipv4Address{} || (options && !usable(*options))) {
        return Unexpected{errno_code(std::errc::invalid_argument)};
    }
    FourTuple tuple{{config_.address, 0}, remote};
    if (local) {
        if (local->address != Ipv4Address{} && local->address != config_.address) {
            return Unexpected{errno_code(std::errc::address_not_available)};
        }
        tuple.local.port = local->port;
    }
    std::optional<std::uint64_t> hash;
    if (tuple.local.port != 0) {
        if (tuple_in_use(tuple, hash)) return Unexpected{errno_code(std::errc::address_in_use)};
    } else {
        // RFC 6056 style: walk the range from a moving start, skipping ports a listener holds and
        // four-tuples in use.
        const std::uint32_t range = std::uint32_t{config_.ephemeral_last} - config_.ephemeral_first + 1;
        for (std::uint32_t tries = 0; tries < range; ++tries) {
            if (next_ephemeral_ >= range) next_ephemeral_ = 0;  // (a compare: `%` would divide, every connect)
            std::uint16_t port = static_cast<std::uint16_t>(config_.ephemeral_first + next_ephemeral_++);
            tuple.local.port = port;
            bool listened = !listener_index_.empty() && (listener_index_.contains({Ipv4Address{}, port}) ||
                                                         listener_index_.contains({config_.address, port}));
            if (!listened && !tuple_in_use(tuple, hash)) break;
            tuple.local.port = 0;
        }
        if (tuple.local.port == 0) return Unexpected{errno_code(std::errc::address_not_available)};
    }
    std::uint32_t index = new_slot(tuple, hash ? *hash : tuple_hash_(tuple), options ? *options : config_.tcp.defaults);
    ConnectionSlot& slot = slots_[index];
    slot.user_holds = true;
    slot.tcb->open_active(isn_.generate(tuple, now_us_));
    return Connection{&owner_, index, slot.generation};
}

// ---------------------------------------------------------------------------------------------------------
// Readiness

void Stack::Impl::set_readiness_observer(ReadinessObserver* observer) {
    observer_ = observer;
    ready_events_.clear();
    if (observer == nullptr) return;
    ready_events_.reserve(64);
    delivering_.reserve(64);
    // What is true now counts as found: only what becomes true from here on is reported.
    for (ConnectionSlot& slot : slots_) {
        if (slot.tcb != nullptr) slot.readiness = readiness_of(*slot.tcb);
    }
}

void Stack::Impl::note_readiness(std::uint32_t index) {
    ConnectionSlot& slot = slots_[index];
    const std::uint8_t now = readiness_of(*slot.tcb);
    const auto became = static_cast<std::uint8_t>(now & ~slot.readiness);
    slot.readiness = now;
    if (became != 0 && slot.user_holds && !slot.lingering) {
        ready_events_.push_back({index, slot.generation, became, false});
    }
}

void Stack::Impl::deliver_readiness() {
    if (ready_events_.empty()) return;
    if (delivering_now_) return;  // called from a callback: the delivery under way takes what is queued
    delivering_now_ = true;
    struct Finish {
        Impl& impl;
        ~Finish() {
            impl.delivering_.clear();
            impl.delivering_now_ = false;
        }
    } finish{*this};
    while (!ready_events_.empty() && observer_ != nullptr) {
        delivering_.swap(ready_events_);
        for (std::size_t i = 0; i < delivering_.size() && observer_ != nullptr; ++i) {
            const ReadyEvent event = delivering_[i];
            if (event.listener) {
                if (listener(event.index, event.generation)) {
                    observer_->listener_ready(Listener{&owner_, event.index, event.generation});
                }
            } else if (tcb(event.index, event.generation) && !slots_[event.index].lingering) {
                observer_->connection_ready(Connection{&owner_, event.index, event.generation}, event.became);
            }
        }
        delivering_.clear();
    }
}

// ---------------------------------------------------------------------------------------------------------
// Trace

TraceEvent Stack::Impl::trace_event(TraceEvent::Type type, const Endpoint& local, std::optional<Endpoint> remote) const {
    TraceEvent event;
    event.type = type;
    event.t_us = now_us_;
    event.node = config_.name;
    event.local = local;
    event.remote = remote;
    return event;
}

void Stack::Impl::trace_segment(const FourTuple& tuple, Direction direction, const wire::TcpSegment& segment) {
    if (!trace_) return;
    TraceEvent event = trace_event(TraceEvent::Type::segment, tuple.local, tuple.remote);
    event.direction = direction;
    event.segment = &segment;
    trace_->record(event);
}

void Stack::Impl::record_state(const Endpoint& local, const Endpoint* remote, State from, State to) {
    TraceEvent event =
        trace_event(TraceEvent::Type::state, local, remote != nullptr ? std::optional{*remote} : std::nullopt);
    event.from = from;
    event.to = to;
    trace_->record(event);
}

void Stack::Impl::trace_drop(const FourTuple& tuple, const wire::TcpSegment& segment, std::string_view reason) {
    if (!trace_) return;
    TraceEvent event = trace_event(TraceEvent::Type::drop, tuple.local, tuple.remote);
    event.direction = Direction::in;
    event.segment = &segment;
    event.reason = reason;
    trace_->record(event);
}

// ---------------------------------------------------------------------------------------------------------
// The public classes

Stack::Stack(StackConfig config) : impl_(std::make_unique<Impl>(*this, std::move(config))) {}
Stack::~Stack() = default;

// Without an observer, a tail call as before: the test is all the packet path pays.
void Stack::receive(wire::Bytes packet, std::uint64_t now_us) {
    if (!impl_->observed()) [[likely]] return impl_->receive(packet, now_us);
    impl_->receive(packet, now_us);
    impl_->deliver_readiness();
}
void Stack::poll(std::uint64_t now_us) {
    if (!impl_->observed()) [[likely]] return impl_->poll(now_us);
    impl_->poll(now_us);
    impl_->deliver_readiness();
}
std::optional<std::uint64_t> Stack::next_deadline() const { return impl_->next_deadline(); }
std::optional<wire::Bytes> Stack::next_output() { return impl_->next_output(); }
std::optional<wire::Bytes> Stack::peek_output() const { return impl_->peek_output(); }
void Stack::prefetch(wire::Bytes packet) { impl_->prefetch(packet); }
Result<Listener> Stack::listen(Endpoint local, int backlog, const ListenOptions& options) {
    return impl_->listen(local, backlog, options);
}
Result<Connection> Stack::connect(Endpoint remote, std::optional<Endpoint> local, const tcp::ConnectionOptions* options) {
    return impl_->connect(remote, local, options);
}
const StackConfig& Stack::config() const { return impl_->stack_config(); }
const tcp::Counters& Stack::counters() const { return const_cast<Impl&>(*impl_).counters(); }
std::uint64_t Stack::now_us() const { return impl_->now_us(); }
std::size_t Stack::connection_count() const { return impl_->connection_count(); }
std::size_t Stack::time_wait_count() const { return impl_->time_waits().size(); }
void Stack::for_each_socket(const std::function<void(const tcp::ConnectionInfo&)>& visit) const {
    impl_->for_each_socket(visit);
}
std::optional<std::uint64_t> Stack::time_wait_expiry(const FourTuple& tuple) const {
    const tcp::TimeWaitEntry* entry = impl_->time_waits().find(tuple);
    if (!entry) return std::nullopt;
    return impl_->time_waits().expiry(*entry);
}
void Stack::set_trace(TraceSink* sink) { impl_->set_trace(sink); }
void Stack::set_readiness_observer(ReadinessObserver* observer) { impl_->set_readiness_observer(observer); }

Result<Connection> Listener::accept() {
    auto* slot = stack_ ? stack_->impl_->listener(index_, generation_) : nullptr;
    if (!slot) return Unexpected{errno_code(std::errc::bad_file_descriptor)};
    return stack_->impl_->accept(*slot);
}

void Listener::close() {
    if (stack_ && stack_->impl_->listener(index_, generation_)) stack_->impl_->close_listener(index_);
    stack_ = nullptr;
}

bool Listener::valid() const { return stack_ && stack_->impl_->listener(index_, generation_); }
Endpoint Listener::local() const {
    auto* slot = stack_ ? stack_->impl_->listener(index_, generation_) : nullptr;
    return slot ? slot->local : Endpoint{};
}
std::size_t Listener::accept_queue_size() const {
    auto* slot = stack_ ? stack_->impl_->listener(index_, generation_) : nullptr;
    return slot ? slot->accept_queue.size() : 0;
}
std::size_t Listener::syn_queue_size() const {
    auto* slot = stack_ ? stack_->impl_->listener(index_, generation_) : nullptr;
    return slot ? slot->syn_queue.size() : 0;
}

namespace {

template <class T>
Result<T> bad_handle() {
    return Unexpected{errno_code(std::errc::bad_file_descriptor)};
}

}  // namespace

Result<std::size_t> Connection::send(wire::Bytes data) {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    if (!tcb) return bad_handle<std::size_t>();
    std::error_code error;
    if (stack_->impl_->observed()) [[unlikely]] {
        std::size_t n = tcb->send(data, error);
        stack_->impl_->after_user_call(index_);
        if (error) return Unexpected{error};
        return n;
    }
    std::size_t n = tcb->send(data, error);  // as it was before readiness: nothing kept across the call
    if (error) return Unexpected{error};
    return n;
}

Result<std::size_t> Connection::peek(wire::MutableBytes out) const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    if (!tcb) return bad_handle<std::size_t>();
    std::error_code error;
    const std::size_t n = tcb->peek(out, error);
    if (error) return Unexpected{error};
    return n;
}

Result<std::size_t> Connection::receive(wire::MutableBytes out) {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    if (!tcb) return bad_handle<std::size_t>();
    std::error_code error;
    if (stack_->impl_->observed()) [[unlikely]] {
        std::size_t n = tcb->receive(out, error);
        stack_->impl_->after_user_call(index_);
        if (error) return Unexpected{error};
        return n;
    }
    std::size_t n = tcb->receive(out, error);
    if (error) return Unexpected{error};
    return n;
}

std::error_code Connection::shutdown() {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    if (!tcb) return errno_code(std::errc::bad_file_descriptor);
    return tcb->shutdown_write();
}

void Connection::close() {
    if (stack_ && stack_->impl_->tcb(index_, generation_)) stack_->impl_->release(index_, false);
}

void Connection::abort() {
    if (stack_ && stack_->impl_->tcb(index_, generation_)) stack_->impl_->release(index_, true);
}

bool Connection::lingering() const {
    return stack_ && stack_->impl_->tcb(index_, generation_) && stack_->impl_->lingering(index_);
}

bool Connection::valid() const { return stack_ && stack_->impl_->tcb(index_, generation_); }

State Connection::state() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb ? tcb->state() : State::closed;
}

FourTuple Connection::tuple() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb ? tcb->tuple() : FourTuple{};
}

std::error_code Connection::error() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb ? tcb->error() : errno_code(std::errc::bad_file_descriptor);
}

bool Connection::readable() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb && tcb->readable();
}

bool Connection::writable() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb && tcb->writable();
}

std::size_t Connection::bytes_unread() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb ? tcb->receive_queued() : 0;
}

std::size_t Connection::bytes_unacknowledged() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb ? tcb->send_queued() : 0;
}

Result<tcp::ConnectionInfo> Connection::info() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    if (!tcb) return bad_handle<tcp::ConnectionInfo>();
    return tcb->info();
}

tcp::ConnectionOptions Connection::options() const {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    return tcb ? tcb->options() : tcp::ConnectionOptions{};
}

std::error_code Connection::set_options(const tcp::ConnectionOptions& options) {
    Tcb* tcb = stack_ ? stack_->impl_->tcb(index_, generation_) : nullptr;
    if (!tcb) return errno_code(std::errc::bad_file_descriptor);
    return tcb->set_options(options);
}

std::error_code Connection::set_linger(tcp::Linger linger) {
    tcp::ConnectionOptions options = this->options();
    options.linger = linger;
    return set_options(options);
}

}  // namespace tcpp
