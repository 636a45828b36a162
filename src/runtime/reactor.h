#pragma once
// The Reactor: a stack's readiness (tcpp::ReadinessObserver) turned into callbacks and coroutine
// resumptions, with no look at connections that are not ready. It works under any driver of the stack —
// the EventLoop on a real device, the SimNetwork on a virtual clock — because the stack itself calls it,
// when the receive() or poll() that found something ready returns.
//
//   runtime::Reactor reactor{stack};
//   reactor.on_readable(connection, [](Connection c) { /* receive() until EAGAIN */ });
//   reactor.on_accept(listener, [](Listener l) { /* accept() until EAGAIN */ });
//
// Callbacks are edge-triggered as the stack's readiness is (EPOLLET): one runs when its condition becomes
// true after the connection was last found not ready, so a callback reads (accepts, writes) until EAGAIN.
// Registering calls nothing, even if the condition holds already (a connection just accepted may have
// data): try the call first. Callbacks may call anything, on the stack and on the reactor. A connection's
// callbacks last until forget() (which the coroutine layer's AsyncConnection calls when it closes).
//
// For coroutines (runtime/async.h) it keeps the waiting awaitables, in lists with no allocation, and owns
// the spawned tasks: destroying the Reactor destroys the tasks still suspended, and their frames with them.

#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "runtime/task.h"
#include "tcpp/stack.h"

namespace tcpp::runtime {

class Reactor;

// A place in a WaitList.
struct WaitLink {
    WaitLink* previous = nullptr;
    WaitLink* next = nullptr;
    bool linked() const { return previous != nullptr; }
    void unlink() {
        if (!linked()) return;
        previous->next = next;
        next->previous = previous;
        previous = next = nullptr;
    }
};

// A suspended coroutine waiting for a call that said EAGAIN: an awaitable, in the coroutine's frame. When
// what it waits for becomes ready the reactor calls try_complete() and resumes the coroutine only if the
// call completed (a result or an error); otherwise it keeps waiting. Unlinks itself when destroyed, so a
// coroutine destroyed while it waits leaves nothing behind.
class Waiter : public WaitLink {
public:
    Waiter() = default;
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;

    // Tries the call again; true when it completed.
    virtual bool try_complete() = 0;
    std::coroutine_handle<> coroutine;

protected:
    ~Waiter() { unlink(); }
};

// Waiters, in the order they came; a circle through `head`.
class WaitList {
public:
    WaitList() { head_.previous = head_.next = &head_; }
    WaitList(const WaitList&) = delete;
    WaitList& operator=(const WaitList&) = delete;
    ~WaitList() {
        while (!empty()) head_.next->unlink();
    }

    bool empty() const { return head_.next == &head_; }
    void push_back(Waiter& waiter) {
        waiter.unlink();
        waiter.previous = head_.previous;
        waiter.next = &head_;
        head_.previous->next = &waiter;
        head_.previous = &waiter;
    }
    Waiter* pop_front() {
        if (empty()) return nullptr;
        auto* waiter = static_cast<Waiter*>(head_.next);
        waiter->unlink();
        return waiter;
    }

private:
    WaitLink head_;
};

enum class WaitFor : std::uint8_t { readable, writable, opened };

class Reactor final : private ReadinessObserver {
public:
    using ConnectionCallback = std::function<void(Connection)>;
    using ListenerCallback = std::function<void(Listener)>;

    // Becomes the stack's readiness observer (a stack has one: one Reactor, or one AsyncStack, per stack);
    // the stack must outlive the reactor.
    explicit Reactor(Stack& stack);
    // Destroys the spawned tasks that have not finished (suspended ones: their frames go, and what they
    // hold, as an AsyncConnection, closes), then stops observing the stack.
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    Stack& stack() { return stack_; }

    // --- Callbacks (an empty function removes one) ---
    // Each time the connection becomes readable: data, end of stream, or an error (reset, timed out).
    void on_readable(const Connection& connection, ConnectionCallback callback);
    // Each time it becomes writable: room in the send buffer, or an error.
    void on_writable(const Connection& connection, ConnectionCallback callback);
    // When its opening handshake is over: ESTABLISHED, or failed (connection.error() says why).
    void on_opened(const Connection& connection, ConnectionCallback callback);
    // Each time the accept queue goes from empty to holding a connection.
    void on_accept(const Listener& listener, ListenerCallback callback);
    // Drops the callbacks of a connection or listener (call it before or after closing one).
    void forget(const Connection& connection);
    void forget(const Listener& listener);

    // --- Coroutines ---
    // Starts a task now (it runs until it first waits) and owns it until it finishes. An exception that
    // escapes a spawned task ends the program, as one escaping a thread does.
    void spawn(Task<> task);
    // Spawned tasks not yet finished.
    std::size_t tasks() const { return spawned_.size(); }
    // For awaitables: wait for a connection (or, for accept, a listener) to become ready.
    void wait(Waiter& waiter, const Connection& connection, WaitFor what);
    void wait_accept(Waiter& waiter, const Listener& listener);

    // Connections and listeners with callbacks or waiters (for tests: forgotten ones are gone).
    std::size_t watched() const { return connections_.size() + listeners_.size(); }

private:
    struct ConnectionWatch {
        WaitList readers, writers, openers;
        std::shared_ptr<ConnectionCallback> readable, writable, opened;
        bool unused() const {
            return readers.empty() && writers.empty() && openers.empty() && !readable && !writable && !opened;
        }
    };
    struct ListenerWatch {
        WaitList accepters;
        std::shared_ptr<ListenerCallback> accept;
        bool unused() const { return accepters.empty() && !accept; }
    };

    void connection_ready(Connection connection, std::uint8_t became) override;
    void listener_ready(Listener listener) override;
    // Takes the waiters whose call now completes out of `list`, then resumes them (in that order).
    static void wake(WaitList& list);
    void set_callback(const Connection& connection, std::shared_ptr<ConnectionCallback> ConnectionWatch::*which,
                      ConnectionCallback callback);
    void erase_if_unused(std::uint64_t id);

    Stack& stack_;
    // By Connection::id() and Listener::id(): O(1) from an event to what waits for it. Node-based, so the
    // wait lists in them never move.
    std::unordered_map<std::uint64_t, ConnectionWatch> connections_;
    std::unordered_map<std::uint64_t, ListenerWatch> listeners_;
    std::unordered_set<void*> spawned_;  // frames of spawned tasks not yet finished
    friend struct SpawnedPromise;
};

}  // namespace tcpp::runtime
