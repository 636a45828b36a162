// rr: one connection on loopback, a 1-byte request and a 1-byte response, over and over. Blocking
// sockets: on loopback each send has reached the peer's queue by the time it returns.

#include <stdexcept>

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench/stopwatch.h"
#include "sockets.h"
#include "workloads.h"

namespace linux_bench {

void run_round_trips(std::uint64_t round_trips, const Limits& limits) {
    std::uint16_t port = 0;
    int listener = listen_on(16, port);
    int client = connect_from(0, port);
    if (!wait_for(listener, POLLIN, 5000)) throw std::runtime_error("rr: no connection to accept");
    int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (server < 0) fail_errno("accept");
    if (!wait_for(client, POLLOUT, 5000)) throw std::runtime_error("rr: connect did not complete");
    set_nonblocking(client, false);
    timeval timeout{5, 0};  // bounded: a lost byte would end the run, not hang it
    for (int fd : {client, server}) {
        set_no_delay(fd);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    char byte = 'x';
    tcpp::bench::Stopwatch watch;
    std::uint64_t done = 0;
    for (; done < round_trips; ++done) {
        if (send(client, &byte, 1, MSG_NOSIGNAL) != 1) fail_errno("send request");
        if (recv(server, &byte, 1, 0) != 1) fail_errno("recv request");
        if (send(server, &byte, 1, MSG_NOSIGNAL) != 1) fail_errno("send response");
        if (recv(client, &byte, 1, 0) != 1) fail_errno("recv response");
        if ((done & 1023) == 0 && watch.seconds() > limits.max_wall_seconds) throw std::runtime_error("rr: over the wall time limit");
    }
    const double wall = watch.seconds();
    close(client);
    close(server);
    close(listener);
    fmt::print("{{\"stack\": \"linux\", \"mode\": \"rr\", \"round_trips\": {}, \"round_trips_per_s\": {:.1f}, "
               "\"wall_seconds\": {:.6f}, \"mean_us\": {:.4f}}}\n",
               done, static_cast<double>(done) / wall, wall, wall * 1e6 / static_cast<double>(done));
}

}  // namespace linux_bench
