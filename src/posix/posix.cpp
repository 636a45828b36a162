// The POSIX socket calls over a tcpp stack (include/tcpp/posix.h).
//
// One mutex guards a host: its stack and its descriptor table. A call takes it, does what it can at once,
// and, when it must wait (a blocking accept, connect, read or write, or poll), sleeps on the host's
// condition variable, which releases the mutex; the driver's calls (a packet arrived, the clock moved),
// and user calls that change what others wait for, wake the sleepers, each of which checks its own
// condition again. So a blocked call never spins, and the driver is never held up by one.
//
// Every step of the driver wakes the sleepers, and each looks for itself at what holds now (level, not
// edge), so no wakeup is lost; no readiness observer is registered, which keeps the stack's user calls on
// their fast path.

#include "tcpp/posix.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "posix/host.h"
#include "tcpp/stack.h"

namespace {

using tcpp::Connection;
using tcpp::Endpoint;
using tcpp::Ipv4Address;
using tcpp::Listener;
using tcpp::State;

constexpr int first_fd = 3;        // as a fresh process: 0, 1 and 2 are taken
constexpr int max_sockets = 65536;  // descriptors a host hands out at most (EMFILE past it)
constexpr int somaxconn = 4096;     // Linux's net.core.somaxconn: listen()'s backlog is capped there
constexpr std::size_t min_send_buffer = 4608;     // Linux's SOCK_MIN_SNDBUF on x86-64
constexpr std::size_t min_receive_buffer = 2304;  // SOCK_MIN_RCVBUF

// An epoll instance's interest in one descriptor.
struct Interest {
    int fd = -1;
    epoll_event event{};
    // EPOLLET: what the socket looked like at the last report (see activity()); unset until the first.
    std::optional<std::uint64_t> reported_activity;
    bool disarmed = false;  // EPOLLONESHOT: reported, not yet re-armed by EPOLL_CTL_MOD
};

struct Socket {
    bool is_epoll = false;
    std::vector<Interest> interests;  // an epoll instance's
    bool nonblocking = false;
    bool reuse_address = false;
    std::optional<Endpoint> bound;
    tcpp::tcp::ConnectionOptions options;  // applied to the connection when there is one
    std::optional<Listener> listener;
    std::optional<Connection> connection;
    int pending_error = 0;  // SO_ERROR: a non-blocking connect's failure, until read
    std::uint64_t accepted = 0;  // a listener's connections taken by accept()
    bool read_shut = false;
};

int fail(int error) {
    errno = error;
    return -1;
}

int error_of(std::error_code error) { return error ? error.value() : 0; }

}  // namespace

struct tcpp_host final {
    explicit tcpp_host(const tcpp::StackConfig& config) : stack(config) {}

    // Something a sleeper may wait for changed: each looks at its condition again.
    void notify() {
        ++epoch_;
        asleep_and_current_ = 0;
        wakeup.notify_all();
    }

    // The calls asleep that have looked at their condition since the last notify(): when these are all the
    // calls in progress, nothing moves until the driver does (a driver on a virtual clock waits for that).
    unsigned asleep_and_current() const { return asleep_and_current_; }

    // The earliest deadline of a call waiting with a timeout (poll, epoll_wait), if any.
    std::optional<std::uint64_t> earliest_waiter_deadline() const {
        if (waiter_deadlines_.empty()) return std::nullopt;
        return *waiter_deadlines_.begin();
    }

    Socket* find(int fd) {
        const auto index = static_cast<std::size_t>(fd - first_fd);
        if (fd < first_fd || index >= sockets.size() || !sockets[index]) return nullptr;
        return sockets[index].get();
    }

    bool can_allocate() const {
        return sockets.size() < max_sockets || std::any_of(sockets.begin(), sockets.end(), [](const auto& s) { return !s; });
    }

    int allocate(std::unique_ptr<Socket> socket) {
        for (std::size_t i = 0; i < sockets.size(); ++i) {  // the lowest free descriptor, as POSIX says
            if (!sockets[i]) {
                sockets[i] = std::move(socket);
                return static_cast<int>(i) + first_fd;
            }
        }
        if (sockets.size() >= max_sockets) return fail(EMFILE);
        sockets.push_back(std::move(socket));
        return static_cast<int>(sockets.size()) - 1 + first_fd;
    }

    // Whether another socket of this host holds the local port (bound, listening or connected).
    bool port_taken(std::uint16_t port, const Socket* except) const {
        for (const auto& s : sockets) {
            if (!s || s.get() == except) continue;
            if (!s->bound || s->bound->port != port) continue;
            // SO_REUSEADDR on both lets two sockets bind one port, but never beside a listener (as Linux).
            if (s->listener || !(s->reuse_address && except && except->reuse_address)) return true;
        }
        return false;
    }

    // Sleeps until `ready()` holds, or the host's clock passes `deadline_us` (then false). The deadline counts
    // among the host's (tcpp_host_next_deadline), so that a driver on a virtual clock stops there.
    template <class Ready>
    bool wait(std::unique_lock<std::mutex>& lock, Ready ready, std::optional<std::uint64_t> deadline_us = {}) {
        struct Registered {
            std::multiset<std::uint64_t>& set;
            std::optional<std::multiset<std::uint64_t>::iterator> at;
            ~Registered() {
                if (at) set.erase(*at);
            }
        } registered{waiter_deadlines_, std::nullopt};
        if (deadline_us) registered.at = waiter_deadlines_.insert(*deadline_us);
        while (!ready()) {
            if (deadline_us && stack.now_us() >= *deadline_us) return false;
            const std::uint64_t seen = epoch_;
            ++asleep_and_current_;
            wakeup.wait(lock);
            if (epoch_ == seen) --asleep_and_current_;  // woken for no reason: still current
        }
        return true;
    }

    std::mutex mutex;
    std::condition_variable wakeup;
    tcpp::Stack stack;
    std::vector<std::unique_ptr<Socket>> sockets;  // descriptor first_fd + i
    std::uint32_t next_listen_port = 0;  // where the search for an ephemeral port to listen on goes on

private:
    std::uint64_t epoch_ = 0;             // notify() calls so far
    unsigned asleep_and_current_ = 0;
    std::multiset<std::uint64_t> waiter_deadlines_;
};

namespace {

using Lock = std::unique_lock<std::mutex>;

bool parse_address(const sockaddr* address, socklen_t length, Endpoint& out, int& error) {
    if (address == nullptr || length < static_cast<socklen_t>(sizeof(sockaddr_in))) {
        error = EINVAL;
        return false;
    }
    if (address->sa_family != AF_INET) {
        error = EAFNOSUPPORT;
        return false;
    }
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof in);
    out = Endpoint{Ipv4Address{ntohl(in.sin_addr.s_addr)}, ntohs(in.sin_port)};
    return true;
}

void write_address(const Endpoint& endpoint, sockaddr* address, socklen_t* length) {
    if (address == nullptr || length == nullptr) return;
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(endpoint.port);
    in.sin_addr.s_addr = htonl(endpoint.address.value());
    std::memcpy(address, &in, std::min<std::size_t>(*length, sizeof in));
    *length = sizeof in;  // the full size, even when cut short (as the kernel does)
}

bool write_ready(const Socket& s) { return !s.connection || !s.connection->valid() || s.connection->writable(); }

short poll_events(const Socket* s) {
    if (s == nullptr) return POLLNVAL;
    if (s->is_epoll) return 0;  // polling an epoll descriptor: not yet
    if (s->listener) return s->listener->accept_queue_size() > 0 ? POLLIN : 0;
    if (!s->connection || !s->connection->valid()) return POLLOUT | POLLHUP;  // as Linux: a socket in CLOSE
    const Connection& c = *s->connection;
    if (c.state() == State::syn_sent || c.state() == State::syn_received) return 0;
    short events = 0;
    if (c.readable() || s->read_shut) events |= POLLIN;
    if (c.writable()) events |= POLLOUT;
    if (c.error()) events |= POLLERR;
    if (c.state() == State::closed || c.state() == State::time_wait) events |= POLLHUP;
    return events;
}

// What has happened to a socket, as one number that changes whenever something does: bytes received or
// acknowledged, its state, an error, connections queued. EPOLLET reports a socket again only when it moved
// in a way the interest's events care about.
std::uint64_t activity(const Socket& s, std::uint32_t events) {
    if (s.listener) return s.listener->accept_queue_size() + s.accepted;  // connections ever queued
    if (!s.connection || !s.connection->valid()) return UINT64_MAX;
    const auto info = s.connection->info();
    if (!info) return UINT64_MAX;
    // Only what the interest waits for: bytes in for EPOLLIN, bytes acknowledged (room to send) for EPOLLOUT.
    std::uint64_t h = (events & EPOLLIN) ? info->bytes_received : 0;
    h = h * 1'000'003 + ((events & EPOLLOUT) ? info->bytes_acked : 0);
    h = h * 31 + static_cast<std::uint64_t>(info->state);
    h = h * 131 + static_cast<std::uint64_t>(s.connection->error().value());
    return h;
}

// Linux's numbering of the states in tcp_info (include/net/tcp_states.h).
std::uint8_t linux_state(State state) {
    switch (state) {
    case State::established: return 1;
    case State::syn_sent: return 2;
    case State::syn_received: return 3;
    case State::fin_wait_1: return 4;
    case State::fin_wait_2: return 5;
    case State::time_wait: return 6;
    case State::closed: return 7;
    case State::close_wait: return 8;
    case State::last_ack: return 9;
    case State::listen: return 10;
    case State::closing: return 11;
    }
    return 7;
}

// TCP_INFO: the fields tcpp keeps, in Linux's units (microseconds for times, segments for cwnd).
void fill_tcp_info(const Socket& s, tcp_info& out) {
    out.tcpi_state = s.listener ? 10 : 7;
    if (!s.connection || !s.connection->valid()) return;
    auto info = s.connection->info();
    if (!info) return;
    out.tcpi_state = linux_state(info->state);
    out.tcpi_retransmits = static_cast<std::uint8_t>(std::min(info->retransmits, 255u));
    out.tcpi_backoff = static_cast<std::uint8_t>(std::min(info->backoff, 255u));
    out.tcpi_options = static_cast<std::uint8_t>((info->timestamps ? TCPI_OPT_TIMESTAMPS : 0) |
                                                 (info->sack ? TCPI_OPT_SACK : 0) |
                                                 (info->window_scaling ? TCPI_OPT_WSCALE : 0));
    out.tcpi_snd_wscale = info->snd_wscale & 0xf;
    out.tcpi_rcv_wscale = info->rcv_wscale & 0xf;
    out.tcpi_rto = static_cast<std::uint32_t>(info->rto_us);
    out.tcpi_snd_mss = info->snd_mss;
    out.tcpi_rcv_mss = info->rcv_mss;
    const std::uint32_t mss = std::max<std::uint32_t>(info->snd_mss, 1);
    out.tcpi_unacked = static_cast<std::uint32_t>((info->unacked + mss - 1) / mss);
    out.tcpi_pmtu = info->pmtu;
    out.tcpi_rtt = static_cast<std::uint32_t>(info->srtt_us);
    out.tcpi_rttvar = static_cast<std::uint32_t>(info->rttvar_us);
    out.tcpi_snd_ssthresh = info->ssthresh == UINT32_MAX ? 0x7fffffff : info->ssthresh / mss;
    out.tcpi_snd_cwnd = info->cwnd / mss;
    out.tcpi_advmss = info->rcv_mss;
    out.tcpi_total_retrans = static_cast<std::uint32_t>(info->total_retransmits);
}

// SO_SNDBUF and SO_RCVBUF as Linux sets them: doubled, at least the least size; a negative size counts as
// the largest (Linux reads it unsigned, then caps it), which here is what an int doubled can say.
std::size_t doubled_buffer(int asked, std::size_t least) {
    constexpr std::size_t most = std::numeric_limits<int>::max() / 2;
    const std::size_t size = asked < 0 ? most : std::min<std::size_t>(static_cast<std::size_t>(asked), most);
    return std::max(2 * size, least);
}

// Whether the peer may still send: no FIN from it and no error.
bool more_may_come(const Connection& c) {
    if (c.error()) return false;
    switch (c.state()) {
    case State::close_wait:
    case State::last_ack:
    case State::closing:
    case State::time_wait:
    case State::closed: return false;
    default: return true;
    }
}

// Receives into `buffer`, sleeping while nothing is there for a blocking socket. MSG_PEEK leaves the bytes
// to be read again; MSG_WAITALL (blocking only) waits for `count` bytes, or the end of the stream, or an error.
ssize_t receive(tcpp_host* host, Lock& lock, int fd, void* buffer, std::size_t count, int flags) {
    const bool peek = (flags & MSG_PEEK) != 0;
    std::size_t got = 0;
    for (;;) {
        Socket* s = host->find(fd);
        if (s == nullptr) return got > 0 ? static_cast<ssize_t>(got) : fail(EBADF);
        if (!s->connection) return fail(ENOTCONN);
        const bool dont_wait = s->nonblocking || (flags & MSG_DONTWAIT) != 0;
        const bool wait_all = (flags & MSG_WAITALL) != 0 && !dont_wait;
        if (count == 0) return 0;
        if (peek && wait_all && s->connection->valid() && s->connection->bytes_unread() < count && !s->read_shut &&
            more_may_come(*s->connection)) {
            // Peeking for all of it: wait until it is all there (or no more can come).
        } else {
            const tcpp::wire::MutableBytes into{static_cast<std::byte*>(buffer) + got, count - got};
            auto n = peek ? s->connection->peek(into) : s->connection->receive(into);
            if (n) {
                got += *n;
                // A peek takes nothing, so it is never added to: it returns what is there (all of it, or all
                // there will be, when waiting for all).
                if (peek || *n == 0 || got == count || !wait_all) return static_cast<ssize_t>(got);
            } else {
                if (got > 0) return static_cast<ssize_t>(got);  // an error after some data: the data first
                // As Linux: after shutdown(SHUT_RD) what arrives is still read, and an empty buffer is end of
                // stream.
                if (s->read_shut) return 0;
                if (n.error() != std::errc::resource_unavailable_try_again) return fail(n.error().value());
                if (dont_wait) return fail(EAGAIN);
            }
        }
        // Woken for one byte, or, peeking for all, for all of them (a receive takes what came meanwhile).
        const std::size_t wanted = peek && wait_all ? count : 1;
        host->wait(lock, [&] {
            Socket* now = host->find(fd);
            if (now == nullptr || !now->connection || !now->connection->valid() || now->read_shut) return true;
            if (!now->connection->readable()) return false;
            return now->connection->bytes_unread() >= wanted || !more_may_come(*now->connection);
        });
    }
}

// Sends all of `data` on a blocking socket (sleeping while the buffer is full), what fits on another.
ssize_t send_all(tcpp_host* host, Lock& lock, int fd, const void* data, std::size_t count, bool dont_wait) {
    std::size_t sent = 0;
    for (;;) {
        Socket* s = host->find(fd);
        if (s == nullptr) return sent > 0 ? static_cast<ssize_t>(sent) : fail(EBADF);
        if (!s->connection) return fail(EPIPE);
        if (sent == count) return static_cast<ssize_t>(sent);
        auto n = s->connection->send({static_cast<const std::byte*>(data) + sent, count - sent});
        if (n) {
            sent += *n;
            host->notify();  // the driver: there is output
            if (sent == count) return static_cast<ssize_t>(sent);
            continue;
        }
        if (n.error() != std::errc::resource_unavailable_try_again) {
            return sent > 0 ? static_cast<ssize_t>(sent) : fail(n.error().value());
        }
        if (s->nonblocking || dont_wait) return sent > 0 ? static_cast<ssize_t>(sent) : fail(EAGAIN);
        host->wait(lock, [&] {
            Socket* now = host->find(fd);
            return now == nullptr || write_ready(*now);
        });
    }
}

}  // namespace

tcpp_host* tcpp_host_create_with(const tcpp::StackConfig& config) { return new tcpp_host(config); }

extern "C" {

tcpp_host* tcpp_host_create(const char* address) {
    auto parsed = address ? Ipv4Address::parse(address) : std::nullopt;
    if (!parsed) {
        errno = EINVAL;
        return nullptr;
    }
    return new tcpp_host(tcpp::StackConfig{.address = *parsed, .name = "tcpp"});
}

unsigned tcpp_host_sleeping_calls(tcpp_host* host) {
    Lock lock{host->mutex};
    return host->asleep_and_current();
}

void tcpp_host_destroy(tcpp_host* host) { delete host; }

void tcpp_host_receive(tcpp_host* host, const void* packet, size_t length) {
    Lock lock{host->mutex};
    host->stack.receive({static_cast<const std::byte*>(packet), length}, host->stack.now_us());
    host->notify();  // what it brought may be what a sleeper waits for
}

ssize_t tcpp_host_next_output(tcpp_host* host, void* buffer, size_t capacity) {
    Lock lock{host->mutex};
    auto packet = host->stack.next_output();
    if (!packet) return 0;
    if (packet->size() > capacity) return fail(EMSGSIZE);
    std::memcpy(buffer, packet->data(), packet->size());
    return static_cast<ssize_t>(packet->size());
}

void tcpp_host_advance(tcpp_host* host, uint64_t now_us) {
    Lock lock{host->mutex};
    host->stack.poll(std::max(now_us, host->stack.now_us()));
    host->notify();  // timers ran, and timeouts of poll() may have passed
}

uint64_t tcpp_host_now(tcpp_host* host) {
    Lock lock{host->mutex};
    return host->stack.now_us();
}

int tcpp_host_next_deadline(tcpp_host* host, uint64_t* deadline_us) {
    Lock lock{host->mutex};
    auto deadline = host->stack.next_deadline();
    if (auto waiter = host->earliest_waiter_deadline(); waiter && (!deadline || *waiter < *deadline)) deadline = waiter;
    if (!deadline) return 0;
    if (deadline_us) *deadline_us = *deadline;
    return 1;
}

int tcpp_socket(tcpp_host* host, int domain, int type, int protocol) {
    if (domain != AF_INET) return fail(EAFNOSUPPORT);
    const int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    if ((type & ~flags) != SOCK_STREAM) return fail(EPROTONOSUPPORT);
    if (protocol != 0 && protocol != IPPROTO_TCP) return fail(EPROTONOSUPPORT);
    Lock lock{host->mutex};
    auto socket = std::make_unique<Socket>();
    socket->nonblocking = (flags & SOCK_NONBLOCK) != 0;
    socket->options = host->stack.config().tcp.defaults;
    return host->allocate(std::move(socket));
}

int tcpp_bind(tcpp_host* host, int fd, const sockaddr* address, socklen_t length) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    Endpoint local;
    int error = 0;
    if (!parse_address(address, length, local, error)) return fail(error);
    if (s->bound || s->listener || s->connection) return fail(EINVAL);
    if (local.address != Ipv4Address{} && local.address != host->stack.config().address) return fail(EADDRNOTAVAIL);
    if (local.port != 0 && host->port_taken(local.port, s)) return fail(EADDRINUSE);
    s->bound = local;
    return 0;
}

int tcpp_listen(tcpp_host* host, int fd, int backlog) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (s->connection) return fail(EINVAL);
    if (s->listener) return 0;  // listening already (Linux would take the new backlog)
    // As Linux: a backlog past somaxconn (or negative, taken as unsigned) is somaxconn, and the queue holds
    // one connection more than the backlog (so 0 still takes one).
    const unsigned capped = std::min(static_cast<unsigned>(backlog), static_cast<unsigned>(somaxconn)) + 1;
    tcpp::ListenOptions options;
    options.reuse_address = s->reuse_address;
    options.connection = s->options;
    if (s->bound && s->bound->port != 0) {
        auto listener = host->stack.listen(*s->bound, static_cast<int>(capped), options);
        if (!listener) return fail(listener.error().value());
        s->listener = *listener;
        return 0;
    }
    // Never bound (or bound to port 0): as Linux, listen on an ephemeral port, the next free one in the range.
    const Endpoint base = s->bound.value_or(Endpoint{});
    const tcpp::StackConfig& config = host->stack.config();
    const std::uint32_t range = std::uint32_t{config.ephemeral_last} - config.ephemeral_first + 1;
    for (std::uint32_t tried = 0; tried < range; ++tried) {
        const auto port = static_cast<std::uint16_t>(config.ephemeral_first + host->next_listen_port++ % range);
        if (host->port_taken(port, s)) continue;
        auto listener = host->stack.listen({base.address, port}, static_cast<int>(capped), options);
        if (!listener) continue;  // held by the stack itself (a connection's local port)
        s->bound = Endpoint{base.address, port};
        s->listener = *listener;
        return 0;
    }
    return fail(EADDRINUSE);  // as Linux when the range is used up
}

int tcpp_accept4(tcpp_host* host, int fd, sockaddr* address, socklen_t* length, int flags) {
    if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) return fail(EINVAL);
    Lock lock{host->mutex};
    for (;;) {
        Socket* s = host->find(fd);
        if (s == nullptr) return fail(EBADF);
        if (!s->listener) return fail(EINVAL);
        // No descriptor for it: EMFILE, and the connection stays in the queue (as on Linux).
        if (!host->can_allocate()) return fail(EMFILE);
        auto connection = s->listener->accept();
        if (connection) {
            auto accepted = std::make_unique<Socket>();
            accepted->nonblocking = (flags & SOCK_NONBLOCK) != 0;
            accepted->options = connection->options();
            accepted->bound = connection->tuple().local;
            const Endpoint peer = connection->tuple().remote;
            accepted->connection = *connection;
            ++s->accepted;
            const int new_fd = host->allocate(std::move(accepted));
            write_address(peer, address, length);
            return new_fd;
        }
        if (connection.error() != std::errc::resource_unavailable_try_again) return fail(connection.error().value());
        if (s->nonblocking) return fail(EAGAIN);
        host->wait(lock, [&] {
            Socket* now = host->find(fd);
            return now == nullptr || !now->listener || now->listener->accept_queue_size() > 0;
        });
    }
}

int tcpp_accept(tcpp_host* host, int fd, sockaddr* address, socklen_t* length) {
    return tcpp_accept4(host, fd, address, length, 0);
}

int tcpp_connect(tcpp_host* host, int fd, const sockaddr* address, socklen_t length) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    Endpoint remote;
    int error = 0;
    if (!parse_address(address, length, remote, error)) return fail(error);
    if (s->listener) return fail(EISCONN);
    if (s->connection && s->connection->valid()) {
        const State state = s->connection->state();
        if (state == State::syn_sent) return fail(EALREADY);  // another connect is under way
        if (!s->connection->error()) return fail(EISCONN);
        s->connection.reset();  // failed before: a new attempt
    }
    if (remote.port == 0 || remote.address == Ipv4Address{}) return fail(ECONNREFUSED);
    std::optional<Endpoint> local;
    if (s->bound && s->bound->port != 0) local = Endpoint{host->stack.config().address, s->bound->port};
    auto connection = host->stack.connect(remote, local, &s->options);
    if (!connection) return fail(connection.error().value());
    s->connection = *connection;
    s->bound = connection->tuple().local;
    host->notify();  // the SYN is output for the driver
    if (s->nonblocking) return fail(EINPROGRESS);
    host->wait(lock, [&] {
        Socket* now = host->find(fd);
        return now == nullptr || !now->connection || now->connection->state() != State::syn_sent;
    });
    s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (std::error_code e = s->connection->error()) {
        s->connection.reset();
        return fail(e.value());
    }
    return 0;
}

ssize_t tcpp_read(tcpp_host* host, int fd, void* buffer, size_t count) { return tcpp_recv(host, fd, buffer, count, 0); }

ssize_t tcpp_recv(tcpp_host* host, int fd, void* buffer, size_t count, int flags) {
    if ((flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL)) != 0) return fail(EOPNOTSUPP);  // MSG_OOB: no
    Lock lock{host->mutex};
    const ssize_t n = receive(host, lock, fd, buffer, count, flags);
    if (n > 0 && (flags & MSG_PEEK) == 0) host->notify();  // a window update may be output for the driver
    return n;
}

ssize_t tcpp_readv(tcpp_host* host, int fd, const iovec* iov, int iovcnt) {
    if (iovcnt < 0 || iovcnt > IOV_MAX) return fail(EINVAL);
    Lock lock{host->mutex};
    ssize_t total = 0;
    for (int i = 0; i < iovcnt; ++i) {
        if (iov[i].iov_len == 0) continue;
        // The first part waits as a read would; the rest takes only what is already there.
        const ssize_t n = receive(host, lock, fd, iov[i].iov_base, iov[i].iov_len, total > 0 ? MSG_DONTWAIT : 0);
        if (n < 0) return total > 0 ? total : -1;
        total += n;
        if (static_cast<std::size_t>(n) < iov[i].iov_len) break;
    }
    if (total > 0) host->notify();
    return total;
}

ssize_t tcpp_write(tcpp_host* host, int fd, const void* buffer, size_t count) {
    return tcpp_send(host, fd, buffer, count, 0);
}

ssize_t tcpp_send(tcpp_host* host, int fd, const void* buffer, size_t count, int flags) {
    // MSG_NOSIGNAL is always so: this layer never raises SIGPIPE, it returns EPIPE.
    if ((flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) != 0) return fail(EOPNOTSUPP);
    Lock lock{host->mutex};
    return send_all(host, lock, fd, buffer, count, (flags & MSG_DONTWAIT) != 0);
}

ssize_t tcpp_writev(tcpp_host* host, int fd, const iovec* iov, int iovcnt) {
    if (iovcnt < 0 || iovcnt > IOV_MAX) return fail(EINVAL);
    Lock lock{host->mutex};
    ssize_t total = 0;
    for (int i = 0; i < iovcnt; ++i) {
        const ssize_t n = send_all(host, lock, fd, iov[i].iov_base, iov[i].iov_len, false);
        if (n < 0) return total > 0 ? total : -1;
        total += n;
        if (static_cast<std::size_t>(n) < iov[i].iov_len) break;
    }
    return total;
}

int tcpp_shutdown(tcpp_host* host, int fd, int how) {
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(EINVAL);
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (s->listener) {
        if (how != SHUT_WR) s->listener->close();  // as Linux: a listener shut for reading stops listening
        s->listener.reset();
        host->notify();
        return 0;
    }
    if (!s->connection || !s->connection->valid() || s->connection->state() == State::syn_sent) return fail(ENOTCONN);
    if (how != SHUT_WR) s->read_shut = true;
    if (how != SHUT_RD) {
        if (std::error_code error = s->connection->shutdown()) return fail(error.value());
    }
    host->notify();
    return 0;
}

int tcpp_close(tcpp_host* host, int fd) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    std::unique_ptr<Socket> socket = std::move(host->sockets[static_cast<std::size_t>(fd - first_fd)]);
    if (socket->listener) socket->listener->close();
    if (socket->connection && socket->connection->valid()) {
        Connection connection = *socket->connection;
        connection.close();
        // SO_LINGER {on, t}: a blocking close waits (up to t) for the peer to acknowledge everything.
        if (!socket->nonblocking) host->wait(lock, [&] { return !connection.valid() || !connection.lingering(); });
    }
    host->notify();
    return 0;
}

int tcpp_getsockname(tcpp_host* host, int fd, sockaddr* address, socklen_t* length) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (length == nullptr) return fail(EFAULT);
    Endpoint local{};
    if (s->connection && s->connection->valid()) local = s->connection->tuple().local;
    else if (s->listener) local = s->listener->local();
    else if (s->bound) local = *s->bound;
    write_address(local, address, length);
    return 0;
}

int tcpp_getpeername(tcpp_host* host, int fd, sockaddr* address, socklen_t* length) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (length == nullptr) return fail(EFAULT);
    if (!s->connection || !s->connection->valid() || s->connection->state() == State::syn_sent) return fail(ENOTCONN);
    write_address(s->connection->tuple().remote, address, length);
    return 0;
}

int tcpp_fcntl(tcpp_host* host, int fd, int command, int argument) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    switch (command) {
    case F_GETFL: return O_RDWR | (s->nonblocking ? O_NONBLOCK : 0);
    case F_SETFL: s->nonblocking = (argument & O_NONBLOCK) != 0; return 0;
    case F_GETFD: return 0;
    case F_SETFD: return 0;
    default: return fail(EINVAL);
    }
}

int tcpp_getsockopt(tcpp_host* host, int fd, int level, int name, void* value, socklen_t* length) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (value == nullptr || length == nullptr) return fail(EFAULT);
    auto give_int = [&](int v) {
        const socklen_t size = std::min<socklen_t>(*length, sizeof(int));
        std::memcpy(value, &v, size);
        *length = size;
        return 0;
    };
    const tcpp::tcp::ConnectionOptions options =
        s->connection && s->connection->valid() ? s->connection->options() : s->options;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_ERROR: {
            int error = s->pending_error;
            s->pending_error = 0;
            if (error == 0 && s->connection && s->connection->valid()) error = error_of(s->connection->error());
            return give_int(error);
        }
        case SO_TYPE: return give_int(SOCK_STREAM);
        case SO_REUSEADDR: return give_int(s->reuse_address ? 1 : 0);
        case SO_KEEPALIVE: return give_int(options.keepalive ? 1 : 0);
        case SO_SNDBUF: return give_int(static_cast<int>(options.send_buffer));
        case SO_RCVBUF: return give_int(static_cast<int>(options.receive_buffer));
        case SO_LINGER: {
            linger l{options.linger.on ? 1 : 0, static_cast<int>(options.linger.timeout_us / 1'000'000)};
            const socklen_t size = std::min<socklen_t>(*length, sizeof l);
            std::memcpy(value, &l, size);
            *length = size;
            return 0;
        }
        default: return fail(ENOPROTOOPT);
        }
    }
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY: return give_int(options.nodelay ? 1 : 0);
        case TCP_KEEPIDLE: return give_int(static_cast<int>(options.keepalive_idle_us / 1'000'000));
        case TCP_KEEPINTVL: return give_int(static_cast<int>(options.keepalive_interval_us / 1'000'000));
        case TCP_KEEPCNT: return give_int(static_cast<int>(options.keepalive_probes));
        case TCP_USER_TIMEOUT: return give_int(static_cast<int>(options.user_timeout_us / 1000));
        case TCP_INFO: {
            tcp_info info{};
            fill_tcp_info(*s, info);
            const socklen_t size = std::min<socklen_t>(*length, sizeof info);
            std::memcpy(value, &info, size);
            *length = size;
            return 0;
        }
        case TCP_MAXSEG: {
            if (s->connection && s->connection->valid()) {
                if (auto info = s->connection->info()) return give_int(static_cast<int>(info->snd_mss));
            }
            return give_int(static_cast<int>(host->stack.config().tcp.mss));
        }
        default: return fail(ENOPROTOOPT);
        }
    }
    return fail(ENOPROTOOPT);
}

int tcpp_setsockopt(tcpp_host* host, int fd, int level, int name, const void* value, socklen_t length) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (value == nullptr) return fail(EFAULT);
    const bool is_linger = level == SOL_SOCKET && name == SO_LINGER;
    if (length < static_cast<socklen_t>(is_linger ? sizeof(linger) : sizeof(int))) return fail(EINVAL);
    int v = 0;
    if (!is_linger) std::memcpy(&v, value, sizeof v);
    tcpp::tcp::ConnectionOptions options =
        s->connection && s->connection->valid() ? s->connection->options() : s->options;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: s->reuse_address = v != 0; return 0;
        case SO_KEEPALIVE: options.keepalive = v != 0; break;
        // As Linux: the size asked for is doubled (Linux keeps half for its bookkeeping; tcpp gives it all to
        // data), and getsockopt() reports the doubled size; at least Linux's least sizes.
        case SO_SNDBUF:
            options.send_buffer = doubled_buffer(v, min_send_buffer);
            break;
        case SO_RCVBUF:
            options.receive_buffer = doubled_buffer(v, min_receive_buffer);
            break;
        case SO_LINGER: {
            linger l{};
            std::memcpy(&l, value, sizeof l);
            options.linger = {l.l_onoff != 0, static_cast<std::uint64_t>(std::max(l.l_linger, 0)) * 1'000'000};
            break;
        }
        default: return fail(ENOPROTOOPT);
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY: options.nodelay = v != 0; break;
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
            if (v < 1 || v > 32767) return fail(EINVAL);  // Linux's bounds, in seconds
            (name == TCP_KEEPIDLE ? options.keepalive_idle_us : options.keepalive_interval_us) =
                static_cast<std::uint64_t>(v) * 1'000'000;
            break;
        case TCP_KEEPCNT:
            if (v < 1 || v > 127) return fail(EINVAL);
            options.keepalive_probes = static_cast<unsigned>(v);
            break;
        case TCP_USER_TIMEOUT:
            if (v < 0) return fail(EINVAL);
            options.user_timeout_us = static_cast<std::uint64_t>(v) * 1000;
            break;
        default: return fail(ENOPROTOOPT);
        }
    } else {
        return fail(ENOPROTOOPT);
    }
    if (s->connection && s->connection->valid()) {
        if (std::error_code error = s->connection->set_options(options)) return fail(error.value());
    }
    s->options = options;
    return 0;
}

int tcpp_poll(tcpp_host* host, pollfd* fds, nfds_t count, int timeout_ms) {
    if (count > static_cast<nfds_t>(max_sockets)) return fail(EINVAL);
    Lock lock{host->mutex};
    std::optional<std::uint64_t> deadline;
    if (timeout_ms >= 0) deadline = host->stack.now_us() + static_cast<std::uint64_t>(timeout_ms) * 1000;
    int ready = 0;
    auto look = [&] {
        ready = 0;
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].fd < 0) {
                fds[i].revents = 0;
                continue;
            }
            const short events = poll_events(host->find(fds[i].fd));
            // POLLERR, POLLHUP and POLLNVAL are reported whether asked for or not.
            fds[i].revents = static_cast<short>(events & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
            if (fds[i].revents != 0) ++ready;
        }
        return ready > 0;
    };
    if (timeout_ms == 0) {
        look();
        return ready;
    }
    host->wait(lock, look, deadline);
    return ready;
}

ssize_t tcpp_recvfrom(tcpp_host* host, int fd, void* buffer, size_t count, int flags, sockaddr* address,
                      socklen_t* length) {
    (void)address;
    const ssize_t n = tcpp_recv(host, fd, buffer, count, flags);
    if (n >= 0 && length != nullptr) *length = 0;  // a stream reports no address
    return n;
}

ssize_t tcpp_recvmsg(tcpp_host* host, int fd, msghdr* message, int flags) {
    if (message == nullptr) return fail(EFAULT);
    if ((flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL)) != 0) return fail(EOPNOTSUPP);
    if (message->msg_iovlen > static_cast<std::size_t>(IOV_MAX)) return fail(EMSGSIZE);
    // MSG_PEEK and MSG_WAITALL into one part, as recv(); into several: not yet.
    if ((flags & (MSG_PEEK | MSG_WAITALL)) != 0 && message->msg_iovlen > 1) return fail(EOPNOTSUPP);
    ssize_t n;
    if (message->msg_iovlen == 1) {
        n = tcpp_recv(host, fd, message->msg_iov[0].iov_base, message->msg_iov[0].iov_len, flags);
    } else if (flags & MSG_DONTWAIT) {
        // readv() waits on a blocking socket: read part by part without waiting instead.
        n = 0;
        for (std::size_t i = 0; i < message->msg_iovlen; ++i) {
            const iovec& part = message->msg_iov[i];
            if (part.iov_len == 0) continue;
            const ssize_t got = tcpp_recv(host, fd, part.iov_base, part.iov_len, MSG_DONTWAIT);
            if (got < 0) {
                if (n == 0) return -1;
                break;
            }
            n += got;
            if (static_cast<std::size_t>(got) < part.iov_len) break;
        }
    } else {
        n = tcpp_readv(host, fd, message->msg_iov, static_cast<int>(message->msg_iovlen));
    }
    if (n >= 0) {
        message->msg_namelen = 0;
        message->msg_controllen = 0;
        message->msg_flags = 0;
    }
    return n;
}

ssize_t tcpp_sendto(tcpp_host* host, int fd, const void* buffer, size_t count, int flags, const sockaddr* address,
                    socklen_t length) {
    (void)address;
    (void)length;
    return tcpp_send(host, fd, buffer, count, flags);
}

ssize_t tcpp_sendmsg(tcpp_host* host, int fd, const msghdr* message, int flags) {
    if (message == nullptr) return fail(EFAULT);
    if ((flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) != 0) return fail(EOPNOTSUPP);
    if (message->msg_iovlen > static_cast<std::size_t>(IOV_MAX)) return fail(EMSGSIZE);
    if (message->msg_controllen != 0) return fail(EOPNOTSUPP);
    ssize_t total = 0;
    for (std::size_t i = 0; i < message->msg_iovlen; ++i) {
        const iovec& part = message->msg_iov[i];
        const ssize_t n = tcpp_send(host, fd, part.iov_base, part.iov_len, flags);
        if (n < 0) return total > 0 ? total : -1;
        total += n;
        if (static_cast<std::size_t>(n) < part.iov_len) break;
    }
    return total;
}

int tcpp_ioctl(tcpp_host* host, int fd, unsigned long request, void* argument) {
    Lock lock{host->mutex};
    Socket* s = host->find(fd);
    if (s == nullptr) return fail(EBADF);
    if (argument == nullptr) return fail(EFAULT);
    if (request != FIONREAD && request != SIOCOUTQ && request != SIOCOUTQNSD) return fail(ENOTTY);
    if (s->listener || s->is_epoll) return fail(EINVAL);  // as Linux: for a listener, EINVAL
    int value = 0;
    if (s->connection && s->connection->valid()) {
        if (request == FIONREAD) {
            value = static_cast<int>(s->connection->bytes_unread());
        } else if (auto info = s->connection->info()) {
            value = static_cast<int>(request == SIOCOUTQ ? info->send_queue : info->send_queue - info->unacked);
        }
    }
    std::memcpy(argument, &value, sizeof value);
    return 0;
}

int tcpp_epoll_create1(tcpp_host* host, int flags) {
    if ((flags & ~EPOLL_CLOEXEC) != 0) return fail(EINVAL);
    Lock lock{host->mutex};
    auto instance = std::make_unique<Socket>();
    instance->is_epoll = true;
    return host->allocate(std::move(instance));
}

int tcpp_epoll_ctl(tcpp_host* host, int epfd, int op, int fd, epoll_event* event) {
    Lock lock{host->mutex};
    Socket* instance = host->find(epfd);
    if (instance == nullptr || host->find(fd) == nullptr) return fail(EBADF);
    if (!instance->is_epoll || epfd == fd) return fail(EINVAL);
    if (host->find(fd)->is_epoll) return fail(EINVAL);  // epoll of epoll: not yet
    auto it = std::find_if(instance->interests.begin(), instance->interests.end(),
                           [&](const Interest& i) { return i.fd == fd; });
    switch (op) {
    case EPOLL_CTL_ADD:
        if (event == nullptr) return fail(EFAULT);
        if (it != instance->interests.end()) return fail(EEXIST);
        instance->interests.push_back({fd, *event, std::nullopt, false});
        break;
    case EPOLL_CTL_MOD:
        if (event == nullptr) return fail(EFAULT);
        if (it == instance->interests.end()) return fail(ENOENT);
        *it = {fd, *event, std::nullopt, false};
        break;
    case EPOLL_CTL_DEL:
        if (it == instance->interests.end()) return fail(ENOENT);
        instance->interests.erase(it);
        break;
    default: return fail(EINVAL);
    }
    host->notify();  // a waiter on this instance looks again
    return 0;
}

int tcpp_epoll_wait(tcpp_host* host, int epfd, epoll_event* events, int max_events, int timeout_ms) {
    if (max_events <= 0) return fail(EINVAL);
    if (events == nullptr) return fail(EFAULT);
    Lock lock{host->mutex};
    {
        Socket* instance = host->find(epfd);
        if (instance == nullptr) return fail(EBADF);
        if (!instance->is_epoll) return fail(EINVAL);
    }
    std::optional<std::uint64_t> deadline;
    if (timeout_ms >= 0) deadline = host->stack.now_us() + static_cast<std::uint64_t>(timeout_ms) * 1000;
    int count = 0;
    bool closed = false;
    auto look = [&] {
        Socket* instance = host->find(epfd);
        if (instance == nullptr || !instance->is_epoll) {
            closed = true;
            return true;
        }
        count = 0;
        for (Interest& interest : instance->interests) {
            if (count == max_events) break;
            Socket* s = host->find(interest.fd);
            if (s == nullptr || interest.disarmed) continue;  // a closed descriptor is dropped (as Linux)
            // poll()'s bits are epoll's: POLLIN = EPOLLIN, POLLOUT = EPOLLOUT, POLLERR, POLLHUP.
            const auto current = static_cast<std::uint32_t>(static_cast<unsigned short>(poll_events(s)));
            const std::uint32_t wanted = current & (interest.event.events | EPOLLERR | EPOLLHUP);
            const std::uint32_t report = wanted;
            if (report == 0) continue;
            if (interest.event.events & EPOLLET) {
                // As Linux: reported again (with all that holds) only after something happened to it.
                const std::uint64_t now_activity = activity(*s, interest.event.events);
                if (interest.reported_activity == now_activity) continue;
                interest.reported_activity = now_activity;
            }
            if (interest.event.events & EPOLLONESHOT) interest.disarmed = true;
            events[count].events = report;
            events[count].data = interest.event.data;
            ++count;
        }
        return count > 0;
    };
    if (timeout_ms == 0) {
        look();
    } else {
        host->wait(lock, look, deadline);
    }
    if (closed) return fail(EBADF);
    return count;
}

}  // extern "C"
