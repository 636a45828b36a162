// linux_bench MODE: the workloads of `tcpp bench` over the Linux kernel on 127.0.0.1, for
// bench/compare-linux.sh. One JSON object on stdout; errors on stderr and a non-zero exit.

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "bench/workloads.h"
#include "workloads.h"

int main(int argc, char** argv) {
    CLI::App app{"linux_bench: the workloads of `tcpp bench` over the Linux kernel on loopback"};
    app.require_subcommand(1);
    linux_bench::Limits limits;
    std::uint64_t bytes = 256ull << 20, lifecycles = 200'000, round_trips = 1'000'000, connections = 100'000;
    std::size_t concurrency = 1000, clients = 0;
    app.add_option("--max-seconds", limits.max_wall_seconds, "give up after this much wall time")->capture_default_str();
    auto* transfer = app.add_subcommand("transfer", "one connection, N bytes client -> server");
    transfer->add_option("--bytes", bytes)->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))->capture_default_str();
    auto* churn = app.add_subcommand("churn", "whole lifecycles per second");
    churn->add_option("--lifecycles", lifecycles)->check(CLI::PositiveNumber)->capture_default_str();
    churn->add_option("--concurrency", concurrency)->check(CLI::PositiveNumber)->capture_default_str();
    churn->add_option("--clients", clients, "client addresses 127.0.0.2...; default as tcpp bench chooses");
    auto* rr = app.add_subcommand("rr", "1-byte request / 1-byte response round trips");
    rr->add_option("--round-trips", round_trips)->check(CLI::PositiveNumber)->capture_default_str();
    auto* idle = app.add_subcommand("idle", "memory per idle connection, established and in TIME_WAIT");
    idle->add_option("--connections", connections)->check(CLI::PositiveNumber)->capture_default_str();
    idle->add_option("--clients", clients, "client addresses 127.0.0.2...; default as tcpp bench chooses");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "linux_bench: %s\n", error.what());
        return 2;
    }
    try {
        if (*transfer) linux_bench::run_transfer(bytes, limits);
        if (*churn) {
            linux_bench::run_churn(lifecycles, concurrency,
                                   clients ? clients : tcpp::bench::clients_for(lifecycles + concurrency), limits);
        }
        if (*rr) linux_bench::run_round_trips(round_trips, limits);
        if (*idle) linux_bench::run_idle(connections, clients ? clients : tcpp::bench::clients_for(connections), limits);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "linux_bench: %s\n", error.what());
        return 1;
    }
    return 0;
}
