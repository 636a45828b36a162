// `tcpp bench churn`: whole connection lifecycles per second, many in flight at once.

#include <array>
#include <vector>

#include <fmt/format.h>

#include "bench/direct_network.h"
#include "bench/stopwatch.h"
#include "bench/workloads.h"

namespace tcpp::bench {
namespace {

constexpr std::size_t message_size = 100;
constexpr std::uint16_t server_port = 80;

struct ClientSide {
    Connection connection;
    bool request_sent = false;
    std::size_t reply_received = 0;
};

struct ServerSide {
    Connection connection;
    std::size_t request_received = 0;
    bool reply_sent = false;
};

}  // namespace

std::size_t clients_for(std::uint64_t in_use) {
    const StackConfig defaults{};
    const std::uint64_t ports = std::uint64_t{defaults.ephemeral_last} - defaults.ephemeral_first + 1;
    // A little headroom: a port search that has to walk past many taken ports is slow.
    const std::uint64_t usable = ports * 9 / 10;
    return static_cast<std::size_t>(std::max<std::uint64_t>(1, (in_use + usable - 1) / usable));
}

ChurnResult run_churn(const ChurnOptions& options) {
    ChurnResult result;
    result.lifecycles = options.lifecycles;
    result.concurrency = options.concurrency;
    result.clients = options.clients != 0 ? options.clients : clients_for(options.lifecycles + options.concurrency);

    tcp::ConnectionOptions connection_options{};
    connection_options.msl_us = static_cast<std::uint64_t>(options.msl_ms * 1000);
    DirectNetwork network;
    network.set_trace(options.limits.trace);
    const Ipv4Address server_address{10, 0, 0, 1};
    StackConfig server_config{.address = server_address, .name = "server"};
    server_config.tcp.defaults = connection_options;
    Stack& server = network.add(server_config);
    std::vector<Stack*> clients;
    for (std::size_t i = 0; i < result.clients; ++i) {
        StackConfig config{.address = Ipv4Address{0x0a010001u + static_cast<std::uint32_t>(i)},
                           .name = fmt::format("client{}", i)};
        config.tcp.defaults = connection_options;
        clients.push_back(&network.add(config));
    }
    ListenOptions listen_options;
    listen_options.connection = connection_options;
    auto listener = server.listen({Ipv4Address{}, server_port}, static_cast<int>(options.concurrency + 1024), listen_options);
    if (!listener) {
        result.error = fmt::format("listen: {}", listener.error().message());
        return result;
    }

    const std::array<std::byte, message_size> message{};
    std::array<std::byte, 4096> buffer{};
    std::vector<ClientSide> client_sides;
    std::vector<ServerSide> server_sides;
    client_sides.reserve(options.concurrency);
    server_sides.reserve(options.concurrency + 1024);
    std::uint64_t started = 0, completed = 0;
    std::size_t next_client = 0;

    auto fail = [&](std::string what) {
        result.error = fmt::format("{} after {} of {} lifecycles", what, completed, options.lifecycles);
        return result;
    };

    Stopwatch watch;
    WallLimit limit{options.limits.max_wall_seconds};
    while (completed < options.lifecycles) {
        bool progress = false;
        // Open new connections, round robin over the client stacks.
        while (client_sides.size() < options.concurrency && started < options.lifecycles) {
            Stack& client = *clients[next_client];
            next_client = (next_client + 1) % clients.size();
            auto connection = client.connect({server_address, server_port}, std::nullopt, &connection_options);
            if (!connection) return fail(fmt::format("connect: {}", connection.error().message()));
            client_sides.push_back({*connection});
            ++started;
            progress = true;
        }
        // Clients: the request once established; the reply; then close first.
        for (std::size_t i = 0; i < client_sides.size();) {
            ClientSide& side = client_sides[i];
            if (side.connection.error()) return fail(fmt::format("client: {}", side.connection.error().message()));
            if (!side.request_sent) {
                if (side.connection.writable()) {
                    auto n = side.connection.send(message);
                    if (!n || *n != message_size) return fail("client: the request did not fit the send buffer");
                    side.request_sent = true;
                    progress = true;
                }
            } else if (side.connection.readable()) {
                auto n = side.connection.receive(buffer);
                if (!n) return fail(fmt::format("client receive: {}", n.error().message()));
                if (*n == 0) return fail("client: end of stream before the reply");
                side.reply_received += *n;
                progress = true;
                if (side.reply_received == message_size) {
                    side.connection.close();
                    side = client_sides.back();
                    client_sides.pop_back();
                    continue;
                }
            }
            ++i;
        }
        // Server: accept; read the request and reply; close after the client's end of stream.
        for (;;) {
            auto accepted = listener->accept();
            if (!accepted) break;
            server_sides.push_back({*accepted});
            progress = true;
        }
        for (std::size_t i = 0; i < server_sides.size();) {
            ServerSide& side = server_sides[i];
            if (side.connection.readable()) {
                auto n = side.connection.receive(buffer);
                if (!n) return fail(fmt::format("server receive: {}", n.error().message()));
                progress = true;
                if (*n == 0) {
                    if (!side.reply_sent) return fail("server: end of stream before the request");
                    side.connection.close();
                    ++completed;
                    side = server_sides.back();
                    server_sides.pop_back();
                    continue;
                }
                side.request_received += *n;
                if (side.request_received == message_size && !side.reply_sent) {
                    auto sent = side.connection.send(message);
                    if (!sent || *sent != message_size) return fail("server: the reply did not fit the send buffer");
                    side.reply_sent = true;
                }
            }
            ++i;
        }
        if (network.deliver() > 0) progress = true;
        network.advance(options.limits.tick_us);
        if (!progress && !network.advance_to_next_deadline(network.now_us() + 600'000'000)) return fail("stalled");
        if (limit.exceeded()) return fail(fmt::format("over {} s of wall time", options.limits.max_wall_seconds));
    }
    network.deliver();
    result.wall_seconds = watch.seconds();
    result.lifecycles_per_s = static_cast<double>(completed) / result.wall_seconds;
    for (Stack* client : clients) {
        result.time_wait_entries += client->time_wait_count();
        result.time_wait_expired += client->counters().TW;
        if (client->connection_count() != 0) return fail(fmt::format("{} connections left on a client", client->connection_count()));
    }
    if (server.connection_count() != 0) return fail(fmt::format("{} connections left on the server", server.connection_count()));
    result.packets = network.packets();
    result.virtual_us = network.now_us();
    return result;
}

}  // namespace tcpp::bench
