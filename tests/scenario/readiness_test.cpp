// Readiness (Stack::set_readiness_observer, and the Reactor's callbacks on top): exactly the edges the
// contract names — a connection opened, data (or end of stream, or an error) after the user found none,
// room in a send buffer the user found full, a listener's accept queue no longer empty — and nothing for
// connections where nothing became ready.

#include <array>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/reactor.h"
#include "runtime/sim_network.h"
#include "tcpp/stack.h"

namespace tcpp {
namespace {

constexpr Ipv4Address client_address{10, 0, 0, 1};
constexpr Ipv4Address server_address{10, 0, 0, 2};
constexpr std::uint16_t port = 80;
constexpr std::uint64_t second = 1'000'000;

struct Event {
    std::uint64_t id = 0;
    std::uint8_t became = 0;
    bool listener = false;
    bool operator==(const Event&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Event& e) {
    return out << (e.listener ? "listener " : "connection ") << std::hex << e.id << std::dec << " became "
               << int{e.became};
}

class Recorder final : public ReadinessObserver {
public:
    void connection_ready(Connection connection, std::uint8_t became) override {
        events_.push_back({connection.id(), became, false});
    }
    void listener_ready(Listener listener) override { events_.push_back({listener.id(), 0, true}); }
    std::vector<Event> take() { return std::exchange(events_, {}); }

private:
    std::vector<Event> events_;
};

wire::Bytes text(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

struct Pair {
    runtime::SimNetwork network{5};
    Stack& client = network.add_node({.address = client_address, .name = "client"});
    Stack& server = network.add_node({.address = server_address, .name = "server"});
    Recorder client_events;
    Recorder server_events;
    Pair() {
        client.set_readiness_observer(&client_events);
        server.set_readiness_observer(&server_events);
    }
    ~Pair() {
        client.set_readiness_observer(nullptr);
        server.set_readiness_observer(nullptr);
    }
    void run() { network.run_for(second); }
};

constexpr std::uint8_t readable = Readiness::readable;
constexpr std::uint8_t writable = Readiness::writable;
constexpr std::uint8_t opened = Readiness::opened;

TEST(Readiness, HandshakeReportsTheConnectorOpenedAndTheListenerOnce) {
    Pair p;
    auto listener = p.server.listen({Ipv4Address{}, port}, 8);
    ASSERT_TRUE(listener);
    auto a = p.client.connect({server_address, port});
    auto b = p.client.connect({server_address, port});
    ASSERT_TRUE(a && b);
    p.run();
    const std::vector<Event> client_expected{{a->id(), opened | writable, false}, {b->id(), opened | writable, false}};
    EXPECT_EQ(p.client_events.take(), client_expected);
    // Two connections queued, one report: the queue went from empty to not empty once.
    EXPECT_EQ(p.server_events.take(), (std::vector<Event>{{listener->id(), 0, true}}));
    ASSERT_TRUE(listener->accept());
    ASSERT_TRUE(listener->accept());
    EXPECT_FALSE(listener->accept());  // EAGAIN: empty again
    auto c = p.client.connect({server_address, port});
    ASSERT_TRUE(c);
    p.run();
    EXPECT_EQ(p.server_events.take(), (std::vector<Event>{{listener->id(), 0, true}}));
    EXPECT_EQ(p.client_events.take(), (std::vector<Event>{{c->id(), opened | writable, false}}));
}

TEST(Readiness, DataIsReportedWhenItFollowsAReadThatFoundNone) {
    Pair p;
    auto listener = p.server.listen({Ipv4Address{}, port}, 8);
    auto client = p.client.connect({server_address, port});
    auto idle = p.client.connect({server_address, port});
    ASSERT_TRUE(listener && client && idle);
    p.run();
    auto server = listener->accept();
    auto server_idle = listener->accept();
    ASSERT_TRUE(server && server_idle);
    p.client_events.take();
    p.server_events.take();

    ASSERT_TRUE(client->send(text("abc")));
    p.run();
    EXPECT_EQ(p.server_events.take(), (std::vector<Event>{{server->id(), readable, false}}));
    // More data while unread data waits: already readable, so no report.
    ASSERT_TRUE(client->send(text("def")));
    p.run();
    EXPECT_TRUE(p.server_events.take().empty());
    std::array<std::byte, 2> small;
    ASSERT_TRUE(server->receive(small));  // some read, some left
    ASSERT_TRUE(client->send(text("ghi")));
    p.run();
    EXPECT_TRUE(p.server_events.take().empty());
    std::array<std::byte, 64> buffer;
    auto n = server->receive(buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 7u);
    EXPECT_FALSE(server->receive(buffer));  // EAGAIN: found none
    ASSERT_TRUE(client->send(text("jkl")));
    p.run();
    EXPECT_EQ(p.server_events.take(), (std::vector<Event>{{server->id(), readable, false}}));
    // The client saw nothing become ready: its send buffer never filled, and nothing came back.
    EXPECT_TRUE(p.client_events.take().empty());

    // End of stream is readable: read to EAGAIN first, then the FIN is reported.
    ASSERT_TRUE(server->receive(buffer));
    EXPECT_FALSE(server->receive(buffer));
    ASSERT_FALSE(client->shutdown());
    p.run();
    EXPECT_EQ(p.server_events.take(), (std::vector<Event>{{server->id(), readable, false}}));
    auto end = server->receive(buffer);
    ASSERT_TRUE(end);
    EXPECT_EQ(*end, 0u);
}

TEST(Readiness, RoomInAFullSendBufferIsReported) {
    Pair p;
    ListenOptions options;
    options.connection = tcp::ConnectionOptions{};
    options.connection->send_buffer = 8 * 1024;
    auto listener = p.server.listen({Ipv4Address{}, port}, 8, options);
    auto client = p.client.connect({server_address, port});
    ASSERT_TRUE(listener && client);
    p.run();
    auto server = listener->accept();
    ASSERT_TRUE(server);
    p.client_events.take();
    p.server_events.take();
    const std::string chunk(3000, 'x');
    std::size_t sent = 0;
    for (;;) {
        auto n = server->send(text(chunk));
        if (!n) {
            EXPECT_EQ(n.error(), std::errc::resource_unavailable_try_again);
            break;
        }
        sent += *n;
    }
    EXPECT_EQ(sent, 8u * 1024);
    EXPECT_FALSE(server->writable());
    p.run();  // the client ACKs what arrived: room again
    EXPECT_EQ(p.server_events.take(), (std::vector<Event>{{server->id(), writable, false}}));
    EXPECT_EQ(p.client_events.take(), (std::vector<Event>{{client->id(), readable, false}}));
}

TEST(Readiness, AResetMakesTheConnectionReadableAndWritable) {
    Pair p;
    auto listener = p.server.listen({Ipv4Address{}, port}, 8);
    auto client = p.client.connect({server_address, port});
    ASSERT_TRUE(listener && client);
    p.run();
    auto server = listener->accept();
    ASSERT_TRUE(server);
    const std::string fill(70 * 1024, 'y');  // more than the send buffer: writable is found false
    ASSERT_TRUE(client->send(text(fill)));
    EXPECT_FALSE(client->send(text(fill)));
    std::array<std::byte, 16> buffer;
    EXPECT_FALSE(client->receive(buffer));
    p.client_events.take();
    server->abort();
    p.run();
    std::uint8_t became = 0;
    for (const Event& e : p.client_events.take()) {
        EXPECT_EQ(e.id, client->id());
        became |= e.became;
    }
    EXPECT_EQ(became, readable | writable);
    auto n = client->receive(buffer);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error(), std::errc::connection_reset);
}

TEST(Readiness, ARefusedConnectIsReportedOpenedWithItsError) {
    Pair p;
    auto client = p.client.connect({server_address, port});
    ASSERT_TRUE(client);
    p.run();
    EXPECT_EQ(p.client_events.take(), (std::vector<Event>{{client->id(), readable | writable | opened, false}}));
    EXPECT_EQ(client->error(), std::errc::connection_refused);
}

TEST(Readiness, NoObserverNoEvents) {
    Pair p;
    p.server.set_readiness_observer(nullptr);
    auto listener = p.server.listen({Ipv4Address{}, port}, 8);
    auto client = p.client.connect({server_address, port});
    ASSERT_TRUE(listener && client);
    p.run();
    EXPECT_TRUE(p.server_events.take().empty());
    // Set again later, what is already true is not reported: only what becomes true from then on.
    p.server.set_readiness_observer(&p.server_events);
    auto server = listener->accept();
    ASSERT_TRUE(server);
    ASSERT_TRUE(client->send(text("x")));
    p.run();
    EXPECT_EQ(p.server_events.take(), (std::vector<Event>{{server->id(), readable, false}}));
}

// The Reactor: callbacks run for the ready connection only; callbacks may call anything (here: read,
// echo, close, and forget themselves).
TEST(Readiness, ReactorCallbacksRunOnlyForReadyConnections) {
    runtime::SimNetwork network{9};
    Stack& client_stack = network.add_node({.address = client_address, .name = "client"});
    Stack& server_stack = network.add_node({.address = server_address, .name = "server"});
    runtime::Reactor server_reactor{server_stack};
    auto listener = server_stack.listen({Ipv4Address{}, port}, 16);
    ASSERT_TRUE(listener);

    std::map<std::uint64_t, int> readable_calls;
    std::vector<Connection> accepted;
    int accept_calls = 0;
    std::string echoed;
    server_reactor.on_accept(*listener, [&](Listener l) {
        ++accept_calls;
        while (auto c = l.accept()) {
            accepted.push_back(*c);
            server_reactor.on_readable(*c, [&](Connection connection) {
                ++readable_calls[connection.id()];
                std::array<std::byte, 256> buffer;
                for (;;) {
                    auto n = connection.receive(buffer);
                    if (!n) break;  // EAGAIN: wait for the next report
                    if (*n == 0) {  // end of stream: close, and forget this very callback
                        server_reactor.forget(connection);
                        connection.close();
                        break;
                    }
                    echoed.append(reinterpret_cast<const char*>(buffer.data()), *n);
                    EXPECT_TRUE(connection.send({buffer.data(), *n}));
                }
            });
        }
    });

    std::vector<Connection> clients;
    for (int i = 0; i < 5; ++i) {
        auto c = client_stack.connect({server_address, port});
        ASSERT_TRUE(c);
        clients.push_back(*c);
    }
    network.run_for(second);
    // Each handshake completes with its own segment, and the callback emptied the queue each time.
    EXPECT_EQ(accept_calls, 5);
    ASSERT_EQ(accepted.size(), 5u);
    EXPECT_TRUE(readable_calls.empty());  // nothing sent yet

    ASSERT_TRUE(clients[2].send(text("hello")));
    network.run_for(second);
    EXPECT_EQ(readable_calls.size(), 1u);
    EXPECT_EQ(readable_calls[accepted[2].id()], 1);
    EXPECT_EQ(echoed, "hello");
    std::array<std::byte, 16> buffer;
    auto n = clients[2].receive(buffer);
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), *n), "hello");

    ASSERT_TRUE(clients[4].send(text("a")));
    ASSERT_TRUE(clients[2].send(text("b")));
    network.run_for(second);
    EXPECT_EQ(readable_calls.size(), 2u);
    EXPECT_EQ(readable_calls[accepted[2].id()], 2);
    EXPECT_EQ(readable_calls[accepted[4].id()], 1);

    EXPECT_EQ(server_reactor.watched(), 6u);  // the listener and five connections
    ASSERT_FALSE(clients[2].shutdown());
    network.run_for(second);
    EXPECT_EQ(readable_calls[accepted[2].id()], 3);  // end of stream
    EXPECT_EQ(server_reactor.watched(), 5u);         // forgotten from inside its own callback
    EXPECT_FALSE(accepted[2].valid());
    for (int i : {0, 1, 3}) EXPECT_EQ(readable_calls.count(accepted[static_cast<std::size_t>(i)].id()), 0u) << i;
}

}  // namespace
}  // namespace tcpp
