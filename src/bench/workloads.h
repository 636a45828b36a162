#pragma once
// The end-to-end benchmarks of `tcpp bench`: tcpp stacks at both ends, in one thread, on a DirectNetwork
// with a virtual clock; wall time measured with std::chrono::steady_clock. Every loop is bounded by
// max_wall_seconds; a run that stalls or fails says why in `error`.

#include <cstdint>
#include <string>
#include <vector>

#include "tcpp/trace.h"

namespace tcpp::bench {

// Common to every workload.
struct RunLimits {
    double max_wall_seconds = 600;
    std::uint64_t tick_us = 1;  // the virtual clock moves on this much per round of the driver
    TraceSink* trace = nullptr;  // every segment and state change of every stack (slow: for small runs)
};

// One connection, `bytes` from client to server.
struct TransferOptions {
    std::uint64_t bytes = 256ull << 20;
    std::size_t buffer = 0;  // send and receive buffer of both ends; 0: the stack's default
    // Segmentation offload on both stacks (TcpConfig::segmentation_offload): segments of up to this many
    // bytes cross the link whole, as on Linux's loopback with TSO and GRO. 0: every segment one MSS.
    std::uint32_t segmentation_offload = 0;
    RunLimits limits{};
};
struct TransferResult {
    std::uint64_t bytes = 0;
    double wall_seconds = 0;   // the whole transfer, hashing included
    double hash_seconds = 0;   // of which the receiver spent hashing what arrived
    double goodput_gbps = 0;   // 8 * bytes / (wall_seconds - hash_seconds) / 1e9
    bool intact = false;       // SHA-256 of what arrived == SHA-256 of what was sent
    std::string sha256;        // of what arrived
    std::uint64_t packets = 0;
    std::uint64_t retransmissions = 0;
    std::uint64_t virtual_us = 0;
    std::size_t buffer = 0;
    std::uint32_t segmentation_offload = 0;
    std::string error;
};
TransferResult run_transfer(const TransferOptions& options);

// Complete lifecycles: connect, accept, 100-byte request, 100-byte reply, the client closes first, the
// server closes after reading end of stream; the client holds TIME_WAIT.
struct ChurnOptions {
    std::uint64_t lifecycles = 200'000;
    std::size_t concurrency = 1000;  // lifecycles in flight
    std::size_t clients = 0;         // client stacks (addresses); 0: enough that TIME_WAIT never runs out of ports
    double msl_ms = 30'000;          // TIME_WAIT lasts 2*MSL (of virtual time)
    RunLimits limits{};
    // Idle connections opened before the clock starts, on the same stacks and the same server port, and
    // left established with nothing to send for the whole run: the churn then runs beside them (their
    // four-tuples in the demultiplexing tables, their ports taken). Opening them is not timed.
    std::uint64_t idle = 0;
    bool idle_keepalive = false;     // SO_KEEPALIVE on both ends of each: a timer armed per end (2 h)
};
struct ChurnResult {
    std::uint64_t lifecycles = 0;
    double wall_seconds = 0;
    double lifecycles_per_s = 0;
    std::size_t clients = 0;
    std::size_t concurrency = 0;
    std::uint64_t time_wait_entries = 0;  // held by the clients at the end
    std::uint64_t time_wait_expired = 0;  // ran their 2*MSL during the run
    std::uint64_t packets = 0;
    std::uint64_t virtual_us = 0;
    std::uint64_t idle_connections = 0;   // open, established and idle beside the churn, start to end
    double idle_open_seconds = 0;         // wall time to open them (before the clock started)
    std::string error;
};
ChurnResult run_churn(const ChurnOptions& options);

// The scale figure: churn without idle connections and churn with options.idle of them open beside it, on
// as many client stacks (enough for the run with them unless options.clients), each on fresh stacks, in
// one process. `repeat` pairs of runs, the order alternating (without first, then with first, ...).
struct ScaleResult {
    ChurnResult without;  // the last run of each kind
    ChurnResult with;
    std::vector<double> rates_without;  // lifecycles per second of each run, in the order run
    std::vector<double> rates_with;
    double median_without = 0;
    double median_with = 0;
    double ratio = 0;  // median_with / median_without
    std::string error;
};
ScaleResult run_scale(const ChurnOptions& options, unsigned repeat = 1);

// One connection, 1-byte request and 1-byte response, round_trips times.
struct RoundTripOptions {
    std::uint64_t round_trips = 1'000'000;
    RunLimits limits{};
};
struct RoundTripResult {
    std::uint64_t round_trips = 0;
    double wall_seconds = 0;
    double round_trips_per_s = 0;
    double mean_us = 0;  // wall time per round trip
    std::uint64_t packets = 0;
    std::string error;
};
RoundTripResult run_round_trips(const RoundTripOptions& options);

// Memory of idle connections: N established (both ends in the process), then all closed client first so
// the clients hold N TIME_WAIT entries.
struct IdleOptions {
    std::uint64_t connections = 100'000;
    std::size_t clients = 0;  // client stacks (addresses); 0: as many as the ephemeral ports need
    RunLimits limits{};
};
struct IdleResult {
    std::uint64_t connections = 0;
    std::size_t clients = 0;
    std::uint64_t rss_baseline_bytes = 0;     // before any connection
    std::uint64_t rss_bytes = 0;              // with N established (2N connection ends)
    std::uint64_t rss_time_wait_bytes = 0;    // with N TIME_WAIT entries and nothing else
    std::uint64_t rss_after_expiry_bytes = 0; // once they have expired
    double bytes_per_established = 0;         // (rss_bytes - baseline) / 2N
    double bytes_per_time_wait = 0;           // (rss_time_wait_bytes - baseline) / N
    double heap_per_established = 0;          // the same from the allocator's bytes in use
    double heap_per_time_wait = 0;
    double bytes_per_time_wait_released = 0;  // (rss_time_wait_bytes - rss_after_expiry_bytes) / N
    double heap_per_time_wait_released = 0;   // the same from the allocator's bytes in use
    std::uint64_t time_wait_entries = 0;
    double connect_seconds = 0;               // wall time to open all N
    double close_seconds = 0;
    std::string error;
};
IdleResult run_idle(const IdleOptions& options);

// How many client addresses keep `in_use` four-tuples (TIME_WAIT included) to one server endpoint
// within the ephemeral range of each.
std::size_t clients_for(std::uint64_t in_use);

}  // namespace tcpp::bench
