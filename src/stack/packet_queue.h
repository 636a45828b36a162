#pragma once
// The packets a stack has built and the caller has not yet taken, end to end in one ring of bytes: a
// packet takes its own length, not a buffer of the largest size, so a burst of a thousand 60-byte
// handshake segments takes 60 KiB of ring rather than 1.6 MB of buffers. The ring (and the ring of records
// beside it) grows by doubling to the largest burst and is kept: once it has, building a packet allocates
// nothing.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "wire/bytes.h"

namespace tcpp::stack {

class PacketQueue {
public:
    // Packets of at most `packet_size` bytes.
    explicit PacketQueue(std::size_t packet_size) : packet_size_(packet_size) {}
    PacketQueue(const PacketQueue&) = delete;
    PacketQueue& operator=(const PacketQueue&) = delete;

    // Room for the next packet (packet_size bytes), valid until commit() or the next reserve(); commit()
    // queues the first `length` bytes of it.
    wire::MutableBytes reserve();
    void commit(std::size_t length);
    // The oldest packet, valid until the next pop() or reserve(); nothing when the queue is empty.
    std::optional<wire::Bytes> pop();
    // The oldest packet, left queued; valid until the next pop() or reserve().
    std::optional<wire::Bytes> peek() const {
        if (count_ == 0) return std::nullopt;
        const Queued& front = records_[first_];
        return wire::Bytes{bytes_.get() + front.offset, front.length};
    }

    std::size_t size() const { return count_; }
    std::size_t memory_bytes() const { return capacity_ + record_capacity_ * sizeof(Queued); }

private:
    struct Queued {
        std::uint32_t offset;
        std::uint32_t length;
    };
    // Where packet_size bytes are free, growing the ring if they are not.
    std::size_t place();
    void grow();
    Queued& record(std::size_t i) { return records_[(first_ + i) & (record_capacity_ - 1)]; }

    std::size_t packet_size_;
    std::unique_ptr<std::byte[]> bytes_;
    std::size_t capacity_ = 0;
    // The queued packets lie from the first record's offset to tail_, going round the end of the ring
    // when wrapped_ (then tail_ stays short of the first offset, so the two cannot meet).
    std::size_t tail_ = 0;
    bool wrapped_ = false;
    std::optional<std::size_t> reserved_;

    std::unique_ptr<Queued[]> records_;  // a ring, its capacity a power of two
    std::size_t record_capacity_ = 0;
    std::size_t first_ = 0;
    std::size_t count_ = 0;
};

}  // namespace tcpp::stack
