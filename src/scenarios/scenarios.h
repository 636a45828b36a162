#pragma once
// The demo scenarios: two tcpp stacks, "client" (10.0.0.1) and "server" (10.0.0.2), on a simulated
// network, each playing one episode of TCP connection management. `tcpp demo` runs them; the scenario
// tests assert their traces.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tcpp/trace.h"
#include "wire/bytes.h"

namespace tcpp::scenarios {

struct Options {
    double loss = 0;                    // random loss on both links, on top of the scenario's own
    std::uint64_t seed = 1;
    std::uint64_t msl_us = 30'000'000;  // TIME_WAIT lasts 2*MSL
    std::uint64_t delay_us = 1'000;     // one way
};

struct Outcome {
    bool completed = false;          // every step happened before the virtual deadline
    std::string failure;             // what did not, if not
    std::vector<std::string> lines;  // one closing line per node: "client: CLOSED after TIME_WAIT 60.000 s"
};

struct Scenario {
    std::string_view name;
    std::string_view summary;
};

// Every scenario, in the order the demo lists them; the first is the default.
const std::vector<Scenario>& all();
bool exists(std::string_view name);

// Runs one scenario; every event goes to `trace`, every packet that enters the network to `capture`.
Outcome run(std::string_view name, const Options& options, TraceSink& trace,
            const std::function<void(std::uint64_t t_us, wire::Bytes packet)>& capture = {});

}  // namespace tcpp::scenarios
