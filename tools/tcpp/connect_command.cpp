// `tcpp connect`: a tcpp stack on a TUN or TAP device opens one connection to HOST:PORT, sends a file (or
// standard input) and writes what it receives to a file (or standard output), then closes. The exit code
// says how it ended: 0 for a clean close, 1 for a connection that failed (refused, reset, timed out,
// unreachable), 2 for bad input.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "link_setup.h"
#include "runtime/event_loop.h"
#include "tcpp/stack.h"

namespace tcpp::tool {
namespace {

struct ConnectOptions {
    LinkOptions link;
    std::string remote;  // HOST:PORT
    std::string send_path;
    std::string recv_path;
    bool shutdown_after_send = false;
};

std::optional<Endpoint> parse_endpoint(const std::string& text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    auto address = Ipv4Address::parse(std::string_view{text}.substr(0, colon));
    const std::string digits = text.substr(colon + 1);
    if (!address || digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    const unsigned long port = std::stoul(digits);
    if (port == 0 || port > 65535) return std::nullopt;
    return Endpoint{*address, static_cast<std::uint16_t>(port)};
}

// A source of bytes to send: a file, or standard input (non-blocking, so the loop never waits on it).
class Source {
public:
    static std::optional<Source> open(const std::string& path) {
        if (path.empty()) return Source{-1, false};
        if (path == "-") {
            ::fcntl(STDIN_FILENO, F_SETFL, ::fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
            return Source{STDIN_FILENO, false};
        }
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return std::nullopt;
        return Source{fd, true};
    }
    bool done() const { return fd_ < 0 || (ended_ && pending_.empty()); }
    // Sends what it can. An error from the connection, or nothing.
    std::error_code pump(Connection& connection) {
        while (!done()) {
            if (pending_.empty()) {
                pending_.resize(64 * 1024);
                const ssize_t n = ::read(fd_, pending_.data(), pending_.size());
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                    pending_.clear();
                    return {};
                }
                pending_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
                if (n <= 0) {
                    ended_ = true;  // end of file (or a read error: as much was sent as could be read)
                    return {};
                }
                from_ = 0;
            }
            auto sent = connection.send(wire::Bytes{pending_}.subspan(from_));
            if (!sent) {
                return sent.error() == std::errc::resource_unavailable_try_again ? std::error_code{} : sent.error();
            }
            from_ += *sent;
            bytes_ += *sent;
            if (from_ == pending_.size()) pending_.clear();
            if (*sent == 0) return {};
        }
        return {};
    }
    std::uint64_t bytes() const { return bytes_; }
    ~Source() {
        if (owned_ && fd_ >= 0) ::close(fd_);
    }
    Source(Source&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)),
          owned_(other.owned_),
          ended_(other.ended_),
          pending_(std::move(other.pending_)),
          from_(other.from_),
          bytes_(other.bytes_) {}
    Source& operator=(Source&&) = delete;

private:
    Source(int fd, bool owned) : fd_(fd), owned_(owned) {}
    int fd_;
    bool owned_;
    bool ended_ = false;
    std::vector<std::byte> pending_;
    std::size_t from_ = 0;
    std::uint64_t bytes_ = 0;
};

int connect(const ConnectOptions& options) {
    const auto remote = parse_endpoint(options.remote);
    if (!remote) {
        fmt::print(stderr, "tcpp connect: '{}' is not HOST:PORT with an IPv4 address and a port 1 to 65535\n",
                   options.remote);
        return 2;
    }
    auto source = Source::open(options.send_path);
    if (!source) {
        fmt::print(stderr, "tcpp connect: cannot read {}: {}\n", options.send_path, std::strerror(errno));
        return 1;
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> sink{nullptr, std::fclose};
    std::FILE* received = nullptr;
    if (options.recv_path == "-") {
        received = stdout;
    } else if (!options.recv_path.empty()) {
        sink.reset(std::fopen(options.recv_path.c_str(), "wb"));
        if (!sink) {
            fmt::print(stderr, "tcpp connect: cannot write {}: {}\n", options.recv_path, std::strerror(errno));
            return 1;
        }
        received = sink.get();
    }
    int exit_code = 0;
    auto setup = LinkSetup::open(options.link, "connect", exit_code);
    if (!setup) return exit_code;
    if (!setup->routable(remote->address)) {
        fmt::print(stderr, "tcpp connect: no route to {}: not on {}/{}, and no --gateway\n",
                   remote->address.to_string(), setup->interface().address.to_string(), setup->interface().prefix);
        return 1;
    }
    Stack& stack = setup->stack();
    runtime::EventLoop loop{stack, setup->device()};
    auto connection = stack.connect(*remote);
    if (!connection) {
        fmt::print(stderr, "tcpp connect: {}: {}\n", options.remote, connection.error().message());
        return 1;
    }
    // Progress on stderr: stdout may be the received stream.
    std::FILE* progress = stderr;

    std::vector<std::byte> buffer(64 * 1024);
    std::uint64_t received_bytes = 0;
    bool established = false, end_of_stream = false, shut = false, closed = false;
    std::optional<std::uint64_t> close_deadline;
    constexpr std::uint64_t close_grace_us = 10'000'000;
    std::error_code failure;
    std::uint32_t path_mtu = stack.config().mtu;  // as the connection knew it at the end (ICMP may lower it)
    std::error_code error = loop.run(
        [&] {
            if (loop.interrupted() > 0 && !closed) {
                // Ctrl-C: close now, as the options say (a FIN; an RST with --linger 0), and wait for it.
                closed = true;
                connection->close();
                fmt::print(progress, "tcpp connect: interrupted: closing\n");
                return true;
            }
            if (closed) {  // the handle is released: only the close itself is left
                if (!close_deadline) close_deadline = loop.now_us() + close_grace_us;
                return stack.connection_count() != 0 && loop.now_us() < *close_deadline && loop.interrupted() < 2;
            }
            if (std::error_code e = connection->error()) {
                failure = e;
                return false;
            }
            if (!established && connection->state() == State::established) {
                established = true;
                const FourTuple t = connection->tuple();
                fmt::print(progress, "tcpp connect: {}:{} -> {}:{} established\n", t.local.address.to_string(),
                           t.local.port, t.remote.address.to_string(), t.remote.port);
            }
            if (!established && connection->state() != State::close_wait) return true;
            if (std::error_code e = source->pump(*connection)) {
                failure = e;
                return false;
            }
            if (source->done() && options.shutdown_after_send && !shut) {
                shut = true;
                (void)connection->shutdown();
            }
            while (!end_of_stream) {
                auto n = connection->receive(buffer);
                if (!n) break;  // EAGAIN; an error shows in connection->error() next round
                if (*n == 0) {
                    end_of_stream = true;
                    break;
                }
                received_bytes += *n;
                if (received) std::fwrite(buffer.data(), 1, *n, received);
            }
            // Done when the peer has finished and everything went: close (a FIN, or our second FIN),
            // then wait for the close to complete (LAST_ACK acknowledged, or TIME_WAIT reached).
            if (end_of_stream && source->done() && !closed) {
                closed = true;
                if (auto info = connection->info()) path_mtu = info->pmtu;
                connection->close();
            }
            // After close(), the rounds above wait until the stack holds no connection (our FIN acknowledged:
            // CLOSED, or TIME_WAIT as a compact entry), for at most close_grace_us.
            return true;
        },
        10'000);
    if (received) std::fflush(received);
    setup->flush();
    if (error) {
        fmt::print(stderr, "tcpp connect: {}: {}\n", options.link.device_name(), error.message());
        return 1;
    }
    if (failure) {
        fmt::print(stderr, "tcpp connect: {}: {}\n", options.remote, failure.message());
        return 1;
    }
    if (path_mtu < stack.config().mtu) {
        fmt::print(progress, "tcpp connect: the path's MTU was {} (learned from ICMP), not {}\n", path_mtu,
                   stack.config().mtu);
    }
    fmt::print(progress, "tcpp connect: closed; {} bytes sent, {} received; {} in TIME_WAIT\n", source->bytes(),
               received_bytes, stack.time_wait_count());
    return 0;
}

}  // namespace

void add_connect_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<ConnectOptions>();
    CLI::App* command = app.add_subcommand("connect", "One tcpp connection over a TUN or TAP device: send, receive, close");
    add_link_options(command, options->link);
    command->add_option("remote", options->remote, "HOST:PORT to connect to")->required();
    command->add_option("--send", options->send_path, "send this file (- for standard input)");
    command->add_option("--recv", options->recv_path, "write what arrives to this file (- for standard output)");
    command->add_flag("--shutdown-after-send", options->shutdown_after_send,
                      "send our FIN once everything is sent (half close), then read to the end");
    command->callback([options, &exit_code] { exit_code = connect(*options); });
}

}  // namespace tcpp::tool
