#pragma once
// Plain sockets on loopback for the Linux side of the comparison, and what the kernel's memory looks
// like from /proc.

#include <cstdint>
#include <string>

#include <netinet/in.h>

namespace linux_bench {

// 127.0.0.1 is the server; clients are 127.0.0.2, 127.0.0.3, ... (all of 127/8 is loopback).
in_addr loopback(std::uint32_t host);
// A listening socket on 127.0.0.1, non-blocking; its port through port_out. Throws on failure.
int listen_on(int backlog, std::uint16_t& port_out);
// A non-blocking socket from client address 127.0.0.(2 + client), an ephemeral port chosen at connect
// (IP_BIND_ADDRESS_NO_PORT), connecting to 127.0.0.1:port. Throws on failure (EINPROGRESS is success).
int connect_from(std::uint32_t client, std::uint16_t port);
void set_nonblocking(int fd, bool on);
void set_no_delay(int fd);
// Waits up to timeout_ms for fd to be readable (events = POLLIN) or writable (POLLOUT).
bool wait_for(int fd, short events, int timeout_ms);
[[noreturn]] void fail_errno(const std::string& what);

// /proc/meminfo "Slab:" in bytes: all of the kernel's slab caches.
std::uint64_t kernel_slab_bytes();
// active objects * object size of one cache in /proc/slabinfo (root only); -1 if it cannot be read.
std::int64_t slab_cache_bytes(const std::string& cache);
// Object size of a cache in /proc/slabinfo; 0 if unknown.
std::uint64_t slab_object_size(const std::string& cache);
// TIME_WAIT sockets now (/proc/net/sockstat "tw").
std::uint64_t kernel_time_wait_count();

}  // namespace linux_bench
