#include "stack/packet_queue.h"

#include <cassert>

namespace tcpp::stack {

std::uint32_t PacketQueue::take_buffer() {
    if (!free_.empty()) {
        std::uint32_t index = free_.back();
        free_.pop_back();
        return index;
    }
    buffers_.push_back(std::make_unique_for_overwrite<std::byte[]>(buffer_size_));
    return static_cast<std::uint32_t>(buffers_.size() - 1);
}

void PacketQueue::give_back_lent() {
    if (lent_) free_.push_back(*lent_);
    lent_.reset();
}

wire::MutableBytes PacketQueue::reserve() {
    give_back_lent();
    if (!reserved_) reserved_ = take_buffer();
    return {buffers_[*reserved_].get(), buffer_size_};
}

void PacketQueue::commit(std::size_t length) {
    assert(reserved_ && length <= buffer_size_);
    queue_.push_back({*reserved_, static_cast<std::uint32_t>(length)});
    reserved_.reset();
}

std::optional<wire::Bytes> PacketQueue::pop() {
    give_back_lent();
    if (queue_.empty()) return std::nullopt;
    Queued front = queue_.front();
    queue_.pop_front();
    lent_ = front.buffer;
    return wire::Bytes{buffers_[front.buffer].get(), front.length};
}

}  // namespace tcpp::stack
