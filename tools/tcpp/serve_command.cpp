// `tcpp serve`: a tcpp stack on a TUN device, listening on one port, running a small application
// (echo, discard, or banner: one line, then the server closes first) for every connection, until Ctrl-C; then every connection is closed gracefully and the
// stack's counters are printed.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "link/capture_device.h"
#include "link/device.h"
#include "pcap/pcap_file.h"
#include "runtime/event_loop.h"
#include "tcpp/stack.h"
#include "trace/json_lines.h"
#include "wire/address.h"

namespace tcpp::tool {
namespace {

enum class App { echo, discard, banner };

struct ServeOptions {
    std::string tun;
    std::string address;  // A.B.C.D/len
    std::uint16_t port = 0;
    std::string app = "echo";
    int backlog = 128;
    double msl_seconds = 30;
    std::optional<double> linger_seconds;
    std::string trace_path;
    std::string pcap_path;
};

// An interface address: ours, and the length of the network's prefix.
struct InterfaceAddress {
    Ipv4Address address;
    unsigned prefix = 32;
};

std::optional<InterfaceAddress> parse_interface_address(const std::string& text) {
    const std::size_t slash = text.find('/');
    auto address = Ipv4Address::parse(std::string_view{text}.substr(0, slash));
    if (!address || *address == Ipv4Address{}) return std::nullopt;
    InterfaceAddress result{*address, 32};
    if (slash != std::string::npos) {
        const std::string digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 2 || digits.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
        result.prefix = static_cast<unsigned>(std::stoul(digits));
        if (result.prefix == 0 || result.prefix > 32) return std::nullopt;
    }
    return result;
}

// The trace's t_us on the wall clock: the stack runs on the monotonic one.
class WallClockSink final : public TraceSink {
public:
    explicit WallClockSink(TraceSink& inner)
        : inner_(inner),
          offset_(static_cast<std::int64_t>(wall_us()) - static_cast<std::int64_t>(runtime::monotonic_us())) {}
    void record(const TraceEvent& event) override {
        TraceEvent shifted = event;
        shifted.t_us = static_cast<std::uint64_t>(static_cast<std::int64_t>(event.t_us) + offset_);
        inner_.record(shifted);
    }

private:
    static std::uint64_t wall_us() {
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(now.tv_nsec) / 1000;
    }
    TraceSink& inner_;
    std::int64_t offset_;
};

// One accepted connection and what the application holds for it.
struct Session {
    Connection connection;
    std::vector<std::byte> pending;  // echo: received, not yet accepted by send()
    std::size_t pending_from = 0;
    bool end_of_stream = false;
    bool closed = false;
};

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
        if (s.end_of_stream && s.pending.empty()) {
            c.close();  // the peer has finished and everything is echoed: our FIN
            return false;
        }
        if (!progress) return true;
    }
}

int serve(const ServeOptions& options) {
    const auto interface = parse_interface_address(options.address);
    if (!interface) {
        fmt::print(stderr, "tcpp serve: --addr '{}' is not an IPv4 address with a prefix (like 10.0.0.2/24)\n",
                   options.address);
        return 2;
    }
    if (options.port == 0) {
        fmt::print(stderr, "tcpp serve: --port must be 1 to 65535\n");
        return 2;
    }
    const App app = options.app == "echo" ? App::echo : options.app == "discard" ? App::discard : App::banner;

    auto opened = link::open_tun(options.tun, link::Framing::ip);
    if (!opened) {
        fmt::print(stderr, "tcpp serve: {}\n", link::describe_open_error(options.tun, opened.error()));
        return 1;
    }
    std::unique_ptr<link::Device> tun = std::move(*opened);
    link::Device* device = tun.get();
    std::optional<link::CaptureDevice> capture;
    if (!options.pcap_path.empty()) {
        auto writer = pcap::Writer::create(options.pcap_path, pcap::LinkType::raw_ipv4);
        if (!writer) {
            fmt::print(stderr, "tcpp serve: cannot write {}: {}\n", options.pcap_path, writer.error());
            return 1;
        }
        capture.emplace(*tun, std::move(*writer));
        device = &*capture;
    }

    StackConfig config{.address = interface->address, .name = "tcpp"};
    config.mtu = static_cast<std::uint16_t>(std::min<std::size_t>(tun->max_unit(), 65535));
    config.tcp.mss = static_cast<std::uint16_t>(config.mtu - 40);
    config.tcp.defaults.msl_us = static_cast<std::uint64_t>(options.msl_seconds * 1e6);
    if (options.linger_seconds) {
        config.tcp.defaults.linger = {true, static_cast<std::uint64_t>(*options.linger_seconds * 1e6)};
    }
    Stack stack{config};

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> trace_file{nullptr, std::fclose};
    std::optional<trace::JsonLinesSink> json;
    std::optional<WallClockSink> wall;
    if (!options.trace_path.empty()) {
        trace_file.reset(options.trace_path == "-" ? nullptr : std::fopen(options.trace_path.c_str(), "w"));
        if (options.trace_path != "-" && !trace_file) {
            fmt::print(stderr, "tcpp serve: cannot write {}: {}\n", options.trace_path, std::strerror(errno));
            return 1;
        }
        json.emplace(trace_file ? trace_file.get() : stdout);
        wall.emplace(*json);
        stack.set_trace(&*wall);
    }

    runtime::EventLoop loop{stack, *device};
    auto listener = stack.listen({Ipv4Address{}, options.port}, options.backlog);
    if (!listener) {
        fmt::print(stderr, "tcpp serve: cannot listen on port {}: {}\n", options.port, listener.error().message());
        return 1;
    }
    // Progress to stderr when the trace has stdout.
    std::FILE* out = options.trace_path == "-" ? stderr : stdout;
    fmt::print(out, "tcpp serve: {} on {}:{} over {} (MTU {}); Ctrl-C to stop\n", options.app,
               interface->address.to_string(), options.port, options.tun, config.mtu);
    std::fflush(out);

    std::vector<Session> sessions;
    std::vector<std::byte> scratch(64 * 1024);
    std::uint64_t accepted = 0;
    std::optional<std::uint64_t> stop_deadline;  // after Ctrl-C: closes get this long to complete
    constexpr std::uint64_t close_grace_us = 5'000'000;
    std::error_code error = loop.run([&] {
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
            }
        }
        for (std::size_t i = 0; i < sessions.size();) {
            if (serve_session(sessions[i], app, scratch)) {
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
    if (capture) capture->flush();
    if (error) {
        fmt::print(stderr, "tcpp serve: {}: {}\n", options.tun, error.message());
        return 1;
    }
    fmt::print(out, "tcpp serve: stopped; {} connections accepted, {} still open, {} in TIME_WAIT\n", accepted,
               stack.connection_count(), stack.time_wait_count());
    tcp::for_each_counter(stack.counters(), [&](const char* name, std::uint64_t value) {
        if (value != 0) fmt::print(out, "  {:<24} {}\n", name, value);
    });
    fmt::print(out, "  device: {} packets in, {} out, {} dropped (queue full)\n", tun->units_received(),
               tun->units_sent(), tun->send_drops());
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<ServeOptions>();
    CLI::App* command =
        app.add_subcommand("serve", "A tcpp server on a TUN device: echo, discard or banner, until Ctrl-C");
    command->add_option("--tun", options->tun, "the TUN device to attach to (created if missing: needs CAP_NET_ADMIN)")
        ->required();
    command->add_option("--addr", options->address, "our IPv4 address and prefix on the device, like 10.0.0.2/24")
        ->required();
    command->add_option("--port", options->port, "the port to listen on")->required();
    command->add_option("--app", options->app, "what each connection gets")
        ->check(CLI::IsMember({"echo", "discard", "banner"}))
        ->capture_default_str();
    command->add_option("--backlog", options->backlog, "the accept queue's length")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();
    command->add_option("--msl", options->msl_seconds, "MSL in seconds: TIME_WAIT lasts 2*MSL")
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    command->add_option("--linger", options->linger_seconds, "SO_LINGER {on, SECONDS} for every connection (0: close aborts with RST)")
        ->check(CLI::Range(0.0, 3600.0));
    command->add_option("--trace", options->trace_path, "write the trace as JSON lines, wall-clock t_us (- for stdout)");
    command->add_option("--pcap", options->pcap_path, "write every packet in and out to a pcap capture (raw IPv4)");
    command->callback([options, &exit_code] { exit_code = serve(*options); });
}

}  // namespace tcpp::tool
