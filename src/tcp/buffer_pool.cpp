#include "tcp/buffer_pool.h"

namespace tcpp::tcp {

std::unique_ptr<std::byte[]> BufferPool::take(std::size_t size) {
    for (SizeClass& c : classes_) {
        if (c.size != size || c.free.empty()) continue;
        std::unique_ptr<std::byte[]> buffer = std::move(c.free.back());
        c.free.pop_back();
        idle_bytes_ -= size;
        return buffer;
    }
    ++allocations_;
    return std::make_unique_for_overwrite<std::byte[]>(size);
}

void BufferPool::give_back(std::unique_ptr<std::byte[]> buffer, std::size_t size) {
    if (!buffer || idle_bytes_ + size > max_idle_bytes_) return;  // freed
    for (SizeClass& c : classes_) {
        if (c.size == size) {
            c.free.push_back(std::move(buffer));
            idle_bytes_ += size;
            return;
        }
    }
    classes_.push_back(SizeClass{size, {}});
    classes_.back().free.push_back(std::move(buffer));
    idle_bytes_ += size;
}

}  // namespace tcpp::tcp
