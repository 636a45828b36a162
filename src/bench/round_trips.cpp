// `tcpp bench rr`: one connection, a 1-byte request and a 1-byte response, over and over.

#include <array>

#include <fmt/format.h>

#include "bench/direct_network.h"
#include "bench/stopwatch.h"
#include "bench/workloads.h"

namespace tcpp::bench {

RoundTripResult run_round_trips(const RoundTripOptions& options) {
    RoundTripResult result;
    DirectNetwork network;
    network.set_trace(options.limits.trace);
    const Ipv4Address server_address{10, 0, 0, 2};
    Stack& client = network.add({.address = Ipv4Address{10, 0, 0, 1}, .name = "client"});
    Stack& server = network.add({.address = server_address, .name = "server"});
    auto listener = server.listen({Ipv4Address{}, 7}, 16);
    if (!listener) {
        result.error = fmt::format("listen: {}", listener.error().message());
        return result;
    }
    auto connection = client.connect({server_address, 7});
    if (!connection) {
        result.error = fmt::format("connect: {}", connection.error().message());
        return result;
    }
    network.deliver();
    auto accepted = listener->accept();
    if (!accepted) {
        result.error = fmt::format("accept: {}", accepted.error().message());
        return result;
    }
    Connection requester = *connection, responder = *accepted;

    std::array<std::byte, 1> byte{std::byte{'x'}};
    std::array<std::byte, 64> buffer{};
    // Takes the one byte that should be there; if it is not yet, lets time pass (bounded) until it is.
    auto take_one = [&](Connection& connection) -> bool {
        for (int tries = 0; tries < 64; ++tries) {
            auto n = connection.receive(buffer);
            if (n && *n == 1) return true;
            if (n || n.error() != std::errc::resource_unavailable_try_again) return false;
            if (!network.advance_to_next_deadline(network.now_us() + 600'000'000)) return false;
        }
        return false;
    };

    Stopwatch watch;
    WallLimit limit{options.limits.max_wall_seconds};
    for (std::uint64_t i = 0; i < options.round_trips; ++i) {
        auto sent = requester.send(byte);
        if (!sent || *sent != 1) {
            result.error = fmt::format("request {}: not sent", i);
            return result;
        }
        network.deliver();
        if (!take_one(responder)) {
            result.error = fmt::format("request {}: not received", i);
            return result;
        }
        sent = responder.send(byte);
        if (!sent || *sent != 1) {
            result.error = fmt::format("response {}: not sent", i);
            return result;
        }
        network.deliver();
        if (!take_one(requester)) {
            result.error = fmt::format("response {}: not received", i);
            return result;
        }
        network.advance(options.limits.tick_us);
        ++result.round_trips;
        if (limit.exceeded()) {
            result.error = fmt::format("over {} s of wall time after {} round trips", options.limits.max_wall_seconds, i);
            return result;
        }
    }
    result.wall_seconds = watch.seconds();
    result.round_trips_per_s = static_cast<double>(result.round_trips) / result.wall_seconds;
    result.mean_us = result.wall_seconds * 1e6 / static_cast<double>(result.round_trips);
    result.packets = network.packets();
    requester.close();
    network.deliver();
    responder.close();
    network.deliver();
    return result;
}

}  // namespace tcpp::bench
