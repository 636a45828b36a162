#include "stack/packet_queue.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tcpp::stack {

std::size_t PacketQueue::place() {
    if (count_ == 0) {
        tail_ = 0;
        wrapped_ = false;
        if (capacity_ < packet_size_) grow();
        return 0;
    }
    // The packet pop() gave last lies before the first record: the caller has let go of it by now.
    const std::size_t head = record(0).offset;
    if (!wrapped_) {
        if (capacity_ - tail_ >= packet_size_) return tail_;
        if (head > packet_size_) return 0;  // round the end, short of the first packet
    } else if (head - tail_ > packet_size_) {
        return tail_;
    }
    grow();
    return tail_;
}

// Doubles the ring (at least: it must hold what is queued and a packet more), the queued packets moved to
// its start in order. Amortised O(1) a byte, and only ever up to the largest burst.
void PacketQueue::grow() {
    std::size_t queued = 0;
    for (std::size_t i = 0; i < count_; ++i) queued += record(i).length;
    std::size_t capacity = std::max<std::size_t>(capacity_ * 2, 4096);
    while (capacity < queued + packet_size_ + 1) capacity *= 2;
    auto bytes = std::make_unique_for_overwrite<std::byte[]>(capacity);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        Queued& r = record(i);
        std::memcpy(bytes.get() + offset, bytes_.get() + r.offset, r.length);
        r.offset = static_cast<std::uint32_t>(offset);
        offset += r.length;
    }
    bytes_ = std::move(bytes);
    capacity_ = capacity;
    tail_ = offset;
    wrapped_ = false;
}

wire::MutableBytes PacketQueue::reserve() {
    reserved_ = place();
    return {bytes_.get() + *reserved_, packet_size_};
}

void PacketQueue::commit(std::size_t length) {
    assert(reserved_ && length <= packet_size_);
    if (count_ == record_capacity_) {
        const std::size_t capacity = std::max<std::size_t>(record_capacity_ * 2, 64);
        auto records = std::make_unique_for_overwrite<Queued[]>(capacity);
        for (std::size_t i = 0; i < count_; ++i) records[i] = record(i);
        records_ = std::move(records);
        record_capacity_ = capacity;
        first_ = 0;
    }
    const std::size_t offset = *reserved_;
    reserved_.reset();
    // Placed at the start of the ring behind packets still queued: the ring has wrapped.
    if (count_ != 0 && offset < tail_) wrapped_ = true;
    record(count_++) = {static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(length)};
    tail_ = offset + length;
}

std::optional<wire::Bytes> PacketQueue::pop() {
    if (count_ == 0) return std::nullopt;
    const Queued front = record(0);
    first_ = (first_ + 1) & (record_capacity_ - 1);
    --count_;
    // Past the last packet before the end of the ring: what is left starts at its beginning.
    if (count_ == 0 || record(0).offset < front.offset) wrapped_ = false;
    return wire::Bytes{bytes_.get() + front.offset, front.length};
}

}  // namespace tcpp::stack
