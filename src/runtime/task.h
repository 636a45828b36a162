#pragma once
// Task<T>: a C++20 coroutine that computes a T (or nothing, Task<>), started when it is first awaited.
// Awaiting one runs it at once and resumes the awaiter when it finishes, by symmetric transfer (the
// finishing task hands control straight to its awaiter, so long chains of tasks do not grow the machine
// stack). The Task object owns the coroutine's frame: destroying it, finished or suspended, destroys the
// frame and everything in it (the awaitables it waits on unlink themselves). A top-level task is given to
// a Reactor (Reactor::spawn), which owns it until it finishes.
//
//   Task<std::size_t> count(AsyncConnection& c) { ... co_return n; }
//   Task<> user(AsyncConnection c) { std::size_t n = co_await count(c); ... }

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace tcpp::runtime {

template <class T = void>
class Task;

namespace detail {

struct PromiseBase {
    // Who awaits the task: resumed when it finishes. Nothing (a no-op) until it is awaited.
    std::coroutine_handle<> continuation = std::noop_coroutine();
    std::exception_ptr exception;

    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class Promise>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> finished) noexcept {
            return finished.promise().continuation;  // symmetric transfer to the awaiter
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }
    void rethrow_if_failed() const {
        if (exception) std::rethrow_exception(exception);
    }
};

template <class T>
struct Promise : PromiseBase {
    std::optional<T> value;
    Task<T> get_return_object() noexcept;
    template <class U>
    void return_value(U&& result) {
        value.emplace(std::forward<U>(result));
    }
    T take() {
        rethrow_if_failed();
        return std::move(*value);
    }
};

template <>
struct Promise<void> : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void take() const { rethrow_if_failed(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::Promise<T>;
    using Handle = std::coroutine_handle<promise_type>;

    Task() = default;
    explicit Task(Handle handle) : handle_(handle) {}
    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { destroy(); }

    bool valid() const { return static_cast<bool>(handle_); }
    bool done() const { return handle_ && handle_.done(); }

    struct Awaiter {
        Handle handle;
        bool await_ready() const noexcept {
            assert(handle && "co_await of an empty Task (moved from, or default-made)");
            return !handle || handle.done();
        }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
            handle.promise().continuation = awaiting;
            return handle;  // symmetric transfer: the task runs now
        }
        T await_resume() { return handle.promise().take(); }
    };
    Awaiter operator co_await() & noexcept { return Awaiter{handle_}; }
    Awaiter operator co_await() && noexcept { return Awaiter{handle_}; }

private:
    void destroy() {
        if (handle_) std::exchange(handle_, {}).destroy();
    }
    Handle handle_;
};

namespace detail {

template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>{std::coroutine_handle<Promise<T>>::from_promise(*this)};
}

inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>{std::coroutine_handle<Promise<void>>::from_promise(*this)};
}

}  // namespace detail

}  // namespace tcpp::runtime
