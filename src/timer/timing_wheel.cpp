#include "timer/timing_wheel.h"

#include <bit>
#include <cassert>

namespace tcpp::timer {

void TimerList::push_back(Timer& timer) {
    assert(!timer.armed());
    timer.prev_ = head_.prev_;
    timer.next_ = &head_;
    head_.prev_->next_ = &timer;
    head_.prev_ = &timer;
}

Timer& TimerList::pop_front() {
    assert(!empty());
    Timer& timer = *head_.next_;
    timer.unlink();
    return timer;
}

void TimerList::take(TimerList& other) {
    assert(empty());
    if (other.empty()) return;
    head_.next_ = other.head_.next_;
    head_.prev_ = other.head_.prev_;
    head_.next_->prev_ = &head_;
    head_.prev_->next_ = &head_;
    other.head_.prev_ = other.head_.next_ = &other.head_;
}

void TimerList::clear() {
    while (!empty()) pop_front();
}

void TimingWheel::arm(Timer& timer, Tick expiry) {
    timer.unlink();
    if (expiry <= now_) {
        timer.expiry_ = expiry;
        overdue_.push_back(timer);
        return;
    }
    if (expiry - now_ > max_delay) expiry = now_ + max_delay;
    timer.expiry_ = expiry;
    slot_for(expiry).push_back(timer);
}

// Level k holds timers whose expiry is 64^k ticks or more, and less than 64^(k+1) ticks, ahead, filed
// by bits [6k, 6k+6) of the expiry. Such a slot comes due (cascades) when now_ reaches its expiry with
// the lower 6k bits cleared, which is at most 64 slots of that level ahead, so no slot is ever shared by
// two rounds.
TimerList& TimingWheel::slot_for(Tick expiry) {
    Tick delta = expiry - now_;
    unsigned level = 0;
    while (level + 1 < levels && delta >= (Tick{1} << (slot_bits * (level + 1)))) ++level;
    unsigned slot = static_cast<unsigned>((expiry >> (slot_bits * level)) & (slots - 1));
    occupied_[level] |= std::uint64_t{1} << slot;
    return wheel_[level][slot];
}

std::optional<Tick> TimingWheel::next_event() const {
    std::optional<Tick> next;
    for (unsigned level = 0; level < levels; ++level) {
        std::uint64_t occupied = occupied_[level];
        if (occupied == 0) continue;
        unsigned shift = slot_bits * level;
        Tick position = now_ >> shift;  // the slot of now_ at this level, before wrapping
        unsigned current = static_cast<unsigned>(position & (slots - 1));
        // The first occupied slot strictly after the current one, going round: rotate so that the slot
        // after `current` is bit 0.
        std::uint64_t rotated = std::rotr(occupied, static_cast<int>((current + 1) & (slots - 1)));
        unsigned distance = static_cast<unsigned>(std::countr_zero(rotated)) + 1;  // 1..64
        Tick event = (position + distance) << shift;
        if (!next || event < *next) next = event;
    }
    return next;
}

std::optional<Tick> TimingWheel::next_deadline() const {
    if (!overdue_.empty()) return now_;
    return next_event();
}

void TimingWheel::cascade() {
    // Find the highest level whose boundary now_ is on; cascade from there down, so a timer can fall
    // through several levels in one go.
    for (unsigned level = levels - 1; level >= 1; --level) {
        unsigned shift = slot_bits * level;
        if ((now_ & ((Tick{1} << shift) - 1)) != 0) continue;
        unsigned slot = static_cast<unsigned>((now_ >> shift) & (slots - 1));
        std::uint64_t bit = std::uint64_t{1} << slot;
        if ((occupied_[level] & bit) == 0) continue;
        occupied_[level] &= ~bit;
        TimerList moving;
        moving.take(wheel_[level][slot]);
        while (!moving.empty()) {
            Timer& timer = moving.pop_front();
            if (timer.expiry_ <= now_) {
                overdue_.push_back(timer);  // cannot happen with exact filing, but never lose a timer
            } else {
                slot_for(timer.expiry_).push_back(timer);
            }
        }
    }
}

}  // namespace tcpp::timer
