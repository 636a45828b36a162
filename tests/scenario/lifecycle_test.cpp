#include <string>

#include <gtest/gtest.h>

#include "recorder.h"
#include "runtime/sim_network.h"
#include "tcpp/stack.h"

namespace tcpp {
namespace {

constexpr Ipv4Address client_address{10, 0, 0, 1};
constexpr Ipv4Address server_address{10, 0, 0, 2};
constexpr std::uint64_t ms = 1000;
constexpr std::uint64_t s = 1'000'000;

wire::Bytes bytes_of(std::string_view text) { return wire::as_bytes(text.data(), text.size()); }

std::string read_all(Connection& c) {
    std::string out;
    std::byte buffer[4096];
    for (;;) {
        auto n = c.receive(buffer);
        if (!n || *n == 0) break;
        out.append(reinterpret_cast<const char*>(buffer), *n);
    }
    return out;
}

TEST(Lifecycle, HandshakeRequestReplyCloseAndTimeWait) {
    runtime::SimNetwork network{1};
    testing::Recorder recorder;
    Stack& client = network.add_node({.address = client_address, .name = "client"});
    Stack& server = network.add_node({.address = server_address, .name = "server"});
    client.set_trace(&recorder);
    server.set_trace(&recorder);
    network.set_trace(&recorder);

    auto listener = server.listen({Ipv4Address{}, 80}, 16);
    ASSERT_TRUE(listener);
    auto connection = client.connect({server_address, 80});
    ASSERT_TRUE(connection);
    ASSERT_TRUE(network.run_until([&] { return connection->state() == State::established; }, 10 * s));

    Result<Connection> accepted = Unexpected{std::error_code{}};
    ASSERT_TRUE(network.run_until([&] { return (accepted = listener->accept()).has_value(); }, 10 * s));
    EXPECT_EQ(accepted->state(), State::established);
    EXPECT_EQ(accepted->tuple().remote, connection->tuple().local);

    ASSERT_EQ(*connection->send(bytes_of("hello")), 5u);
    ASSERT_TRUE(network.run_until([&] { return accepted->readable(); }, 10 * s));
    EXPECT_EQ(read_all(*accepted), "hello");
    ASSERT_EQ(*accepted->send(bytes_of("HELLO")), 5u);
    ASSERT_TRUE(network.run_until([&] { return connection->readable(); }, 10 * s));
    EXPECT_EQ(read_all(*connection), "HELLO");

    FourTuple client_tuple = connection->tuple();
    connection->close();  // client closes first
    ASSERT_TRUE(network.run_until([&] { return accepted->state() == State::close_wait; }, 10 * s));
    EXPECT_EQ(*accepted->receive(std::span<std::byte>{}), 0u);  // end of stream
    network.run_for(50 * ms);
    accepted->close();
    ASSERT_TRUE(network.run_until([&] { return client.time_wait_count() == 1; }, 10 * s));
    network.run_for(100 * ms);
    EXPECT_EQ(server.connection_count(), 0u);
    auto expiry = client.time_wait_expiry(client_tuple);
    ASSERT_TRUE(expiry);
    network.run_until(*expiry - 1);
    EXPECT_EQ(client.time_wait_count(), 1u);
    network.run_until(*expiry);
    EXPECT_EQ(client.time_wait_count(), 0u);
    EXPECT_EQ(client.connection_count(), 0u);

    EXPECT_EQ(recorder.states("client"), "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    EXPECT_EQ(recorder.states("server"), "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    EXPECT_EQ(client.counters().ActiveOpens, 1u);
    EXPECT_EQ(server.counters().PassiveOpens, 1u);
    EXPECT_EQ(client.counters().TW, 1u);
    EXPECT_EQ(client.counters().RetransSegs, 0u);
}

}  // namespace
}  // namespace tcpp

namespace tcpp {
namespace {

// Per-connection figures, in the manner of TCP_INFO, after a request and its reply.
TEST(ConnectionInfo, DescribesTheConnection) {
    runtime::SimNetwork network{3};
    Stack& client = network.add_node({.address = client_address, .name = "client"});
    Stack& server = network.add_node({.address = server_address, .name = "server"});
    auto listener = server.listen({Ipv4Address{}, 80}, 16);
    auto connection = client.connect({server_address, 80});
    ASSERT_TRUE(connection);
    ASSERT_TRUE(network.run_until([&] { return connection->state() == State::established; }, 10 * s));
    ASSERT_EQ(*connection->send(bytes_of("0123456789")), 10u);
    Result<Connection> accepted = Unexpected{std::error_code{}};
    ASSERT_TRUE(network.run_until([&] { return (accepted = listener->accept()).has_value() && accepted->readable(); }, 10 * s));
    ASSERT_TRUE(network.run_until([&] { return connection->bytes_unacknowledged() == 0; }, 10 * s));

    auto info = connection->info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->state, State::established);
    EXPECT_EQ(info->tuple, connection->tuple());
    EXPECT_TRUE(info->window_scaling);
    EXPECT_TRUE(info->timestamps);
    EXPECT_TRUE(info->sack);
    EXPECT_EQ(info->snd_wscale, 7);
    EXPECT_EQ(info->rcv_wscale, 7);
    EXPECT_EQ(info->snd_mss, 1448u);  // the peer's 1460, less 12 bytes of timestamps on every segment
    EXPECT_EQ(info->pmtu, 1500u);
    EXPECT_EQ(info->soft_error, 0);
    EXPECT_EQ(info->bytes_sent, 10u);
    EXPECT_EQ(info->bytes_acked, 10u);
    EXPECT_EQ(info->unacked, 0u);
    EXPECT_EQ(info->total_retransmits, 0u);
    // Measured from the timestamps: 2 ms for the handshake, then 2 ms for the data, the first of the
    // connection, which the server ACKed at once (a quick ACK): SRTT = 2 ms (RFC 6298 2.3).
    EXPECT_EQ(info->srtt_us, 2 * ms);
    EXPECT_GE(info->rto_us, 200 * ms);
    auto server_side = accepted->info();
    ASSERT_TRUE(server_side);
    EXPECT_EQ(server_side->bytes_received, 10u);
    EXPECT_EQ(server_side->receive_queue, 10u);
    connection->close();
    EXPECT_FALSE(connection->info()) << "a released handle: EBADF";
}

}  // namespace
}  // namespace tcpp
