#include "runtime/event_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace tcpp::runtime {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

[[noreturn]] void fail(const char* what) {
    throw std::system_error(last_error(), what);
}

constexpr std::uint64_t device_tag = 1;
constexpr std::uint64_t timer_tag = 2;
constexpr std::uint64_t signal_tag = 3;

}  // namespace

std::uint64_t monotonic_us() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

EventLoop::EventLoop(Stack& stack, link::Device& device)
    : stack_(stack), device_(device), buffer_(device.max_unit() + 64) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) fail("epoll_create1");
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_ < 0) fail("timerfd_create");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &set, &previous_mask_) != 0) fail("sigprocmask");
    signals_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signals_ < 0) fail("signalfd");
    auto watch = [this](int fd, std::uint64_t tag) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = tag;
        if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) fail("epoll_ctl");
    };
    if (device_.fd() >= 0) watch(device_.fd(), device_tag);
    watch(timer_, timer_tag);
    watch(signals_, signal_tag);
    stack_.poll(monotonic_us());  // the stack's clock is this one from the start: what the user does acts now
}

EventLoop::~EventLoop() {
    for (int fd : {signals_, timer_, epoll_}) {
        if (fd >= 0) ::close(fd);
    }
    // The signals as they were: one still pending (a Ctrl-C after the loop ended) then acts as usual.
    sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
}

std::error_code EventLoop::run(const std::function<bool()>& step, std::uint64_t max_wait_us) {
    for (;;) {
        bool more = false;
        if (std::error_code error = device_.poll(monotonic_us())) return error;  // what a decorator held is due
        if (std::error_code error = take_input(more)) return error;
        stack_.poll(monotonic_us());
        const bool go_on = step();
        if (std::error_code error = flush_output()) return error;
        if (std::error_code error = device_.flush()) return error;  // a batching device: the round's output goes
        if (!go_on) return {};
        if (std::error_code error = wait(more, max_wait_us)) return error;
    }
}

// At most max_batch units a round, so that a flood of input still lets timers and the application run.
std::error_code EventLoop::take_input(bool& more) {
    for (std::size_t n = 0; n < max_batch; ++n) {
        auto size = device_.receive(buffer_);
        if (!size) return size.error();
        if (*size == 0) return device_.flush();
        stack_.receive(wire::Bytes{buffer_.data(), *size}, monotonic_us());
        // What the stack answers goes out as it is made: an ACK is not held back behind the whole batch
        // (a batching device queues it, and sends the batch's answers together at its end).
        if (std::error_code error = flush_output()) return error;
    }
    more = true;
    return device_.flush();
}

std::error_code EventLoop::flush_output() {
    while (auto packet = stack_.next_output()) {
        if (std::error_code error = device_.send(*packet)) return error;
    }
    return {};
}

std::error_code EventLoop::wait(bool more, std::uint64_t max_wait_us) {
    int timeout_ms = 0;
    if (!more) {
        // The stack's deadline on the timer, to the microsecond; epoll's own timeout only bounds the wait.
        itimerspec spec{};
        std::optional<std::uint64_t> deadline = stack_.next_deadline();
        if (auto held = device_.next_deadline(); held && (!deadline || *held < *deadline)) deadline = held;
        if (deadline) {
            const std::uint64_t at = std::max<std::uint64_t>(*deadline, 1);
            spec.it_value.tv_sec = static_cast<time_t>(at / 1'000'000);
            spec.it_value.tv_nsec = static_cast<long>(at % 1'000'000 * 1000);
        }
        if (timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) return last_error();
        timeout_ms = static_cast<int>((max_wait_us + 999) / 1000);
    }
    epoll_event events[3];
    const int ready = epoll_wait(epoll_, events, 3, timeout_ms);
    if (ready < 0) return errno == EINTR ? std::error_code{} : last_error();
    for (int i = 0; i < ready; ++i) {
        if (events[i].data.u64 == timer_tag) {
            std::uint64_t expirations = 0;
            (void)::read(timer_, &expirations, sizeof expirations);
        } else if (events[i].data.u64 == signal_tag) {
            signalfd_siginfo info{};
            while (::read(signals_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                ++(info.ssi_signo == SIGUSR1 ? status_requests_ : interrupts_);
            }
        }
    }
    return {};
}

}  // namespace tcpp::runtime
