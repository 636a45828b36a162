// Coroutines over two stacks on the simulated network (runtime/async.h): an echo server and its clients
// written as straight-line code, checked byte for byte; the errors a connection can end with (refused,
// reset, timed out) as the awaitables return them; and teardown of suspended coroutines (the sanitizer
// build checks that nothing leaks).

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/async.h"
#include "runtime/sim_network.h"
#include "tcpp/stack.h"

namespace tcpp {
namespace {

using runtime::AsyncConnection;
using runtime::AsyncListener;
using runtime::AsyncStack;
using runtime::Task;

constexpr Ipv4Address client_address{10, 0, 0, 1};
constexpr Ipv4Address server_address{10, 0, 0, 2};
constexpr std::uint16_t echo_port = 7;
constexpr std::uint64_t second = 1'000'000;

std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
    std::vector<std::byte> bytes(size);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : bytes) {
        x = x * 1103515245u + 12345u;
        b = static_cast<std::byte>(x >> 16);
    }
    return bytes;
}

Task<> echo(AsyncConnection connection, int& finished) {
    std::array<std::byte, 3000> buffer;  // not a multiple of the MSS: reads and writes fall across segments
    for (;;) {
        auto n = co_await connection.read(buffer);
        if (!n || *n == 0) break;
        auto written = co_await connection.write({buffer.data(), *n});
        if (!written) break;
        EXPECT_EQ(*written, *n);
    }
    ++finished;
}  // closes: our FIN after the echo

Task<> serve(AsyncListener listener, int& finished) {
    for (;;) {
        auto connection = co_await listener.accept();
        if (!connection) co_return;
        listener.reactor().spawn(echo(std::move(*connection), finished));
    }
}

// Sends `data` and half-closes, while a second task reads the echo to the end of stream.
Task<> read_all(AsyncConnection& connection, std::vector<std::byte>& into, std::error_code& error) {
    std::array<std::byte, 1000> buffer;
    for (;;) {
        auto n = co_await connection.read(buffer);
        if (!n) {
            error = n.error();
            co_return;
        }
        if (*n == 0) co_return;
        into.insert(into.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*n));
    }
}

Task<> write_all(AsyncConnection& connection, const std::vector<std::byte>& data) {
    auto written = co_await connection.write(data);
    EXPECT_TRUE(written);
    if (written) {
        EXPECT_EQ(*written, data.size());
    }
    EXPECT_FALSE(connection.shutdown());
}

struct Outcome {
    bool done = false;
    std::error_code connect_error;
    std::error_code read_error;
    std::vector<std::byte> received;
};

Task<> client(AsyncStack& stack, std::vector<std::byte> data, Outcome& outcome) {
    auto connection = co_await stack.connect({server_address, echo_port});
    if (!connection) {
        outcome.connect_error = connection.error();
        outcome.done = true;
        co_return;
    }
    EXPECT_EQ(connection->connection().state(), State::established);
    // Both directions at once: the writer waits on a full send buffer while the reader drains the echo.
    stack.spawn(write_all(*connection, data));
    co_await read_all(*connection, outcome.received, outcome.read_error);
    outcome.done = true;
}

struct Pair {
    runtime::SimNetwork network{7};
    Stack& client_stack = network.add_node({.address = client_address, .name = "client"});
    Stack& server_stack = network.add_node({.address = server_address, .name = "server"});
};

TEST(Coroutines, EchoOfOneMebibyteArrivesIntact) {
    Pair pair;
    AsyncStack server{pair.server_stack};
    AsyncStack client_side{pair.client_stack};
    int finished = 0;
    auto listener = server.listen({Ipv4Address{}, echo_port}, 16);
    ASSERT_TRUE(listener);
    server.spawn(serve(std::move(*listener), finished));
    const std::vector<std::byte> data = pattern(1 << 20, 1);
    Outcome outcome;
    client_side.spawn(client(client_side, data, outcome));
    ASSERT_TRUE(pair.network.run_until([&] { return outcome.done && finished == 1; }, 120 * second));
    EXPECT_FALSE(outcome.connect_error);
    EXPECT_FALSE(outcome.read_error);
    EXPECT_EQ(outcome.received.size(), data.size());
    EXPECT_TRUE(outcome.received == data);
    EXPECT_EQ(client_side.reactor().tasks(), 0u);  // the client and its writer have finished
    EXPECT_EQ(server.reactor().tasks(), 1u);       // the accept loop, waiting for the next connection
    EXPECT_EQ(pair.server_stack.counters().PassiveOpens, 1u);
}

TEST(Coroutines, EchoThroughLossAndReordering) {
    runtime::SimNetwork network{11, {.delay_us = 2'000, .loss = 0.03, .duplicate = 0.01, .reorder = 0.02}};
    Stack& client_stack = network.add_node({.address = client_address, .name = "client"});
    Stack& server_stack = network.add_node({.address = server_address, .name = "server"});
    AsyncStack server{server_stack};
    AsyncStack client_side{client_stack};
    int finished = 0;
    auto listener = server.listen({Ipv4Address{}, echo_port}, 16);
    ASSERT_TRUE(listener);
    server.spawn(serve(std::move(*listener), finished));
    const std::vector<std::byte> data = pattern(256 * 1024, 2);
    Outcome outcome;
    client_side.spawn(client(client_side, data, outcome));
    ASSERT_TRUE(network.run_until([&] { return outcome.done; }, 600 * second));
    EXPECT_TRUE(outcome.received == data);
    EXPECT_GT(client_stack.counters().RetransSegs + server_stack.counters().RetransSegs, 0u);
}

TEST(Coroutines, ConnectToAClosedPortIsRefused) {
    Pair pair;
    AsyncStack client_side{pair.client_stack};
    Outcome outcome;
    client_side.spawn(client(client_side, {}, outcome));
    ASSERT_TRUE(pair.network.run_until([&] { return outcome.done; }, 10 * second));
    EXPECT_EQ(outcome.connect_error, std::errc::connection_refused);
    EXPECT_EQ(pair.client_stack.connection_count(), 0u);  // the failed connection is released
    EXPECT_EQ(client_side.reactor().watched(), 0u);
}

TEST(Coroutines, ConnectWithEveryPacketLostTimesOut) {
    runtime::SimNetwork network{3, {.delay_us = 1'000, .loss = 1.0}};
    StackConfig config{.address = client_address, .name = "client"};
    config.tcp.syn_retries = 2;  // SYNs at 0, 1 and 3 s; given up at 7 s
    Stack& client_stack = network.add_node(config);
    network.add_node({.address = server_address, .name = "server"});
    AsyncStack client_side{client_stack};
    Outcome outcome;
    client_side.spawn(client(client_side, {}, outcome));
    ASSERT_TRUE(network.run_until([&] { return outcome.done; }, 60 * second));
    EXPECT_EQ(outcome.connect_error, std::errc::timed_out);
    EXPECT_EQ(client_stack.counters().ActiveOpens, 1u);
}

TEST(Coroutines, TwoHundredConcurrentConnectionsEachEchoTheirOwnBytes) {
    Pair pair;
    AsyncStack server{pair.server_stack};
    AsyncStack client_side{pair.client_stack};
    int finished = 0;
    auto listener = server.listen({Ipv4Address{}, echo_port}, 256);
    ASSERT_TRUE(listener);
    server.spawn(serve(std::move(*listener), finished));
    constexpr int count = 200;
    std::vector<std::vector<std::byte>> data;
    std::vector<Outcome> outcomes(count);
    for (int i = 0; i < count; ++i) {
        data.push_back(pattern(1000 + static_cast<std::size_t>(i) * 97, static_cast<unsigned>(i) + 10));
        client_side.spawn(client(client_side, data.back(), outcomes[static_cast<std::size_t>(i)]));
    }
    auto all_done = [&] {
        for (const Outcome& o : outcomes) {
            if (!o.done) return false;
        }
        return finished == count;
    };
    ASSERT_TRUE(pair.network.run_until(all_done, 120 * second));
    for (int i = 0; i < count; ++i) {
        const Outcome& o = outcomes[static_cast<std::size_t>(i)];
        EXPECT_FALSE(o.connect_error) << i;
        EXPECT_TRUE(o.received == data[static_cast<std::size_t>(i)]) << i;
    }
    EXPECT_EQ(pair.server_stack.counters().PassiveOpens, static_cast<std::uint64_t>(count));
    EXPECT_EQ(client_side.reactor().tasks(), 0u);
    // Every connection's watch went with it: only the listener's accept loop is still waited on.
    EXPECT_EQ(client_side.reactor().watched(), 0u);
    EXPECT_EQ(server.reactor().watched(), 1u);
}

TEST(Coroutines, PeerResetIsReadAsEconnreset) {
    Pair pair;
    AsyncStack server{pair.server_stack};
    AsyncStack client_side{pair.client_stack};
    auto listener = server.listen({Ipv4Address{}, echo_port}, 4);
    ASSERT_TRUE(listener);
    // The server reads the request and answers it with an RST.
    auto reset_after_request = [](AsyncListener listener) -> Task<> {
        auto connection = co_await listener.accept();
        if (!connection) co_return;
        std::array<std::byte, 64> buffer;
        auto n = co_await connection->read(buffer);
        EXPECT_TRUE(n && *n == 4);
        connection->abort();
    };
    server.spawn(reset_after_request(std::move(*listener)));
    Outcome outcome;
    auto request_then_read = [](AsyncStack& stack, Outcome& outcome) -> Task<> {
        auto connection = co_await stack.connect({server_address, echo_port});
        if (!connection) co_return;
        const std::array<std::byte, 4> request{std::byte{'p'}, std::byte{'i'}, std::byte{'n'}, std::byte{'g'}};
        auto written = co_await connection->write(request);
        EXPECT_TRUE(written);
        co_await read_all(*connection, outcome.received, outcome.read_error);
        outcome.done = true;
    };
    client_side.spawn(request_then_read(client_side, outcome));
    ASSERT_TRUE(pair.network.run_until([&] { return outcome.done; }, 10 * second));
    EXPECT_EQ(outcome.read_error, std::errc::connection_reset);
    EXPECT_TRUE(outcome.received.empty());
}

// A task that waits for ever: on a connection the peer never writes to.
Task<> wait_forever(AsyncConnection connection, bool& woke) {
    std::array<std::byte, 16> buffer;
    (void)co_await connection.read(buffer);
    woke = true;
}

TEST(Coroutines, DestroyingTheReactorWithSuspendedTasksClosesTheirConnections) {
    Pair pair;
    auto listener = pair.server_stack.listen({Ipv4Address{}, echo_port}, 4);
    ASSERT_TRUE(listener);
    bool woke = false;
    {
        AsyncStack client_side{pair.client_stack};
        auto connect_and_wait = [](AsyncStack& stack, bool& woke) -> Task<> {
            auto connection = co_await stack.connect({server_address, echo_port});
            if (connection) co_await wait_forever(std::move(*connection), woke);
        };
        client_side.spawn(connect_and_wait(client_side, woke));
        pair.network.run_for(second);
        EXPECT_EQ(client_side.reactor().tasks(), 1u);
        EXPECT_EQ(client_side.reactor().watched(), 1u);
        EXPECT_EQ(pair.client_stack.counters().CurrEstab, 1u);
    }  // the task's frames go, and its AsyncConnection closes: our FIN
    pair.network.run_for(second);
    EXPECT_FALSE(woke);
    EXPECT_EQ(pair.client_stack.counters().CurrEstab, 0u);
    auto accepted = listener->accept();
    ASSERT_TRUE(accepted);
    std::array<std::byte, 4> buffer;
    auto n = accepted->receive(buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u);  // the server reads the client's FIN: end of stream
}

TEST(Coroutines, DestroyingATaskWhileItsConnectWaitsAbortsTheAttempt) {
    runtime::SimNetwork network{5, {.delay_us = 1'000, .loss = 1.0}};  // nothing ever answers
    Stack& client_stack = network.add_node({.address = client_address, .name = "client"});
    network.add_node({.address = server_address, .name = "server"});
    {
        AsyncStack client_side{client_stack};
        auto attempt = [](AsyncStack& stack) -> Task<> { (void)co_await stack.connect({server_address, echo_port}); };
        client_side.spawn(attempt(client_side));
        network.run_for(second);
        EXPECT_EQ(client_stack.connection_count(), 1u);  // SYN_SENT, its SYN retried
    }  // the task goes while it waits: nobody will take the connection
    network.run_for(second);
    EXPECT_EQ(client_stack.connection_count(), 0u);
}

TEST(Coroutines, DestroyingASuspendedTaskUnlinksItsAwaiter) {
    Pair pair;
    auto listener = pair.server_stack.listen({Ipv4Address{}, echo_port}, 4);
    ASSERT_TRUE(listener);
    AsyncStack client_side{pair.client_stack};
    std::optional<AsyncConnection> connection;
    auto open = [](AsyncStack& stack, std::optional<AsyncConnection>& into) -> Task<> {
        auto c = co_await stack.connect({server_address, echo_port});
        if (c) into.emplace(std::move(*c));
    };
    client_side.spawn(open(client_side, connection));
    pair.network.run_for(second);
    ASSERT_TRUE(connection);
    bool woke = false;
    auto reader = [](AsyncConnection& c, bool& woke) -> Task<> {
        std::array<std::byte, 16> buffer;
        (void)co_await c.read(buffer);
        woke = true;
    };
    {
        Task<> task = reader(*connection, woke);
        // Started by hand as a spawned task would be: run it to its first suspension through an awaiter.
        auto starter = [](Task<>& t) -> Task<> { co_await t; };
        Task<> outer = starter(task);
        client_side.spawn(std::move(outer));
        EXPECT_EQ(client_side.reactor().tasks(), 1u);
        EXPECT_EQ(client_side.reactor().watched(), 1u);
    }  // `task` is destroyed while suspended (the spawned starter still awaits it, and is destroyed below)
    EXPECT_EQ(client_side.reactor().watched(), 1u);  // the list node unlinked; the entry stays until an event
    // Data arriving now finds no waiter to resume.
    auto accepted = listener->accept();
    ASSERT_TRUE(accepted);
    const std::array<std::byte, 3> hello{std::byte{'h'}, std::byte{'e'}, std::byte{'y'}};
    ASSERT_TRUE(accepted->send(hello));
    pair.network.run_for(second);
    EXPECT_FALSE(woke);
    EXPECT_EQ(client_side.reactor().watched(), 0u);
}

// Task<T> itself, run by a Reactor on a stack with no network.
Task<int> one() { co_return 1; }

Task<int> sum_of_ones(int count) {
    int total = 0;
    for (int i = 0; i < count; ++i) total += co_await one();
    co_return total;
}

Task<int> fails() {
    throw std::runtime_error("failed");
    co_return 0;
}

Task<> run_tasks(int& sum, std::string& caught) {
    // A million tasks that finish at once, each awaited in turn: symmetric transfer hands control back
    // and forth without growing the machine stack.
    sum = co_await sum_of_ones(1'000'000);
    try {
        (void)co_await fails();
    } catch (const std::runtime_error& error) {
        caught = error.what();  // an exception reaches the awaiter
    }
}

TEST(Tasks, AwaitedTasksReturnTheirValuesAndExceptions) {
    Stack stack{{.address = client_address, .name = "alone"}};
    runtime::Reactor reactor{stack};
    int sum = 0;
    std::string caught;
    reactor.spawn(run_tasks(sum, caught));
    EXPECT_EQ(sum, 1'000'000);
    EXPECT_EQ(caught, "failed");
    EXPECT_EQ(reactor.tasks(), 0u);  // it ran to its end inside spawn(), and its frame is gone
}

}  // namespace
}  // namespace tcpp
