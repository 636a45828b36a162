#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "commands.h"
#include "pcap/pcap_file.h"
#include "scenarios/scenarios.h"
#include "trace/json_lines.h"
#include "trace/sequence_diagram.h"
#include "trace/tee.h"

namespace tcpp::tool {
namespace {

struct DemoOptions {
    std::string scenario = "handshake-and-close";
    double loss = 0;
    std::uint64_t seed = 1;
    double msl_seconds = 30;
    std::string trace_path;
    std::string pcap_path;
    bool list = false;
};

std::string scenario_names() {
    std::string names;
    for (const auto& s : scenarios::all()) names += (names.empty() ? "" : ", ") + std::string{s.name};
    return names;
}

int demo(const DemoOptions& options) {
    if (options.list) {
        for (const auto& s : scenarios::all()) fmt::print("{:<20} {}\n", s.name, s.summary);
        return 0;
    }
    if (!scenarios::exists(options.scenario)) {
        fmt::print(stderr, "tcpp demo: unknown scenario '{}' (choose one of: {})\n", options.scenario, scenario_names());
        return 2;
    }
    trace::Tee tee;
    trace::SequenceDiagram diagram;
    tee.add(&diagram);

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> trace_file{nullptr, std::fclose};
    std::optional<trace::JsonLinesSink> json;
    if (!options.trace_path.empty()) {
        trace_file.reset(options.trace_path == "-" ? nullptr : std::fopen(options.trace_path.c_str(), "w"));
        if (options.trace_path != "-" && !trace_file) {
            fmt::print(stderr, "tcpp demo: cannot write {}: {}\n", options.trace_path, std::strerror(errno));
            return 1;
        }
        json.emplace(trace_file ? trace_file.get() : stdout);
        tee.add(&*json);
    }
    std::optional<pcap::Writer> capture;
    if (!options.pcap_path.empty()) {
        auto writer = pcap::Writer::create(options.pcap_path, pcap::LinkType::raw_ipv4);
        if (!writer) {
            fmt::print(stderr, "tcpp demo: cannot write {}: {}\n", options.pcap_path, writer.error());
            return 1;
        }
        capture.emplace(std::move(*writer));
    }

    scenarios::Options run_options;
    run_options.loss = options.loss;
    run_options.seed = options.seed;
    run_options.msl_us = static_cast<std::uint64_t>(options.msl_seconds * 1e6);
    auto outcome = scenarios::run(options.scenario, run_options, tee, [&](std::uint64_t t_us, wire::Bytes packet) {
        if (capture) capture->write(t_us, packet);
    });
    if (capture) capture->flush();

    if (options.trace_path != "-") {
        fmt::print("tcpp demo: {} (seed {}, loss {}, MSL {} s)\n\n", options.scenario, options.seed, options.loss,
                   options.msl_seconds);
        std::string picture = diagram.render("client", "server");
        std::fwrite(picture.data(), 1, picture.size(), stdout);
        std::fputc('\n', stdout);
        for (const auto& line : outcome.lines) fmt::print("{}\n", line);
    }
    if (!outcome.completed) {
        fmt::print(stderr, "tcpp demo: the scenario did not complete: {}\n", outcome.failure);
        return 1;
    }
    return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<DemoOptions>();
    CLI::App* command = app.add_subcommand("demo", "Two tcpp stacks on a simulated network, drawn as a sequence diagram");
    command->add_option("--scenario", options->scenario, "one of: " + scenario_names())
        ->capture_default_str();
    command->add_option("--loss", options->loss, "random loss on both links, a probability in [0, 1)")
        ->check(CLI::Range(0.0, 0.99));
    command->add_option("--seed", options->seed, "seed of the simulated network")->capture_default_str();
    command->add_option("--msl", options->msl_seconds, "maximum segment lifetime; TIME_WAIT lasts 2*MSL")
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    command->add_option("--trace", options->trace_path, "write the trace as JSON lines (- for stdout, alone)");
    command->add_option("--pcap", options->pcap_path, "write every packet to a pcap capture (raw IPv4)");
    command->add_flag("--list", options->list, "list the scenarios and what each shows");
    command->callback([options, &exit_code] { exit_code = demo(*options); });
}

}  // namespace tcpp::tool
