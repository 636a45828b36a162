#include "scenarios/scenarios.h"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "runtime/sim_network.h"
#include "tcpp/stack.h"
#include "trace/tee.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp::scenarios {
namespace {

constexpr Ipv4Address client_address{10, 0, 0, 1};
constexpr Ipv4Address server_address{10, 0, 0, 2};
constexpr std::uint16_t server_port = 80;
constexpr std::uint64_t ms = 1000;
constexpr std::uint64_t s = 1'000'000;
constexpr std::uint64_t deadline = 3600 * s;  // of virtual time: no scenario needs nearly that long

// What each node's connections went through, for the closing lines.
class History final : public TraceSink {
public:
    struct Node {
        State last = State::closed;
        bool any = false;
        std::optional<std::uint64_t> time_wait_entered;
        std::optional<std::uint64_t> time_wait_lasted;
    };

    void record(const TraceEvent& event) override {
        if (event.type != TraceEvent::Type::state || !event.remote) return;
        Node& node = nodes[std::string{event.node}];
        node.any = true;
        node.last = event.to;
        if (event.to == State::time_wait) node.time_wait_entered = event.t_us;
        if (event.from == State::time_wait && node.time_wait_entered) {
            node.time_wait_lasted = event.t_us - *node.time_wait_entered;
        }
    }

    std::map<std::string, Node> nodes;
};

wire::Bytes bytes_of(std::string_view text) { return wire::as_bytes(text.data(), text.size()); }

std::string errno_name(std::error_code error) {
    switch (static_cast<std::errc>(error.value())) {
    case std::errc::connection_reset: return "ECONNRESET";
    case std::errc::connection_refused: return "ECONNREFUSED";
    case std::errc::timed_out: return "ETIMEDOUT";
    case std::errc::broken_pipe: return "EPIPE";
    case std::errc::not_connected: return "ENOTCONN";
    default: return error.message();
    }
}

// Everything a scenario needs: the two stacks on their network, and what each node saw.
class Run {
public:
    Run(const Options& options, TraceSink& trace, const std::function<void(std::uint64_t, wire::Bytes)>& capture)
        : options_(options),
          network_(options.seed, runtime::LinkConfig{.delay_us = options.delay_us, .loss = options.loss}) {
        tee_.add(&trace);
        tee_.add(&history_);
        StackConfig config;
        config.tcp.defaults.msl_us = options.msl_us;
        config.address = client_address;
        config.name = "client";
        config.secret = {options.seed, 0x636c69656e74ull};
        client = &network_.add_node(config);
        config.address = server_address;
        config.name = "server";
        config.secret = {options.seed, 0x736572766572ull};
        server = &network_.add_node(config);
        client->set_trace(&tee_);
        server->set_trace(&tee_);
        network_.set_trace(&tee_);
        if (capture) network_.set_capture(capture);
    }

    Stack* client = nullptr;
    Stack* server = nullptr;
    runtime::SimNetwork& network() { return network_; }

    // Runs the network until done() holds; a scenario step that never completes fails the run.
    void until(const std::function<bool()>& done, std::string_view what) {
        if (failed_) return;
        if (!network_.run_until(done, deadline)) fail(what);
    }
    void wait(std::uint64_t duration_us) {
        if (!failed_) network_.run_for(duration_us);
    }
    void fail(std::string_view what) {
        if (!failed_) failure_ = fmt::format("did not happen: {}", what);
        failed_ = true;
    }
    bool failed() const { return failed_; }
    void saw(const std::string& node, std::string note) { notes_[node].push_back(std::move(note)); }

    Listener listen(std::uint16_t port, int backlog = 16) {
        auto listener = server->listen({Ipv4Address{}, port}, backlog);
        if (!listener) fail("listen");
        return listener ? *listener : Listener{};
    }
    Connection connect(Stack& from, Endpoint to, std::optional<Endpoint> local = {}) {
        auto connection = from.connect(to, local);
        if (!connection) fail("connect");
        return connection ? *connection : Connection{};
    }
    Connection accept(Listener& listener) {
        std::optional<Connection> accepted;
        until([&] {
            auto result = listener.accept();
            if (result) accepted = *result;
            return accepted.has_value();
        }, "accept");
        return accepted.value_or(Connection{});
    }
    // Reads until `count` bytes, end of stream or an error.
    std::string read(Connection& connection, std::size_t count, std::string_view what) {
        std::string data;
        until([&] {
            std::byte buffer[2048];
            while (data.size() < count) {
                auto n = connection.receive(buffer);
                if (!n || *n == 0) return !n ? n.error() != std::errc::resource_unavailable_try_again : true;
                data.append(reinterpret_cast<const char*>(buffer), *n);
            }
            return true;
        }, what);
        return data;
    }
    // Waits for the peer's FIN (end of stream) or an error, and says which.
    std::error_code read_end(Connection& connection, std::string_view what) {
        std::error_code error;
        until([&] {
            std::byte buffer[2048];
            auto n = connection.receive(buffer);
            if (n) return *n == 0;
            error = n.error();
            return error != std::errc::resource_unavailable_try_again;
        }, what);
        return error;
    }
    // Waits for the reset the peer sends. An RST is never retransmitted: if it is lost, the connection
    // stays half-open until this side sends again and the peer, which has no connection, resets that.
    std::error_code await_reset(Connection& connection, std::string_view what) {
        std::error_code error;
        auto reset_seen = [&] {
            std::byte buffer[2048];
            auto n = connection.receive(buffer);
            if (!n) error = n.error();
            return !n && error != std::errc::resource_unavailable_try_again;
        };
        for (int attempt = 0; attempt < 10 && !failed_; ++attempt) {
            if (network_.run_until(reset_seen, network_.now_us() + 2 * s)) return error;
            (void)connection.send(bytes_of("?"));  // nothing back yet: provoke the reset
        }
        fail(what);
        return error;
    }
    void send(Connection& connection, std::string_view text) {
        auto n = connection.send(bytes_of(text));
        if (!n || *n != text.size()) fail("send");
    }
    // Runs until neither stack holds any connection or TIME_WAIT entry.
    void until_all_closed() {
        until([&] {
            return client->connection_count() == 0 && client->time_wait_count() == 0 &&
                   server->connection_count() == 0 && server->time_wait_count() == 0;
        }, "every connection closed");
    }

    Outcome outcome() const {
        Outcome outcome;
        outcome.completed = !failed_;
        outcome.failure = failure_;
        for (const char* name : {"client", "server"}) {
            auto node = history_.nodes.find(name);
            std::string line = fmt::format("{}: ", name);
            if (node == history_.nodes.end() || !node->second.any) {
                line += "no connection";
            } else if (node->second.time_wait_lasted && node->second.last == State::closed) {
                line += fmt::format("CLOSED after TIME_WAIT {:.3f} s",
                                    static_cast<double>(*node->second.time_wait_lasted) / 1e6);
            } else {
                line += tcp::to_string(node->second.last);
            }
            if (auto notes = notes_.find(name); notes != notes_.end()) {
                for (const auto& note : notes->second) line += "; " + note;
            }
            outcome.lines.push_back(std::move(line));
        }
        return outcome;
    }

private:
    Options options_;
    runtime::SimNetwork network_;
    trace::Tee tee_;
    History history_;
    bool failed_ = false;
    std::string failure_;
    std::map<std::string, std::vector<std::string>> notes_;
};

bool is_pure_ack(wire::Bytes packet) {
    auto ip = wire::Ipv4View::parse(packet, wire::ChecksumCheck::skip);
    if (!ip) return false;
    auto tcp = wire::TcpView::parse(*ip, wire::ChecksumCheck::skip);
    return tcp && tcp->flags().bits == wire::TcpFlags::ack && tcp->payload().empty();
}

bool is_syn(wire::Bytes packet) {
    auto ip = wire::Ipv4View::parse(packet, wire::ChecksumCheck::skip);
    if (!ip) return false;
    auto tcp = wire::TcpView::parse(*ip, wire::ChecksumCheck::skip);
    return tcp && tcp->flags().syn_set() && !tcp->flags().ack_set();
}

// Handshake, "ping" and "pong", the client closes first; the server closes 50 ms after it reads the FIN,
// so the four segments of the close are seen apart. The client holds TIME_WAIT for 2*MSL.
void handshake_and_close(Run& run) {
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    run.until([&] { return client.state() == State::established; }, "client ESTABLISHED");
    run.send(client, "ping");
    Connection server = run.accept(listener);
    run.saw("server", fmt::format("received \"{}\"", run.read(server, 4, "server reads the request")));
    run.send(server, "pong");
    run.saw("client", fmt::format("received \"{}\"", run.read(client, 4, "client reads the reply")));
    client.close();
    run.read_end(server, "server reads the client's FIN");
    run.wait(50 * ms);
    server.close();
    run.until_all_closed();
    listener.close();
}

// The server sends its reply and closes first; it holds TIME_WAIT.
void server_closes_first(Run& run) {
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    Connection server = run.accept(listener);
    run.send(server, "bye");
    server.close();
    run.saw("client", fmt::format("received \"{}\"", run.read(client, 3, "client reads")));
    run.read_end(client, "client reads the server's FIN");
    run.wait(50 * ms);
    client.close();
    run.until_all_closed();
    listener.close();
}

// The client sends its request and shuts down its sending side; the server still sends three parts of
// its reply, then closes. Data flows one way after the other has finished.
void half_close(Run& run) {
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    run.until([&] { return client.state() == State::established; }, "client ESTABLISHED");
    run.send(client, "request");
    if (client.shutdown()) run.fail("shutdown");
    Connection server = run.accept(listener);
    run.saw("server", fmt::format("received \"{}\" then end of stream", run.read(server, 7, "server reads")));
    run.read_end(server, "server reads the client's FIN");
    for (const char* part : {"part 1;", "part 2;", "part 3."}) {
        run.send(server, part);
        run.wait(20 * ms);
    }
    server.close();
    std::string reply = run.read(client, 21, "client reads the three parts");
    run.read_end(client, "client reads the server's FIN");
    run.saw("client", fmt::format("received \"{}\" after its own FIN", reply));
    client.close();
    run.until_all_closed();
    listener.close();
}

// Both ends open at once to each other's well-known port: SYN_SENT -> SYN_RECEIVED -> ESTABLISHED.
void simultaneous_open(Run& run) {
    Connection client = run.connect(*run.client, {server_address, 6000}, Endpoint{Ipv4Address{}, 5000});
    Connection server = run.connect(*run.server, {client_address, 5000}, Endpoint{Ipv4Address{}, 6000});
    run.until([&] { return client.state() == State::established && server.state() == State::established; },
              "both ESTABLISHED");
    run.send(client, "hello");
    run.saw("server", fmt::format("received \"{}\"", run.read(server, 5, "server reads")));
    client.close();
    run.read_end(server, "server reads the FIN");
    run.wait(50 * ms);
    server.close();
    run.until_all_closed();
}

// Both ends close at once: their FINs cross, FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides.
void simultaneous_close(Run& run) {
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    Connection server = run.accept(listener);
    run.until([&] { return client.state() == State::established; }, "client ESTABLISHED");
    client.close();
    server.close();
    run.until_all_closed();
    listener.close();
}

// As handshake-and-close, but the client's last ACK is lost: the server sends its FIN again, the client in
// TIME_WAIT acknowledges it again (not an RST) and restarts its 2*MSL.
void lost_final_ack(Run& run) {
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    Connection server = run.accept(listener);
    client.close();
    run.read_end(server, "server reads the client's FIN");
    run.wait(50 * ms);
    bool dropped = false;
    run.network().set_drop_rule([&](const std::string& node, wire::Bytes packet) {
        if (dropped || node != "client" || !is_pure_ack(packet)) return false;
        dropped = true;
        return true;
    });
    server.close();
    run.until([&] { return dropped; }, "the client's last ACK is lost");
    run.until_all_closed();
    run.saw("client", "re-acknowledged the server's retransmitted FIN");
    listener.close();
}

// The client sets SO_LINGER {on, 0} and closes: an RST instead of a FIN, and no TIME_WAIT anywhere.
void linger_abort(Run& run) {
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    Connection server = run.accept(listener);
    run.send(client, "some data");
    run.saw("server", fmt::format("received \"{}\"", run.read(server, 9, "server reads")));
    if (client.set_linger({.on = true, .timeout_us = 0})) run.fail("set linger");
    client.close();
    std::error_code error = run.await_reset(server, "server sees the reset");
    if (error) run.saw("server", fmt::format("read failed with {}", errno_name(error)));
    server.close();
    run.until_all_closed();
    listener.close();
}

// The server closes with data it never read: RFC 2525 2.17 says reset, so the client learns the data
// was lost.
void unread_data_reset(Run& run) {
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    Connection server = run.accept(listener);
    run.send(client, "never read");
    run.until([&] { return server.bytes_unread() == 10; }, "the data reaches the server");
    server.close();
    std::error_code error = run.await_reset(client, "client sees the reset");
    if (error) run.saw("client", fmt::format("read failed with {}", errno_name(error)));
    client.close();
    run.until_all_closed();
    listener.close();
}

// A SYN to a port with no listener: RST,ACK, and the client's connect fails with ECONNREFUSED.
void refused(Run& run) {
    Connection client = run.connect(*run.client, {server_address, 81});
    run.until([&] { return client.state() == State::closed; }, "client CLOSED");
    if (client.error()) run.saw("client", fmt::format("connect failed with {}", errno_name(client.error())));
    client.close();
    run.until_all_closed();
}

// The first two SYNs are lost: the third, after 1 s and 2 s more (RFC 6298 backoff), gets through.
void syn_lost(Run& run) {
    int dropped = 0;
    run.network().set_drop_rule([&](const std::string& node, wire::Bytes packet) {
        if (dropped >= 2 || node != "client" || !is_syn(packet)) return false;
        ++dropped;
        return true;
    });
    Listener listener = run.listen(server_port);
    Connection client = run.connect(*run.client, {server_address, server_port});
    run.until([&] { return client.state() == State::established; }, "client ESTABLISHED");
    run.saw("client", fmt::format("SYN sent {} times", run.client->counters().RetransSegs + 1));
    Connection server = run.accept(listener);
    client.close();
    run.read_end(server, "server reads the FIN");
    server.close();
    run.until_all_closed();
    listener.close();
}

// Backlog 2 and a server slow to accept: one connection waits in the accept queue when two more arrive
// together. The second fills the queue; the third's handshake completes on the client's side, but the
// server drops its final ACK (accept queue full, as Linux does) and sends SYN,ACK again on its timer
// until accept() has made room. The client is never refused.
void backlog_full(Run& run) {
    Listener listener = run.listen(server_port, 2);
    Connection first = run.connect(*run.client, {server_address, server_port});
    run.until([&] { return listener.accept_queue_size() == 1; }, "the first connection is queued");
    Connection second = run.connect(*run.client, {server_address, server_port});
    Connection third = run.connect(*run.client, {server_address, server_port});
    run.until([&] { return run.server->counters().ListenOverflows > 0; }, "the third's ACK is dropped");
    run.wait(1500 * ms);
    std::vector<Connection> accepted;
    for (int i = 0; i < 3; ++i) accepted.push_back(run.accept(listener));
    run.saw("server", fmt::format("accepted 3, ListenOverflows {}", run.server->counters().ListenOverflows));
    for (Connection* c : {&first, &second, &third}) c->close();
    for (Connection& c : accepted) {
        run.read_end(c, "server reads a FIN");
        c.close();
    }
    run.until_all_closed();
    listener.close();
}

struct Entry {
    Scenario scenario;
    void (*play)(Run&);
};

const std::vector<Entry>& entries() {
    static const std::vector<Entry> list = {
        {{"handshake-and-close", "handshake, a request and its reply, the client closes first: TIME_WAIT"},
         handshake_and_close},
        {{"server-closes-first", "the server replies and closes first, and holds TIME_WAIT"}, server_closes_first},
        {{"half-close", "the client shuts down its side; the server still sends, then closes"}, half_close},
        {{"simultaneous-open", "both SYNs cross: SYN_SENT -> SYN_RECEIVED -> ESTABLISHED"}, simultaneous_open},
        {{"simultaneous-close", "both FINs cross: FIN_WAIT_1 -> CLOSING -> TIME_WAIT"}, simultaneous_close},
        {{"lost-final-ack", "the last ACK is lost; TIME_WAIT re-ACKs the repeated FIN"}, lost_final_ack},
        {{"linger-abort", "SO_LINGER {on, 0}: close() sends RST, no TIME_WAIT"}, linger_abort},
        {{"unread-data-reset", "close() with unread data sends RST (RFC 2525 2.17)"}, unread_data_reset},
        {{"refused", "a SYN to a closed port: RST, ECONNREFUSED"}, refused},
        {{"syn-lost", "two SYNs lost: retransmitted after 1 s and 2 s"}, syn_lost},
        {{"backlog-full", "accept queue full: the final ACK is dropped and SYN,ACK sent again"}, backlog_full},
    };
    return list;
}

}  // namespace

const std::vector<Scenario>& all() {
    static const std::vector<Scenario> list = [] {
        std::vector<Scenario> out;
        for (const Entry& e : entries()) out.push_back(e.scenario);
        return out;
    }();
    return list;
}

bool exists(std::string_view name) {
    return std::any_of(entries().begin(), entries().end(), [&](const Entry& e) { return e.scenario.name == name; });
}

Outcome run(std::string_view name, const Options& options, TraceSink& trace,
            const std::function<void(std::uint64_t, wire::Bytes)>& capture) {
    auto entry = std::find_if(entries().begin(), entries().end(), [&](const Entry& e) { return e.scenario.name == name; });
    if (entry == entries().end()) return Outcome{false, fmt::format("no scenario {}", name), {}};
    Run run{options, trace, capture};
    entry->play(run);
    return run.outcome();
}

}  // namespace tcpp::scenarios
