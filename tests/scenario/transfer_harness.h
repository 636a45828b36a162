#pragma once
// Bulk transfers between two whole stacks over the simulated network, checked byte for byte.
//
// Each side's application writes its own stream (a deterministic, non-periodic pattern), then shuts down
// its sending side; it reads the peer's stream, comparing every byte with the pattern at its offset and
// hashing it with SHA-256; at the end of the peer's stream it closes. A byte lost, duplicated, reordered or
// corrupted changes what the reader compares and hashes. Every run is bounded in virtual time and in
// network steps, so a stall fails the test instead of hanging it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "bench/sha256.h"
#include "runtime/sim_network.h"
#include "tcpp/stack.h"

namespace tcpp::testing {

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;
inline constexpr std::uint64_t GiB = 1024 * MiB;

// Byte i of a stream is byte i % 8 of a 64-bit mix of (key, i / 8): never repeating, so a segment placed at
// the wrong offset cannot match by chance, and cheap to recompute at any offset.
class PatternStream {
public:
    explicit PatternStream(std::uint64_t key) : key_(key) {}
    void fill(std::uint64_t offset, wire::MutableBytes out) const;

private:
    std::uint64_t word(std::uint64_t index) const;
    std::uint64_t key_;
};

// One side's settings: what its stack announces and its connection's buffers.
struct SideConfig {
    std::size_t send_buffer = 64 * KiB;
    std::size_t receive_buffer = 64 * KiB;
    // Sets the window scale this side announces (the smallest shift that lets the field say it, at most 14).
    std::size_t max_receive_buffer = 6 * MiB;
    bool window_scaling = true;
    std::uint64_t delayed_ack_us = 40'000;
    unsigned retries = 15;  // timeouts without progress before ETIMEDOUT (Linux's tcp_retries2)
    std::uint32_t segmentation_offload = 0;  // TcpConfig::segmentation_offload
};

struct TransferSpec {
    std::uint64_t seed = 1;
    runtime::LinkConfig client_to_server{};
    runtime::LinkConfig server_to_client{};
    std::uint64_t client_sends = 0;  // bytes the client writes (the server reads them)
    std::uint64_t server_sends = 0;  // bytes the server writes, at the same time
    SideConfig client{};
    SideConfig server{};
    std::uint64_t max_virtual_us = 7'200'000'000;  // two hours
    std::uint64_t max_steps = 0;                   // 0: from the sizes
};

// The application on one side of the connection.
class StreamSide {
public:
    StreamSide(std::uint64_t send_key, std::uint64_t send_total, std::uint64_t receive_key);

    // Writes what fits, shuts down once all is written, reads what arrived (unless paused), and closes at
    // the peer's end of stream. A failed connection (its error()) is closed and recorded.
    void pump();

    Connection connection;
    bool reading = true;  // false: the application stops reading (its receive window closes)

    std::uint64_t send_total;
    std::uint64_t queued = 0;  // bytes the stack took from us
    bool shut_down = false;
    std::uint64_t received = 0;
    bool end_of_stream = false;
    bool closed = false;
    std::error_code error;
    std::optional<std::uint64_t> first_mismatch;  // the offset of the first byte that differed

    // From info() while the connection was open: what the handshake settled, the send window's extremes.
    std::optional<tcp::ConnectionInfo> established_info;
    std::optional<tcp::ConnectionInfo> last_info;  // the last taken before close()
    std::uint32_t max_snd_wnd = 0;
    bool saw_zero_snd_wnd = false;  // the peer's window was 0 while we had data to send

    bench::Sha256::Digest sent_digest{};
    bench::Sha256::Digest received_digest{};

private:
    void write();
    void read();
    void shut_down_when_written();
    void observe();
    void finish_hashes();

    PatternStream send_pattern_;
    PatternStream receive_pattern_;
    bench::Sha256 sent_hash_;
    bench::Sha256 received_hash_;
    bool hashes_done_ = false;
    std::vector<std::byte> staged_;  // generated, not yet taken by send()
    std::size_t staged_used_ = 0;
    std::vector<std::byte> read_buffer_;
    std::vector<std::byte> expected_;
};

// Records the states each node's connections go through (listeners left out).
class StateLog : public TraceSink {
public:
    void record(const TraceEvent& event) override;
    // "SYN_SENT ESTABLISHED ..." for the node's connections, in order (one connection per node here).
    std::string states(const std::string& node) const;

private:
    std::vector<std::pair<std::string, tcp::State>> entries_;
};

class TransferRun {
public:
    static constexpr Ipv4Address client_address{10, 0, 0, 1};
    static constexpr Ipv4Address server_address{10, 0, 0, 2};
    static constexpr std::uint16_t port = 5001;

    explicit TransferRun(const TransferSpec& spec);
    TransferRun(const TransferRun&) = delete;
    TransferRun& operator=(const TransferRun&) = delete;

    // Runs the network, and both applications after every step, until done() holds. False if the virtual
    // clock reached deadline_us or the step budget ran out first (a stall, or a storm of segments).
    bool run_until(const std::function<bool()>& done, std::uint64_t deadline_us);
    // Until both applications have read the other's whole stream and closed.
    bool transfer();
    // Runs for a span of virtual time, the applications too; the clock then stands exactly at its end.
    // False if the step budget ran out.
    bool run_for(std::uint64_t duration_us);
    // The same, but stops early once done() holds; true if it does.
    bool run_for(std::uint64_t duration_us, const std::function<bool()>& done);
    // Then until neither stack holds anything: connections and TIME_WAIT entries gone.
    bool drain();
    // Both stacks and both connections, for failure messages.
    std::string describe() const;

    TransferSpec spec;
    StateLog states;  // before the network: the stacks trace into it until they are destroyed
    runtime::SimNetwork network;
    Stack& client;
    Stack& server;
    StreamSide client_side;
    StreamSide server_side;
    Listener listener;
    std::uint64_t steps = 0;
    bool out_of_steps = false;

private:
    void pump();
};

std::string describe(const tcp::ConnectionInfo& info);
std::string describe(const tcp::Counters& counters);

}  // namespace tcpp::testing
