#include "tcp/byte_ring.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

namespace tcpp::tcp {

bool ByteRing::set_capacity(std::size_t capacity) {
    if (!empty()) return false;
    free_storage();
    peak_ = 0;
    capacity_ = static_cast<std::uint32_t>(capacity);
    head_ = 0;
    return true;
}

void ByteRing::release() {
    if (!empty()) return;
    remember_need();
    free_storage();
    head_ = 0;
}

std::unique_ptr<std::byte[]> ByteRing::take(std::size_t size) {
    return pool_ != nullptr ? pool_->take(size) : std::make_unique_for_overwrite<std::byte[]>(size);
}

void ByteRing::remember_need() {
    if (!storage_) return;
    first_storage_ = static_cast<std::uint32_t>(std::bit_ceil(std::max<std::size_t>(peak_, min_storage)));
    peak_ = 0;
}

void ByteRing::free_storage() {
    if (!storage_) return;
    if (pool_ != nullptr) {
        pool_->give_back(std::move(storage_), storage_size_);
    } else {
        storage_.reset();
    }
    storage_size_ = 0;
}

// Storage grows with what is buffered, in powers of two from min_storage up to the capacity. Growing
// copies the old storage from the head on, all of it, so that bytes written ahead keep their offsets.
void ByteRing::reserve(std::size_t needed) {
    assert(needed <= capacity_);
    peak_ = std::max(peak_, static_cast<std::uint32_t>(needed));
    if (storage_ && needed <= storage_size_) return;
    const std::size_t from = storage_ ? min_storage : std::max<std::size_t>(min_storage, first_storage_);
    const std::size_t size = std::min<std::size_t>(capacity_, std::max(from, std::bit_ceil(needed)));
    std::unique_ptr<std::byte[]> grown = take(size);
    if (storage_) {
        const std::size_t first = storage_size_ - head_;
        std::memcpy(grown.get(), storage_.get() + head_, first);
        std::memcpy(grown.get() + first, storage_.get(), head_);
        free_storage();
    }
    storage_ = std::move(grown);
    storage_size_ = static_cast<std::uint32_t>(size);
    head_ = 0;
}

std::size_t ByteRing::push(wire::Bytes data) {
    std::size_t n = std::min(data.size(), free_space());
    if (n == 0) return 0;
    reserve(std::size_t{size_} + n);
    std::size_t tail = wrap(std::size_t{head_} + size_);
    std::size_t first = std::min(n, storage_size_ - tail);
    std::memcpy(storage_.get() + tail, data.data(), first);
    std::memcpy(storage_.get(), data.data() + first, n - first);
    size_ += static_cast<std::uint32_t>(n);
    return n;
}

std::array<wire::Bytes, 2> ByteRing::held(std::size_t offset, std::size_t length) const {
    assert(offset + length <= size_);
    if (length == 0) return {};
    const std::size_t start = wrap(std::size_t{head_} + offset);
    const std::size_t first = std::min(length, storage_size_ - start);
    return {wire::Bytes{storage_.get() + start, first}, wire::Bytes{storage_.get(), length - first}};
}

void ByteRing::copy_out(std::size_t offset, wire::MutableBytes out) const {
    if (out.empty()) return;  // no storage to copy from, perhaps
    const auto [a, b] = held(offset, out.size());
    std::memcpy(out.data(), a.data(), a.size());
    std::memcpy(out.data() + a.size(), b.data(), b.size());
}

void ByteRing::copy_out(std::size_t offset, wire::MutableBytes out, wire::ChecksumAccumulator& sum) const {
    const auto [a, b] = held(offset, out.size());
    sum.add_copy(out.first(a.size()), a);
    sum.add_copy(out.subspan(a.size()), b);
}

void ByteRing::write_ahead(std::size_t gap, wire::Bytes data) {
    assert(gap + data.size() <= free_space());
    if (data.empty()) return;
    reserve(std::size_t{size_} + gap + data.size());
    std::size_t at = wrap(std::size_t{head_} + size_ + gap);
    std::size_t first = std::min(data.size(), storage_size_ - at);
    std::memcpy(storage_.get() + at, data.data(), first);
    std::memcpy(storage_.get(), data.data() + first, data.size() - first);
}

void ByteRing::commit_ahead(std::size_t n) {
    assert(n <= free_space());
    assert(std::size_t{size_} + n <= storage_size_);  // written ahead, so reserved
    size_ += static_cast<std::uint32_t>(n);
}

void ByteRing::consume(std::size_t n) {
    assert(n <= size_);
    if (n == 0) return;
    size_ -= static_cast<std::uint32_t>(n);
    // The head moves on even when the ring empties: bytes written ahead (out-of-order data) sit at their
    // place relative to it.
    head_ = static_cast<std::uint32_t>(wrap(std::size_t{head_} + n));
}

}  // namespace tcpp::tcp
