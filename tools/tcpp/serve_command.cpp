// `tcpp serve`: a tcpp stack on a TUN or TAP device, listening on one port, running a small application
// (echo, discard, chargen (RFC 864), banner: one line, then the server closes first, or http: http_app.h)
// for every connection, until Ctrl-C; then
// every connection is closed gracefully and the stack's counters are printed. SIGUSR1 lists the sockets.

#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "http_app.h"
#include "link_setup.h"
#include "runtime/event_loop.h"
#include "socket_table.h"
#include "tcpp/stack.h"

namespace tcpp::tool {
namespace {

enum class App { echo, discard, banner, chargen, http };

struct ServeOptions {
    LinkOptions link;
    std::uint16_t port = 0;
    std::string app = "echo";
    int backlog = 128;
};

// One accepted connection and what the application holds for it.
struct Session {
    Connection connection;
    std::vector<std::byte> pending;  // echo: received, not yet accepted by send()
    std::size_t pending_from = 0;
    bool end_of_stream = false;
    std::uint64_t line = 0;  // chargen: the next line's number
    std::optional<http::ServerSession> http;
    bool shut = false;  // http: our FIN is sent
};

// RFC 864 (character generator): line n is the 72 printable ASCII characters from the n-th (mod 95) on,
// round the end, then CR LF. Appends `count` lines.
void chargen_lines(Session& s, std::size_t count) {
    for (std::size_t k = 0; k < count; ++k, ++s.line) {
        for (std::uint64_t i = 0; i < 72; ++i) s.pending.push_back(static_cast<std::byte>(' ' + (s.line + i) % 95));
        s.pending.push_back(std::byte{'\r'});
        s.pending.push_back(std::byte{'\n'});
    }
}

constexpr std::size_t echo_window = 64 * 1024;  // what an echo session holds at most before it stops reading

// Moves the session on as far as it can without blocking. False once it is done (closed).
bool serve_session(Session& s, App app, std::vector<std::byte>& scratch) {
    Connection& c = s.connection;
    if (c.error()) {  // reset by the peer, or timed out: nothing more to do but let it go
        c.close();
        return false;
    }
    for (;;) {
        bool progress = false;
        if (app == App::chargen && s.pending.empty() && !s.end_of_stream) chargen_lines(s, 64);
        if (s.pending_from < s.pending.size()) {
            auto sent = c.send(wire::Bytes{s.pending}.subspan(s.pending_from));
            if (sent && *sent > 0) {
                s.pending_from += *sent;
                progress = true;
            }
            if (s.pending_from == s.pending.size()) {
                s.pending.clear();
                s.pending_from = 0;
            }
        }
        if (!s.end_of_stream && s.pending.size() < echo_window) {
            auto n = c.receive(scratch);
            if (n && *n == 0) {
                s.end_of_stream = true;
                progress = true;
            } else if (n) {
                if (app == App::echo) s.pending.insert(s.pending.end(), scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(*n));
                progress = true;
            } else if (n.error() != std::errc::resource_unavailable_try_again) {
                c.close();
                return false;
            }
        }
        if (s.end_of_stream && (s.pending.empty() || app == App::chargen)) {
            c.close();  // the peer has finished and everything is echoed: our FIN
            return false;
        }
        if (!progress) return true;
    }
}

// http: responses out, requests in, until the session has said all it will; then our FIN, and the
// connection is read to the peer's end (or the session's linger time) before it is let go.
bool serve_http_session(Session& s, std::vector<std::byte>& scratch, std::uint64_t now_us) {
    Connection& c = s.connection;
    http::ServerSession& h = *s.http;
    if (c.error()) {
        c.close();
        return false;
    }
    if (s.end_of_stream) h.receive_end();
    for (;;) {
        bool progress = false;
        for (auto out = h.output(); !out.empty(); out = h.output()) {
            auto sent = c.send(out);
            if (!sent || *sent == 0) break;
            h.sent(*sent, now_us);
            progress = true;
        }
        if (h.finished() && !s.shut) {
            s.shut = true;
            (void)c.shutdown();
        }
        if (const std::size_t room = std::min(h.receive_room(), scratch.size()); !s.end_of_stream && room > 0) {
            auto n = c.receive(wire::MutableBytes{scratch}.first(room));
            if (n && *n == 0) {
                s.end_of_stream = true;
                h.receive_end();
                progress = true;
            } else if (n) {
                h.receive(wire::Bytes{scratch}.first(*n), now_us);
                progress = true;
            } else if (n.error() != std::errc::resource_unavailable_try_again) {
                c.close();
                return false;
            }
        }
        if (h.linger_over(now_us)) {
            c.close();
            return false;
        }
        if (!progress && h.stalled(now_us)) {  // a client that stopped reading: given up, with an RST
            c.abort();
            return false;
        }
        // Nothing moved: the idle timeout may end it (a 408 to send, or our FIN).
        if (!progress && !h.poll(now_us)) return true;
    }
}

int serve(const ServeOptions& options) {
    if (options.port == 0) {
        fmt::print(stderr, "tcpp serve: --port must be 1 to 65535\n");
        return 2;
    }
    const App app = options.app == "echo"      ? App::echo
                    : options.app == "discard" ? App::discard
                    : options.app == "chargen" ? App::chargen
                    : options.app == "http"    ? App::http
                                               : App::banner;
    int exit_code = 0;
    auto setup = LinkSetup::open(options.link, "serve", exit_code);
    if (!setup) return exit_code;
    Stack& stack = setup->stack();
    runtime::EventLoop loop{stack, setup->device()};
    auto listener = stack.listen({Ipv4Address{}, options.port}, options.backlog);
    if (!listener) {
        fmt::print(stderr, "tcpp serve: cannot listen on port {}: {}\n", options.port, listener.error().message());
        return 1;
    }
    std::FILE* out = setup->out();
    fmt::print(out, "tcpp serve: {} on {}:{} over {} (MTU {}); Ctrl-C to stop\n", options.app,
               setup->interface().address.to_string(), options.port, options.link.device_name(), stack.config().mtu);
    std::fflush(out);

    std::vector<Session> sessions;
    std::vector<std::byte> scratch(64 * 1024);
    std::uint64_t accepted = 0;
    std::optional<std::uint64_t> stop_deadline;  // after Ctrl-C: closes get this long to complete
    constexpr std::uint64_t close_grace_us = 5'000'000;
    unsigned status_shown = 0;
    http::HttpDate date;
    http::ServerStats http_stats;
    http::ServerConfig http_config;
    http_config.date = &date;
    http_config.stats = &http_stats;
    std::error_code error = loop.run([&] {
        if (loop.status_requests() != status_shown) {  // SIGUSR1: the connection table, as ss -tan -o
            status_shown = loop.status_requests();
            const std::string table = socket_table(stack, loop.now_us());
            std::fwrite(table.data(), 1, table.size(), out);
            std::fflush(out);
        }
        if (loop.interrupted() > 0 && !stop_deadline) {
            // Ctrl-C: no new connections; every open one gets our FIN (after what it has to echo).
            listener->close();
            for (Session& s : sessions) s.end_of_stream = true;
            stop_deadline = loop.now_us() + close_grace_us;
        }
        if (!stop_deadline) {
            while (auto connection = listener->accept()) {
                ++accepted;
                if (app == App::banner) {
                    // One line, then our FIN at once: the server closes first, and holds TIME_WAIT.
                    const FourTuple tuple = connection->tuple();
                    const std::string line = fmt::format("tcpp {}:{} greets {}:{}\r\n", tuple.local.address.to_string(),
                                                         tuple.local.port, tuple.remote.address.to_string(),
                                                         tuple.remote.port);
                    (void)connection->send(wire::as_bytes(line.data(), line.size()));
                    connection->close();
                    continue;
                }
                Session& s = sessions.emplace_back();
                s.connection = *connection;
                if (app == App::http) s.http.emplace(http_config, loop.now_us());
            }
        }
        if (app == App::http) date.update(std::time(nullptr));
        for (std::size_t i = 0; i < sessions.size();) {
            if (app == App::http ? serve_http_session(sessions[i], scratch, loop.now_us())
                                 : serve_session(sessions[i], app, scratch)) {
                ++i;
            } else {
                sessions[i] = std::move(sessions.back());
                sessions.pop_back();
            }
        }
        if (!stop_deadline) return true;
        // Stopping: until every connection has closed or become a compact TIME_WAIT entry (every FIN
        // acknowledged), a second Ctrl-C, or the grace period.
        return stack.connection_count() != 0 && loop.interrupted() < 2 && loop.now_us() < *stop_deadline;
    });
    setup->flush();
    if (error) {
        fmt::print(stderr, "tcpp serve: {}: {}\n", options.link.device_name(), error.message());
        return 1;
    }
    fmt::print(out, "tcpp serve: stopped; {} connections accepted, {} still open, {} in TIME_WAIT\n", accepted,
               stack.connection_count(), stack.time_wait_count());
    if (app == App::http) {
        fmt::print(out, "tcpp serve: http: {} responses: {} 2xx, {} 4xx, {} 5xx\n", http_stats.responses,
                   http_stats.successful, http_stats.client_errors, http_stats.server_errors);
    }
    setup->print_counters();
    setup->flush();
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<ServeOptions>();
    CLI::App* command =
        app.add_subcommand("serve", "A tcpp server on a TUN or TAP device: echo, discard, chargen, banner or http, until Ctrl-C");
    add_link_options(command, options->link);
    command->add_option("--port", options->port, "the port to listen on")->required();
    command->add_option("--app", options->app, "what each connection gets")
        ->check(CLI::IsMember({"echo", "discard", "chargen", "banner", "http"}))
        ->capture_default_str();
    command->add_option("--backlog", options->backlog, "the accept queue's length")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();
    command->callback([options, &exit_code] { exit_code = serve(*options); });
}

}  // namespace tcpp::tool
