#include "tcp/byte_ring.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tcpp::tcp {

bool ByteRing::set_capacity(std::size_t capacity) {
    if (!empty()) return false;
    free_storage();
    capacity_ = static_cast<std::uint32_t>(capacity);
    head_ = 0;
    return true;
}

void ByteRing::release() {
    if (!empty()) return;
    free_storage();
    head_ = 0;
}

void ByteRing::allocate() {
    storage_ = pool_ != nullptr ? pool_->take(capacity_) : std::make_unique_for_overwrite<std::byte[]>(capacity_);
    head_ = 0;
}

void ByteRing::free_storage() {
    if (!storage_) return;
    if (pool_ != nullptr) {
        pool_->give_back(std::move(storage_), capacity_);
    } else {
        storage_.reset();
    }
}

std::size_t ByteRing::push(wire::Bytes data) {
    std::size_t n = std::min(data.size(), free_space());
    if (n == 0) return 0;
    if (!storage_) allocate();
    std::size_t tail = (std::size_t{head_} + size_) % capacity_;
    std::size_t first = std::min(n, capacity_ - tail);
    std::memcpy(storage_.get() + tail, data.data(), first);
    std::memcpy(storage_.get(), data.data() + first, n - first);
    size_ += static_cast<std::uint32_t>(n);
    return n;
}

void ByteRing::copy_out(std::size_t offset, wire::MutableBytes out) const {
    assert(offset + out.size() <= size_);
    if (out.empty()) return;
    std::size_t start = (std::size_t{head_} + offset) % capacity_;
    std::size_t first = std::min(out.size(), capacity_ - start);
    std::memcpy(out.data(), storage_.get() + start, first);
    std::memcpy(out.data() + first, storage_.get(), out.size() - first);
}

void ByteRing::write_ahead(std::size_t gap, wire::Bytes data) {
    assert(gap + data.size() <= free_space());
    if (data.empty()) return;
    if (!storage_) allocate();
    std::size_t at = (std::size_t{head_} + size_ + gap) % capacity_;
    std::size_t first = std::min(data.size(), capacity_ - at);
    std::memcpy(storage_.get() + at, data.data(), first);
    std::memcpy(storage_.get(), data.data() + first, data.size() - first);
}

void ByteRing::commit_ahead(std::size_t n) {
    assert(n <= free_space());
    size_ += static_cast<std::uint32_t>(n);
}

void ByteRing::consume(std::size_t n) {
    assert(n <= size_);
    size_ -= static_cast<std::uint32_t>(n);
    // The head moves on even when the ring empties: bytes written ahead (out-of-order data) sit at their
    // place relative to it.
    head_ = static_cast<std::uint32_t>((head_ + n) % capacity_);
}

}  // namespace tcpp::tcp
