// Stack::for_each_socket: what `tcpp serve` lists on SIGUSR1 (as `ss -tan -o`): listeners with their
// accept queue and backlog, every connection with its state, queues and running timer, and the compact
// TIME_WAIT entries with the time they expire.

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/sim_network.h"
#include "tcpp/stack.h"

namespace tcpp {
namespace {

constexpr std::uint64_t ms = 1000;
constexpr std::uint64_t s = 1'000'000;

std::vector<tcp::ConnectionInfo> sockets(const Stack& stack) {
    std::vector<tcp::ConnectionInfo> rows;
    stack.for_each_socket([&](const tcp::ConnectionInfo& row) { rows.push_back(row); });
    return rows;
}

TEST(SocketListing, ListenersConnectionsAndTimeWaitEntries) {
    runtime::SimNetwork network{1};
    const Ipv4Address client_address{10, 0, 0, 1}, server_address{10, 0, 0, 2};
    Stack& client = network.add_node({.address = client_address, .name = "client"});
    Stack& server = network.add_node({.address = server_address, .name = "server"});
    auto listener = server.listen({Ipv4Address{}, 80}, 16);
    ASSERT_TRUE(listener);
    auto connection = client.connect({server_address, 80});
    ASSERT_TRUE(connection);
    ASSERT_TRUE(network.run_until([&] { return listener->accept_queue_size() == 1; }, 10 * s));

    // Not yet accepted: the listener's Recv-Q is 1 of its backlog of 16, and the connection is listed.
    auto rows = sockets(server);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].state, State::listen);
    EXPECT_EQ(rows[0].tuple.local, (Endpoint{Ipv4Address{}, 80}));
    EXPECT_EQ(rows[0].accept_queue, 1u);
    EXPECT_EQ(rows[0].backlog, 16u);
    EXPECT_EQ(rows[1].state, State::established);
    EXPECT_EQ(rows[1].tuple.remote, connection->tuple().local);

    // Data unread on the server, and data unacknowledged on the client: the queues and the RTO timer.
    auto accepted = listener->accept();
    ASSERT_TRUE(accepted);
    const std::string hello = "hello";
    ASSERT_TRUE(connection->send(wire::as_bytes(hello.data(), hello.size())));
    rows = sockets(client);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].send_queue, 5u);
    ASSERT_NE(rows[0].timer, nullptr);
    EXPECT_STREQ(rows[0].timer, "on");
    EXPECT_GT(rows[0].timer_expiry_us, client.now_us());
    ASSERT_TRUE(network.run_until([&] { return accepted->bytes_unread() == 5; }, 10 * s));
    EXPECT_EQ(sockets(server)[1].receive_queue, 5u);

    // The client closes first; once the server has closed too, the client's TIME_WAIT is a compact entry
    // that expires 2*MSL after it began.
    const FourTuple tuple = connection->tuple();
    connection->close();
    std::byte buffer[8];
    ASSERT_TRUE(network.run_until([&] { return accepted->state() == State::close_wait; }, 10 * s));
    ASSERT_EQ(*accepted->receive(buffer), 5u);
    accepted->close();
    ASSERT_TRUE(network.run_until([&] { return client.time_wait_count() == 1; }, 10 * s));
    rows = sockets(client);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].state, State::time_wait);
    EXPECT_EQ(rows[0].tuple, tuple);
    EXPECT_STREQ(rows[0].timer, "timewait");
    EXPECT_EQ(rows[0].timer_expiry_us, *client.time_wait_expiry(tuple));
    EXPECT_GT(rows[0].timer_expiry_us, client.now_us() + 59 * s);
    EXPECT_LE(rows[0].timer_expiry_us, client.now_us() + 60 * s + ms);
}

}  // namespace
}  // namespace tcpp
