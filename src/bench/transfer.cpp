// `tcpp bench transfer`: one connection, N bytes from client to server, as fast as the stacks go.

#include <array>
#include <fmt/format.h>

#include "bench/direct_network.h"
#include "bench/payload.h"
#include "bench/sha256.h"
#include "bench/stopwatch.h"
#include "bench/workloads.h"

namespace tcpp::bench {

TransferResult run_transfer(const TransferOptions& options) {
    TransferResult result;
    result.bytes = options.bytes;
    const Payload payload;

    // What is sent, hashed before the clock starts: the sender keeps no copy to hash as it goes.
    Sha256 sent_hash;
    for (std::uint64_t offset = 0; offset < options.bytes;) {
        wire::Bytes chunk = payload.at(offset, static_cast<std::size_t>(std::min<std::uint64_t>(options.bytes - offset, 1 << 20)));
        sent_hash.update(chunk);
        offset += chunk.size();
    }
    const Sha256::Digest expected = sent_hash.finish();

    DirectNetwork network;
    network.set_trace(options.limits.trace);
    StackConfig client_config{.address = Ipv4Address{10, 0, 0, 1}, .name = "client"};
    StackConfig server_config{.address = Ipv4Address{10, 0, 0, 2}, .name = "server"};
    if (options.buffer != 0) {
        for (StackConfig* config : {&client_config, &server_config}) {
            config->tcp.defaults.send_buffer = options.buffer;
            config->tcp.defaults.receive_buffer = options.buffer;
        }
    }
    for (StackConfig* config : {&client_config, &server_config}) {
        config->tcp.segmentation_offload = options.segmentation_offload;
    }
    result.buffer = client_config.tcp.defaults.receive_buffer;
    result.segmentation_offload = options.segmentation_offload;
    Stack& client = network.add(client_config);
    Stack& server = network.add(server_config);
    auto listener = server.listen({Ipv4Address{}, 5001}, 16);
    if (!listener) {
        result.error = fmt::format("listen: {}", listener.error().message());
        return result;
    }

    Sha256 received_hash;
    std::vector<std::byte> buffer(256 * 1024);
    Stopwatch watch;
    WallLimit limit{options.limits.max_wall_seconds};
    double hash_seconds = 0;

    auto connection = client.connect({server_config.address, 5001});
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
    Connection sender = *connection, receiver = *accepted;

    std::uint64_t sent = 0, received = 0;
    bool closed = false, end_of_stream = false;
    while (!end_of_stream) {
        bool progress = false;
        while (sent < options.bytes) {
            auto n = sender.send(payload.at(sent, static_cast<std::size_t>(std::min<std::uint64_t>(options.bytes - sent, 1 << 20))));
            if (!n) {
                if (n.error() == std::errc::resource_unavailable_try_again) break;
                result.error = fmt::format("send: {}", n.error().message());
                return result;
            }
            if (*n == 0) break;
            sent += *n;
            progress = true;
        }
        if (sent == options.bytes && !closed) {
            sender.close();
            closed = true;
        }
        if (network.deliver() > 0) progress = true;
        for (;;) {
            auto n = receiver.receive(buffer);
            if (!n) {
                if (n.error() == std::errc::resource_unavailable_try_again) break;
                result.error = fmt::format("receive: {}", n.error().message());
                return result;
            }
            if (*n == 0) {
                end_of_stream = true;
                break;
            }
            Stopwatch hashing;
            received_hash.update(wire::Bytes{buffer}.first(*n));
            hash_seconds += hashing.seconds();
            received += *n;
            progress = true;
        }
        if (network.deliver() > 0) progress = true;
        network.advance(options.limits.tick_us);
        if (!progress && !network.advance_to_next_deadline(network.now_us() + 600'000'000)) {
            result.error = fmt::format("stalled after {} of {} bytes", received, options.bytes);
            return result;
        }
        if (limit.exceeded()) {
            result.error = fmt::format("over {} s of wall time after {} of {} bytes", options.limits.max_wall_seconds,
                                       received, options.bytes);
            return result;
        }
    }
    receiver.close();
    network.deliver();
    result.wall_seconds = watch.seconds();
    result.hash_seconds = hash_seconds;
    const double stack_seconds = result.wall_seconds - hash_seconds;
    result.goodput_gbps = stack_seconds > 0 ? 8.0 * static_cast<double>(received) / stack_seconds / 1e9 : 0;
    const Sha256::Digest digest = received_hash.finish();
    result.sha256 = Sha256::hex(digest);
    result.intact = received == options.bytes && digest == expected;
    result.packets = network.packets();
    result.retransmissions = client.counters().RetransSegs + server.counters().RetransSegs;
    result.virtual_us = network.now_us();
    return result;
}

}  // namespace tcpp::bench
