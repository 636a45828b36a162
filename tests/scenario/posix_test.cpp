// The POSIX socket layer (include/tcpp/posix.h): two hosts, each used from threads of its own through the
// socket calls, while a pump thread carries their packets and moves their shared virtual clock. Blocking
// calls must really sleep (the kernel shows their threads asleep) and wake when their condition holds;
// every failure carries Linux's errno.

#include "tcpp/posix.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

sockaddr_in address(const char* ip, std::uint16_t port) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    inet_pton(AF_INET, ip, &in.sin_addr);
    return in;
}

const sockaddr* as_sockaddr(const sockaddr_in& in) { return reinterpret_cast<const sockaddr*>(&in); }

// Two hosts on a wire, and a thread that carries their packets both ways. When nothing is in flight it
// moves the virtual clock on by a millisecond (and sleeps a moment of real time), so that timers fire and
// poll() timeouts pass, while threads that are about to act are not left far behind.
class Wire {
public:
    Wire() : a_(tcpp_host_create("10.0.0.1")), b_(tcpp_host_create("10.0.0.2")), pump_([this] { run(); }) {}
    ~Wire() {
        stop_ = true;
        pump_.join();
        tcpp_host_destroy(a_);
        tcpp_host_destroy(b_);
    }
    tcpp_host* a() { return a_; }
    tcpp_host* b() { return b_; }

private:
    void run() {
        std::vector<std::byte> packet(65536);
        std::uint64_t now = 0;
        while (!stop_) {
            bool moved = false;
            for (auto [from, to] : {std::pair{a_, b_}, std::pair{b_, a_}}) {
                for (ssize_t n; (n = tcpp_host_next_output(from, packet.data(), packet.size())) > 0;) {
                    tcpp_host_receive(to, packet.data(), static_cast<std::size_t>(n));
                    moved = true;
                }
            }
            if (!moved) {
                now += 1000;
                tcpp_host_advance(a_, now);
                tcpp_host_advance(b_, now);
                std::this_thread::sleep_for(20us);
            }
        }
    }

    tcpp_host* a_;
    tcpp_host* b_;
    std::atomic<bool> stop_{false};
    std::thread pump_;
};

// The kernel's view of a thread: 'S' while it sleeps (in a futex wait, here), 'R' while it runs.
char thread_state(pid_t tid) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

// A listening socket on host `h`, port `port`.
int listening(tcpp_host* h, std::uint16_t port) {
    const int fd = tcpp_socket(h, AF_INET, SOCK_STREAM, 0);
    const sockaddr_in any = address("0.0.0.0", port);
    EXPECT_EQ(tcpp_bind(h, fd, as_sockaddr(any), sizeof any), 0) << errno;
    EXPECT_EQ(tcpp_listen(h, fd, 8), 0) << errno;
    return fd;
}

TEST(Posix, BlockingEchoAcrossThreadsEveryByteIntact) {
    Wire wire;
    const int listener = listening(wire.b(), 7);
    EXPECT_EQ(listener, 3);  // numbered as a fresh process numbers them
    std::thread server([&] {
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        const int c = tcpp_accept(wire.b(), listener, reinterpret_cast<sockaddr*>(&peer), &length);
        ASSERT_GE(c, 0) << errno;
        EXPECT_EQ(length, sizeof peer);
        char peer_ip[16];
        inet_ntop(AF_INET, &peer.sin_addr, peer_ip, sizeof peer_ip);
        EXPECT_STREQ(peer_ip, "10.0.0.1");
        std::vector<char> buffer(10000);
        for (ssize_t n; (n = tcpp_read(wire.b(), c, buffer.data(), buffer.size())) > 0;) {
            ASSERT_EQ(tcpp_write(wire.b(), c, buffer.data(), static_cast<std::size_t>(n)), n);
        }
        EXPECT_EQ(tcpp_close(wire.b(), c), 0);
    });

    const int c = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const sockaddr_in server_address = address("10.0.0.2", 7);
    ASSERT_EQ(tcpp_connect(wire.a(), c, as_sockaddr(server_address), sizeof server_address), 0) << errno;
    std::string sent(1 << 20, '\0');
    for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>(i * 131 % 251);
    std::string got;
    std::thread reader([&] {
        std::vector<char> buffer(7000);
        for (ssize_t n; (n = tcpp_read(wire.a(), c, buffer.data(), buffer.size())) > 0;) got.append(buffer.data(), static_cast<std::size_t>(n));
    });
    // A blocking write takes it all, sleeping while the send buffer (64 KiB) is full.
    ASSERT_EQ(tcpp_write(wire.a(), c, sent.data(), sent.size()), static_cast<ssize_t>(sent.size()));
    ASSERT_EQ(tcpp_shutdown(wire.a(), c, SHUT_WR), 0);
    reader.join();
    server.join();
    EXPECT_EQ(got.size(), sent.size());
    EXPECT_TRUE(got == sent);
    EXPECT_EQ(tcpp_close(wire.a(), c), 0);
    EXPECT_EQ(tcpp_close(wire.b(), listener), 0);
}

TEST(Posix, ABlockedAcceptSleepsUntilAConnectionIsComplete) {
    Wire wire;
    const int listener = listening(wire.b(), 80);
    std::atomic<pid_t> tid{0};
    auto accepted = std::async(std::launch::async, [&] {
        tid = static_cast<pid_t>(syscall(SYS_gettid));
        return tcpp_accept(wire.b(), listener, nullptr, nullptr);
    });
    // Asleep in the kernel, not spinning: what packetdrill looks for to decide that a call blocked.
    char state = '?';
    for (int i = 0; i < 200 && state != 'S'; ++i) {
        std::this_thread::sleep_for(5ms);
        if (tid != 0) state = thread_state(tid);
    }
    EXPECT_EQ(state, 'S');
    EXPECT_EQ(accepted.wait_for(50ms), std::future_status::timeout);
    const int c = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const sockaddr_in to = address("10.0.0.2", 80);
    ASSERT_EQ(tcpp_connect(wire.a(), c, as_sockaddr(to), sizeof to), 0) << errno;
    EXPECT_EQ(accepted.get(), 4);
}

TEST(Posix, NonBlockingConnectPollAndSoError) {
    Wire wire;
    const int listener = listening(wire.b(), 80);
    const int c = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    EXPECT_EQ(tcpp_fcntl(wire.a(), c, F_GETFL, 0) & O_NONBLOCK, O_NONBLOCK);
    const sockaddr_in to = address("10.0.0.2", 80);
    EXPECT_EQ(tcpp_connect(wire.a(), c, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, EINPROGRESS);
    pollfd p{c, POLLOUT, 0};
    ASSERT_EQ(tcpp_poll(wire.a(), &p, 1, 5000), 1);
    EXPECT_TRUE(p.revents & POLLOUT);
    int error = -1;
    socklen_t length = sizeof error;
    ASSERT_EQ(tcpp_getsockopt(wire.a(), c, SOL_SOCKET, SO_ERROR, &error, &length), 0);
    EXPECT_EQ(error, 0);
    EXPECT_EQ(tcpp_connect(wire.a(), c, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, EISCONN);
    // Nothing to read yet: EAGAIN, and poll() times out on the virtual clock.
    char byte;
    EXPECT_EQ(tcpp_read(wire.a(), c, &byte, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
    pollfd in{c, POLLIN, 0};
    const std::uint64_t before = tcpp_host_now(wire.a());
    EXPECT_EQ(tcpp_poll(wire.a(), &in, 1, 300), 0);
    EXPECT_GE(tcpp_host_now(wire.a()) - before, 300'000u);
    // The peer writes: POLLIN, and the byte.
    const int s = tcpp_accept(wire.b(), listener, nullptr, nullptr);
    ASSERT_GE(s, 0);
    ASSERT_EQ(tcpp_write(wire.b(), s, "x", 1), 1);
    ASSERT_EQ(tcpp_poll(wire.a(), &in, 1, -1), 1);
    EXPECT_TRUE(in.revents & POLLIN);
    EXPECT_EQ(tcpp_read(wire.a(), c, &byte, 1), 1);
    EXPECT_EQ(byte, 'x');
}

TEST(Posix, ErrorsCarryLinuxsErrno) {
    Wire wire;
    tcpp_host* h = wire.a();
    auto expect_errno = [](long result, int error) {
        EXPECT_EQ(result, -1);
        EXPECT_EQ(errno, error);
    };
    expect_errno(tcpp_socket(h, AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
    expect_errno(tcpp_socket(h, AF_INET, SOCK_DGRAM, 0), EPROTONOSUPPORT);
    expect_errno(tcpp_close(h, 3), EBADF);
    expect_errno(tcpp_read(h, 42, nullptr, 0), EBADF);
    const int fd = tcpp_socket(h, AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(fd, 3);
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    expect_errno(tcpp_getpeername(h, fd, reinterpret_cast<sockaddr*>(&peer), &length), ENOTCONN);
    const sockaddr_in foreign = address("10.9.9.9", 80);
    expect_errno(tcpp_bind(h, fd, as_sockaddr(foreign), sizeof foreign), EADDRNOTAVAIL);
    const sockaddr_in ours = address("10.0.0.1", 80);
    expect_errno(tcpp_bind(h, fd, as_sockaddr(ours), sizeof ours - 1), EINVAL);
    ASSERT_EQ(tcpp_bind(h, fd, as_sockaddr(ours), sizeof ours), 0);
    expect_errno(tcpp_bind(h, fd, as_sockaddr(ours), sizeof ours), EINVAL);  // bound already
    const int other = tcpp_socket(h, AF_INET, SOCK_STREAM, 0);
    expect_errno(tcpp_bind(h, other, as_sockaddr(ours), sizeof ours), EADDRINUSE);
    // The lowest free descriptor is reused.
    ASSERT_EQ(tcpp_close(h, fd), 0);
    EXPECT_EQ(tcpp_socket(h, AF_INET, SOCK_STREAM, 0), 3);
    // A port nobody listens on: the blocking connect fails with ECONNREFUSED; the socket may try again.
    const sockaddr_in closed = address("10.0.0.2", 9);
    expect_errno(tcpp_connect(h, other, as_sockaddr(closed), sizeof closed), ECONNREFUSED);
    expect_errno(tcpp_connect(h, other, as_sockaddr(closed), sizeof closed), ECONNREFUSED);
    int value = 1;
    expect_errno(tcpp_setsockopt(h, other, SOL_SOCKET, SO_PRIORITY, &value, sizeof value), ENOPROTOOPT);
    expect_errno(tcpp_setsockopt(h, other, IPPROTO_TCP, TCP_KEEPCNT, &value, 2), EINVAL);
    expect_errno(tcpp_fcntl(h, other, F_DUPFD, 0), EINVAL);
    expect_errno(tcpp_shutdown(h, other, SHUT_RDWR), ENOTCONN);
}

TEST(Posix, LingerZeroCloseResetsAndThePeerReadsEconnreset) {
    Wire wire;
    const int listener = listening(wire.b(), 80);
    const int c = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const sockaddr_in to = address("10.0.0.2", 80);
    ASSERT_EQ(tcpp_connect(wire.a(), c, as_sockaddr(to), sizeof to), 0);
    const int s = tcpp_accept(wire.b(), listener, nullptr, nullptr);
    ASSERT_GE(s, 0);
    const linger abort_on_close{1, 0};
    ASSERT_EQ(tcpp_setsockopt(wire.a(), c, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close), 0);
    linger got{};
    socklen_t length = sizeof got;
    ASSERT_EQ(tcpp_getsockopt(wire.a(), c, SOL_SOCKET, SO_LINGER, &got, &length), 0);
    EXPECT_EQ(got.l_onoff, 1);
    EXPECT_EQ(got.l_linger, 0);
    ASSERT_EQ(tcpp_close(wire.a(), c), 0);
    char byte;
    EXPECT_EQ(tcpp_read(wire.b(), s, &byte, 1), -1);  // sleeps until the RST comes
    EXPECT_EQ(errno, ECONNRESET);
}

// An established pair: (client on a, server on b).
std::pair<int, int> connected_pair(Wire& wire, std::uint16_t port) {
    const int listener = listening(wire.b(), port);
    const int c = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const sockaddr_in to = address("10.0.0.2", port);
    EXPECT_EQ(tcpp_connect(wire.a(), c, as_sockaddr(to), sizeof to), 0) << errno;
    const int s = tcpp_accept(wire.b(), listener, nullptr, nullptr);
    EXPECT_GE(s, 0) << errno;
    return {c, s};
}

TEST(Posix, EpollLevelEdgeAndOneShot) {
    Wire wire;
    auto [c, s] = connected_pair(wire, 80);
    const int ep = tcpp_epoll_create1(wire.b(), 0);
    ASSERT_GE(ep, 0);
    epoll_event in{};
    in.events = EPOLLIN;
    in.data.u64 = 42;
    ASSERT_EQ(tcpp_epoll_ctl(wire.b(), ep, EPOLL_CTL_ADD, s, &in), 0);
    EXPECT_EQ(tcpp_epoll_ctl(wire.b(), ep, EPOLL_CTL_ADD, s, &in), -1);
    EXPECT_EQ(errno, EEXIST);
    epoll_event got[4];
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 0);  // nothing to read yet
    ASSERT_EQ(tcpp_write(wire.a(), c, "hello", 5), 5);
    ASSERT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, -1), 1);  // sleeps until the data comes
    const std::uint64_t data = got[0].data.u64;  // a copy: struct epoll_event is packed, its u64 unaligned
    EXPECT_EQ(data, 42u);
    EXPECT_TRUE(got[0].events & EPOLLIN);
    // Level-triggered: still readable, reported again.
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 1);
    // Edge-triggered: once, until it has been read dry and turns readable again.
    in.events = EPOLLIN | EPOLLET;
    ASSERT_EQ(tcpp_epoll_ctl(wire.b(), ep, EPOLL_CTL_MOD, s, &in), 0);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 1);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 0);
    char buffer[16];
    EXPECT_EQ(tcpp_read(wire.b(), s, buffer, sizeof buffer), 5);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 0);
    ASSERT_EQ(tcpp_write(wire.a(), c, "again", 5), 5);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 1000), 1);
    // As Linux, more data on a socket still readable is an edge too (packetdrill's epoll_in_edge).
    ASSERT_EQ(tcpp_write(wire.a(), c, "more", 4), 4);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 1000), 1);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 0);
    // One-shot: reported once, then not until re-armed.
    in.events = EPOLLIN | EPOLLONESHOT;
    ASSERT_EQ(tcpp_epoll_ctl(wire.b(), ep, EPOLL_CTL_MOD, s, &in), 0);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 1);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 0);
    ASSERT_EQ(tcpp_epoll_ctl(wire.b(), ep, EPOLL_CTL_MOD, s, &in), 0);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 1);
    ASSERT_EQ(tcpp_epoll_ctl(wire.b(), ep, EPOLL_CTL_DEL, s, nullptr), 0);
    EXPECT_EQ(tcpp_epoll_ctl(wire.b(), ep, EPOLL_CTL_DEL, s, nullptr), -1);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), ep, got, 4, 0), 0);
    EXPECT_EQ(tcpp_epoll_wait(wire.b(), s, got, 4, 0), -1);  // not an epoll descriptor
    EXPECT_EQ(errno, EINVAL);
}

// As Linux: SO_SNDBUF and SO_RCVBUF double what they are given, and report the doubled size (packetdrill's
// blocking-write sets 21000 and reads back 42000); tiny sizes are raised to Linux's least.
TEST(Posix, BufferSizesAreDoubledAsOnLinux) {
    Wire wire;
    const int fd = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const int size = 21000;
    ASSERT_EQ(tcpp_setsockopt(wire.a(), fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
    ASSERT_EQ(tcpp_setsockopt(wire.a(), fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
    int value = 0;
    socklen_t length = sizeof value;
    ASSERT_EQ(tcpp_getsockopt(wire.a(), fd, SOL_SOCKET, SO_SNDBUF, &value, &length), 0);
    EXPECT_EQ(value, 42000);
    ASSERT_EQ(tcpp_getsockopt(wire.a(), fd, SOL_SOCKET, SO_RCVBUF, &value, &length), 0);
    EXPECT_EQ(value, 42000);
    const int tiny = 1;
    ASSERT_EQ(tcpp_setsockopt(wire.a(), fd, SOL_SOCKET, SO_SNDBUF, &tiny, sizeof tiny), 0);
    ASSERT_EQ(tcpp_getsockopt(wire.a(), fd, SOL_SOCKET, SO_SNDBUF, &value, &length), 0);
    EXPECT_EQ(value, 4608);
    const int huge = std::numeric_limits<int>::max(), negative = -5;
    ASSERT_EQ(tcpp_setsockopt(wire.a(), fd, SOL_SOCKET, SO_RCVBUF, &huge, sizeof huge), 0) << "capped, not refused";
    ASSERT_EQ(tcpp_getsockopt(wire.a(), fd, SOL_SOCKET, SO_RCVBUF, &value, &length), 0);
    EXPECT_EQ(value, std::numeric_limits<int>::max() / 2 * 2);
    ASSERT_EQ(tcpp_setsockopt(wire.a(), fd, SOL_SOCKET, SO_SNDBUF, &negative, sizeof negative), 0);
    ASSERT_EQ(tcpp_getsockopt(wire.a(), fd, SOL_SOCKET, SO_SNDBUF, &value, &length), 0);
    EXPECT_EQ(value, std::numeric_limits<int>::max() / 2 * 2) << "negative reads as the largest, as Linux";
    EXPECT_EQ(tcpp_close(wire.a(), fd), 0);
}

// As Linux: the accept queue holds one more connection than listen()'s backlog; a third handshake waits.
TEST(Posix, TheAcceptQueueHoldsTheBacklogPlusOne) {
    Wire wire;
    const int server = tcpp_socket(wire.b(), AF_INET, SOCK_STREAM, 0);
    const sockaddr_in any = address("0.0.0.0", 90);
    ASSERT_EQ(tcpp_bind(wire.b(), server, as_sockaddr(any), sizeof any), 0);
    ASSERT_EQ(tcpp_listen(wire.b(), server, 1), 0);
    const sockaddr_in to = address("10.0.0.2", 90);
    int clients[3];
    for (int& c : clients) {
        c = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ASSERT_EQ(tcpp_connect(wire.a(), c, as_sockaddr(to), sizeof to), -1);
        ASSERT_EQ(errno, EINPROGRESS);
    }
    auto state = [&](int fd) {
        tcp_info info{};
        socklen_t length = sizeof info;
        EXPECT_EQ(tcpp_getsockopt(wire.a(), fd, IPPROTO_TCP, TCP_INFO, &info, &length), 0);
        return info.tcpi_state;
    };
    // Three seconds of virtual time, through the SYN's first retransmissions: nothing is accepted.
    const std::uint64_t start = tcpp_host_now(wire.a());
    while (tcpp_host_now(wire.a()) < start + 3'000'000) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(state(clients[0]), 1);  // TCP_ESTABLISHED
    EXPECT_EQ(state(clients[1]), 1);
    EXPECT_EQ(state(clients[2]), 2) << "TCP_SYN_SENT: its SYN is not answered while the queue is full";
    const int first = tcpp_accept4(wire.b(), server, nullptr, nullptr, SOCK_NONBLOCK);
    EXPECT_GE(first, 0);
    // Room again: the third completes when its SYN comes again.
    while (state(clients[2]) != 1) std::this_thread::sleep_for(1ms);
    for (int c : clients) EXPECT_EQ(tcpp_close(wire.a(), c), 0);
}

// As Linux: SO_REUSEADDR lets sockets share a port, but not with a listener.
TEST(Posix, NoBindBesideAListenerEvenWithReuseAddress) {
    Wire wire;
    const int one = 1;
    const int listener = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const int other = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const int third = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    for (int fd : {listener, other, third}) {
        ASSERT_EQ(tcpp_setsockopt(wire.a(), fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    }
    const sockaddr_in any = address("0.0.0.0", 91);
    ASSERT_EQ(tcpp_bind(wire.a(), other, as_sockaddr(any), sizeof any), 0);
    ASSERT_EQ(tcpp_bind(wire.a(), listener, as_sockaddr(any), sizeof any), 0) << "two bound, none listening";
    ASSERT_EQ(tcpp_listen(wire.a(), listener, 4), 0);
    EXPECT_EQ(tcpp_bind(wire.a(), third, as_sockaddr(any), sizeof any), -1);
    EXPECT_EQ(errno, EADDRINUSE);
}

// MSG_PEEK leaves the bytes to be read again; MSG_WAITALL waits for all it asks for, or the end of the
// stream; with MSG_PEEK too, it waits until all is there and still takes nothing.
TEST(Posix, PeekAndWaitAll) {
    Wire wire;
    const auto [client, server] = connected_pair(wire, 82);
    const int c = client, s = server;  // lambdas below take these (clang 14 cannot capture a binding)
    char buffer[16] = {};
    EXPECT_EQ(tcpp_recv(wire.b(), s, buffer, sizeof buffer, MSG_PEEK | MSG_DONTWAIT), -1);
    EXPECT_EQ(errno, EAGAIN);
    ASSERT_EQ(tcpp_write(wire.a(), c, "abc", 3), 3);
    ASSERT_EQ(tcpp_recv(wire.b(), s, buffer, sizeof buffer, MSG_PEEK), 3);  // waits for the data
    EXPECT_EQ(std::string(buffer, 3), "abc");
    ASSERT_EQ(tcpp_recv(wire.b(), s, buffer, 2, MSG_PEEK), 2);
    int unread = 0;
    ASSERT_EQ(tcpp_ioctl(wire.b(), s, FIONREAD, &unread), 0);
    EXPECT_EQ(unread, 3) << "peeking took nothing";

    // A blocked recv(MSG_WAITALL) for 8 bytes: 3 are there; it returns when the other 5 come.
    std::future<ssize_t> all = std::async(std::launch::async, [&] {
        return tcpp_recv(wire.b(), s, buffer, 8, MSG_WAITALL);
    });
    EXPECT_EQ(all.wait_for(50ms), std::future_status::timeout) << "3 of 8 bytes: it waits";
    ASSERT_EQ(tcpp_write(wire.a(), c, "de", 2), 2);
    EXPECT_EQ(all.wait_for(50ms), std::future_status::timeout) << "5 of 8 bytes: it waits";
    ASSERT_EQ(tcpp_write(wire.a(), c, "fgh", 3), 3);
    ASSERT_EQ(all.get(), 8);
    EXPECT_EQ(std::string(buffer, 8), "abcdefgh");

    // Peeking for all: 4 asked, 2 there; it waits for the rest, and leaves all four.
    ASSERT_EQ(tcpp_write(wire.a(), c, "ij", 2), 2);
    std::future<ssize_t> peeked = std::async(std::launch::async, [&] {
        return tcpp_recv(wire.b(), s, buffer, 4, MSG_PEEK | MSG_WAITALL);
    });
    EXPECT_EQ(peeked.wait_for(50ms), std::future_status::timeout);
    ASSERT_EQ(tcpp_write(wire.a(), c, "kl", 2), 2);
    ASSERT_EQ(peeked.get(), 4);
    EXPECT_EQ(std::string(buffer, 4), "ijkl");
    ASSERT_EQ(tcpp_recv(wire.b(), s, buffer, sizeof buffer, MSG_WAITALL | MSG_DONTWAIT), 4) << "no waiting";
    EXPECT_EQ(std::string(buffer, 4), "ijkl");

    // The end of the stream ends a MSG_WAITALL early, with what came; peeking too, and only once each byte.
    ASSERT_EQ(tcpp_write(wire.a(), c, "xyz", 3), 3);
    ASSERT_EQ(tcpp_shutdown(wire.a(), c, SHUT_WR), 0);
    std::memset(buffer, 0, sizeof buffer);
    EXPECT_EQ(tcpp_recv(wire.b(), s, buffer, 10, MSG_PEEK | MSG_WAITALL), 3);
    EXPECT_EQ(std::string(buffer, 4), std::string("xyz\0", 4)) << "the peeked bytes once, nothing after them";
    EXPECT_EQ(tcpp_recv(wire.b(), s, buffer, sizeof buffer, MSG_WAITALL), 3);
    EXPECT_EQ(tcpp_recv(wire.b(), s, buffer, sizeof buffer, MSG_WAITALL), 0);
}

// As Linux: listen() on a socket never bound takes an ephemeral port, which getsockname() tells, and
// connections to it are accepted.
TEST(Posix, ListenWithoutBindTakesAnEphemeralPort) {
    Wire wire;
    const int server = tcpp_socket(wire.b(), AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(tcpp_listen(wire.b(), server, 4), 0);
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    ASSERT_EQ(tcpp_getsockname(wire.b(), server, reinterpret_cast<sockaddr*>(&bound), &length), 0);
    const std::uint16_t port = ntohs(bound.sin_port);
    EXPECT_GE(port, 32768);
    EXPECT_LE(port, 60999);
    const int again = tcpp_socket(wire.b(), AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(tcpp_listen(wire.b(), again, 4), 0);
    ASSERT_EQ(tcpp_getsockname(wire.b(), again, reinterpret_cast<sockaddr*>(&bound), &length), 0);
    EXPECT_NE(ntohs(bound.sin_port), port) << "each its own port";
    const int client = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const sockaddr_in to = address("10.0.0.2", port);
    ASSERT_EQ(tcpp_connect(wire.a(), client, as_sockaddr(to), sizeof to), 0);
    const int accepted = tcpp_accept(wire.b(), server, nullptr, nullptr);
    EXPECT_GE(accepted, 0);
}

TEST(Posix, UserTimeoutIsSetAndReadInMilliseconds) {
    Wire wire;
    const int fd = tcpp_socket(wire.a(), AF_INET, SOCK_STREAM, 0);
    const int ms = 3000, negative = -1;
    ASSERT_EQ(tcpp_setsockopt(wire.a(), fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms), 0);
    int value = 0;
    socklen_t length = sizeof value;
    ASSERT_EQ(tcpp_getsockopt(wire.a(), fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &value, &length), 0);
    EXPECT_EQ(value, 3000);
    EXPECT_EQ(tcpp_setsockopt(wire.a(), fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &negative, sizeof negative), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(tcpp_close(wire.a(), fd), 0);
}

// As Linux: after shutdown(SHUT_RD) a read takes what arrives still, and reports end of stream (0, without
// waiting) when nothing is there.
TEST(Posix, AfterShutRdAReadTakesWhatArrivesElseReturnsZero) {
    Wire wire;
    auto [c, s] = connected_pair(wire, 81);
    ASSERT_EQ(tcpp_shutdown(wire.b(), s, SHUT_RD), 0);
    char buffer[16];
    EXPECT_EQ(tcpp_read(wire.b(), s, buffer, sizeof buffer), 0);  // a blocking socket: no wait
    ASSERT_EQ(tcpp_write(wire.a(), c, "late", 4), 4);
    int unread = 0;
    for (int i = 0; i < 2000 && unread < 4; ++i) {
        ASSERT_EQ(tcpp_ioctl(wire.b(), s, FIONREAD, &unread), 0);
        std::this_thread::sleep_for(100us);
    }
    ASSERT_EQ(tcpp_read(wire.b(), s, buffer, sizeof buffer), 4);
    EXPECT_EQ(std::string(buffer, 4), "late");
    EXPECT_EQ(tcpp_read(wire.b(), s, buffer, sizeof buffer), 0);
}

TEST(Posix, IoctlQueuesTcpInfoAndMessages) {
    Wire wire;
    auto [c, s] = connected_pair(wire, 80);
    tcp_info info{};
    socklen_t length = sizeof info;
    ASSERT_EQ(tcpp_getsockopt(wire.a(), c, IPPROTO_TCP, TCP_INFO, &info, &length), 0);
    EXPECT_EQ(length, sizeof info);
    EXPECT_EQ(info.tcpi_state, 1);  // TCP_ESTABLISHED
    EXPECT_EQ(info.tcpi_snd_mss, 1448u);
    EXPECT_EQ(info.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE),
              TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
    EXPECT_GE(info.tcpi_snd_cwnd, 10u);
    // sendmsg of three parts, then FIONREAD on the other side, and recvmsg into two.
    char one[] = "abc", two[] = "defg", three[] = "h";
    iovec parts[3] = {{one, 3}, {two, 4}, {three, 1}};
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = 3;
    ASSERT_EQ(tcpp_sendmsg(wire.a(), c, &message, 0), 8);
    int unread = 0;
    for (int i = 0; i < 2000 && unread < 8; ++i) {
        ASSERT_EQ(tcpp_ioctl(wire.b(), s, FIONREAD, &unread), 0);
        std::this_thread::sleep_for(100us);
    }
    EXPECT_EQ(unread, 8);
    char first[5] = {}, second[8] = {};
    iovec into[2] = {{first, 5}, {second, 8}};
    msghdr received{};
    received.msg_iov = into;
    received.msg_iovlen = 2;
    ASSERT_EQ(tcpp_recvmsg(wire.b(), s, &received, 0), 8);
    EXPECT_EQ(std::string(first, 5), "abcde");
    EXPECT_EQ(std::string(second, 3), "fgh");
    int queued = -1;
    ASSERT_EQ(tcpp_ioctl(wire.b(), s, SIOCOUTQ, &queued), 0);
    EXPECT_EQ(queued, 0);
    EXPECT_EQ(tcpp_ioctl(wire.b(), 3, FIONREAD, &queued), -1);  // the listener
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(tcpp_ioctl(wire.b(), s, FIOCLEX, &queued), -1);
    EXPECT_EQ(errno, ENOTTY);
}

}  // namespace
