// tcpp under packetdrill: the shared object that packetdrill's shared-object mode loads
// (`packetdrill --so_filename=libtcpp_packetdrill.so --so_flags=...`), so that its scripts run against tcpp
// instead of the kernel.
//
// packetdrill calls the socket functions of the interface below for the script's system calls, hands us
// the packets the script injects (netdev_send), asks for the packets tcpp sends (netdev_receive), and
// keeps time with our usleep and gettimeofday. They all run on the host's virtual clock, so a script that
// waits out TIME_WAIT or a long backoff finishes in milliseconds.
//
// Threads. packetdrill's main thread makes the non-blocking calls and drives the clock; a call the script
// marks as blocking (`+0...0.2 accept(...)`) runs on a second thread, which packetdrill deems blocked when
// it sees that thread asleep. So a blocking call really sleeps (include/tcpp/posix.h), and the clock never
// moves while a call that the last step woke is still running: each step waits until every call in
// progress sleeps again having seen the change, or has returned and taken its end time (the first
// gettimeofday its thread makes after the call). Then the call returns at the instant that woke it.
//
// Descriptors. packetdrill closes with the C library's close() the sockets a script leaves open, so our
// descriptors are real ones: each socket holds an open /dev/null, whose number packetdrill sees, mapped to
// the host's descriptor.

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "packetdrill_interface.h"
#include "pcap/pcap_file.h"
#include "posix/host.h"
#include "tcpp/posix.h"
#include "trace/packet_printer.h"


namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

// What a script may depend on, from --so_flags ("key=value,key=value"). The defaults are what the
// scripts of google/packetdrill assume of Linux after their common/defaults.sh.
struct Settings {
    std::string local = "192.168.0.1";  // the address tcpp owns: packetdrill's IPv4 default
    tcpp::StackConfig config;
    std::uint64_t horizon_us = 600'000'000;  // how far netdev_receive runs the clock looking for a packet
    bool verbose = false;
    bool trace = false;      // every packet in and out, as tcpdump prints it, on standard error
    std::string pcap_path;  // every packet in and out, in a capture file
};

bool parse_number(std::string_view text, std::uint64_t& out) {
    if (text.empty()) return false;
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9' || v > UINT64_MAX / 10 - 9) return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

// Linux's behaviour where the scripts rely on it, each setting documented in the README.
Settings default_settings() {
    Settings s;
    tcpp::tcp::TcpConfig& tcp = s.config.tcp;
    tcp.max_receive_buffer = 15 * 1024 * 1024;  // tcp_rmem[2] of defaults.sh: window scale 8
    tcp.syn_retries = 5;                        // defaults.sh's tcp_syn_retries
    tcp.defaults.receive_buffer = 64 * 1024;
    tcp.defaults.send_buffer = 256 * 1024;      // tcp_wmem[1]
    // packetdrill's tun device takes TSO segments, so Linux sends its writes there in segments of many
    // MSSes (`> P. 1:10001(10000)`), and its slow start counts every segment a stretch ACK covers: so does
    // tcpp with segmentation offload (packetdrill also joins MSS-sized segments back, for stacks without).
    tcp.segmentation_offload = 65535;
    s.config.name = "tcpp";
    return s;
}

bool apply_flag(Settings& s, std::string_view key, std::string_view value) {
    std::uint64_t n = 0;
    tcpp::tcp::TcpConfig& tcp = s.config.tcp;
    if (key == "local") {
        s.local = std::string(value);
        return true;
    }
    if (key == "verbose") {
        s.verbose = value != "0";
        return true;
    }
    if (key == "trace") {
        s.trace = value != "0";
        return true;
    }
    if (key == "pcap") {
        s.pcap_path = std::string(value);
        return true;
    }
    if (!parse_number(value, n)) return false;
    if (key == "msl_ms") tcp.defaults.msl_us = n * 1000;
    else if (key == "rto_min_ms") tcp.rto.min_us = n * 1000;
    else if (key == "rto_initial_ms") tcp.rto.initial_us = n * 1000;
    else if (key == "delayed_ack_ms") tcp.delayed_ack_us = n * 1000;
    else if (key == "rcvbuf") tcp.defaults.receive_buffer = n;
    else if (key == "sndbuf") tcp.defaults.send_buffer = n;
    else if (key == "mss") tcp.mss = static_cast<std::uint16_t>(std::min<std::uint64_t>(n, 65535));
    else if (key == "timestamps") tcp.timestamps = n != 0;
    else if (key == "sack") tcp.sack = n != 0;
    else if (key == "window_scaling") tcp.window_scaling = n != 0;
    else if (key == "syn_retries") tcp.syn_retries = static_cast<unsigned>(n);
    else if (key == "fin_timeout_ms") tcp.fin_timeout_us = n * 1000;
    else if (key == "offload") tcp.segmentation_offload = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, 65535));
    else if (key == "iw") tcp.initial_window_segments = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, 1000));
    else if (key == "quick_acks") tcp.quick_acks = static_cast<std::uint8_t>(std::min<std::uint64_t>(n, 255));
    else if (key == "horizon_s") s.horizon_us = n * 1'000'000;
    else return false;
    return true;
}

Settings parse_flags(const char* flags) {
    Settings s = default_settings();
    std::string_view rest = flags ? flags : "";
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (item.empty()) continue;
        const std::size_t eq = item.find('=');
        const std::string_view key = item.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view{"1"} : item.substr(eq + 1);
        if (!apply_flag(s, key, value)) {
            std::fprintf(stderr, "tcpp-packetdrill: unknown or malformed flag '%.*s'\n", static_cast<int>(item.size()),
                         item.data());
            std::exit(1);
        }
    }
    return s;
}

struct Emitted {
    std::vector<std::byte> bytes;
    std::uint64_t time_us;
};

class Adapter {
public:
    explicit Adapter(const Settings& settings) : settings_(settings), driver_(std::this_thread::get_id()) {
        tcpp::StackConfig config = settings.config;
        auto address = tcpp::Ipv4Address::parse(settings.local);
        if (!address) {
            std::fprintf(stderr, "tcpp-packetdrill: bad local address '%s'\n", settings.local.c_str());
            std::exit(1);
        }
        config.address = *address;
        host_ = tcpp_host_create_with(config);
        start_watchdog();
        if (!settings.pcap_path.empty()) {
            auto writer = tcpp::pcap::Writer::create(settings.pcap_path, tcpp::pcap::LinkType::raw_ipv4);
            if (!writer) {
                std::fprintf(stderr, "tcpp-packetdrill: %s\n", writer.error().c_str());
                std::exit(1);
            }
            capture_.emplace(std::move(*writer));
        }
    }
    ~Adapter() {
        stop_watchdog();
        tcpp_host_destroy(host_);
    }
    Adapter(const Adapter&) = delete;
    Adapter& operator=(const Adapter&) = delete;

    tcpp_host* host() const { return host_; }

    // --- Descriptors: packetdrill's (real, /dev/null) to the host's ---

    // Gives a new host descriptor a real one; -1 with errno (the host's descriptor closed) if none.
    int adopt(int host_fd) {
        if (host_fd < 0) return -1;
        const int real = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (real < 0) {
            const int error = errno;
            tcpp_close(host_, host_fd);
            errno = error;
            return -1;
        }
        std::lock_guard lock{mutex_};
        fds_[real] = host_fd;
        return real;
    }

    // The host's descriptor for packetdrill's `fd`; one the host never gave (EBADF) for an unknown one.
    int host_fd(int fd) {
        std::lock_guard lock{mutex_};
        auto it = fds_.find(fd);
        return it == fds_.end() ? -1 : it->second;
    }

    int close(int fd) {
        const int h = host_fd(fd);
        if (h < 0) {
            errno = EBADF;
            return -1;
        }
        const int result = tcpp_close(host_, h);
        {
            std::lock_guard lock{mutex_};
            fds_.erase(fd);
        }
        ::close(fd);
        return result;
    }

    // --- Calls: who is in one, so that the clock waits for them ---

    void call_begins() {
        if (std::this_thread::get_id() == driver_) {
            watchdog_->driver_call_started_ns = steady_ns();
            return;
        }
        std::lock_guard lock{mutex_};
        ++calls_elsewhere_;
    }

    void call_ends() {
        if (std::this_thread::get_id() == driver_) {
            watchdog_->driver_call_started_ns = 0;
            return;
        }
        std::lock_guard lock{mutex_};
        --calls_elsewhere_;
        end_time_pending_ = std::this_thread::get_id();
        has_end_time_pending_ = true;
    }

    // --- The clock ---

    std::uint64_t gettimeofday() {
        {
            std::lock_guard lock{mutex_};
            if (has_end_time_pending_ && end_time_pending_ == std::this_thread::get_id()) {
                // A call's end time: the clock waits for it (settle()), so now is when the call returned.
                has_end_time_pending_ = false;
                return tcpp_host_now(host_);
            }
        }
        // Time creeps on with each look at it: packetdrill waits for an event time by looking at the clock
        // until it has passed.
        std::lock_guard clock{clock_mutex_};
        advance_locked(tcpp_host_now(host_) + 1);
        return tcpp_host_now(host_);
    }

    void sleep(std::uint64_t us) {
        std::lock_guard clock{clock_mutex_};
        advance_locked(tcpp_host_now(host_) + us);
    }

    void inject(const void* packet, std::size_t length) {
        std::lock_guard clock{clock_mutex_};
        settle();
        collect();
        record({static_cast<const std::byte*>(packet), length});
        tcpp_host_receive(host_, packet, length);
        settle();
        collect();
    }

    // The next packet tcpp sent, running the clock (up to the horizon) until there is one; false when
    // none will come.
    bool next_packet(Emitted& out) {
        std::lock_guard clock{clock_mutex_};
        settle();
        collect();
        const std::uint64_t horizon = tcpp_host_now(host_) + settings_.horizon_us;
        while (emitted_.empty()) {
            std::uint64_t deadline = 0;
            if (!tcpp_host_next_deadline(host_, &deadline) || deadline > horizon) return false;
            // At least a microsecond on: a timer already due (armed for now) runs, and the loop moves.
            advance_locked(std::max(deadline, tcpp_host_now(host_) + 1));
        }
        out = std::move(emitted_.front());
        emitted_.pop_front();
        return true;
    }

    const Settings& settings() const { return settings_; }

private:
    // A call that packetdrill makes on its main thread (a line not marked blocking) and that sleeps would
    // wait for ever: that thread is the one that moves the clock. On Linux the script would hang; here a
    // watchdog ends it with the reason after a few seconds of real time.
    struct Watchdog {
        std::mutex mutex;
        std::condition_variable wake;
        bool stop = false;
        std::atomic<std::int64_t> driver_call_started_ns{0};
    };
    void start_watchdog() {
        watchdog_thread_ = std::thread([w = watchdog_.get()] {
            std::unique_lock lock{w->mutex};
            while (!w->wake.wait_for(lock, std::chrono::milliseconds(100), [w] { return w->stop; })) {
                const std::int64_t started = w->driver_call_started_ns;
                const std::int64_t now = steady_ns();
                if (started != 0 && now - started > 3'000'000'000) {
                    std::fprintf(stderr, "tcpp-packetdrill: a call on packetdrill's main thread has slept for 3 s: it "
                                         "blocks, and nothing moves the clock meanwhile; mark it as blocking in the "
                                         "script (+0...T call)\n");
                    std::_Exit(1);
                }
            }
        });
    }
    void stop_watchdog() {
        {
            std::lock_guard lock{watchdog_->mutex};
            watchdog_->stop = true;
        }
        watchdog_->wake.notify_one();
        watchdog_thread_.join();  // before the object's code may be unloaded
    }

    // Runs the clock to `target`, timer by timer, letting what each step wakes finish first.
    void advance_locked(std::uint64_t target) {
        for (;;) {
            settle();
            collect();
            const std::uint64_t now = tcpp_host_now(host_);
            if (now >= target) break;
            // The next timer, or the target: at least a microsecond on, so that the loop ends.
            std::uint64_t deadline = 0;
            std::uint64_t step = target;
            if (tcpp_host_next_deadline(host_, &deadline)) step = std::min(target, std::max(deadline, now + 1));
            tcpp_host_advance(host_, step);
        }
        settle();
        collect();
    }

    // Waits (in real time) until every call in progress on another thread sleeps, having seen the latest
    // change, and every call that returned has taken its end time.
    void settle() {
        const auto give_up = SteadyClock::now() + std::chrono::seconds(2);
        for (;;) {
            unsigned in_calls = 0;
            bool pending = false;
            {
                std::lock_guard lock{mutex_};
                in_calls = calls_elsewhere_;
                pending = has_end_time_pending_;
            }
            if (!pending && tcpp_host_sleeping_calls(host_) == in_calls) return;
            if (SteadyClock::now() > give_up) {
                if (!warned_) std::fprintf(stderr, "tcpp-packetdrill: a call is still running after 2 s; the clock moves on\n");
                warned_ = true;
                return;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }

    // Takes what the stack sent, stamped with the time it was sent: now, since the clock has not moved
    // since the last collect().
    void collect() {
        for (;;) {
            std::byte buffer[65536];
            const ssize_t n = tcpp_host_next_output(host_, buffer, sizeof buffer);
            if (n <= 0) break;
            emitted_.push_back({{buffer, buffer + n}, tcpp_host_now(host_)});
            record(emitted_.back().bytes);
        }
    }

    // Traces and captures a packet, at the clock's time.
    void record(tcpp::wire::Bytes packet) {
        const auto now = static_cast<std::int64_t>(tcpp_host_now(host_));
        if (settings_.trace) {
            const std::string line = printer_.format({now, packet, static_cast<std::uint32_t>(packet.size())});
            std::fprintf(stderr, "%s\n", line.c_str());
        }
        if (capture_) {
            capture_->write(now, packet);
            capture_->flush();  // packetdrill ends a failed script with exit(): keep what was written
        }
    }

    Settings settings_;
    tcpp::trace::PacketPrinter printer_{tcpp::pcap::LinkType::raw_ipv4};
    std::optional<tcpp::pcap::Writer> capture_;
    tcpp_host* host_ = nullptr;
    std::thread::id driver_;
    std::mutex clock_mutex_;  // one thread moves the clock at a time
    std::mutex mutex_;        // the descriptors and the calls in progress
    std::unordered_map<int, int> fds_;
    unsigned calls_elsewhere_ = 0;
    bool has_end_time_pending_ = false;
    std::thread::id end_time_pending_;
    std::deque<Emitted> emitted_;
    bool warned_ = false;
    std::unique_ptr<Watchdog> watchdog_ = std::make_unique<Watchdog>();
    std::thread watchdog_thread_;
};

Adapter& self(void* userdata) { return *static_cast<Adapter*>(userdata); }

// A call on a host descriptor, counted as in progress while it runs.
template <class Call>
auto with_fd(void* userdata, int fd, Call call) -> decltype(call(0)) {
    Adapter& a = self(userdata);
    const int h = a.host_fd(fd);
    if (h < 0) {
        errno = EBADF;
        return -1;
    }
    a.call_begins();
    auto result = call(h);
    const int error = errno;
    a.call_ends();
    errno = error;
    return result;
}

// --- The interface's functions ---

void pd_free(void* userdata) { delete static_cast<Adapter*>(userdata); }

int pd_socket(void* userdata, int domain, int type, int protocol) {
    Adapter& a = self(userdata);
    return a.adopt(tcpp_socket(a.host(), domain, type, protocol));
}

int pd_bind(void* userdata, int fd, const sockaddr* address, socklen_t length) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_bind(self(userdata).host(), h, address, length); });
}

int pd_listen(void* userdata, int fd, int backlog) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_listen(self(userdata).host(), h, backlog); });
}

int pd_accept(void* userdata, int fd, sockaddr* address, socklen_t* length) {
    Adapter& a = self(userdata);
    const int accepted = with_fd(userdata, fd, [&](int h) { return tcpp_accept(a.host(), h, address, length); });
    return a.adopt(accepted);
}

int pd_connect(void* userdata, int fd, const sockaddr* address, socklen_t length) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_connect(self(userdata).host(), h, address, length); });
}

ssize_t pd_read(void* userdata, int fd, void* buffer, size_t count) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_read(self(userdata).host(), h, buffer, count); });
}

ssize_t pd_readv(void* userdata, int fd, const iovec* iov, int iovcnt) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_readv(self(userdata).host(), h, iov, iovcnt); });
}

ssize_t pd_recv(void* userdata, int fd, void* buffer, size_t count, int flags) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_recv(self(userdata).host(), h, buffer, count, flags); });
}

ssize_t pd_recvfrom(void* userdata, int fd, void* buffer, size_t count, int flags, sockaddr* address,
                    socklen_t* length) {
    return with_fd(userdata, fd, [&](int h) {
        return tcpp_recvfrom(self(userdata).host(), h, buffer, count, flags, address, length);
    });
}

ssize_t pd_recvmsg(void* userdata, int fd, msghdr* message, int flags) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_recvmsg(self(userdata).host(), h, message, flags); });
}

ssize_t pd_write(void* userdata, int fd, const void* buffer, size_t count) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_write(self(userdata).host(), h, buffer, count); });
}

ssize_t pd_writev(void* userdata, int fd, const iovec* iov, int iovcnt) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_writev(self(userdata).host(), h, iov, iovcnt); });
}

ssize_t pd_send(void* userdata, int fd, const void* buffer, size_t count, int flags) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_send(self(userdata).host(), h, buffer, count, flags); });
}

ssize_t pd_sendto(void* userdata, int fd, const void* buffer, size_t count, int flags, const sockaddr* address,
                  socklen_t length) {
    return with_fd(userdata, fd, [&](int h) {
        return tcpp_sendto(self(userdata).host(), h, buffer, count, flags, address, length);
    });
}

ssize_t pd_sendmsg(void* userdata, int fd, const msghdr* message, int flags) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_sendmsg(self(userdata).host(), h, message, flags); });
}

int pd_fcntl(void* userdata, int fd, int command, ...) {
    int argument = 0;
    if (command == F_SETFL || command == F_SETFD) {  // the commands that take an int
        va_list ap;
        va_start(ap, command);
        argument = va_arg(ap, int);
        va_end(ap);
    }
    return with_fd(userdata, fd, [&](int h) { return tcpp_fcntl(self(userdata).host(), h, command, argument); });
}

int pd_ioctl(void* userdata, int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void* argument = va_arg(ap, void*);
    va_end(ap);
    return with_fd(userdata, fd, [&](int h) { return tcpp_ioctl(self(userdata).host(), h, request, argument); });
}

int pd_close(void* userdata, int fd) {
    Adapter& a = self(userdata);
    a.call_begins();
    const int result = a.close(fd);
    const int error = errno;
    a.call_ends();
    errno = error;
    return result;
}

int pd_shutdown(void* userdata, int fd, int how) {
    return with_fd(userdata, fd, [&](int h) { return tcpp_shutdown(self(userdata).host(), h, how); });
}

int pd_getsockopt(void* userdata, int fd, int level, int name, void* value, socklen_t* length) {
    return with_fd(userdata, fd,
                   [&](int h) { return tcpp_getsockopt(self(userdata).host(), h, level, name, value, length); });
}

int pd_setsockopt(void* userdata, int fd, int level, int name, const void* value, socklen_t length) {
    return with_fd(userdata, fd,
                   [&](int h) { return tcpp_setsockopt(self(userdata).host(), h, level, name, value, length); });
}

int pd_poll(void* userdata, pollfd* fds, nfds_t count, int timeout_ms) {
    Adapter& a = self(userdata);
    std::vector<pollfd> mapped(fds, fds + count);
    for (pollfd& p : mapped) {
        if (p.fd >= 0) p.fd = std::max(a.host_fd(p.fd), 0);  // 0: no host descriptor, so POLLNVAL
    }
    a.call_begins();
    const int result = tcpp_poll(a.host(), mapped.data(), count, timeout_ms);
    const int error = errno;
    a.call_ends();
    for (nfds_t i = 0; i < count; ++i) fds[i].revents = mapped[i].revents;
    errno = error;
    return result;
}

int pd_netdev_send(void* userdata, const void* buffer, size_t count) {
    self(userdata).inject(buffer, count);
    return 0;  // what tcpp drops is dropped as a wire would; packetdrill must not fail for it
}

int pd_netdev_receive(void* userdata, void* buffer, size_t* count, long long* time_us) {
    Adapter& a = self(userdata);
    Emitted packet;
    if (!a.next_packet(packet)) {
        if (a.settings().verbose) std::fprintf(stderr, "tcpp-packetdrill: tcpp sends nothing more\n");
        *count = 0;  // packetdrill fails the script on an empty packet: nothing more will come
        return 0;
    }
    const std::size_t n = std::min(*count, packet.bytes.size());
    std::memcpy(buffer, packet.bytes.data(), n);
    *count = n;
    *time_us = static_cast<long long>(packet.time_us);
    return 0;
}

int pd_usleep(void* userdata, useconds_t us) {
    self(userdata).sleep(us);
    return 0;
}

int pd_gettimeofday(void* userdata, timeval* tv, struct timezone*) {
    const std::uint64_t now = self(userdata).gettimeofday();
    tv->tv_sec = static_cast<time_t>(now / 1'000'000);
    tv->tv_usec = static_cast<suseconds_t>(now % 1'000'000);
    return 0;
}

int pd_epoll_create(void* userdata, int size) {
    if (size <= 0) {
        errno = EINVAL;
        return -1;
    }
    Adapter& a = self(userdata);
    return a.adopt(tcpp_epoll_create1(a.host(), 0));
}

int pd_epoll_ctl(void* userdata, int epfd, int op, int fd, epoll_event* event) {
    Adapter& a = self(userdata);
    const int target = a.host_fd(fd);
    if (target < 0) {
        errno = EBADF;
        return -1;
    }
    return with_fd(userdata, epfd, [&](int h) { return tcpp_epoll_ctl(a.host(), h, op, target, event); });
}

int pd_epoll_wait(void* userdata, int epfd, epoll_event* events, int max_events, int timeout_ms) {
    return with_fd(userdata, epfd,
                   [&](int h) { return tcpp_epoll_wait(self(userdata).host(), h, events, max_events, timeout_ms); });
}

int pd_pipe(void*, int*) {
    errno = ENOSYS;
    return -1;
}

int pd_splice(void*, int, loff_t*, int, loff_t*, size_t, unsigned int) {
    errno = ENOSYS;
    return -1;
}

}  // namespace

void packetdrill_interface_init(const char* flags, packetdrill_interface* ifc) {
    // Called once per script: a fresh host each time.
    auto* adapter = new Adapter(parse_flags(flags));
    *ifc = packetdrill_interface{
        .userdata = adapter,
        .free = pd_free,
        .socket = pd_socket,
        .bind = pd_bind,
        .listen = pd_listen,
        .accept = pd_accept,
        .connect = pd_connect,
        .read = pd_read,
        .readv = pd_readv,
        .recv = pd_recv,
        .recvfrom = pd_recvfrom,
        .recvmsg = pd_recvmsg,
        .write = pd_write,
        .writev = pd_writev,
        .send = pd_send,
        .sendto = pd_sendto,
        .sendmsg = pd_sendmsg,
        .fcntl = pd_fcntl,
        .ioctl = pd_ioctl,
        .close = pd_close,
        .shutdown = pd_shutdown,
        .getsockopt = pd_getsockopt,
        .setsockopt = pd_setsockopt,
        .poll = pd_poll,
        .netdev_send = pd_netdev_send,
        .netdev_receive = pd_netdev_receive,
        .usleep = pd_usleep,
        .gettimeofday = pd_gettimeofday,
        .epoll_create = pd_epoll_create,
        .epoll_ctl = pd_epoll_ctl,
        .epoll_wait = pd_epoll_wait,
        .pipe = pd_pipe,
        .splice = pd_splice,
    };
}
