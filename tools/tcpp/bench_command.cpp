// `tcpp bench MODE`: end-to-end benchmarks, tcpp at both ends in one thread on a direct, zero-delay
// network with a virtual clock, timed by the wall clock. A human summary, or one JSON object with --json.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench/workloads.h"
#include "commands.h"
#include "tcp/config.h"
#include "trace/json_lines.h"

namespace tcpp::tool {
namespace {

struct BenchOptions {
    bool json = false;
    double max_seconds = 600;
    std::uint64_t tick_us = 1;
    std::string trace_path;
    std::shared_ptr<std::FILE> trace_file;
    std::unique_ptr<trace::JsonLinesSink> trace;
    bench::TransferOptions transfer;
    bench::ChurnOptions churn;
    bench::RoundTripOptions rr;
    bench::IdleOptions idle;
    bench::ChurnOptions scale{.idle = 1'000'000};
    unsigned scale_repeat = 1;
};

bench::RunLimits limits(const BenchOptions& options) {
    return {.max_wall_seconds = options.max_seconds, .tick_us = options.tick_us, .trace = options.trace.get()};
}

// --trace FILE: JSON lines of every segment and state change of every stack.
bool open_trace(BenchOptions& options, std::string_view mode) {
    if (options.trace_path.empty()) return true;
    options.trace_file.reset(std::fopen(options.trace_path.c_str(), "w"), std::fclose);
    if (!options.trace_file) {
        fmt::print(stderr, "tcpp bench {}: cannot write {}: {}\n", mode, options.trace_path, std::strerror(errno));
        return false;
    }
    options.trace = std::make_unique<trace::JsonLinesSink>(options.trace_file.get());
    return true;
}

// A failed run: one line on stderr, and with --json still one object (with "error") on stdout.
int failed(const BenchOptions& options, std::string_view mode, const std::string& error) {
    fmt::print(stderr, "tcpp bench {}: {}\n", mode, error);
    if (options.json) fmt::print("{{\"mode\": \"{}\", \"error\": \"{}\"}}\n", mode, error);
    return 1;
}

int transfer(BenchOptions& options) {
    if (!open_trace(options, "transfer")) return 1;
    options.transfer.limits = limits(options);
    auto r = bench::run_transfer(options.transfer);
    if (!r.error.empty()) return failed(options, "transfer", r.error);
    if (options.json) {
        fmt::print("{{\"mode\": \"transfer\", \"bytes\": {}, \"goodput_gbps\": {:.3f}, \"intact\": {}, "
                   "\"wall_seconds\": {:.6f}, \"hash_seconds\": {:.6f}, \"sha256\": \"{}\", \"packets\": {}, "
                   "\"retransmissions\": {}, \"buffer_bytes\": {}, \"segmentation_offload\": {}, \"virtual_us\": {}}}\n",
                   r.bytes, r.goodput_gbps, r.intact, r.wall_seconds, r.hash_seconds, r.sha256, r.packets,
                   r.retransmissions, r.buffer, r.segmentation_offload, r.virtual_us);
    } else {
        fmt::print("transfer: {} bytes client -> server in {:.3f} s of wall time ({:.3f} s of it hashing)\n", r.bytes,
                   r.wall_seconds, r.hash_seconds);
        fmt::print("  goodput {:.3f} Gbit/s (hashing excluded), {} packets, {} retransmitted, buffers {} bytes\n",
                   r.goodput_gbps, r.packets, r.retransmissions, r.buffer);
        if (r.segmentation_offload != 0) {
            fmt::print("  segmentation offload: segments of up to {} bytes crossed the link whole\n",
                       r.segmentation_offload);
        }
        fmt::print("  {}: SHA-256 {}\n", r.intact ? "intact" : "NOT INTACT", r.sha256);
    }
    return r.intact ? 0 : 1;
}

int churn(BenchOptions& options) {
    if (!open_trace(options, "churn")) return 1;
    options.churn.limits = limits(options);
    auto r = bench::run_churn(options.churn);
    if (!r.error.empty()) return failed(options, "churn", r.error);
    if (options.json) {
        fmt::print("{{\"mode\": \"churn\", \"lifecycles\": {}, \"lifecycles_per_s\": {:.1f}, \"wall_seconds\": {:.6f}, "
                   "\"concurrency\": {}, \"clients\": {}, \"time_wait_entries\": {}, \"time_wait_expired\": {}, "
                   "\"packets\": {}, \"virtual_us\": {}, \"idle_connections\": {}, \"idle_open_seconds\": {:.3f}}}\n",
                   r.lifecycles, r.lifecycles_per_s, r.wall_seconds, r.concurrency, r.clients, r.time_wait_entries,
                   r.time_wait_expired, r.packets, r.virtual_us, r.idle_connections, r.idle_open_seconds);
    } else {
        fmt::print("churn: {} lifecycles in {:.3f} s: {:.0f} lifecycles/s ({} in flight, {} client addresses)\n",
                   r.lifecycles, r.wall_seconds, r.lifecycles_per_s, r.concurrency, r.clients);
        fmt::print("  TIME_WAIT entries at the end: {} ({} expired during the run), {} packets\n", r.time_wait_entries,
                   r.time_wait_expired, r.packets);
        if (r.idle_connections > 0) {
            fmt::print("  beside {} idle connections{}, established at both ends from start to end "
                       "(opened in {:.3f} s, not timed)\n",
                       r.idle_connections, options.churn.idle_keepalive ? " with keepalive" : "", r.idle_open_seconds);
        }
    }
    return 0;
}

int scale(BenchOptions& options) {
    if (!open_trace(options, "scale")) return 1;
    options.scale.limits = limits(options);
    auto r = bench::run_scale(options.scale, options.scale_repeat);
    if (!r.error.empty()) return failed(options, "scale", r.error);
    if (options.json) {
        fmt::print("{{\"mode\": \"scale\", \"idle_connections\": {}, \"lifecycles_per_s_without\": {:.1f}, "
                   "\"lifecycles_per_s_with\": {:.1f}, \"ratio\": {:.3f}, \"repeat\": {}, \"runs_without\": [{:.1f}], "
                   "\"runs_with\": [{:.1f}], \"lifecycles\": {}, \"concurrency\": {}, \"clients\": {}, "
                   "\"idle_keepalive\": {}, \"idle_open_seconds\": {:.3f}}}\n",
                   r.with.idle_connections, r.median_without, r.median_with, r.ratio, r.rates_with.size(),
                   fmt::join(r.rates_without, ", "), fmt::join(r.rates_with, ", "), r.with.lifecycles,
                   r.with.concurrency, r.with.clients, options.scale.idle_keepalive, r.with.idle_open_seconds);
    } else {
        fmt::print("scale: churn of {} lifecycles ({} in flight, {} client addresses), without and with {} idle "
                   "connections{} open beside it, {} time{} each\n",
                   r.with.lifecycles, r.with.concurrency, r.with.clients, r.with.idle_connections,
                   options.scale.idle_keepalive ? " (keepalive on)" : "", r.rates_with.size(),
                   r.rates_with.size() == 1 ? "" : "s");
        fmt::print("  without: {:.0f} lifecycles/s (median; runs: {:.0f})\n", r.median_without,
                   fmt::join(r.rates_without, ", "));
        fmt::print("  with:    {:.0f} lifecycles/s (median; runs: {:.0f}); opening the idle connections took {:.3f} s, "
                   "not timed\n",
                   r.median_with, fmt::join(r.rates_with, ", "), r.with.idle_open_seconds);
        fmt::print("  ratio with / without: {:.3f}\n", r.ratio);
    }
    return 0;
}

int rr(BenchOptions& options) {
    if (!open_trace(options, "rr")) return 1;
    options.rr.limits = limits(options);
    auto r = bench::run_round_trips(options.rr);
    if (!r.error.empty()) return failed(options, "rr", r.error);
    if (options.json) {
        fmt::print("{{\"mode\": \"rr\", \"round_trips\": {}, \"round_trips_per_s\": {:.1f}, \"wall_seconds\": {:.6f}, "
                   "\"mean_us\": {:.4f}, \"packets\": {}}}\n",
                   r.round_trips, r.round_trips_per_s, r.wall_seconds, r.mean_us, r.packets);
    } else {
        fmt::print("rr: {} round trips of 1 byte each way in {:.3f} s: {:.0f} round trips/s ({:.3f} us each), {} packets\n",
                   r.round_trips, r.wall_seconds, r.round_trips_per_s, r.mean_us, r.packets);
    }
    return 0;
}

int idle(BenchOptions& options) {
    if (!open_trace(options, "idle")) return 1;
    options.idle.limits = limits(options);
    auto r = bench::run_idle(options.idle);
    if (!r.error.empty()) return failed(options, "idle", r.error);
    if (options.json) {
        fmt::print("{{\"mode\": \"idle\", \"connections\": {}, \"rss_bytes\": {}, \"bytes_per_established\": {:.1f}, "
                   "\"bytes_per_time_wait\": {:.1f}, \"rss_baseline_bytes\": {}, \"rss_time_wait_bytes\": {}, "
                   "\"heap_per_established\": {:.1f}, \"heap_per_time_wait\": {:.1f}, \"time_wait_entries\": {}, "
                   "\"clients\": {}, \"connect_seconds\": {:.6f}, \"close_seconds\": {:.6f}, "
                   "\"rss_after_expiry_bytes\": {}, \"bytes_per_time_wait_released\": {:.1f}, "
                   "\"heap_per_time_wait_released\": {:.1f}}}\n",
                   r.connections, r.rss_bytes, r.bytes_per_established, r.bytes_per_time_wait, r.rss_baseline_bytes,
                   r.rss_time_wait_bytes, r.heap_per_established, r.heap_per_time_wait, r.time_wait_entries, r.clients,
                   r.connect_seconds, r.close_seconds, r.rss_after_expiry_bytes, r.bytes_per_time_wait_released,
                   r.heap_per_time_wait_released);
    } else {
        fmt::print("idle: {} connections established ({} client addresses), both ends in this process\n", r.connections,
                   r.clients);
        fmt::print("  RSS {:.1f} MiB before, {:.1f} MiB established, {:.1f} MiB with only the TIME_WAIT entries\n",
                   static_cast<double>(r.rss_baseline_bytes) / (1 << 20), static_cast<double>(r.rss_bytes) / (1 << 20),
                   static_cast<double>(r.rss_time_wait_bytes) / (1 << 20));
        fmt::print("  {:.0f} bytes per established connection end (heap: {:.0f}), {:.0f} per TIME_WAIT entry (heap: {:.0f})\n",
                   r.bytes_per_established, r.heap_per_established, r.bytes_per_time_wait, r.heap_per_time_wait);
        fmt::print("  {:.0f} bytes per TIME_WAIT entry given back when they expire (heap: {:.0f}); RSS {:.1f} MiB after\n",
                   r.bytes_per_time_wait_released, r.heap_per_time_wait_released,
                   static_cast<double>(r.rss_after_expiry_bytes) / (1 << 20));
        fmt::print("  opened in {:.3f} s, closed in {:.3f} s; {} TIME_WAIT entries\n", r.connect_seconds, r.close_seconds,
                   r.time_wait_entries);
    }
    return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<BenchOptions>();
    CLI::App* command = app.add_subcommand(
        "bench", "End-to-end benchmarks: tcpp at both ends in one thread, on a zero-delay network, wall-timed");
    command->require_subcommand(1);
    auto common = [options](CLI::App* mode) {
        mode->add_flag("--json", options->json, "print exactly one JSON object");
        mode->add_option("--max-seconds", options->max_seconds, "give up after this much wall time")
            ->check(CLI::Range(0.001, 86400.0))
            ->capture_default_str();
        mode->add_option("--trace", options->trace_path,
                         "write every segment and state change as JSON lines (slow: for small runs)");
        mode->add_option("--tick-us", options->tick_us, "virtual time that passes per round of the driver")
            ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1'000'000}))
            ->capture_default_str();
    };

    CLI::App* transfer_mode = command->add_subcommand("transfer", "one connection, N bytes client -> server: goodput");
    transfer_mode->add_option("--bytes", options->transfer.bytes, "bytes to send")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
        ->capture_default_str();
    transfer_mode->add_option("--buffer", options->transfer.buffer,
                              "send and receive buffer of both ends in bytes (default: the stack's)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
    transfer_mode->add_option("--offload", options->transfer.segmentation_offload,
                              "segmentation offload: segments of up to this many bytes of payload cross the link "
                              "whole, as on Linux's loopback with TSO/GRO (0: off, every segment one MSS)")
        ->check(CLI::Range(std::uint32_t{0}, tcp::max_offload_segment))
        ->capture_default_str();
    common(transfer_mode);
    transfer_mode->callback([options, &exit_code] { exit_code = transfer(*options); });

    CLI::App* churn_mode = command->add_subcommand("churn", "whole connection lifecycles per second");
    churn_mode->add_option("--lifecycles", options->churn.lifecycles, "lifecycles to run")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}))
        ->capture_default_str();
    churn_mode->add_option("--concurrency", options->churn.concurrency, "lifecycles in flight")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    churn_mode->add_option("--clients", options->churn.clients,
                           "client addresses (default: enough that TIME_WAIT never exhausts the ephemeral ports)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{65'000}));
    churn_mode->add_option("--msl-ms", options->churn.msl_ms, "MSL in ms of virtual time; TIME_WAIT lasts 2*MSL")
        ->check(CLI::Range(0.001, 3'600'000.0))
        ->capture_default_str();
    churn_mode->add_option("--idle", options->churn.idle,
                           "idle connections to open before the clock starts and hold, established, beside the churn")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{50'000'000}))
        ->capture_default_str();
    churn_mode->add_flag("--idle-keepalive", options->churn.idle_keepalive,
                         "SO_KEEPALIVE on the idle connections (a 2 h timer armed on each end)");
    common(churn_mode);
    churn_mode->callback([options, &exit_code] { exit_code = churn(*options); });

    CLI::App* scale_mode = command->add_subcommand(
        "scale", "churn without, then with N idle connections open beside it: both rates and their ratio");
    scale_mode->add_option("--idle", options->scale.idle, "idle connections open beside the runs with them")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{50'000'000}))
        ->capture_default_str();
    scale_mode->add_flag("--idle-keepalive", options->scale.idle_keepalive,
                         "SO_KEEPALIVE on the idle connections (a 2 h timer armed on each end)");
    scale_mode->add_option("--lifecycles", options->scale.lifecycles, "lifecycles in each run")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}))
        ->capture_default_str();
    scale_mode->add_option("--concurrency", options->scale.concurrency, "lifecycles in flight")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    scale_mode->add_option("--clients", options->scale.clients,
                           "client addresses, in both runs (default: enough for the idle connections and the churn)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{65'000}));
    scale_mode->add_option("--msl-ms", options->scale.msl_ms, "MSL in ms of virtual time; TIME_WAIT lasts 2*MSL")
        ->check(CLI::Range(0.001, 3'600'000.0))
        ->capture_default_str();
    scale_mode->add_option("--repeat", options->scale_repeat,
                           "pairs of runs, the order alternating; the rates reported are the medians")
        ->check(CLI::Range(1u, 100u))
        ->capture_default_str();
    common(scale_mode);
    scale_mode->callback([options, &exit_code] { exit_code = scale(*options); });

    CLI::App* rr_mode = command->add_subcommand("rr", "one connection, 1-byte request / 1-byte response round trips");
    rr_mode->add_option("--round-trips", options->rr.round_trips, "round trips to run")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000'000}))
        ->capture_default_str();
    common(rr_mode);
    rr_mode->callback([options, &exit_code] { exit_code = rr(*options); });

    CLI::App* idle_mode = command->add_subcommand("idle", "memory per idle connection, established and in TIME_WAIT");
    idle_mode->add_option("--connections", options->idle.connections, "connections to open")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{50'000'000}))
        ->capture_default_str();
    idle_mode->add_option("--clients", options->idle.clients, "client addresses (default: as the ephemeral ports need)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{65'000}));
    common(idle_mode);
    idle_mode->callback([options, &exit_code] { exit_code = idle(*options); });
}

}  // namespace tcpp::tool
