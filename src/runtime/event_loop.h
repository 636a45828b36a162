#pragma once
// The event loop: one Stack driven over one link Device on the real monotonic clock. It waits (epoll) for
// the device's descriptor, for a timer (timerfd) set to the stack's next deadline, and for SIGINT and
// SIGTERM (signalfd); then it feeds the stack what arrived, runs its timers, lets the application act, and
// hands the device what the stack queued. The stack itself stays sans-I/O: this is its only driver on a
// real link, as the simulated network is on a virtual one.

#include <signal.h>

#include <cstdint>
#include <functional>
#include <system_error>
#include <vector>

#include "link/device.h"
#include "tcpp/stack.h"

namespace tcpp::runtime {

// CLOCK_MONOTONIC, in microseconds.
std::uint64_t monotonic_us();

class EventLoop {
public:
    // Signals: SIGINT, SIGTERM and SIGUSR1 are blocked in this thread and read from a descriptor, so that
    // a Ctrl-C is an event of the loop (interrupted()) rather than the end of the process.
    EventLoop(Stack& stack, link::Device& device);
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Runs rounds until `step` returns false: each round takes what the device has (at most
    // max_batch units before the next round), runs the stack's due timers, calls `step` (where the
    // application accepts, reads, writes and closes), and sends what the stack queued; then it waits for
    // the next input, the stack's next deadline, a signal, or at most max_wait_us. A signal sets
    // interrupted() and the loop goes on: `step` decides what a Ctrl-C means. Returns the error of a failed
    // system call (a device that went away), or nothing.
    std::error_code run(const std::function<bool()>& step, std::uint64_t max_wait_us = 1'000'000);

    // SIGINT or SIGTERM has arrived (how many times: a second Ctrl-C may mean "now").
    unsigned interrupted() const { return interrupts_; }
    // SIGUSR1s received: a request to show the state (serve lists its connections).
    unsigned status_requests() const { return status_requests_; }
    std::uint64_t now_us() const { return monotonic_us(); }

    static constexpr std::size_t max_batch = 64;

private:
    std::error_code take_input(bool& more);
    std::error_code flush_output();
    std::error_code wait(bool more, std::uint64_t max_wait_us);

    Stack& stack_;
    link::Device& device_;
    int epoll_ = -1;
    int timer_ = -1;
    int signals_ = -1;
    unsigned interrupts_ = 0;
    unsigned status_requests_ = 0;
    sigset_t previous_mask_{};
    std::vector<std::byte> buffer_;
};

}  // namespace tcpp::runtime
