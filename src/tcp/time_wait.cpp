#include "tcp/time_wait.h"

#include <bit>
#include <cassert>
#include <stdexcept>
#include <utility>

#include "tcp/config.h"

namespace tcpp::tcp {

TimeWaitAction classify(const TimeWaitState& state, const wire::TcpSegment& segment) {
    const wire::TcpFlags flags = segment.flags;
    if (flags.rst_set()) return TimeWaitAction::ignore;
    // RFC 6191 without timestamps (and Linux): a SYN whose number is beyond everything the old
    // incarnation used cannot be an old duplicate, so a listener may take it.
    if (flags.syn_set() && !flags.ack_set()) {
        return segment.seq > state.rcv_nxt ? TimeWaitAction::new_connection : TimeWaitAction::ack;
    }
    if (flags.fin_set() && segment.seq + segment.sequence_length() == state.rcv_nxt) {
        return TimeWaitAction::ack_and_restart;
    }
    // A bare ACK at RCV.NXT is what the other end of a simultaneous close (itself in TIME_WAIT) sends:
    // answering it would start an endless exchange of ACKs. RFC 9293 3.10.7.4 expects only a FIN here.
    if (segment.sequence_length() == 0 && segment.seq == state.rcv_nxt) return TimeWaitAction::ignore;
    return TimeWaitAction::ack;
}

namespace {

// Never early: an expiry inside a millisecond is kept as the end of that millisecond.
std::uint64_t ceil_ms(std::uint64_t us) { return us / 1000 + (us % 1000 != 0 ? 1 : 0); }

// The ACK stamp: the millisecond modulo stamp_period_ms, plus one (0 is never). Its age is exact while
// the stamp is younger than the period, which it always is: an entry lives at most max_delay_ms past its
// last (re)start, and a restart clears a stamp older than the interval.
constexpr std::uint32_t ack_interval_ms = out_of_window_ack_interval_us / 1000;
constexpr std::uint64_t stamp_period_ms = (std::uint64_t{1} << 24) - 1;
static_assert(TimeWaitTable::max_delay_ms + ack_interval_ms < stamp_period_ms);

std::uint32_t ack_stamp(const TimeWaitState& state) { return state.ack_stamp_high << 16 | state.ack_stamp_low; }
void set_ack_stamp(TimeWaitState& state, std::uint32_t stamp) {
    state.ack_stamp_high = stamp >> 16;
    state.ack_stamp_low = stamp & 0xffff;
}
std::uint64_t stamp_age_ms(std::uint32_t stamp, std::uint64_t now_us) {
    return (now_us / 1000 % stamp_period_ms + 1 + stamp_period_ms - stamp) % stamp_period_ms;
}

bool same_tuple(const PackedTuple& a, const PackedTuple& b) {
    return a.local_address == b.local_address && a.remote_address == b.remote_address &&
           a.local_port == b.local_port && a.remote_port == b.remote_port;
}

}  // namespace

TimeWaitTable::TimeWaitTable(const SipKey& key) : hash_{key} {
    for (unsigned k = 0; k < heads_.size(); ++k) heads_[k] = {head_id(k), head_id(k)};
}

// ---------------------------------------------------------------------------------------------------------
// The interface

const TimeWaitEntry* TimeWaitTable::find(const FourTuple& tuple, std::uint64_t h) const {
    if (size_ == 0) return nullptr;
    const std::uint32_t number = lookup(PackedTuple::pack(tuple), h);
    return number == none ? nullptr : &entry(number);
}

const TimeWaitEntry* TimeWaitTable::find(const FourTuple& tuple) const {
    return size_ == 0 ? nullptr : find(tuple, hash_(tuple));
}

TimeWaitEntry* TimeWaitTable::find(const FourTuple& tuple, std::uint64_t h) {
    return const_cast<TimeWaitEntry*>(std::as_const(*this).find(tuple, h));
}

TimeWaitEntry* TimeWaitTable::find(const FourTuple& tuple) {
    return const_cast<TimeWaitEntry*>(std::as_const(*this).find(tuple));
}

TimeWaitEntry& TimeWaitTable::insert(const TimeWaitState& state, std::uint64_t expiry_us) {
    return insert(state, expiry_us, hash(state.packed));
}

TimeWaitEntry& TimeWaitTable::insert(const TimeWaitState& state, std::uint64_t expiry_us, std::uint64_t h) {
    assert(h == hash(state.packed));
    const std::uint32_t number = lookup(state.packed, h);
    if (number == none) return insert_new(state, expiry_us, h);
    entry(number).state = state;
    unlink(number);
    arm(number, ceil_ms(expiry_us));
    return entry(number);
}

TimeWaitEntry& TimeWaitTable::insert_new(const TimeWaitState& state, std::uint64_t expiry_us, std::uint64_t h) {
    assert(h == hash(state.packed) && lookup(state.packed, h) == none);
    if (size_ + std::size_t{1} > max_entries(capacity_)) {
        if (capacity_ == max_capacity) throw std::length_error("TIME_WAIT table full");
        const std::uint64_t grown = capacity_ < min_capacity ? min_capacity : capacity_ + capacity_ / 2;
        rebuild(static_cast<std::uint32_t>(std::min<std::uint64_t>(grown, max_capacity)));
    }
    const std::uint32_t number = append_entry(state);
    index_insert(h, number);
    arm(number, ceil_ms(expiry_us));
    return entry(number);
}

void TimeWaitTable::restart(TimeWaitEntry& e, std::uint64_t now_us) {
    const std::uint32_t number = number_of(e);
    unlink(number);
    arm(number, ceil_ms(now_us + std::uint64_t{e.state.duration_ms} * 1000));
    // A stamp older than the interval says no more than none, and none cannot be misread after a wrap.
    if (ack_stamp(e.state) != 0 && stamp_age_ms(ack_stamp(e.state), now_us) >= ack_interval_ms) {
        set_ack_stamp(e.state, 0);
    }
}

bool TimeWaitTable::may_ack_bare(TimeWaitEntry& e, std::uint64_t now_us) {
    const std::uint32_t stamp = ack_stamp(e.state);
    if (stamp != 0 && stamp_age_ms(stamp, now_us) < ack_interval_ms) return false;
    set_ack_stamp(e.state, static_cast<std::uint32_t>(now_us / 1000 % stamp_period_ms) + 1);
    return true;
}

void TimeWaitTable::erase(const FourTuple& tuple) {
    const PackedTuple packed = PackedTuple::pack(tuple);
    const std::uint32_t position =
        probe(hash(packed), [&](std::uint32_t number) { return same_tuple(entry(number).state.packed, packed); });
    if (position == none) return;
    const std::uint32_t number = slot_number(index_[position]);
    index_erase(position);
    unlink(number);
    remove_entry(number);
}

std::optional<std::uint64_t> TimeWaitTable::next_deadline() const {
    if (size_ == 0) return std::nullopt;
    if (!list_empty(overdue_head)) return now_ms_ * 1000;
    const std::optional<std::uint64_t> event = next_event();
    if (!event) return std::nullopt;
    return *event * 1000;
}

std::size_t TimeWaitTable::memory_bytes() const {
    return chunks_.size() * chunk_entries * sizeof(TimeWaitEntry) +
           chunks_.capacity() * sizeof(std::unique_ptr<TimeWaitEntry[]>) + std::size_t{capacity_} * sizeof(std::uint32_t);
}

// ---------------------------------------------------------------------------------------------------------
// Dense entries

std::uint32_t TimeWaitTable::append_entry(const TimeWaitState& state) {
    if (size_ == chunks_.size() * chunk_entries) chunks_.push_back(std::make_unique<TimeWaitEntry[]>(chunk_entries));
    const std::uint32_t number = size_++;
    entry(number).state = state;
    return number;
}

void TimeWaitTable::remove_entry(std::uint32_t number) {
    const std::uint32_t last = size_ - 1;
    if (number != last) {
        // The last entry fills the hole: its list neighbours and its index slot learn its new number.
        const std::uint32_t position = position_of(last);
        TimeWaitEntry& moved = entry(number);
        moved = entry(last);
        links(moved.links_.prev).next = number;
        links(moved.links_.next).prev = number;
        index_[position] = (index_[position] & ~number_mask_) | (number + 1);
    }
    size_ = last;
    release_chunks();
    maybe_shrink();
}

// Keeps one empty chunk beyond those in use, so that a table going up and down across a chunk boundary
// does not allocate each time.
void TimeWaitTable::release_chunks() {
    const std::size_t in_use = (std::size_t{size_} + chunk_entries - 1) / chunk_entries;
    while (chunks_.size() > in_use + 1) chunks_.pop_back();
    if (chunks_.capacity() > 4 * chunks_.size() + 16) chunks_.shrink_to_fit();
}

// ---------------------------------------------------------------------------------------------------------
// The hash index

std::uint32_t TimeWaitTable::true_distance(std::uint32_t slot, std::uint32_t position) const {
    const std::uint32_t distance = slot_distance(slot);
    if (distance < saturated) return distance;
    const std::uint32_t start = home(hash(entry(slot_number(slot)).state.packed));
    return position >= start ? position - start : position + capacity_ - start;
}

// Robin Hood order: along a probe, slots hold entries at least as far from home as the probe is, until
// the key's own ones; a slot nearer its home than the probe is to the key's means the key is absent. An
// entry at a saturated distance may be one of the key's (its true distance is not in the slot), so it is
// compared.
template <class Matches>
std::uint32_t TimeWaitTable::probe(std::uint64_t h, Matches&& matches) const {
    if (capacity_ == 0) return none;
    const std::uint32_t wanted_tag = tag(h);
    std::uint32_t position = home(h);
    for (std::uint32_t distance = 0;; ++distance) {
        const std::uint32_t slot = index_[position];
        if (slot == 0) return none;
        const std::uint32_t here = slot_distance(slot);
        const std::uint32_t mine = std::min(distance, saturated);
        if (here < mine) return none;
        if (here == mine && (slot & tag_mask_) == wanted_tag && matches(slot_number(slot))) return position;
        position = next_position(position);
    }
}

std::uint32_t TimeWaitTable::lookup(const PackedTuple& packed, std::uint64_t h) const {
    const std::uint32_t position =
        probe(h, [&](std::uint32_t number) { return same_tuple(entry(number).state.packed, packed); });
    return position == none ? none : slot_number(index_[position]);
}

std::uint32_t TimeWaitTable::position_of(std::uint32_t number) const {
    const std::uint32_t position =
        probe(hash(entry(number).state.packed), [&](std::uint32_t found) { return found == number; });
    assert(position != none);
    return position;
}

void TimeWaitTable::index_insert(std::uint64_t h, std::uint32_t number) {
    index_place(home(h), tag(h) | (number + 1));
}

// Robin Hood insertion of a slot (tag and number, no distance yet) that belongs at `position`.
void TimeWaitTable::index_place(std::uint32_t position, std::uint32_t carried) {
    std::uint32_t distance = 0;
    for (;;) {
        const std::uint32_t slot = index_[position];
        if (slot == 0) {
            index_[position] = with_distance(carried, distance);
            return;
        }
        std::uint32_t here = slot_distance(slot);
        if (here == saturated && distance >= saturated) here = true_distance(slot, position);
        if (here < distance) {  // the richer entry gives up its slot, and goes on probing
            index_[position] = with_distance(carried, distance);
            carried = slot;
            distance = here;
        }
        position = next_position(position);
        ++distance;
    }
}

// Backward shift: the entries after the hole that are not at home move back one slot.
void TimeWaitTable::index_erase(std::uint32_t position) {
    for (;;) {
        const std::uint32_t next = next_position(position);
        const std::uint32_t slot = index_[next];
        if (slot == 0 || slot_distance(slot) == 0) {
            index_[position] = 0;
            return;
        }
        index_[position] = with_distance(slot, true_distance(slot, next) - 1);
        position = next;
    }
}

// Every entry is filed again: a large index in the order of the entries' homes, so that its writes go
// along the new index (in entry order each would miss the cache: the homes are random).
void TimeWaitTable::rebuild(std::uint32_t capacity) {
    index_.reset();
    index_ = std::make_unique<std::uint32_t[]>(capacity);
    capacity_ = capacity;
    index_bits_ = static_cast<unsigned>(std::bit_width(max_entries(capacity)));
    number_mask_ = (std::uint32_t{1} << index_bits_) - 1;
    tag_mask_ = static_cast<std::uint32_t>(~((std::uint64_t{1} << (index_bits_ + distance_bits)) - 1));
    if (size_ < sorted_rebuild_entries) {
        for (std::uint32_t number = 0; number < size_; ++number) index_insert(hash(entry(number).state.packed), number);
        return;
    }
    // Each entry as the 32 bits of its hash that choose its home, above its slot (tag and number): sorted
    // by the top 16 of the 32 (two radix passes of 8 bits), the homes come in order to within
    // capacity / 2^16 slots, a few cache lines.
    std::vector<std::uint64_t> keys(size_), sorted(size_);
    for (std::uint32_t number = 0; number < size_; ++number) {
        const std::uint64_t h = hash(entry(number).state.packed);
        keys[number] = (h >> 32) << 32 | tag(h) | (number + 1);
    }
    for (const unsigned shift : {48u, 56u}) {
        std::array<std::uint32_t, 257> start{};
        for (const std::uint64_t key : keys) ++start[((key >> shift) & 0xff) + 1];
        for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
        for (const std::uint64_t key : keys) sorted[start[(key >> shift) & 0xff]++] = key;
        keys.swap(sorted);
    }
    for (const std::uint64_t key : keys) index_place(home(key), static_cast<std::uint32_t>(key));
}

void TimeWaitTable::maybe_shrink() {
    if (capacity_ > min_capacity && size_ < capacity_ / 4) rebuild(std::max(min_capacity, 2 * size_));
}

// ---------------------------------------------------------------------------------------------------------
// The timing wheel

void TimeWaitTable::push_back(unsigned head, std::uint32_t number) {
    Links& list = heads_[head];
    Links& e = entry(number).links_;
    e.prev = list.prev;
    e.next = head_id(head);
    links(list.prev).next = number;
    list.prev = number;
}

void TimeWaitTable::unlink(std::uint32_t number) {
    const Links e = entry(number).links_;
    links(e.prev).next = e.next;
    links(e.next).prev = e.prev;
}

void TimeWaitTable::splice_back(unsigned to, unsigned from) {
    if (list_empty(from)) return;
    Links& source = heads_[from];
    Links& target = heads_[to];
    const std::uint32_t first = source.next, last = source.prev;
    links(target.prev).next = first;
    links(first).prev = target.prev;
    links(last).next = head_id(to);
    target.prev = last;
    source = {head_id(from), head_id(from)};
}

// Level k holds the entries 64^k ms or more, and less than 64^(k+1) ms, ahead, filed by bits [6k, 6k+6) of
// their expiry. Such a slot comes due (cascades) when now_ms_ reaches the expiry with its low 6k bits
// cleared, which is at most 64 slots of that level ahead, so a slot never holds two rounds.
void TimeWaitTable::arm(std::uint32_t number, std::uint64_t expiry_ms) {
    TimeWaitEntry& e = entry(number);
    if (expiry_ms <= now_ms_) {
        e.expiry_ms_ = static_cast<std::uint32_t>(expiry_ms);
        push_back(overdue_head, number);
        return;
    }
    if (expiry_ms - now_ms_ > max_delay_ms) expiry_ms = now_ms_ + max_delay_ms;
    e.expiry_ms_ = static_cast<std::uint32_t>(expiry_ms);
    const auto level = static_cast<unsigned>((std::bit_width(expiry_ms - now_ms_) - 1) / slot_bits);
    const auto slot = static_cast<unsigned>((expiry_ms >> (slot_bits * level)) & (slots - 1));
    occupied_[level] |= std::uint64_t{1} << slot;
    push_back(level * slots + slot, number);
}

std::optional<std::uint64_t> TimeWaitTable::next_event() const {
    std::optional<std::uint64_t> next;
    for (unsigned level = 0; level < levels; ++level) {
        const std::uint64_t occupied = occupied_[level];
        if (occupied == 0) continue;
        const unsigned shift = slot_bits * level;
        const std::uint64_t position = now_ms_ >> shift;
        // Rotated so that bit 0 is the slot after now's: the first set bit is the next slot due.
        const std::uint64_t ahead = std::rotr(occupied, static_cast<int>((position + 1) & (slots - 1)));
        const std::uint64_t event = (position + 1 + static_cast<unsigned>(std::countr_zero(ahead))) << shift;
        if (!next || event < *next) next = event;
    }
    return next;
}

// At a boundary of level k, the slot of that level that comes due is filed again, lower down (or as
// overdue, if due now). Highest level first, so that an entry may fall through several levels at once.
void TimeWaitTable::cascade() {
    for (unsigned level = levels - 1; level >= 1; --level) {
        const unsigned shift = slot_bits * level;
        if ((now_ms_ & ((std::uint64_t{1} << shift) - 1)) != 0) continue;
        const auto slot = static_cast<unsigned>((now_ms_ >> shift) & (slots - 1));
        const std::uint64_t bit = std::uint64_t{1} << slot;
        if ((occupied_[level] & bit) == 0) continue;
        occupied_[level] &= ~bit;
        splice_back(moving_head, level * slots + slot);
        while (!list_empty(moving_head)) {
            const std::uint32_t number = heads_[moving_head].next;
            unlink(number);
            arm(number, absolute_ms(entry(number).expiry_ms_));
        }
    }
}

bool TimeWaitTable::pop_expired(std::uint64_t now_us, FourTuple& tuple) {
    const std::uint64_t target = now_us / 1000;  // entries expiring by the start of this millisecond
    for (;;) {
        if (!list_empty(overdue_head)) {
            const std::uint32_t number = heads_[overdue_head].next;
            unlink(number);
            tuple = entry(number).state.tuple();
            index_erase(position_of(number));
            remove_entry(number);
            return true;
        }
        // As at the last call's millisecond: what was due then has gone, and an entry armed since for
        // now_ms_ or before went to the overdue list; the wheel holds only later ones.
        if (target <= now_ms_) return false;
        if (size_ == 0) occupied_ = {};  // what is left are stale bits of emptied slots
        const std::optional<std::uint64_t> event = next_event();
        if (!event || *event > target) {
            now_ms_ = std::max(now_ms_, target);
            return false;
        }
        now_ms_ = *event;
        cascade();
        const auto slot = static_cast<unsigned>(now_ms_ & (slots - 1));
        const std::uint64_t bit = std::uint64_t{1} << slot;
        if ((occupied_[0] & bit) != 0) {
            occupied_[0] &= ~bit;
            splice_back(overdue_head, slot);
        }
    }
}

}  // namespace tcpp::tcp
