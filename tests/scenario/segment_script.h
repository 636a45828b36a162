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
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tcpp/stack.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp::testing {

// A segment as a test writes it: the flags always, other fields only where given. ack(n) sets the ACK
// flag and number.
struct Seg {
    std::uint8_t flags = 0;
    std::optional<std::uint32_t> seq_value;
    std::optional<std::uint32_t> ack_value;
    std::optional<std::uint16_t> window_value;
    std::optional<std::uint16_t> mss_value;
    std::string payload_value;
    std::optional<std::uint16_t> source_port;       // inject: default the peer's port
    std::optional<std::uint16_t> destination_port;  // inject: default the script's local port

    Seg& syn() { flags |= wire::TcpFlags::syn; return *this; }
    Seg& fin() { flags |= wire::TcpFlags::fin; return *this; }
    Seg& rst() { flags |= wire::TcpFlags::rst; return *this; }
    Seg& psh() { flags |= wire::TcpFlags::psh; return *this; }
    Seg& ack_flag() { flags |= wire::TcpFlags::ack; return *this; }
    Seg& seq(std::uint32_t v) { seq_value = v; return *this; }
    Seg& seq(wire::Seq v) { return seq(v.raw()); }
    Seg& ack(std::uint32_t v) { flags |= wire::TcpFlags::ack; ack_value = v; return *this; }
    Seg& ack(wire::Seq v) { return ack(v.raw()); }
    Seg& window(std::uint16_t v) { window_value = v; return *this; }
    Seg& mss(std::uint16_t v) { mss_value = v; return *this; }
    Seg& payload(std::string v) { payload_value = std::move(v); return *this; }
    Seg& from_port(std::uint16_t v) { source_port = v; return *this; }
    Seg& to_port(std::uint16_t v) { destination_port = v; return *this; }
};

std::string describe(const wire::TcpSegment& segment);

class SegmentScript {
public:
    static constexpr Ipv4Address local_address{10, 0, 0, 2};
    static constexpr Ipv4Address peer_address{10, 0, 0, 1};
    static constexpr std::uint16_t peer_port = 40000;

    explicit SegmentScript(StackConfig config = default_config());
    static StackConfig default_config();

    // The port the stack's side uses by default in inject() (a listener's port, or a connection's).
    std::uint16_t local_port = 80;
    Stack stack;

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
