#include "runtime/reactor.h"

#include <exception>
#include <utility>

namespace tcpp::runtime {

// The frame that runs a spawned task: it registers with the reactor before it starts and leaves when its
// frame goes, whether the task finished (the frame then destroys itself) or the reactor destroyed it.
struct SpawnedPromise;
struct Spawned {
    using promise_type = SpawnedPromise;
    std::coroutine_handle<SpawnedPromise> handle;
};

struct SpawnedPromise {
    Reactor* reactor = nullptr;
    Spawned get_return_object() noexcept { return {std::coroutine_handle<SpawnedPromise>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
    ~SpawnedPromise() {
        if (reactor != nullptr) {
            reactor->spawned_.erase(std::coroutine_handle<SpawnedPromise>::from_promise(*this).address());
        }
    }
};

namespace {

Spawned run_spawned(Task<> task) { co_await task; }

}  // namespace

Reactor::Reactor(Stack& stack) : stack_(stack) { stack_.set_readiness_observer(this); }

Reactor::~Reactor() {
    // One at a time: destroying a frame may finish others' business (its AsyncConnection closes), but never
    // resumes a coroutine, so the set changes only by the frame that goes.
    while (!spawned_.empty()) std::coroutine_handle<>::from_address(*spawned_.begin()).destroy();
    stack_.set_readiness_observer(nullptr);
}

void Reactor::spawn(Task<> task) {
    Spawned spawned = run_spawned(std::move(task));
    spawned.handle.promise().reactor = this;
    spawned_.insert(spawned.handle.address());
    spawned.handle.resume();  // may finish here, and the frame go with it
}

void Reactor::set_callback(const Connection& connection, std::shared_ptr<ConnectionCallback> ConnectionWatch::*which,
                           ConnectionCallback callback) {
    if (!callback) {
        if (auto found = connections_.find(connection.id()); found != connections_.end()) {
            found->second.*which = nullptr;
            erase_if_unused(connection.id());
        }
        return;
    }
    connections_[connection.id()].*which = std::make_shared<ConnectionCallback>(std::move(callback));
}

void Reactor::on_readable(const Connection& connection, ConnectionCallback callback) {
    set_callback(connection, &ConnectionWatch::readable, std::move(callback));
}

void Reactor::on_writable(const Connection& connection, ConnectionCallback callback) {
    set_callback(connection, &ConnectionWatch::writable, std::move(callback));
}

void Reactor::on_opened(const Connection& connection, ConnectionCallback callback) {
    set_callback(connection, &ConnectionWatch::opened, std::move(callback));
}

void Reactor::on_accept(const Listener& listener, ListenerCallback callback) {
    if (!callback) {
        if (auto found = listeners_.find(listener.id()); found != listeners_.end()) {
            found->second.accept = nullptr;
            if (found->second.unused()) listeners_.erase(found);
        }
        return;
    }
    listeners_[listener.id()].accept = std::make_shared<ListenerCallback>(std::move(callback));
}

// Waiters stay (a coroutine still waiting is woken by nothing more, but is no dangling pointer): the
// entry goes once they have.
void Reactor::forget(const Connection& connection) {
    auto found = connections_.find(connection.id());
    if (found == connections_.end()) return;
    found->second.readable = found->second.writable = found->second.opened = nullptr;
    erase_if_unused(connection.id());
}

void Reactor::forget(const Listener& listener) {
    auto found = listeners_.find(listener.id());
    if (found == listeners_.end()) return;
    found->second.accept = nullptr;
    if (found->second.unused()) listeners_.erase(found);
}

void Reactor::erase_if_unused(std::uint64_t id) {
    auto found = connections_.find(id);
    if (found != connections_.end() && found->second.unused()) connections_.erase(found);
}

void Reactor::wait(Waiter& waiter, const Connection& connection, WaitFor what) {
    ConnectionWatch& watch = connections_[connection.id()];
    WaitList& list = what == WaitFor::readable ? watch.readers : what == WaitFor::writable ? watch.writers : watch.openers;
    list.push_back(waiter);
}

void Reactor::wait_accept(Waiter& waiter, const Listener& listener) {
    listeners_[listener.id()].accepters.push_back(waiter);
}

void Reactor::wake(WaitList& list) {
    // First every call is tried (none resumes anything, so `list` stays valid), then the coroutines whose
    // call completed run; any of them may end the watch that `list` belongs to.
    WaitList done;
    WaitList still;
    while (Waiter* waiter = list.pop_front()) (waiter->try_complete() ? done : still).push_back(*waiter);
    while (Waiter* waiter = still.pop_front()) list.push_back(*waiter);
    while (Waiter* waiter = done.pop_front()) waiter->coroutine.resume();
}

void Reactor::connection_ready(Connection connection, std::uint8_t became) {
    const std::uint64_t id = connection.id();
    // Each kind in turn, looked up afresh: what ran for the one before may have forgotten the connection.
    auto run = [&](std::uint8_t bit, WaitList ConnectionWatch::*waiters,
                   std::shared_ptr<ConnectionCallback> ConnectionWatch::*callback) {
        if ((became & bit) == 0) return;
        auto found = connections_.find(id);
        if (found == connections_.end()) return;
        std::shared_ptr<ConnectionCallback> call = found->second.*callback;  // lives through its own forget()
        wake(found->second.*waiters);
        if (call) (*call)(connection);
    };
    run(Readiness::readable, &ConnectionWatch::readers, &ConnectionWatch::readable);
    run(Readiness::writable, &ConnectionWatch::writers, &ConnectionWatch::writable);
    run(Readiness::opened, &ConnectionWatch::openers, &ConnectionWatch::opened);
    erase_if_unused(id);
}

void Reactor::listener_ready(Listener listener) {
    auto found = listeners_.find(listener.id());
    if (found == listeners_.end()) return;
    std::shared_ptr<ListenerCallback> call = found->second.accept;
    wake(found->second.accepters);
    if (call) (*call)(listener);
    found = listeners_.find(listener.id());
    if (found != listeners_.end() && found->second.unused()) listeners_.erase(found);
}

}  // namespace tcpp::runtime
