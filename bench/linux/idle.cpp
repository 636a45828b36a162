// idle: N established connections on loopback, then all closed client first so the clients hold
// TIME_WAIT. A socket's memory is mostly the kernel's, which the process RSS does not show: each state is
// measured as the process RSS delta plus the kernel's slab delta (/proc/meminfo Slab), and TIME_WAIT also
// by its own slab cache (tw_sock_TCP objects in /proc/slabinfo).

#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/memory.h"
#include "bench/stopwatch.h"
#include "sockets.h"
#include "workloads.h"

namespace linux_bench {
namespace {

constexpr std::size_t batch = 1000;

struct Snapshot {
    std::uint64_t rss = 0;
    std::uint64_t slab = 0;
    std::int64_t time_wait_objects = 0;  // tw_sock_TCP: active objects * size
    std::int64_t tcp_objects = 0;        // TCP: the sockets themselves
};

Snapshot snapshot() {
    // Freed sockets go back to their slabs after an RCU grace period: let it pass.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    tcpp::bench::release_free_memory();
    return {tcpp::bench::resident_bytes(), kernel_slab_bytes(), slab_cache_bytes("tw_sock_TCP"), slab_cache_bytes("TCP")};
}

double per(double after, double before, std::uint64_t count) { return (after - before) / static_cast<double>(count); }

}  // namespace

void run_idle(std::uint64_t n, std::size_t clients, const Limits& limits) {
    std::uint16_t port = 0;
    int listener = listen_on(4096, port);
    std::vector<int> client_ends(n, -1), server_ends(n, -1);
    const std::uint64_t time_wait_before = kernel_time_wait_count();
    const Snapshot before = snapshot();

    tcpp::bench::Stopwatch watch;
    for (std::uint64_t first = 0; first < n; first += batch) {
        const std::uint64_t end = std::min<std::uint64_t>(n, first + batch);
        for (std::uint64_t i = first; i < end; ++i) client_ends[i] = connect_from(static_cast<std::uint32_t>(i % clients), port);
        for (std::uint64_t i = first; i < end;) {
            int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                server_ends[i++] = fd;
                continue;
            }
            if (errno != EAGAIN) fail_errno("accept");
            if (!wait_for(listener, POLLIN, 1000) || watch.seconds() > limits.max_wall_seconds) {
                throw std::runtime_error(fmt::format("idle: {} connections accepted, then no more", i));
            }
        }
    }
    const double connect_seconds = watch.seconds();
    const Snapshot established = snapshot();

    tcpp::bench::Stopwatch closing;
    char byte = 0;
    for (std::uint64_t first = 0; first < n; first += batch) {
        const std::uint64_t end = std::min<std::uint64_t>(n, first + batch);
        for (std::uint64_t i = first; i < end; ++i) close(client_ends[i]);
        // Each server end closes once it has read end of stream, so the client holds TIME_WAIT. The
        // batches were accepted in the order they connected, a batch at a time: a batch's server ends
        // are the same connections as its client ends.
        for (std::uint64_t i = first; i < end; ++i) {
            for (;;) {
                ssize_t got = recv(server_ends[i], &byte, 1, MSG_DONTWAIT);
                if (got == 0) break;
                if (got < 0 && errno != EAGAIN) fail_errno("recv");
                if (got > 0) throw std::runtime_error("idle: data on an idle connection");
                if (!wait_for(server_ends[i], POLLIN, 1000) || closing.seconds() > limits.max_wall_seconds) {
                    throw std::runtime_error("idle: no end of stream");
                }
            }
            close(server_ends[i]);
        }
    }
    const double close_seconds = closing.seconds();
    const Snapshot time_wait = snapshot();
    const std::uint64_t time_waits = kernel_time_wait_count() - std::min(kernel_time_wait_count(), time_wait_before);
    close(listener);

    const double rss_established = per(static_cast<double>(established.rss), static_cast<double>(before.rss), 2 * n);
    const double slab_established = per(static_cast<double>(established.slab), static_cast<double>(before.slab), 2 * n);
    const double rss_time_wait = per(static_cast<double>(time_wait.rss), static_cast<double>(before.rss), n);
    const double slab_time_wait = per(static_cast<double>(time_wait.slab), static_cast<double>(before.slab), n);
    const double tw_objects = before.time_wait_objects < 0 ? -1
        : per(static_cast<double>(time_wait.time_wait_objects), static_cast<double>(before.time_wait_objects), n);
    const double tcp_objects = before.tcp_objects < 0 ? -1
        : per(static_cast<double>(established.tcp_objects), static_cast<double>(before.tcp_objects), 2 * n);
    fmt::print("{{\"stack\": \"linux\", \"mode\": \"idle\", \"connections\": {}, \"rss_bytes\": {}, "
               "\"bytes_per_established\": {:.1f}, \"bytes_per_time_wait\": {:.1f}, "
               "\"rss_per_established\": {:.1f}, \"slab_per_established\": {:.1f}, \"tcp_sock_per_established\": {:.1f}, "
               "\"rss_per_time_wait\": {:.1f}, \"slab_per_time_wait\": {:.1f}, \"tw_sock_per_time_wait\": {:.1f}, "
               "\"tcp_object_size\": {}, \"tw_object_size\": {}, \"time_wait_entries\": {}, \"clients\": {}, "
               "\"connect_seconds\": {:.6f}, \"close_seconds\": {:.6f}}}\n",
               n, established.rss, rss_established + slab_established, tw_objects >= 0 ? tw_objects : slab_time_wait,
               rss_established, slab_established, tcp_objects, rss_time_wait, slab_time_wait, tw_objects,
               slab_object_size("TCP"), slab_object_size("tw_sock_TCP"), time_waits, clients, connect_seconds,
               close_seconds);
}

}  // namespace linux_bench
