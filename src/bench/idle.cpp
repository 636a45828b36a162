// `tcpp bench idle`: what N idle connections cost in memory, established and then in TIME_WAIT.

#include <vector>

#include <fmt/format.h>

#include "bench/direct_network.h"
#include "bench/memory.h"
#include "bench/stopwatch.h"
#include "bench/workloads.h"

namespace tcpp::bench {
namespace {

constexpr std::size_t batch = 1024;
constexpr std::uint16_t server_port = 80;

}  // namespace

IdleResult run_idle(const IdleOptions& options) {
    IdleResult result;
    const std::uint64_t n = options.connections;
    result.connections = n;
    result.clients = options.clients != 0 ? options.clients : clients_for(n);

    DirectNetwork network;
    network.set_trace(options.limits.trace);
    const Ipv4Address server_address{10, 0, 0, 1};
    Stack& server = network.add({.address = server_address, .name = "server"});
    std::vector<Stack*> clients;
    for (std::size_t i = 0; i < result.clients; ++i) {
        clients.push_back(&network.add({.address = Ipv4Address{0x0a010001u + static_cast<std::uint32_t>(i)},
                                        .name = fmt::format("client{}", i)}));
    }
    auto listener = server.listen({Ipv4Address{}, server_port}, static_cast<int>(2 * batch));
    if (!listener) {
        result.error = fmt::format("listen: {}", listener.error().message());
        return result;
    }
    // The handles are the application's, not the stack's: made resident before the baseline.
    std::vector<Connection> client_ends(n), server_ends(n);
    auto fail = [&](std::string what) {
        result.error = std::move(what);
        return result;
    };

    release_free_memory();
    result.rss_baseline_bytes = resident_bytes();
    const std::uint64_t heap_baseline = heap_in_use_bytes();

    // Open in batches: connect a batch, let the handshakes run, accept them. The server's ends of batch b
    // are server_ends[b*batch, ...), in some order: closing goes batch by batch too.
    Stopwatch connecting;
    WallLimit limit{options.limits.max_wall_seconds};
    std::uint64_t opened = 0, accepted = 0;
    std::size_t next_client = 0;
    while (opened < n) {
        const std::uint64_t end = std::min<std::uint64_t>(n, opened + batch);
        for (; opened < end; ++opened) {
            Stack& client = *clients[next_client];
            next_client = (next_client + 1) % clients.size();
            auto connection = client.connect({server_address, server_port});
            if (!connection) return fail(fmt::format("connect {}: {}", opened, connection.error().message()));
            client_ends[opened] = *connection;
        }
        network.deliver();
        for (;;) {
            auto connection = listener->accept();
            if (!connection) break;
            if (accepted == n) return fail("accepted more connections than were opened");
            server_ends[accepted++] = *connection;
        }
        if (accepted != opened) return fail(fmt::format("{} opened but {} accepted", opened, accepted));
        network.advance(options.limits.tick_us);
        if (limit.exceeded()) return fail("over the wall time limit while connecting");
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        if (client_ends[i].state() != State::established || server_ends[i].state() != State::established) {
            return fail(fmt::format("connection {} not established", i));
        }
    }
    result.connect_seconds = connecting.seconds();
    release_free_memory();
    result.rss_bytes = resident_bytes();
    const std::uint64_t heap_established = heap_in_use_bytes();

    // Close client first, batch by batch: the server reads end of stream and closes; the client's end
    // goes FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT, and is kept as a compact TIME_WAIT entry.
    Stopwatch closing;
    std::array<std::byte, 16> buffer{};
    for (std::uint64_t first = 0; first < n; first += batch) {
        const std::uint64_t end = std::min<std::uint64_t>(n, first + batch);
        for (std::uint64_t i = first; i < end; ++i) client_ends[i].close();
        network.deliver();
        for (std::uint64_t i = first; i < end; ++i) {
            auto read = server_ends[i].receive(buffer);
            if (!read || *read != 0) return fail(fmt::format("server end {}: no end of stream", i));
            server_ends[i].close();
        }
        network.deliver();
        network.advance(options.limits.tick_us);
        if (limit.exceeded()) return fail("over the wall time limit while closing");
    }
    result.close_seconds = closing.seconds();
    for (Stack* client : clients) {
        result.time_wait_entries += client->time_wait_count();
        if (client->connection_count() != 0) return fail(fmt::format("{} connections left on a client", client->connection_count()));
    }
    if (server.connection_count() != 0) return fail(fmt::format("{} connections left on the server", server.connection_count()));
    release_free_memory();
    result.rss_time_wait_bytes = resident_bytes();
    const std::uint64_t heap_time_wait = heap_in_use_bytes();

    // Then the entries expire (2*MSL, and a second more): what that gives back is what they held. Unlike the
    // delta from the baseline, this leaves out what the stacks keep sized for N connections once they are
    // gone (connection slots, demultiplexing buckets), but counts the pages of freed TCBs that something
    // the TIME_WAIT entries keep alive still holds.
    network.advance(2 * clients.front()->config().tcp.defaults.msl_us + 1'000'000);
    for (Stack* client : clients) {
        if (client->time_wait_count() != 0) return fail(fmt::format("{} TIME_WAIT entries left after 2*MSL", client->time_wait_count()));
    }
    release_free_memory();
    result.rss_after_expiry_bytes = resident_bytes();
    const std::uint64_t heap_after_expiry = heap_in_use_bytes();

    auto per = [](std::uint64_t after, std::uint64_t before, std::uint64_t count) {
        return count == 0 ? 0.0 : (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(count);
    };
    result.bytes_per_established = per(result.rss_bytes, result.rss_baseline_bytes, 2 * n);
    result.bytes_per_time_wait = per(result.rss_time_wait_bytes, result.rss_baseline_bytes, n);
    result.bytes_per_time_wait_released = per(result.rss_time_wait_bytes, result.rss_after_expiry_bytes, n);
    result.heap_per_established = per(heap_established, heap_baseline, 2 * n);
    result.heap_per_time_wait = per(heap_time_wait, heap_baseline, n);
    result.heap_per_time_wait_released = per(heap_time_wait, heap_after_expiry, n);
    return result;
}

}  // namespace tcpp::bench
