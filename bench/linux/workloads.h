#pragma once
// The four workloads of `tcpp bench`, over the Linux kernel on 127.0.0.1: plain sockets, both ends in
// this one thread. Each prints one JSON object (the same keys as `tcpp bench --json`, and "stack":
// "linux") and throws std::runtime_error on failure.

#include <cstdint>

namespace linux_bench {

struct Limits {
    double max_wall_seconds = 600;
};

void run_transfer(std::uint64_t bytes, const Limits& limits);
void run_churn(std::uint64_t lifecycles, std::size_t concurrency, std::size_t clients, const Limits& limits);
void run_round_trips(std::uint64_t round_trips, const Limits& limits);
void run_idle(std::uint64_t connections, std::size_t clients, const Limits& limits);

}  // namespace linux_bench
