// A thousand connections through 10% loss in both directions: every one completes its handshake, a request
// and its reply, and the close, reaches CLOSED after TIME_WAIT, and nothing is left held.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/sim_network.h"
#include "tcpp/stack.h"

namespace tcpp {
namespace {

constexpr Ipv4Address client_address{10, 0, 0, 1};
constexpr Ipv4Address server_address{10, 0, 0, 2};
constexpr std::uint64_t s = 1'000'000;

struct ClientSide {
    Connection connection;
    std::string request;
    std::string expected_reply;
    std::string reply;
    bool sent = false;
    bool closed = false;
};

struct ServerSide {
    Connection connection;
    std::string request;
    bool replied = false;
    bool closed = false;
};

// Reads what is there; true at end of stream.
bool drain(Connection& connection, std::string& into) {
    std::byte buffer[512];
    for (;;) {
        auto n = connection.receive(buffer);
        if (!n) return false;
        if (*n == 0) return true;
        into.append(reinterpret_cast<const char*>(buffer), *n);
    }
}

struct Network {
    const char* name;
    std::uint64_t seed;
    runtime::LinkConfig link;
};

class ManyConnections : public ::testing::TestWithParam<Network> {};

TEST_P(ManyConnections, AThousandLifecyclesComplete) {
    constexpr int count = 1000;
    runtime::SimNetwork network{GetParam().seed, GetParam().link};
    StackConfig config;
    // Under 10% loss a FIN can be lost five times running (3 + 6 + 12 + 24 + 48 s of backoff when the
    // handshake gave no RTT sample): longer than Linux's 60 s FIN_WAIT_2 timeout, after which the client
    // would be gone and answer the late FIN with an RST. Here every client must reach TIME_WAIT, so the
    // orphan timeout waits longer.
    config.tcp.fin_timeout_us = 600'000'000;
    config.address = client_address;
    config.name = "client";
    Stack& client = network.add_node(config);
    config.address = server_address;
    config.name = "server";
    Stack& server = network.add_node(config);

    auto listener = server.listen({Ipv4Address{}, 80}, count);
    ASSERT_TRUE(listener);
    std::vector<ClientSide> clients(count);
    for (int i = 0; i < count; ++i) {
        auto connection = client.connect({server_address, 80});
        ASSERT_TRUE(connection) << connection.error().message();
        clients[i].connection = *connection;
        clients[i].request = "request " + std::to_string(i) + "\n";
        clients[i].expected_reply = "reply to request " + std::to_string(i) + "\n";
    }
    std::vector<ServerSide> servers;
    servers.reserve(count);
    int clients_done = 0, servers_done = 0, failures = 0;

    // The applications on both sides, run after every step of the network.
    auto step = [&] {
        for (ClientSide& c : clients) {
            if (c.closed) continue;
            if (c.connection.error()) {
                ++failures;
                c.closed = true;
                c.connection.close();
                continue;
            }
            if (!c.sent && c.connection.state() == State::established) {
                c.sent = c.connection.send(wire::as_bytes(c.request.data(), c.request.size())).value_or(0) ==
                         c.request.size();
            }
            if (c.sent) drain(c.connection, c.reply);
            if (c.reply.size() == c.expected_reply.size()) {
                EXPECT_EQ(c.reply, c.expected_reply);
                c.connection.close();  // the client closes first: it holds TIME_WAIT
                c.closed = true;
                ++clients_done;
            }
        }
        while (auto accepted = listener->accept()) servers.push_back({*accepted, "", false, false});
        for (ServerSide& sv : servers) {
            if (sv.closed) continue;
            bool end = drain(sv.connection, sv.request);
            if (!sv.replied && sv.request.ends_with("\n")) {  // the whole request is here
                std::string reply = "reply to " + sv.request;
                sv.replied = sv.connection.send(wire::as_bytes(reply.data(), reply.size())).value_or(0) == reply.size();
            }
            if (end || sv.connection.error()) {
                sv.connection.close();
                sv.closed = true;
                ++servers_done;
            }
        }
        return clients_done + failures == count && servers_done == static_cast<int>(servers.size()) &&
               client.connection_count() == 0 && client.time_wait_count() == 0 && server.connection_count() == 0 &&
               server.time_wait_count() == 0;
    };
    ASSERT_TRUE(network.run_until(step, 3600 * s)) << clients_done << " clients done, " << servers_done
                                                    << " servers done, " << failures << " failed";
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(clients_done, count);
    EXPECT_EQ(servers_done, count);
    EXPECT_EQ(client.counters().TW, static_cast<std::uint64_t>(count)) << "every client went through TIME_WAIT";
    const runtime::LinkConfig& link = GetParam().link;
    if (link.loss > 0) {
        EXPECT_GT(network.packets_lost(), 0u);
    }
    if (link.loss > 0 || link.corrupt > 0 || link.reorder > 0) {
        EXPECT_GT(client.counters().RetransSegs + server.counters().RetransSegs, 0u);
    }
    // A flipped bit is caught by a checksum (IPv4's or TCP's), and the packet dropped; the TCP checksum's
    // catches are counted.
    if (link.corrupt > 0) {
        EXPECT_GT(client.counters().InCsumErrors + server.counters().InCsumErrors, 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Networks, ManyConnections,
    ::testing::Values(Network{"loss_10_percent_seed_1", 1, {.delay_us = 2'000, .loss = 0.1}},
                      Network{"loss_10_percent_seed_2", 2, {.delay_us = 2'000, .loss = 0.1}},
                      Network{"loss_10_percent_seed_3", 3, {.delay_us = 2'000, .loss = 0.1}},
                      Network{"duplication_and_reordering", 4,
                              {.delay_us = 2'000, .duplicate = 0.2, .reorder = 0.2, .reorder_delay_us = 3'000}},
                      Network{"corruption", 5, {.delay_us = 2'000, .corrupt = 0.05}},
                      Network{"everything_at_once", 6,
                              {.delay_us = 5'000, .loss = 0.05, .duplicate = 0.05, .reorder = 0.1, .corrupt = 0.02}}),
    [](const ::testing::TestParamInfo<Network>& info) { return std::string{info.param.name}; });

}  // namespace
}  // namespace tcpp
