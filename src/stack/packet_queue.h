#pragma once
// The packets a stack has built and the caller has not yet taken. Buffers are reused: once the queue has
// grown to the largest burst, building a packet allocates nothing.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "wire/bytes.h"

namespace tcpp::stack {

class PacketQueue {
public:
    explicit PacketQueue(std::size_t buffer_size) : buffer_size_(buffer_size) {}

    // A buffer for the next packet; commit() queues it.
    wire::MutableBytes reserve();
    void commit(std::size_t length);
    // The oldest packet, valid until the next pop() or reserve(); nothing when the queue is empty.
    std::optional<wire::Bytes> pop();

    std::size_t size() const { return queue_.size(); }
    std::size_t buffers() const { return buffers_.size(); }

private:
    std::uint32_t take_buffer();
    void give_back_lent();

    std::size_t buffer_size_;
    std::vector<std::unique_ptr<std::byte[]>> buffers_;
    std::vector<std::uint32_t> free_;
    struct Queued {
        std::uint32_t buffer;
        std::uint32_t length;
    };
    std::deque<Queued> queue_;
    std::optional<std::uint32_t> reserved_;
    std::optional<std::uint32_t> lent_;
};

}  // namespace tcpp::stack
