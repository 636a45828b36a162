#pragma once
// A hierarchical timing wheel (Varghese and Lauck, 1987): arm, cancel and expire in O(1), however many
// timers are armed. Time is counted in ticks (the stack uses microseconds) and timers fire exactly at
// their tick, never early and never late: a timer far in the future waits in a coarse level and moves
// down one level at a time as its tick nears ("cascading"), at most once per level.
//
// Timers are intrusive: the owner embeds a Timer, so arming allocates nothing. A Timer unlinks itself
// when destroyed. The wheel is not thread-safe; one wheel belongs to one stack.

#include <array>
#include <cstdint>
#include <optional>

namespace tcpp::timer {

using Tick = std::uint64_t;

class Timer {
public:
    Timer() = default;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer() { unlink(); }

    bool armed() const { return next_ != nullptr; }
    // The tick at which the timer fires; meaningful while armed.
    Tick expiry() const { return expiry_; }

private:
    friend class TimingWheel;
    friend class TimerList;

    void unlink() {
        if (next_ == nullptr) return;
        prev_->next_ = next_;
        next_->prev_ = prev_;
        prev_ = next_ = nullptr;
    }

    Timer* prev_ = nullptr;
    Timer* next_ = nullptr;
    Tick expiry_ = 0;
};

// A circular doubly-linked list of timers around a sentinel node.
class TimerList {
public:
    TimerList() { head_.prev_ = head_.next_ = &head_; }
    TimerList(const TimerList&) = delete;
    TimerList& operator=(const TimerList&) = delete;
    ~TimerList() { clear(); }

    bool empty() const { return head_.next_ == &head_; }
    void push_back(Timer& timer);
    Timer& pop_front();
    // Moves every timer of `other` to this (empty) list.
    void take(TimerList& other);
    void clear();

private:
    Timer head_;
};

class TimingWheel {
public:
    static constexpr unsigned slot_bits = 6;
    static constexpr unsigned slots = 1u << slot_bits;  // per level
    static constexpr unsigned levels = 7;               // 64^7 ticks: 50 days of microseconds
    static constexpr Tick max_delay = (Tick{1} << (slot_bits * levels)) - 1;

    explicit TimingWheel(Tick now = 0) : now_(now) {}
    TimingWheel(const TimingWheel&) = delete;
    TimingWheel& operator=(const TimingWheel&) = delete;

    Tick now() const { return now_; }

    // Arms (or re-arms) the timer to fire at `expiry`. An expiry at or before now() fires at the next
    // advance(); one more than max_delay ahead is held to now() + max_delay.
    void arm(Timer& timer, Tick expiry);
    void cancel(Timer& timer) { timer.unlink(); }

    // Moves the wheel's time to `now` (never backwards) and calls on_expire(timer) for each timer whose
    // expiry is at or before it, in order of expiry. A fired timer is disarmed before its callback, which
    // may arm or cancel any timer, the fired one included.
    template <class OnExpire>
    void advance(Tick now, OnExpire&& on_expire);

    // The earliest tick at which advance() has work to do: the exact expiry of the next timer when it is
    // less than 64 ticks away, otherwise possibly an earlier tick at which timers move between levels.
    // Nothing when no timer is armed.
    std::optional<Tick> next_deadline() const;

private:
    // Where a timer expiring at `expiry` belongs, seen from now_.
    TimerList& slot_for(Tick expiry);
    // The next tick after now_ at which a slot fires or cascades, if any.
    std::optional<Tick> next_event() const;
    // Re-files the timers of the slots that come due at now_ (which must be a multiple of 64 for a
    // cascade of level 1, of 64^2 for level 2, and so on), highest level first.
    void cascade();
    void fire_list(TimerList& due, auto& on_expire);

    Tick now_;
    TimerList overdue_;  // armed at or before now_: fire at the next advance
    std::array<std::array<TimerList, slots>, levels> wheel_;
    std::array<std::uint64_t, levels> occupied_{};  // bit s set: slot s may hold timers (cleared lazily)
};

template <class OnExpire>
void TimingWheel::advance(Tick now, OnExpire&& on_expire) {
    if (now < now_) now = now_;
    fire_list(overdue_, on_expire);
    // Called again at the same time (a stack's every packet is), there is nothing more to do: every
    // timer armed since for now_ or before went to overdue_, any other expires later.
    if (now == now_) return;
    while (auto event = next_event()) {
        if (*event > now) break;
        now_ = *event;
        cascade();
        unsigned slot = static_cast<unsigned>(now_ & (slots - 1));
        occupied_[0] &= ~(std::uint64_t{1} << slot);
        fire_list(wheel_[0][slot], on_expire);
        fire_list(overdue_, on_expire);  // callbacks may arm timers for now_
    }
    now_ = now;
}

void TimingWheel::fire_list(TimerList& due, auto& on_expire) {
    if (due.empty()) return;
    TimerList firing;
    firing.take(due);
    while (!firing.empty()) on_expire(firing.pop_front());
}

}  // namespace tcpp::timer
