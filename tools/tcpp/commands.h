#pragma once
// The subcommands of the tcpp tool. Each registers its options on the parser and returns the exit code.

#include <CLI/CLI.hpp>

namespace tcpp::tool {

// `tcpp decode FILE.pcap`: one line per packet, as tcpdump prints it.
void add_decode_command(CLI::App& app, int& exit_code);
// `tcpp demo [--scenario NAME]`: two stacks on a simulated network, as a sequence diagram.
void add_demo_command(CLI::App& app, int& exit_code);
// `tcpp bench MODE`: end-to-end benchmarks (transfer, churn, rr, idle), tcpp at both ends.
void add_bench_command(CLI::App& app, int& exit_code);
// `tcpp serve --tun IF --addr A/N --port P`: a server on a real link, until Ctrl-C.
void add_serve_command(CLI::App& app, int& exit_code);
// `tcpp connect --tun IF --addr A/N HOST:PORT`: one connection on a real link: send, receive, close.
void add_connect_command(CLI::App& app, int& exit_code);

}  // namespace tcpp::tool
