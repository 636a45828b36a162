#pragma once
// The public API: a Stack that owns one IPv4 address and its TCP connections, and the Listener and
// Connection handles a user holds. Sans-I/O: the stack takes packets and the time, and gives back packets
// and the next instant it wants to be polled. User calls act at the time of the last receive() or poll().
//
//   tcpp::Stack server{{.address = Ipv4Address{10, 0, 0, 2}, .name = "server"}};
//   auto listener = server.listen({Ipv4Address{}, 80}, 128);   // LISTEN
//   ... server.receive(packet, now); server.poll(now); while (auto p = server.next_output()) send(*p);
//   auto connection = listener->accept();                       // ESTABLISHED, named by its four-tuple

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "common/expected.h"
#include "ip/reassembly_config.h"
#include "tcp/config.h"
#include "tcp/connection_info.h"
#include "tcp/counters.h"
#include "tcp/four_tuple.h"
#include "tcp/siphash.h"
#include "tcp/state.h"
#include "tcpp/trace.h"
#include "wire/address.h"
#include "wire/bytes.h"

namespace tcpp {

using tcp::Endpoint;
using tcp::FourTuple;
using tcp::State;
using wire::Ipv4Address;

class Stack;
class Connection;
class Listener;

template <class T>
using Result = Expected<T, std::error_code>;

struct StackConfig {
    Ipv4Address address{};
    std::string name = "tcpp";        // the node's name in traces
    std::uint16_t mtu = 1500;
    tcp::TcpConfig tcp{};
    // The key of the stack's keyed hashes: initial sequence numbers (RFC 6528) and its connection tables.
    // Unset, it is drawn from the operating system's random source; set it only to replay a run exactly.
    std::optional<tcp::SipKey> secret{};
    std::uint16_t ephemeral_first = 32768;  // Linux's net.ipv4.ip_local_port_range
    std::uint16_t ephemeral_last = 60999;
    // IPv4 fragment reassembly: its memory budget, the datagrams in progress at once, and their timeout.
    ip::ReassemblyConfig reassembly{};
};

// What a connection can be ready for, as bits (see ReadinessObserver).
struct Readiness {
    static constexpr std::uint8_t readable = 1;  // receive() would not say EAGAIN: data, end of stream or an error
    static constexpr std::uint8_t writable = 2;  // send() would take a byte or report an error
    static constexpr std::uint8_t opened = 4;    // the opening handshake is over: ESTABLISHED (or later), or failed
};

// Told which listeners and connections became ready, so that a driver need not look at every one of them
// (src/runtime/reactor.h turns this into callbacks and coroutine resumptions). Edge-triggered: a bit is
// reported when its condition becomes true after the user last found it false (receive() or accept()
// said EAGAIN or emptied what waited, send() filled the buffer) or was never reported; so, as with
// epoll's EPOLLET, read until EAGAIN before waiting again. Reported only for handles the user holds: a
// connection just accepted may already be readable, so try it first. A listener is reported when its
// accept queue goes from empty to not empty.
//
// The stack queues what it finds while it handles a packet or a timer and calls the observer when the
// receive() or poll() that found it returns, so the observer may call anything on the stack (user calls
// acting at that time; receive() and poll() too, though their events then wait for the outer call to
// finish delivering). Events that user calls make wait for the next receive() or poll(). A handle
// released by an earlier callback of the same delivery is not reported.
class ReadinessObserver {
public:
    // `became`: the Readiness bits that became true.
    virtual void connection_ready(Connection connection, std::uint8_t became) = 0;
    virtual void listener_ready(Listener listener) = 0;

protected:
    ReadinessObserver() = default;
    ~ReadinessObserver() = default;
};

struct ListenOptions {
    bool reuse_address = false;  // SO_REUSEADDR: listen even while connections on the port remain
    // What accepted connections start with; unset, the stack's defaults (StackConfig::tcp.defaults).
    std::optional<tcp::ConnectionOptions> connection{};
};

class Listener {
public:
    Listener() = default;

    // The next completed connection, ESTABLISHED (or already failed: its calls then report why), or
    // EAGAIN when the accept queue is empty; EBADF for a closed listener.
    Result<Connection> accept();
    // Leaves LISTEN; connections not yet accepted are reset.
    void close();

    bool valid() const;
    // Names this listener among the stack's for as long as it is open (for tables keyed by listener);
    // never 0, which an empty handle has.
    std::uint64_t id() const { return stack_ ? (std::uint64_t{generation_} + 1) << 32 | index_ : 0; }
    Endpoint local() const;
    std::size_t accept_queue_size() const;
    std::size_t syn_queue_size() const;

private:
    friend class Stack;
    Listener(Stack* stack, std::uint32_t index, std::uint32_t generation)
        : stack_(stack), index_(index), generation_(generation) {}

    Stack* stack_ = nullptr;
    std::uint32_t index_ = 0;
    std::uint32_t generation_ = 0;
};

class Connection {
public:
    Connection() = default;

    // Queues bytes to send; how many fitted (0 with EAGAIN when the buffer is full).
    Result<std::size_t> send(wire::Bytes data);
    // Takes received bytes; 0 at end of stream; EAGAIN when nothing has arrived yet.
    Result<std::size_t> receive(wire::MutableBytes out);
    // As receive(), but leaves the bytes to be received again (MSG_PEEK).
    Result<std::size_t> peek(wire::MutableBytes out) const;
    // shutdown(SHUT_WR): our FIN after the queued data; we can still receive.
    std::error_code shutdown();
    // Releases the handle. Graceful (FIN, and TIME_WAIT if we close first) unless data was left unread
    // (RST, RFC 2525 2.17) or linger is {on, 0} (RST, no TIME_WAIT). With linger {on, t}, the close waits
    // up to t for the peer to acknowledge the data and the FIN: until then the handle stays valid and
    // lingering() is true; then it is released, and the close goes on without it (as on Linux).
    void close();
    // Releases the handle with an RST.
    void abort();

    bool valid() const;
    // Names this connection among the stack's for as long as it lives (for tables keyed by connection);
    // never 0, which an empty handle has.
    std::uint64_t id() const { return stack_ ? (std::uint64_t{generation_} + 1) << 32 | index_ : 0; }
    bool lingering() const;
    State state() const;
    FourTuple tuple() const;
    // Why the connection failed (ECONNREFUSED, ECONNRESET, ETIMEDOUT), if it did.
    std::error_code error() const;
    bool readable() const;
    bool writable() const;
    std::size_t bytes_unread() const;
    std::size_t bytes_unacknowledged() const;
    // The connection's options (socket options): linger, MSL, buffer sizes. EBADF for a released handle.
    tcp::ConnectionOptions options() const;
    // Per-connection figures in the manner of Linux's TCP_INFO. EBADF for a released handle.
    Result<tcp::ConnectionInfo> info() const;
    std::error_code set_options(const tcp::ConnectionOptions& options);
    std::error_code set_linger(tcp::Linger linger);

private:
    friend class Stack;
    friend class Listener;
    Connection(Stack* stack, std::uint32_t index, std::uint32_t generation)
        : stack_(stack), index_(index), generation_(generation) {}

    Stack* stack_ = nullptr;
    std::uint32_t index_ = 0;
    std::uint32_t generation_ = 0;
};

class Stack {
public:
    explicit Stack(StackConfig config);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    // --- Sans-I/O ---
    // One IPv4 packet arrived at now_us.
    void receive(wire::Bytes packet, std::uint64_t now_us);
    // Runs the timers due by now_us.
    void poll(std::uint64_t now_us);
    // When poll() next has work; nothing when no timer runs.
    std::optional<std::uint64_t> next_deadline() const;
    // The next IPv4 packet to send, valid until the next call on the stack; nothing when none waits.
    std::optional<wire::Bytes> next_output();
    // The packet next_output() would return, left in place (valid until the next call on the stack).
    std::optional<wire::Bytes> peek_output() const;
    // A hint that `packet` will soon be given to receive(): the memory its connection lookup reads starts
    // loading now, and the keyed hash of its four-tuple is kept for receive() (the last two are). A driver
    // that knows the next packet calls it before handing over the current one, so that the load overlaps
    // that work. Changes nothing else; any packet, even malformed, may be given.
    void prefetch(wire::Bytes packet);

    // --- Opening ---
    // Passive open on local (address 0.0.0.0: any of ours). EADDRINUSE if taken, EINVAL for a bad
    // backlog or port.
    Result<Listener> listen(Endpoint local, int backlog, const ListenOptions& options = {});
    // Active open. The local endpoint defaults to our address and an ephemeral port. EADDRINUSE when the
    // four-tuple is taken (TIME_WAIT included), EADDRNOTAVAIL when no ephemeral port is free.
    Result<Connection> connect(Endpoint remote, std::optional<Endpoint> local = {},
                               const tcp::ConnectionOptions* options = nullptr);

    // --- Introspection ---
    const StackConfig& config() const;
    const tcp::Counters& counters() const;
    std::uint64_t now_us() const;
    std::size_t connection_count() const;  // TCBs, in any state
    std::size_t time_wait_count() const;   // compact TIME_WAIT entries
    // Every listener, connection and TIME_WAIT entry, as `ss -tan` lists them: listeners first, then the
    // connections, then TIME_WAIT. For tools; it walks every table, so not for the packet path.
    void for_each_socket(const std::function<void(const tcp::ConnectionInfo&)>& visit) const;
    // The TIME_WAIT entry for a four-tuple, if any: when it expires.
    std::optional<std::uint64_t> time_wait_expiry(const FourTuple& tuple) const;
    void set_trace(TraceSink* sink);
    // Who is told of readiness (see ReadinessObserver); nullptr, the default, stops it. With none, a
    // segment pays two tests of one pointer for it (here and where it reaches its connection), and a send
    // or receive one. Setting one looks at every connection once.
    void set_readiness_observer(ReadinessObserver* observer);

private:
    friend class Listener;
    friend class Connection;
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tcpp
