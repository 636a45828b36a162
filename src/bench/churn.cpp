// `tcpp bench churn`: whole connection lifecycles per second, many in flight at once.

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/direct_network.h"
#include "bench/stopwatch.h"
#include "bench/workloads.h"

namespace tcpp::bench {
namespace {

constexpr std::size_t message_size = 100;
constexpr std::uint16_t server_port = 80;
constexpr std::size_t idle_batch = 1024;  // idle connections opened per round (the listener's backlog holds it)

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

// Every idle connection still established at both ends, with nothing received: an error, or nothing.
std::string idle_check(const std::vector<Connection>& client_ends, const std::vector<Connection>& server_ends) {
    for (std::size_t i = 0; i < client_ends.size(); ++i) {
        for (const Connection* end : {&client_ends[i], &server_ends[i]}) {
            if (end->state() != State::established || end->error() || end->bytes_unread() != 0) {
                return fmt::format("idle connection {} ({} end) is {} (error: {}, {} bytes unread)", i,
                                   end == &client_ends[i] ? "client" : "server", tcp::to_string(end->state()),
                                   end->error().message(), end->bytes_unread());
            }
        }
    }
    return {};
}

// Opens `count` idle connections to `server`, round robin over the clients from the first, a batch at a
// time: connect, let the handshakes run, accept. Every end must then be established; none sends anything.
// Bounded by count (count / idle_batch rounds) and by max_seconds of wall time. An error, or nothing.
std::string open_idle(DirectNetwork& network, Listener& listener, const std::vector<Stack*>& clients, Endpoint server,
                      const tcp::ConnectionOptions& options, std::uint64_t count, const RunLimits& limits,
                      std::vector<Connection>& client_ends, std::vector<Connection>& server_ends) {
    client_ends.resize(count);
    server_ends.resize(count);
    const Stopwatch watch;
    std::uint64_t opened = 0, accepted = 0;
    std::size_t next_client = 0;
    while (opened < count) {
        const std::uint64_t end = std::min<std::uint64_t>(count, opened + idle_batch);
        for (; opened < end; ++opened) {
            Stack& client = *clients[next_client];
            next_client = (next_client + 1) % clients.size();
            auto connection = client.connect(server, std::nullopt, &options);
            if (!connection) {
                return fmt::format("idle connection {}: connect: {}", opened, connection.error().message());
            }
            client_ends[opened] = *connection;
        }
        network.deliver();
        for (;;) {
            auto connection = listener.accept();
            if (!connection) break;
            if (accepted == opened) return "accepted more idle connections than were opened";
            // Accepted ends start with the listener's options; keepalive is the one that differs.
            if (options.keepalive) {
                if (auto error = connection->set_options(options)) {
                    return fmt::format("idle connection {}: {}", accepted, error.message());
                }
            }
            server_ends[accepted++] = *connection;
        }
        if (accepted != opened) return fmt::format("{} idle connections opened but {} accepted", opened, accepted);
        network.advance(limits.tick_us);
        if (watch.seconds() > limits.max_wall_seconds) {
            return fmt::format("over {} s of wall time opening {} idle connections ({} open)", limits.max_wall_seconds,
                               count, opened);
        }
    }
    return idle_check(client_ends, server_ends);
}

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
    result.clients = options.clients != 0 ? options.clients
                                          : clients_for(options.lifecycles + options.concurrency + options.idle);
    result.idle_connections = options.idle;

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

    // The idle connections: opened now, before the clock starts, and held to the end.
    std::vector<Connection> idle_client_ends, idle_server_ends;
    if (options.idle > 0) {
        tcp::ConnectionOptions idle_options = connection_options;
        idle_options.keepalive = options.idle_keepalive;
        const Stopwatch opening;
        std::string error = open_idle(network, *listener, clients, {server_address, server_port}, idle_options,
                                      options.idle, options.limits, idle_client_ends, idle_server_ends);
        if (!error.empty()) {
            result.error = std::move(error);
            return result;
        }
        result.idle_open_seconds = opening.seconds();
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

    // Packets and virtual time are the churn's: what opening the idle connections took is left out.
    const std::uint64_t packets_before = network.packets();
    const std::uint64_t virtual_us_before = network.now_us();
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
    // Every stack holds nothing but the idle connections, and those are as they were.
    std::size_t client_connections = 0;
    for (Stack* client : clients) {
        result.time_wait_entries += client->time_wait_count();
        result.time_wait_expired += client->counters().TW;
        client_connections += client->connection_count();
    }
    if (client_connections != options.idle) {
        return fail(fmt::format("{} connections left on the clients ({} idle)", client_connections, options.idle));
    }
    if (server.connection_count() != options.idle) {
        return fail(
            fmt::format("{} connections left on the server ({} idle)", server.connection_count(), options.idle));
    }
    if (std::string error = idle_check(idle_client_ends, idle_server_ends); !error.empty()) return fail(error);
    result.packets = network.packets() - packets_before;
    result.virtual_us = network.now_us() - virtual_us_before;
    return result;
}

ScaleResult run_scale(const ChurnOptions& options, unsigned repeat) {
    ScaleResult result;
    // Both kinds of run on as many client stacks: the driver visits every stack each round, so the count
    // alone would move the rate.
    ChurnOptions without = options;
    without.idle = 0;
    without.clients = options.clients != 0 ? options.clients
                                           : clients_for(options.lifecycles + options.concurrency + options.idle);
    ChurnOptions with = without;
    with.idle = options.idle;
    auto run = [&](bool idle) {
        ChurnResult& r = idle ? result.with : result.without;
        r = run_churn(idle ? with : without);
        if (!r.error.empty()) {
            result.error = idle ? fmt::format("with {} idle connections: {}", options.idle, r.error)
                                : fmt::format("without idle connections: {}", r.error);
            return false;
        }
        (idle ? result.rates_with : result.rates_without).push_back(r.lifecycles_per_s);
        return true;
    };
    for (unsigned i = 0; i < std::max(repeat, 1u); ++i) {
        const bool idle_first = i % 2 == 1;
        if (!run(idle_first) || !run(!idle_first)) return result;
    }
    auto median = [](std::vector<double> rates) {
        std::sort(rates.begin(), rates.end());
        const std::size_t n = rates.size();
        return n % 2 == 1 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
    };
    result.median_without = median(result.rates_without);
    result.median_with = median(result.rates_with);
    result.ratio = result.median_with / result.median_without;
    return result;
}

}  // namespace tcpp::bench
