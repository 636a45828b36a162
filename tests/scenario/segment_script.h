#pragma once
// Tests that read like the RFC: one stack under test, and the test itself playing the peer. The test
// injects exact segments and expects exact segments back, on a virtual clock.
//
//   SegmentScript t;                                   // the stack is 10.0.0.2, the peer 10.0.0.1:40000
//   auto listener = t.stack.listen({{}, 80}, 8);
//   t.inject(Seg{}.syn().seq(1000).mss(1460));
//   wire::TcpSegment synack = t.expect(Seg{}.syn().ack(1001));   // flags must match exactly
//   t.inject(Seg{}.ack(synack.seq + 1).seq(1001));

#include <deque>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recorder.h"
#include "tcpp/stack.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp::tcp {
// So that gtest prints a State by its name.
inline void PrintTo(State state, std::ostream* out) { *out << to_string(state); }
}  // namespace tcpp::tcp

namespace tcpp::testing {

// A segment as a test writes it: the flags always, other fields only where given. ack(n) sets the ACK
// flag and number.
struct Seg {
    std::uint8_t flags = 0;
    std::optional<std::uint32_t> seq_value;
    std::optional<std::uint32_t> ack_value;
    std::optional<std::uint16_t> window_value;
    std::optional<std::uint16_t> mss_value;
    std::optional<std::uint8_t> wscale_value;
    std::optional<wire::TcpTimestamps> ts_value;
    bool sack_ok_value = false;
    std::vector<wire::SackBlock> sack_value;
    bool ts_any_value = false;   // expect: a timestamp option whose TSecr is ts_value's, TSval anything
    bool check_options = false;  // expect: the options must be exactly these (absent ones absent)
    std::string payload_value;
    std::optional<std::uint16_t> source_port;       // inject: default the peer's port
    std::optional<std::uint16_t> destination_port;  // inject: default the script's local port

    Seg& syn() { flags |= wire::TcpFlags::syn; return *this; }
    Seg& fin() { flags |= wire::TcpFlags::fin; return *this; }
    Seg& rst() { flags |= wire::TcpFlags::rst; return *this; }
    Seg& psh() { flags |= wire::TcpFlags::psh; return *this; }
    Seg& psh_if(bool set) { if (set) flags |= wire::TcpFlags::psh; return *this; }
    Seg& ack_flag() { flags |= wire::TcpFlags::ack; return *this; }
    Seg& seq(std::uint32_t v) { seq_value = v; return *this; }
    Seg& seq(wire::Seq v) { return seq(v.raw()); }
    Seg& ack(std::uint32_t v) { flags |= wire::TcpFlags::ack; ack_value = v; return *this; }
    Seg& ack(wire::Seq v) { return ack(v.raw()); }
    Seg& window(std::uint16_t v) { window_value = v; return *this; }
    Seg& mss(std::uint16_t v) { mss_value = v; return *this; }
    Seg& wscale(std::uint8_t v) { wscale_value = v; check_options = true; return *this; }
    Seg& ts(std::uint32_t value, std::uint32_t echo) { ts_value = {value, echo}; check_options = true; return *this; }
    // expect: timestamps whose echo is `echo` (our own TSval is the stack's business).
    Seg& ts_echo(std::uint32_t echo) {
        ts_value = {0, echo};
        ts_any_value = true;
        check_options = true;
        return *this;
    }
    Seg& sack_ok() { sack_ok_value = true; check_options = true; return *this; }
    Seg& sack(std::uint32_t left, std::uint32_t right) {
        sack_value.push_back({wire::Seq{left}, wire::Seq{right}});
        check_options = true;
        return *this;
    }
    // expect: the options must be exactly those given (with mss() and the above), nothing more.
    Seg& options_exactly() { check_options = true; return *this; }
    Seg& payload(std::string v) { payload_value = std::move(v); return *this; }
    Seg& from_port(std::uint16_t v) { source_port = v; return *this; }
    Seg& to_port(std::uint16_t v) { destination_port = v; return *this; }
};

std::string describe(const wire::TcpSegment& segment);

// How a fixture opens a connection: what the peer (the test) announces, and how long it takes to answer.
// The connection options of the rule tests: small segments go at once (no Nagle), as the scripts expect.
inline tcp::ConnectionOptions script_connection_options() {
    tcp::ConnectionOptions options;
    options.nodelay = true;
    return options;
}

struct OpenOptions {
    std::uint32_t peer_iss = 1000;
    std::uint16_t peer_window = 65535;
    std::optional<std::uint16_t> peer_mss = 1460;  // nothing: the peer's SYN carries no MSS option
    std::uint64_t rtt_us = 0;  // between the stack's SYN (or SYN,ACK) and the peer's answer: the RTT sample
    bool peer_sack_permitted = false;  // the peer's SYN offers SACK (RFC 2018)
    tcp::ConnectionOptions connection = script_connection_options();  // the stack's side (and a listener's children)
    int backlog = 8;
};

// A connection a fixture brought into some state, and the sequence numbers as they stand. The stack's ISN
// is unpredictable (RFC 6528), so the fixture reads it from the SYN or SYN,ACK the stack sent.
struct Opened {
    Connection connection;             // invalid for a passive SYN_RECEIVED (not accepted yet)
    std::optional<Listener> listener;  // the stack was the server: its listener, still open
    std::uint32_t iss = 0;             // the stack's initial sequence number
    std::uint32_t peer_iss = 0;        // the test's
    std::uint32_t snd_nxt = 0;         // the stack's next sequence number (what the peer acknowledges)
    std::uint32_t rcv_nxt = 0;         // the peer's next sequence number (what the stack acknowledges)
};

class SegmentScript {
public:
    static constexpr Ipv4Address local_address{10, 0, 0, 2};
    static constexpr Ipv4Address peer_address{10, 0, 0, 1};
    static constexpr std::uint16_t peer_port = 40000;
    static constexpr std::uint16_t client_port = 5555;  // the stack's port when it is the client

    explicit SegmentScript(StackConfig config = default_config());
    static StackConfig default_config();

    // Every event the stack traces (declared before the stack, which traces into it).
    Recorder recorder;
    // The port the stack's side uses by default in inject() (a listener's port, or a connection's).
    std::uint16_t local_port = 80;
    Stack stack;

    // --- Fixtures ---
    // The stack listens on local_port and the peer connects: SYN, SYN,ACK, ACK, accept(). ESTABLISHED.
    Opened open_server(const OpenOptions& options = {});
    // The stack connects from client_port to the peer (and local_port becomes client_port): SYN,
    // SYN,ACK, ACK. ESTABLISHED.
    Opened open_client(const OpenOptions& options = {});
    // A connection in `state`, reached the ordinary way with the stack as the server. The user still
    // holds the handle (it uses shutdown(), never close()), except in SYN_RECEIVED, where there is none
    // yet. For FIN_WAIT_1 and LAST_ACK the stack's FIN is out and unacknowledged.
    Opened open_in_state(State state, const OpenOptions& options = {});
    // The states a connection of this stack went through, from the trace: "SYN_RECEIVED ESTABLISHED ...".
    std::string states() const { return recorder.states("tcpp"); }

    // The peer sends a segment; it arrives now.
    void inject(const Seg& segment);
    // Raw bytes as an IPv4 packet from the peer.
    void inject_packet(wire::Bytes packet);
    // The next segment the stack sent must match; returns it (payload copied into last_payload).
    wire::TcpSegment expect(const Seg& expected, const char* file = __builtin_FILE(), int line = __builtin_LINE());
    // The stack has sent nothing more.
    void expect_nothing(const char* file = __builtin_FILE(), int line = __builtin_LINE());
    // Moves the clock on, running timers (and collecting what they send).
    void advance(std::uint64_t duration_us);
    // Moves the clock to the stack's next deadline.
    void advance_to_next_deadline();
    // Exactly `delay_us` from now, and not a microsecond before, the stack sends a segment matching
    // `expected`; returns it.
    wire::TcpSegment expect_after(std::uint64_t delay_us, const Seg& expected, const char* file = __builtin_FILE(),
                                  int line = __builtin_LINE());
    std::uint64_t now() const { return now_; }
    // Segments sent by the stack and not yet expected.
    std::size_t pending() const { return sent_.size(); }

    std::string last_payload;

private:
    void collect();

    std::uint64_t now_ = 1'000'000;
    std::deque<std::vector<std::byte>> sent_;
};

}  // namespace tcpp::testing
