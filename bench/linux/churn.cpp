// churn: whole lifecycles on loopback with epoll: connect, accept, a 100-byte request and reply, the
// client closes first (and holds TIME_WAIT), the server closes after end of stream.

#include <array>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/stopwatch.h"
#include "sockets.h"
#include "workloads.h"

namespace linux_bench {
namespace {

constexpr std::size_t message_size = 100;
enum class Role : std::uint8_t { none, listener, client, server };

struct Socket {
    Role role = Role::none;
    bool request_sent = false;
    std::size_t received = 0;
};

}  // namespace

void run_churn(std::uint64_t lifecycles, std::size_t concurrency, std::size_t clients, const Limits& limits) {
    const std::uint64_t time_wait_before = kernel_time_wait_count();
    std::uint16_t port = 0;
    int listener = listen_on(4096, port);
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0) fail_errno("epoll_create1");
    std::vector<Socket> sockets(1024);
    auto watch_fd = [&](int fd, Role role, std::uint32_t events) {
        if (static_cast<std::size_t>(fd) >= sockets.size()) sockets.resize(static_cast<std::size_t>(fd) * 2);
        sockets[static_cast<std::size_t>(fd)] = Socket{role};
        epoll_event event{events, {}};
        event.data.fd = fd;
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) fail_errno("epoll_ctl add");
    };
    watch_fd(listener, Role::listener, EPOLLIN);

    const std::array<char, message_size> message{};
    std::array<char, 4096> buffer{};
    std::array<epoll_event, 1024> events{};
    std::vector<int> to_close;  // closed after each batch, so no fd number is reused within one
    std::uint64_t started = 0, completed = 0;
    std::size_t in_flight = 0, next_client = 0;
    tcpp::bench::Stopwatch watch;
    while (completed < lifecycles) {
        while (in_flight < concurrency && started < lifecycles) {
            int fd = connect_from(static_cast<std::uint32_t>(next_client), port);
            next_client = (next_client + 1) % clients;
            watch_fd(fd, Role::client, EPOLLOUT);
            ++started;
            ++in_flight;
        }
        int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
        if (ready < 0 && errno != EINTR) fail_errno("epoll_wait");
        for (int e = 0; e < ready; ++e) {
            const int fd = events[static_cast<std::size_t>(e)].data.fd;
            const std::uint32_t what = events[static_cast<std::size_t>(e)].events;
            Socket& socket = sockets[static_cast<std::size_t>(fd)];
            switch (socket.role) {
            case Role::listener:
                for (;;) {
                    int accepted = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (accepted < 0) {
                        if (errno == EAGAIN) break;
                        fail_errno("accept");
                    }
                    watch_fd(accepted, Role::server, EPOLLIN);
                }
                break;
            case Role::client:
                if (!socket.request_sent) {
                    if (!(what & EPOLLOUT)) break;
                    int error = 0;
                    socklen_t length = sizeof error;
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
                    if (error != 0) throw std::runtime_error(fmt::format("churn: connect failed: errno {}", error));
                    if (send(fd, message.data(), message.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(message_size)) {
                        fail_errno("send request");
                    }
                    socket.request_sent = true;
                    epoll_event event{EPOLLIN, {}};
                    event.data.fd = fd;
                    if (epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) != 0) fail_errno("epoll_ctl mod");
                } else if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                    ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
                    if (n < 0 && errno == EAGAIN) break;
                    if (n <= 0) throw std::runtime_error("churn: the client lost its reply");
                    socket.received += static_cast<std::size_t>(n);
                    if (socket.received == message_size) {
                        socket.role = Role::none;
                        to_close.push_back(fd);
                        --in_flight;
                    }
                }
                break;
            case Role::server: {
                ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
                if (n < 0 && errno == EAGAIN) break;
                if (n < 0) fail_errno("server recv");
                if (n == 0) {
                    socket.role = Role::none;
                    to_close.push_back(fd);
                    ++completed;
                    break;
                }
                socket.received += static_cast<std::size_t>(n);
                if (socket.received == message_size &&
                    send(fd, message.data(), message.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(message_size)) {
                    fail_errno("send reply");
                }
                break;
            }
            case Role::none: break;  // closed in this batch
            }
        }
        for (int fd : to_close) close(fd);
        to_close.clear();
        if (watch.seconds() > limits.max_wall_seconds) {
            throw std::runtime_error(fmt::format("churn: over the wall time limit after {} lifecycles", completed));
        }
    }
    const double wall = watch.seconds();
    const std::uint64_t time_wait_now = kernel_time_wait_count();
    close(listener);
    close(epoll);
    fmt::print("{{\"stack\": \"linux\", \"mode\": \"churn\", \"lifecycles\": {}, \"lifecycles_per_s\": {:.1f}, "
               "\"wall_seconds\": {:.6f}, \"concurrency\": {}, \"clients\": {}, \"time_wait_entries\": {}}}\n",
               completed, static_cast<double>(completed) / wall, wall, concurrency, clients,
               time_wait_now > time_wait_before ? time_wait_now - time_wait_before : 0);
}

}  // namespace linux_bench
