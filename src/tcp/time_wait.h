#pragma once
// TIME_WAIT kept compact (RFC 9293 3.6.1, RFC 1337, RFC 6191): once the user has let go of a connection
// in TIME_WAIT, its TCB is freed and this entry holds only what is needed for 2*MSL: the four-tuple, the
// numbers to re-acknowledge a retransmitted FIN, and the expiry.
//
// The table costs under 64 bytes an entry, everything included, and does no allocation per entry:
// - the entries are dense, numbered 0..size()-1, in chunks of 1024 (48 KiB): an erase moves the last
//   entry into the hole, so the chunks stay full and the last ones are freed as the table shrinks;
// - a Robin Hood hash index of 32-bit slots (entry number, probe distance, a few bits of the hash), keyed
//   with the stack's SipHash, at most 7/8 full and grown by half, so 4.6 to 6.9 bytes an entry as the table
//   grows (it shrinks to half full when under a quarter);
// - the expiry: a hierarchical timing wheel of millisecond ticks whose lists are linked by entry number
//   inside the entries, so arming, restarting and expiring are O(1) like the stack's own TimingWheel.
// An entry expires on the first millisecond at or after the expiry it was given: never early, and at
// most 999 us late (exact when the expiry is a whole millisecond, as 2*MSL from a millisecond is).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tcp/four_tuple.h"
#include "wire/seq.h"
#include "wire/tcp.h"

namespace tcpp::tcp {

// What a TIME_WAIT entry remembers of its connection, in 36 bytes: the small fields share two words.
struct TimeWaitState {
    // 2*MSL is at most this (2.3 hours), so that it fits its 23 bits (StoredOptions::representable).
    static constexpr std::uint32_t max_duration_ms = (std::uint32_t{1} << 23) - 1;

    PackedTuple packed;
    wire::Seq snd_nxt;              // our sequence number after our FIN
    wire::Seq rcv_nxt;              // theirs after their FIN
    std::uint32_t ts_recent = 0;    // with timestamps (RFC 7323): to echo in the re-ACK
    std::uint32_t ts_offset = 0;    // and to stamp it with our clock
    std::uint32_t duration_ms : 23 = 0;  // 2*MSL, to restart with
    bool timestamps : 1 = false;
    // The table's (TimeWaitTable::may_ack_bare): when the entry last acknowledged a segment that carried
    // nothing, as a 24-bit stamp (0: never), in two parts to fill the words.
    std::uint32_t ack_stamp_high : 8 = 0;
    std::uint32_t window : 16 = 0;  // the window field of our last ACK
    std::uint32_t ack_stamp_low : 16 = 0;

    FourTuple tuple() const { return packed.unpack(); }
};
static_assert(sizeof(TimeWaitState) == 36);

// One entry of a TimeWaitTable: the state, and the table's bookkeeping (its expiry and its place in a
// timer list), which only the table touches.
class TimeWaitEntry {
public:
    TimeWaitState state;

private:
    friend class TimeWaitTable;
    struct Links {
        std::uint32_t prev = 0;  // entry numbers, or list heads (TimeWaitTable::head_id)
        std::uint32_t next = 0;
    };
    std::uint32_t expiry_ms_ = 0;  // on the table's millisecond clock, modulo 2^32
    Links links_;
};
static_assert(sizeof(TimeWaitEntry) == 48, "a TIME_WAIT entry is its 36-byte state and 12 bytes of bookkeeping");

// What a segment that reaches a TIME_WAIT entry calls for.
enum class TimeWaitAction : std::uint8_t {
    ignore,           // an RST (RFC 1337: TIME_WAIT is not assassinated), or a bare ACK at RCV.NXT
    ack,              // an old duplicate: acknowledge it (rate-limited if it carries nothing)
    ack_and_restart,  // the peer's FIN again (our last ACK was lost): re-ACK and restart 2*MSL
    new_connection,   // a SYN beyond the old connection's numbers (RFC 6191): may open a new one
};

TimeWaitAction classify(const TimeWaitState& state, const wire::TcpSegment& segment);

class TimeWaitTable {
public:
    static constexpr std::size_t chunk_entries = 1024;
    // An expiry is held to at most this far ahead of the table's clock (4.66 hours): about twice the longest
    // 2*MSL, so that a restart holds 2*MSL exactly even while the table's clock (moved on by expire())
    // lags, and short of the period of the ACK stamps (2^24 - 1 ms) by more than the ACK interval.
    static constexpr std::uint64_t max_delay_ms = (std::uint64_t{1} << 24) - 1 - 1000;

    explicit TimeWaitTable(const SipKey& key);
    TimeWaitTable(const TimeWaitTable&) = delete;
    TimeWaitTable& operator=(const TimeWaitTable&) = delete;

    // An entry found, inserted or restarted stays where it is until the next erase() or expire(), which
    // may move entries (the last one into the hole).
    TimeWaitEntry* find(const FourTuple& tuple);
    const TimeWaitEntry* find(const FourTuple& tuple) const;
    // The same, given the tuple's hash under this table's key (a FourTupleHash of the same key), when the
    // caller has computed it already.
    TimeWaitEntry* find(const FourTuple& tuple, std::uint64_t hash);
    const TimeWaitEntry* find(const FourTuple& tuple, std::uint64_t hash) const;
    // Adds an entry that expires at expiry_us (if the tuple is present, replaces its state and expiry).
    // Throws std::length_error beyond max_size().
    TimeWaitEntry& insert(const TimeWaitState& state, std::uint64_t expiry_us);
    // The same, with the tuple's hash (FourTupleHash under this table's key) already known.
    TimeWaitEntry& insert(const TimeWaitState& state, std::uint64_t expiry_us, std::uint64_t hash);
    // Adds an entry for a tuple the caller knows is absent (as a connection's own, which cannot be in both
    // the connection index and here): insert() without its search. The hash as above.
    TimeWaitEntry& insert_new(const TimeWaitState& state, std::uint64_t expiry_us, std::uint64_t hash);
    // Asks the CPU to start loading what inserting the tuple of this hash will touch first: its home slot in
    // the index and the place of the next entry (a hint: nothing changes). Only while the table is larger
    // than the caches are likely to hold (a prefetch has a cost of its own).
    void prefetch_insert(std::uint64_t hash) const {
        if (capacity_ < prefetch_capacity) return;
        __builtin_prefetch(&index_[home(hash)], 1);
        if (size_ < chunks_.size() * chunk_entries) __builtin_prefetch(&entry(size_), 1);
    }
    // Starts the entry's 2*MSL again from now_us.
    void restart(TimeWaitEntry& entry, std::uint64_t now_us);
    // May the entry acknowledge, at now_us, a segment that carries nothing? At most once per
    // out_of_window_ack_interval_us: if so, the ACK is counted as sent.
    bool may_ack_bare(TimeWaitEntry& entry, std::uint64_t now_us);
    // Removes the tuple's entry, if any.
    void erase(const FourTuple& tuple);
    std::size_t size() const { return size_; }
    static constexpr std::size_t max_size() { return max_entries(max_capacity); }
    // Visits every entry (for listings: not on the packet path), in no particular order.
    template <class Visit>
    void for_each(Visit&& visit) const {
        for (std::uint32_t number = 0; number < size_; ++number) visit(entry(number));
    }
    // When the entry expires, in microseconds: its expiry rounded up to a whole millisecond.
    std::uint64_t expiry(const TimeWaitEntry& entry) const { return absolute_ms(entry.expiry_ms_) * 1000; }

    // Removes the entries that expire by now_us, calling on_expire(tuple) for each, in order of expiry.
    // An entry is out of the table before its callback, which may use the table freely.
    template <class OnExpire>
    void expire(std::uint64_t now_us, OnExpire&& on_expire);
    // The earliest instant at which expire() has work to do: the next expiry when it is less than 64 ms
    // away, otherwise possibly an earlier instant at which entries move down the wheel. Nothing when empty.
    std::optional<std::uint64_t> next_deadline() const;

    // Every byte the table has allocated for its entries and index (not the table object itself, which is
    // a fixed 2 KiB of list heads).
    std::size_t memory_bytes() const;
    std::size_t index_capacity() const { return capacity_; }

private:
    using Links = TimeWaitEntry::Links;
    static constexpr std::uint32_t none = ~std::uint32_t{0};

    // --- dense entries ---
    static constexpr unsigned chunk_shift = 10;
    static_assert(std::size_t{1} << chunk_shift == chunk_entries);
    TimeWaitEntry& entry(std::uint32_t number) {
        return chunks_[number >> chunk_shift][number & (chunk_entries - 1)];
    }
    const TimeWaitEntry& entry(std::uint32_t number) const {
        return chunks_[number >> chunk_shift][number & (chunk_entries - 1)];
    }
    // The number of an entry of this table, from the list it is on.
    std::uint32_t number_of(const TimeWaitEntry& e) const { return links(e.links_.prev).next; }
    std::uint32_t append_entry(const TimeWaitState& state);
    // Takes entry `number`, already out of the index and off its list, out of the table.
    void remove_entry(std::uint32_t number);
    void release_chunks();

    // --- the hash index: Robin Hood, linear probing. A slot is 0 (empty) or, from the low bits up: the
    // entry number + 1 (index_bits_), the distance from its home slot (distance_bits, saturating), and
    // the top bits of the hash (a tag, as many bits as are left).
    static constexpr unsigned distance_bits = 6;
    static constexpr std::uint32_t saturated = (1u << distance_bits) - 1;
    static constexpr std::uint32_t min_capacity = 16;
    static constexpr std::uint32_t max_capacity = std::uint32_t{1} << 26;
    static constexpr std::size_t max_entries(std::uint32_t capacity) { return capacity - capacity / 8; }
    static constexpr std::uint32_t prefetch_capacity = 16 * 1024;  // an index of 64 KiB and 700 KiB of entries
    static constexpr std::uint32_t sorted_rebuild_entries = 16 * 1024;  // fewer: the index stays in the cache
    std::uint64_t hash(const PackedTuple& packed) const { return hash_(packed.unpack()); }
    std::uint32_t home(std::uint64_t h) const {
        return static_cast<std::uint32_t>(((h >> 32) * capacity_) >> 32);
    }
    std::uint32_t tag(std::uint64_t h) const { return static_cast<std::uint32_t>(h) & tag_mask_; }
    std::uint32_t slot_number(std::uint32_t slot) const { return (slot & number_mask_) - 1; }
    std::uint32_t slot_distance(std::uint32_t slot) const { return (slot >> index_bits_) & saturated; }
    std::uint32_t true_distance(std::uint32_t slot, std::uint32_t position) const;
    std::uint32_t with_distance(std::uint32_t slot, std::uint32_t distance) const {
        return (slot & ~(saturated << index_bits_)) | (std::min(distance, saturated) << index_bits_);
    }
    std::uint32_t next_position(std::uint32_t position) const {
        return position + 1 == capacity_ ? 0 : position + 1;
    }
    // The position of the slot that matches, or `none`.
    template <class Matches>
    std::uint32_t probe(std::uint64_t h, Matches&& matches) const;
    std::uint32_t lookup(const PackedTuple& packed, std::uint64_t h) const;
    std::uint32_t position_of(std::uint32_t number) const;
    void index_insert(std::uint64_t h, std::uint32_t number);
    void index_place(std::uint32_t position, std::uint32_t carried);
    void index_erase(std::uint32_t position);
    void rebuild(std::uint32_t capacity);
    void maybe_shrink();

    // --- the timing wheel, in milliseconds. Lists are circular, linked by entry number; their heads are
    // in heads_, named by head_id(k) (numbers no entry has).
    static constexpr unsigned slot_bits = 6;
    static constexpr unsigned slots = 1u << slot_bits;
    static constexpr unsigned levels = 4;  // 64^4 ms > max_delay_ms
    static constexpr unsigned overdue_head = levels * slots;  // due at or before now_ms_
    static constexpr unsigned moving_head = overdue_head + 1;  // a cascading slot's entries
    static constexpr std::uint32_t head_flag = std::uint32_t{1} << 31;
    static constexpr std::uint32_t head_id(unsigned k) { return head_flag | k; }
    Links& links(std::uint32_t id) {
        return (id & head_flag) != 0 ? heads_[id & ~head_flag] : entry(id).links_;
    }
    const Links& links(std::uint32_t id) const {
        return (id & head_flag) != 0 ? heads_[id & ~head_flag] : entry(id).links_;
    }
    bool list_empty(unsigned head) const { return heads_[head].next == head_id(head); }
    void push_back(unsigned head, std::uint32_t number);
    void unlink(std::uint32_t number);
    void splice_back(unsigned to, unsigned from);
    // The absolute millisecond of a clock value modulo 2^32, which is within 2^31 ms of now_ms_.
    std::uint64_t absolute_ms(std::uint32_t ms) const {
        return now_ms_ + static_cast<std::uint64_t>(static_cast<std::int64_t>(
                             static_cast<std::int32_t>(ms - static_cast<std::uint32_t>(now_ms_))));
    }
    void arm(std::uint32_t number, std::uint64_t expiry_ms);
    std::optional<std::uint64_t> next_event() const;
    void cascade();
    // Takes out the next entry due by now_us, if any, and gives its tuple.
    bool pop_expired(std::uint64_t now_us, FourTuple& tuple);

    FourTupleHash hash_;
    std::vector<std::unique_ptr<TimeWaitEntry[]>> chunks_;
    std::uint32_t size_ = 0;

    std::unique_ptr<std::uint32_t[]> index_;
    std::uint32_t capacity_ = 0;
    unsigned index_bits_ = 0;
    std::uint32_t number_mask_ = 0;
    std::uint32_t tag_mask_ = 0;

    std::uint64_t now_ms_ = 0;
    std::array<Links, levels * slots + 2> heads_;
    std::array<std::uint64_t, levels> occupied_{};  // bit s: slot s of the level may hold entries
};

template <class OnExpire>
void TimeWaitTable::expire(std::uint64_t now_us, OnExpire&& on_expire) {
    FourTuple tuple;
    while (pop_expired(now_us, tuple)) on_expire(tuple);
}

}  // namespace tcpp::tcp
