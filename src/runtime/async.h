#pragma once
// C++20 coroutines over a stack: code that reads straight, on the same non-blocking calls.
//
//   runtime::AsyncStack stack{raw_stack};                     // raw_stack driven by an EventLoop or a SimNetwork
//   Task<> echo(AsyncConnection connection) {
//       std::array<std::byte, 4096> buffer;
//       for (;;) {
//           auto n = co_await connection.read(buffer);        // some bytes; 0 at end of stream; or the error
//           if (!n || *n == 0) break;
//           auto written = co_await connection.write({buffer.data(), *n});  // all of them
//           if (!written) break;
//       }
//   }                                                         // the connection closes as it goes out of scope
//   Task<> serve(AsyncListener listener) {
//       for (;;) {
//           auto connection = co_await listener.accept();
//           if (connection) listener.reactor().spawn(echo(std::move(*connection)));
//       }
//   }
//   auto connection = co_await stack.connect({server, 7});    // ESTABLISHED, or ECONNREFUSED, ETIMEDOUT ...
//
// Name an awaited result before testing it: g++ 12.2 (Debian 12) mis-compiled `if (co_await x) f();`
// here (the coroutine never went on past it), where `auto r = co_await x; if (r) f();` is right.
//
// Each awaitable first makes its call; only when it says EAGAIN does the coroutine suspend, and it is
// resumed when the stack reports the connection ready and the call, made again, completes. Errors are
// std::error_code values with errno meanings, as the calls give them. Destroying a suspended coroutine
// (its Task, or the Reactor that owns it) is safe at any point: awaitables unlink themselves, and an
// AsyncConnection or AsyncListener going out of scope closes its connection or listener.

#include <optional>
#include <system_error>
#include <utility>

#include "runtime/reactor.h"
#include "runtime/task.h"
#include "tcpp/stack.h"

namespace tcpp::runtime {

class AsyncConnection;

namespace detail {

// An awaitable that makes its call at once and waits only if it must.
template <class Result>
class Attempt : public Waiter {
public:
    bool await_ready() { return try_complete(); }
    void await_suspend(std::coroutine_handle<> awaiting) {
        coroutine = awaiting;
        start_waiting();
    }
    Result await_resume() { return std::move(*result_); }

protected:
    virtual void start_waiting() = 0;
    std::optional<Result> result_;
};

bool would_block(std::error_code error);

}  // namespace detail

// co_await connection.read(buffer): some bytes (at most the buffer), 0 at end of stream, or the error.
class ReadAwaiter final : public detail::Attempt<Result<std::size_t>> {
public:
    ReadAwaiter(Reactor& reactor, Connection connection, wire::MutableBytes buffer)
        : reactor_(reactor), connection_(connection), buffer_(buffer) {}
    bool try_complete() override;

private:
    void start_waiting() override { reactor_.wait(*this, connection_, WaitFor::readable); }
    Reactor& reactor_;
    Connection connection_;
    wire::MutableBytes buffer_;
};

// co_await connection.write(bytes): every byte queued to send (its count), or the error; waits while the
// send buffer is full.
class WriteAwaiter final : public detail::Attempt<Result<std::size_t>> {
public:
    WriteAwaiter(Reactor& reactor, Connection connection, wire::Bytes bytes)
        : reactor_(reactor), connection_(connection), bytes_(bytes) {}
    bool try_complete() override;

private:
    void start_waiting() override { reactor_.wait(*this, connection_, WaitFor::writable); }
    Reactor& reactor_;
    Connection connection_;
    wire::Bytes bytes_;
    std::size_t written_ = 0;
};

// A connection for coroutines: its handle and the reactor that wakes it. Move-only; closes (gracefully,
// as Connection::close()) when it goes out of scope, unless closed before.
class AsyncConnection {
public:
    AsyncConnection() = default;
    AsyncConnection(Reactor& reactor, Connection connection) : reactor_(&reactor), connection_(connection) {}
    AsyncConnection(AsyncConnection&& other) noexcept
        : reactor_(std::exchange(other.reactor_, nullptr)), connection_(std::exchange(other.connection_, {})) {}
    AsyncConnection& operator=(AsyncConnection&& other) noexcept;
    AsyncConnection(const AsyncConnection&) = delete;
    AsyncConnection& operator=(const AsyncConnection&) = delete;
    ~AsyncConnection() { close(); }

    [[nodiscard]] ReadAwaiter read(wire::MutableBytes buffer) { return {*reactor_, connection_, buffer}; }
    [[nodiscard]] WriteAwaiter write(wire::Bytes bytes) { return {*reactor_, connection_, bytes}; }
    // Our FIN after what is queued; we go on reading to the peer's end of stream.
    std::error_code shutdown() { return connection_.shutdown(); }
    // Connection::close() (FIN, or RST with unread data or linger {on, 0}), and its callbacks forgotten.
    void close();
    // An RST.
    void abort();

    // The handle itself: state(), error(), info(), options ...
    Connection& connection() { return connection_; }
    const Connection& connection() const { return connection_; }
    Reactor& reactor() { return *reactor_; }

private:
    Reactor* reactor_ = nullptr;
    Connection connection_;
};

// co_await listener.accept(): the next connection, or the error (EBADF once the listener is closed).
class AcceptAwaiter final : public detail::Attempt<Result<AsyncConnection>> {
public:
    AcceptAwaiter(Reactor& reactor, Listener listener) : reactor_(reactor), listener_(listener) {}
    bool try_complete() override;

private:
    void start_waiting() override { reactor_.wait_accept(*this, listener_); }
    Reactor& reactor_;
    Listener listener_;
};

// A listener for coroutines. Move-only; closes when it goes out of scope.
class AsyncListener {
public:
    AsyncListener() = default;
    AsyncListener(Reactor& reactor, Listener listener) : reactor_(&reactor), listener_(listener) {}
    AsyncListener(AsyncListener&& other) noexcept
        : reactor_(std::exchange(other.reactor_, nullptr)), listener_(std::exchange(other.listener_, {})) {}
    AsyncListener& operator=(AsyncListener&& other) noexcept;
    AsyncListener(const AsyncListener&) = delete;
    AsyncListener& operator=(const AsyncListener&) = delete;
    ~AsyncListener() { close(); }

    [[nodiscard]] AcceptAwaiter accept() { return {*reactor_, listener_}; }
    void close();

    Listener& listener() { return listener_; }
    Reactor& reactor() { return *reactor_; }

private:
    Reactor* reactor_ = nullptr;
    Listener listener_;
};

// co_await stack.connect(remote): the connection once ESTABLISHED, or why it failed (ECONNREFUSED,
// ETIMEDOUT, EHOSTUNREACH ..., or connect()'s own EADDRNOTAVAIL ...).
class ConnectAwaiter final : public detail::Attempt<Result<AsyncConnection>> {
public:
    ConnectAwaiter(Reactor& reactor, Result<Connection> opening) : reactor_(reactor), opening_(std::move(opening)) {}
    // Destroyed before the attempt completed (its coroutine destroyed while it waited): nobody will ever
    // hold the connection, so it is aborted rather than left to the stack.
    ~ConnectAwaiter() {
        if (!result_ && opening_ && opening_->valid()) opening_->abort();
    }
    bool try_complete() override;

private:
    void start_waiting() override { reactor_.wait(*this, *opening_, WaitFor::opened); }
    Reactor& reactor_;
    Result<Connection> opening_;
};

// A stack for coroutines: its Reactor, and the calls that open connections.
class AsyncStack {
public:
    explicit AsyncStack(Stack& stack) : reactor_(stack) {}

    Result<AsyncListener> listen(Endpoint local, int backlog, const ListenOptions& options = {});
    [[nodiscard]] ConnectAwaiter connect(Endpoint remote, std::optional<Endpoint> local = {},
                                         const tcp::ConnectionOptions* options = nullptr) {
        return {reactor_, reactor_.stack().connect(remote, local, options)};
    }
    // Runs a task; the reactor owns it until it finishes (Reactor::spawn).
    void spawn(Task<> task) { reactor_.spawn(std::move(task)); }

    Stack& stack() { return reactor_.stack(); }
    Reactor& reactor() { return reactor_; }

private:
    Reactor reactor_;
};

}  // namespace tcpp::runtime
