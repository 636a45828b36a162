// The shared object packetdrill loads (tools/packetdrill), driven as packetdrill drives it but by us, so that
// every build exercises it whether or not packetdrill is installed: loaded with dlopen, a fixed exchange
// (handshake, data both ways, close from our side, TIME_WAIT run out on the virtual clock), and a blocking
// accept on a thread of its own that must sleep, and return at the instant its connection completed.

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "packetdrill_interface.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TCPP_UNDER_TSAN 1
#endif
#endif

// ThreadSanitizer refuses a child that starts threads after a fork: the death tests are left to the other
// builds there.
#ifdef TCPP_UNDER_TSAN
#define SKIP_DEATH_TEST_UNDER_TSAN() GTEST_SKIP() << "death tests under ThreadSanitizer"
#else
#define SKIP_DEATH_TEST_UNDER_TSAN() (void)0
#endif

using namespace tcpp;
using namespace std::chrono_literals;

const wire::Ipv4Address local{192, 168, 0, 1};
const wire::Ipv4Address remote{192, 0, 2, 1};
constexpr std::uint16_t local_port = 8080;
constexpr std::uint16_t remote_port = 40000;

// The adapter, loaded as packetdrill loads it (without RTLD_DEEPBIND, which the sanitizers refuse).
class Adapter {
public:
    explicit Adapter(const char* flags) {
        handle_ = dlopen(TCPP_PACKETDRILL_SO, RTLD_NOW | RTLD_LOCAL);
        if (handle_ == nullptr) throw std::runtime_error(dlerror());
        auto init = reinterpret_cast<void (*)(const char*, packetdrill_interface*)>(
            dlsym(handle_, "packetdrill_interface_init"));
        if (init == nullptr) throw std::runtime_error("no packetdrill_interface_init");
        init(flags, &ifc_);
    }
    ~Adapter() {
        ifc_.free(ifc_.userdata);
        dlclose(handle_);
    }
    packetdrill_interface& operator*() { return ifc_; }
    packetdrill_interface* operator->() { return &ifc_; }
    void* ud() const { return ifc_.userdata; }

    std::uint64_t now() {
        timeval tv{};
        ifc_.gettimeofday(ifc_.userdata, &tv, nullptr);
        return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(tv.tv_usec);
    }

    // Injects a segment from the remote end, as packetdrill's `<` lines do.
    void inject(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::string_view payload = {},
                std::uint16_t port = remote_port) {
        wire::TcpSegment segment;
        segment.source_port = port;
        segment.destination_port = local_port;
        segment.seq = wire::Seq{seq};
        segment.ack = wire::Seq{ack};
        segment.flags.bits = flags;
        segment.window = 32768;
        if (flags & wire::TcpFlags::syn) segment.options.mss = 1000;
        segment.payload = wire::as_bytes(payload.data(), payload.size());
        const std::vector<std::byte> packet = wire::ipv4_tcp_packet(segment, remote, local);
        ASSERT_EQ(ifc_.netdev_send(ifc_.userdata, packet.data(), packet.size()), 0);
    }

    // The next segment tcpp sent, as packetdrill's `>` lines take it; none: count 0.
    struct Sent {
        std::uint8_t flags = 0;
        std::uint32_t seq = 0;
        std::uint32_t ack = 0;
        std::string payload;
        std::optional<std::uint16_t> mss;
        long long time_us = 0;
        bool none = false;
    };
    Sent next() {
        std::vector<std::byte> buffer(65536);
        size_t count = buffer.size();
        long long time = -1;
        Sent sent;
        EXPECT_EQ(ifc_.netdev_receive(ifc_.userdata, buffer.data(), &count, &time), 0);
        if (count == 0) {
            sent.none = true;
            return sent;
        }
        auto ip = wire::Ipv4View::parse({buffer.data(), count});
        EXPECT_TRUE(ip) << "not an IPv4 packet";
        if (!ip) return sent;
        EXPECT_EQ(ip->source(), local);
        EXPECT_EQ(ip->destination(), remote);
        auto tcp = wire::TcpView::parse(*ip);  // checksums verified, as packetdrill does
        EXPECT_TRUE(tcp) << "not a valid TCP segment";
        if (!tcp) return sent;
        sent.flags = tcp->flags().bits;
        sent.seq = tcp->seq().raw();
        sent.ack = tcp->ack().raw();
        const wire::Bytes payload = tcp->payload();
        sent.payload.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
        if (auto options = wire::TcpOptions::parse(tcp->options())) sent.mss = options->mss;
        sent.time_us = time;
        return sent;
    }

private:
    void* handle_ = nullptr;
    packetdrill_interface ifc_{};
};

sockaddr_in address_of(wire::Ipv4Address address, std::uint16_t port) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    in.sin_addr.s_addr = htonl(address.value());
    return in;
}

int listening_socket(Adapter& a) {
    const int fd = a->socket(a.ud(), AF_INET, SOCK_STREAM, IPPROTO_TCP);
    EXPECT_GE(fd, 0);
    EXPECT_NE(fcntl(fd, F_GETFD), -1) << "a real descriptor, which packetdrill may close()";
    const int one = 1;
    EXPECT_EQ(a->setsockopt(a.ud(), fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    const sockaddr_in bound = address_of(local, local_port);
    EXPECT_EQ(a->bind(a.ud(), fd, reinterpret_cast<const sockaddr*>(&bound), sizeof bound), 0);
    EXPECT_EQ(a->listen(a.ud(), fd, 1), 0);
    return fd;
}

constexpr std::uint8_t SYN = wire::TcpFlags::syn, ACK = wire::TcpFlags::ack, FIN = wire::TcpFlags::fin,
                       PSH = wire::TcpFlags::psh;

TEST(PacketdrillAdapter, HandshakeDataAndCloseThroughTheInterface) {
    Adapter a("local=192.168.0.1");
    const std::uint64_t start = a.now();
    EXPECT_GT(a.now(), start) << "the clock creeps on with each look, as packetdrill's waits need";
    const int listener = listening_socket(a);

    a.inject(SYN, 1000, 0);
    const auto synack = a.next();
    ASSERT_FALSE(synack.none);
    EXPECT_EQ(synack.flags, SYN | ACK);
    EXPECT_EQ(synack.ack, 1001u);
    EXPECT_EQ(synack.mss, 1460);
    const std::uint32_t iss = synack.seq;
    a.inject(ACK, 1001, iss + 1);

    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = a->accept(a.ud(), listener, reinterpret_cast<sockaddr*>(&peer), &length);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(length, sizeof(sockaddr_in));
    const auto* in = reinterpret_cast<const sockaddr_in*>(&peer);
    EXPECT_EQ(ntohs(in->sin_port), remote_port);
    EXPECT_EQ(ntohl(in->sin_addr.s_addr), remote.value());

    // RFC 5961 4.2: a SYN in ESTABLISHED draws a challenge ACK, in the stack's first second too.
    a.inject(SYN, 7777, 0);
    const auto challenge = a.next();
    EXPECT_EQ(challenge.flags, ACK);
    EXPECT_EQ(challenge.seq, iss + 1);
    EXPECT_EQ(challenge.ack, 1001u);
    EXPECT_LT(challenge.time_us, 1'000'000);

    ASSERT_EQ(a->write(a.ud(), fd, "hello", 5), 5);
    const auto data = a.next();
    EXPECT_EQ(data.flags, PSH | ACK);
    EXPECT_EQ(data.seq, iss + 1);
    EXPECT_EQ(data.payload, "hello");
    EXPECT_EQ(static_cast<std::uint64_t>(data.time_us), a.now() - 1) << "sent when written";

    a.inject(PSH | ACK, 1001, iss + 6, "world");
    const auto quick = a.next();
    EXPECT_EQ(quick.flags, ACK);
    EXPECT_EQ(quick.ack, 1006u) << "the first data is ACKed at once";
    char buffer[16] = {};
    ASSERT_EQ(a->read(a.ud(), fd, buffer, sizeof buffer), 5);
    EXPECT_EQ(std::string(buffer, 5), "world");

    // Our close first: FIN, the peer's FIN and ACK, our last ACK, then TIME_WAIT.
    const int real_fd = fd;
    ASSERT_EQ(a->close(a.ud(), fd), 0);
    EXPECT_EQ(fcntl(real_fd, F_GETFD), -1) << "its real descriptor closed with it";
    const auto fin = a.next();
    EXPECT_EQ(fin.flags, FIN | ACK);
    EXPECT_EQ(fin.seq, iss + 6);
    a.inject(FIN | ACK, 1006, iss + 7);
    const auto last = a.next();
    EXPECT_EQ(last.flags, ACK);
    EXPECT_EQ(last.ack, 1007u);

    // TIME_WAIT re-ACKs a FIN sent again (its ACK was lost) ...
    const std::uint64_t fin_time = a.now();
    ASSERT_EQ(a->usleep(a.ud(), 1'000'000), 0);
    EXPECT_GE(a.now(), fin_time + 1'000'000);
    a.inject(FIN | ACK, 1006, iss + 7);
    const auto again = a.next();
    EXPECT_EQ(again.flags, ACK);
    EXPECT_EQ(again.ack, 1007u);
    // ... and after 2*MSL (60 s, in virtual time) answers with RST: the connection is gone.
    ASSERT_EQ(a->usleep(a.ud(), 61'000'000), 0);
    a.inject(FIN | ACK, 1006, iss + 7);
    const auto reset = a.next();
    EXPECT_TRUE(reset.flags & wire::TcpFlags::rst);
    // Nothing more will come: an empty packet, which fails the script rather than hang it.
    EXPECT_TRUE(a.next().none);
    EXPECT_EQ(a->close(a.ud(), listener), 0);
    EXPECT_EQ(a->close(a.ud(), listener), -1);
    EXPECT_EQ(errno, EBADF);
}

// The flags reach the stack: an initial window of two segments (sent as one, with offload on by default).
TEST(PacketdrillAdapter, FlagsSetWhatScriptsDependOn) {
    Adapter a("local=192.168.0.1,iw=2");
    const int listener = listening_socket(a);
    a.inject(SYN, 1000, 0);
    const std::uint32_t iss = a.next().seq;
    a.inject(ACK, 1001, iss + 1);
    const int fd = a->accept(a.ud(), listener, nullptr, nullptr);
    ASSERT_GE(fd, 0);
    const std::string data(5000, 'd');
    ASSERT_EQ(a->write(a.ud(), fd, data.data(), data.size()), 5000);
    const auto first = a.next();
    EXPECT_EQ(first.payload.size(), 2000u) << "two segments of the peer's MSS, 1000";
    EXPECT_EQ(first.seq, iss + 1);
}

// Where the thread is: 'S' when asleep (packetdrill's test that a call blocked).
char thread_state(pid_t tid) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto paren = all.rfind(')');
    return paren == std::string::npos || paren + 2 >= all.size() ? '?' : all[paren + 2];
}

// A poll that times out, on packetdrill's syscall thread: the clock stops at its deadline (the host counts
// it among its timers), so the call returns 10 ms after it began however far the next step goes.
TEST(PacketdrillAdapter, APollTimeoutIsOnTheClock) {
    Adapter a("local=192.168.0.1");
    const int listener = listening_socket(a);
    std::atomic<int> result{-2};
    std::atomic<std::uint64_t> began{0}, returned_at{0};
    std::thread blocked([&] {
        pollfd fds[1] = {{listener, POLLIN, 0}};
        began = a.now();
        result = a->poll(a.ud(), fds, 1, 10);
        returned_at = a.now();
    });
    while (began == 0) std::this_thread::sleep_for(200us);
    std::this_thread::sleep_for(20ms);  // let it fall asleep
    ASSERT_EQ(a->usleep(a.ud(), 200'000), 0);
    blocked.join();
    EXPECT_EQ(result.load(), 0);
    EXPECT_GE(returned_at.load(), began.load() + 10'000);
    EXPECT_LE(returned_at.load(), began.load() + 10'100) << "at its timeout, not at the end of the usleep";
    EXPECT_EQ(a->close(a.ud(), listener), 0);
}

TEST(PacketdrillAdapter, ABlockingAcceptSleepsAndReturnsWhenTheHandshakeCompletes) {
    Adapter a("local=192.168.0.1");
    const int listener = listening_socket(a);
    std::atomic<pid_t> tid{0};
    std::atomic<int> accepted{-2};
    std::atomic<std::uint64_t> returned_at{0};
    std::thread blocked([&] {
        tid = gettid();
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        accepted = a->accept(a.ud(), listener, reinterpret_cast<sockaddr*>(&peer), &length);
        returned_at = a.now();  // packetdrill's end time: the first look at the clock after the call
    });
    bool slept = false;
    for (int i = 0; i < 5000 && !slept; ++i) {
        slept = tid != 0 && thread_state(tid) == 'S' && accepted == -2;
        if (!slept) std::this_thread::sleep_for(200us);
    }
    EXPECT_TRUE(slept) << "a blocked accept sleeps";

    ASSERT_EQ(a->usleep(a.ud(), 100'000), 0);
    a.inject(SYN, 5000, 0);
    const auto synack = a.next();
    ASSERT_EQ(synack.flags, SYN | ACK);
    ASSERT_EQ(a->usleep(a.ud(), 100'000), 0);
    const std::uint64_t completed = a.now();
    a.inject(ACK, 5001, synack.seq + 1);
    // The clock does not move on until the woken call has returned and looked at the clock.
    ASSERT_EQ(a->usleep(a.ud(), 500'000), 0);
    blocked.join();
    EXPECT_GE(accepted.load(), 0);
    EXPECT_GE(returned_at.load(), completed);
    EXPECT_LE(returned_at.load(), completed + 100) << "returned at the instant the handshake completed";
    EXPECT_EQ(a->close(a.ud(), accepted), 0);
    EXPECT_EQ(a->close(a.ud(), listener), 0);
}

// A call that blocks on packetdrill's main thread (a script line not marked blocking) would wait for ever,
// for that thread moves the clock: it ends the run with the reason instead.
TEST(PacketdrillAdapter, ACallThatBlocksTheClocksThreadEndsTheRunWithTheReason) {
    SKIP_DEATH_TEST_UNDER_TSAN();
    GTEST_FLAG_SET(death_test_style, "threadsafe");  // earlier adapters' watchdogs may still be running
    EXPECT_EXIT(
        {
            Adapter a("local=192.168.0.1");
            const int listener = listening_socket(a);
            a->accept(a.ud(), listener, nullptr, nullptr);
        },
        ::testing::ExitedWithCode(1), "mark it as blocking");
}

TEST(PacketdrillAdapter, ABadFlagIsRefusedWithAMessage) {
    SKIP_DEATH_TEST_UNDER_TSAN();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(Adapter("no_such_flag=1"), ::testing::ExitedWithCode(1), "unknown or malformed flag");
}

}  // namespace
