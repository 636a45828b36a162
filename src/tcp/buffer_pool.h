#pragma once
// Storage for send and receive buffers, kept for reuse. A connection holds buffer memory only while it has
// data buffered (ByteRing releases its storage when it empties), so a request/response exchange would
// otherwise allocate and free a buffer each round trip; the pool makes the steady state allocation-free.
// Buffers are kept by exact size (connections of one application tend to share a few sizes), up to a
// bound on the bytes held idle.

#include <cstddef>
#include <memory>
#include <vector>

namespace tcpp::tcp {

class BufferPool {
public:
    explicit BufferPool(std::size_t max_idle_bytes = 32 * 1024 * 1024) : max_idle_bytes_(max_idle_bytes) {}
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;

    // A buffer of exactly `size` bytes (uninitialised).
    std::unique_ptr<std::byte[]> take(std::size_t size);
    // Returns a buffer of `size` bytes; kept unless the pool holds max_idle_bytes already.
    void give_back(std::unique_ptr<std::byte[]> buffer, std::size_t size);

    std::size_t idle_bytes() const { return idle_bytes_; }
    std::size_t allocations() const { return allocations_; }  // buffers the pool could not supply

private:
    struct SizeClass {
        std::size_t size;
        std::vector<std::unique_ptr<std::byte[]>> free;
    };
    std::vector<SizeClass> classes_;
    std::size_t max_idle_bytes_;
    std::size_t idle_bytes_ = 0;
    std::size_t allocations_ = 0;
};

}  // namespace tcpp::tcp
