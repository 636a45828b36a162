#include "sockets.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace linux_bench {

void fail_errno(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

in_addr loopback(std::uint32_t host) {
    in_addr address{};
    address.s_addr = htonl(0x7f000000u | host);
    return address;
}

int listen_on(int backlog, std::uint16_t& port_out) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail_errno("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr = loopback(1);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail_errno("bind 127.0.0.1");
    if (listen(fd, backlog) != 0) fail_errno("listen");
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail_errno("getsockname");
    port_out = ntohs(address.sin_port);
    return fd;
}

int connect_from(std::uint32_t client, std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail_errno("socket");
    int one = 1;
    if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0) fail_errno("IP_BIND_ADDRESS_NO_PORT");
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr = loopback(2 + client);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) fail_errno("bind client");
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_addr = loopback(1);
    remote.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 && errno != EINPROGRESS) {
        int saved = errno;
        close(fd);
        errno = saved;
        fail_errno("connect");
    }
    return fd;
}

void set_nonblocking(int fd, bool on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) != 0) fail_errno("fcntl");
}

void set_no_delay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) fail_errno("TCP_NODELAY");
}

bool wait_for(int fd, short events, int timeout_ms) {
    pollfd entry{fd, events, 0};
    return poll(&entry, 1, timeout_ms) > 0;
}

std::uint64_t kernel_slab_bytes() {
    std::ifstream meminfo{"/proc/meminfo"};
    std::string key;
    std::uint64_t value = 0;
    std::string unit;
    while (meminfo >> key >> value) {
        std::getline(meminfo, unit);
        if (key == "Slab:") return value * 1024;
    }
    return 0;
}

namespace {

// The line of /proc/slabinfo for a cache: name active_objs num_objs objsize ...
bool slab_line(const std::string& cache, std::uint64_t& active, std::uint64_t& size) {
    std::ifstream slabinfo{"/proc/slabinfo"};
    std::string line;
    while (std::getline(slabinfo, line)) {
        std::istringstream fields{line};
        std::string name;
        std::uint64_t total = 0;
        if (fields >> name >> active >> total >> size && name == cache) return true;
    }
    return false;
}

}  // namespace

std::int64_t slab_cache_bytes(const std::string& cache) {
    std::uint64_t active = 0, size = 0;
    if (!slab_line(cache, active, size)) return -1;
    return static_cast<std::int64_t>(active * size);
}

std::uint64_t slab_object_size(const std::string& cache) {
    std::uint64_t active = 0, size = 0;
    return slab_line(cache, active, size) ? size : 0;
}

std::uint64_t kernel_time_wait_count() {
    std::ifstream sockstat{"/proc/net/sockstat"};
    std::string line;
    while (std::getline(sockstat, line)) {
        if (line.rfind("TCP:", 0) != 0) continue;
        std::istringstream fields{line.substr(4)};
        std::string key;
        std::uint64_t value = 0;
        while (fields >> key >> value) {
            if (key == "tw") return value;
        }
    }
    return 0;
}

}  // namespace linux_bench
