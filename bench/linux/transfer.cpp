// transfer: one connection on loopback, N bytes client -> server; the same payload and SHA-256 check
// as `tcpp bench transfer`, and the receiver's hashing time left out of the goodput the same way.

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/payload.h"
#include "bench/sha256.h"
#include "bench/stopwatch.h"
#include "sockets.h"
#include "workloads.h"

namespace linux_bench {

using tcpp::bench::Payload;
using tcpp::bench::Sha256;
using tcpp::bench::Stopwatch;

void run_transfer(std::uint64_t bytes, const Limits& limits) {
    const Payload payload;
    Sha256 sent_hash;
    for (std::uint64_t offset = 0; offset < bytes;) {
        auto chunk = payload.at(offset, static_cast<std::size_t>(std::min<std::uint64_t>(bytes - offset, 1 << 20)));
        sent_hash.update(chunk);
        offset += chunk.size();
    }
    const auto expected = sent_hash.finish();

    std::uint16_t port = 0;
    int listener = listen_on(16, port);
    Stopwatch watch;
    int client = connect_from(0, port);
    if (!wait_for(listener, POLLIN, 5000)) throw std::runtime_error("transfer: no connection to accept");
    int server = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (server < 0) fail_errno("accept");
    if (!wait_for(client, POLLOUT, 5000)) throw std::runtime_error("transfer: connect did not complete");

    Sha256 received_hash;
    std::vector<std::byte> buffer(256 * 1024);
    std::uint64_t sent = 0, received = 0;
    double hash_seconds = 0;
    bool shut = false, end_of_stream = false;
    while (!end_of_stream) {
        bool progress = false;
        while (sent < bytes) {
            auto chunk = payload.at(sent, static_cast<std::size_t>(std::min<std::uint64_t>(bytes - sent, 1 << 20)));
            ssize_t n = send(client, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN) break;
                fail_errno("send");
            }
            sent += static_cast<std::uint64_t>(n);
            progress = true;
        }
        if (sent == bytes && !shut) {
            shutdown(client, SHUT_WR);
            shut = true;
        }
        for (;;) {
            ssize_t n = recv(server, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EAGAIN) break;
                fail_errno("recv");
            }
            if (n == 0) {
                end_of_stream = true;
                break;
            }
            Stopwatch hashing;
            received_hash.update(tcpp::wire::Bytes{buffer}.first(static_cast<std::size_t>(n)));
            hash_seconds += hashing.seconds();
            received += static_cast<std::uint64_t>(n);
            progress = true;
        }
        if (!progress) wait_for(server, POLLIN, 10);
        if (watch.seconds() > limits.max_wall_seconds) throw std::runtime_error("transfer: over the wall time limit");
    }
    const double wall = watch.seconds();
    close(client);
    close(server);
    close(listener);
    const auto digest = received_hash.finish();
    const bool intact = received == bytes && digest == expected;
    const double stack_seconds = wall - hash_seconds;
    fmt::print("{{\"stack\": \"linux\", \"mode\": \"transfer\", \"bytes\": {}, \"goodput_gbps\": {:.3f}, \"intact\": {}, "
               "\"wall_seconds\": {:.6f}, \"hash_seconds\": {:.6f}, \"sha256\": \"{}\"}}\n",
               bytes, 8.0 * static_cast<double>(received) / stack_seconds / 1e9, intact, wall, hash_seconds,
               Sha256::hex(digest));
    if (!intact) throw std::runtime_error("transfer: what arrived is not what was sent");
}

}  // namespace linux_bench
