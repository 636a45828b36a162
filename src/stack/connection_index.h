#pragma once
// The demultiplexing index: four-tuple -> the connection's slot, as an open-addressed hash table of 64-bit
// cells (linear probing, deletion by backward shift, so no tombstones). A cell holds 32 bits of the
// tuple's hash beside the slot number, so a probe touches a connection only when the hash bits agree; the
// tuple itself is the connection's, and the caller compares it. Lookups, inserts and erases are O(1) on
// average at any size; the table is at most 3/4 full (between 10.7 and 21 bytes per connection) and
// shrinks when a quarter full. No allocation except when it grows or shrinks.

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tcpp::stack {

class ConnectionIndex {
public:
    static constexpr std::uint32_t none = ~std::uint32_t{0};

    ConnectionIndex() = default;
    ConnectionIndex(const ConnectionIndex&) = delete;
    ConnectionIndex& operator=(const ConnectionIndex&) = delete;

    // The slot whose connection `is_it(slot)` confirms, among those filed under `hash`; none if absent.
    template <class IsIt>
    std::uint32_t find(std::uint64_t hash, IsIt&& is_it) const {
        if (size_ == 0) return none;
        const std::uint32_t tag = tag_of(hash);
        for (std::size_t i = home(hash);; i = (i + 1) & mask_) {
            const std::uint64_t cell = cells_[i];
            if (cell == 0) return none;
            if (static_cast<std::uint32_t>(cell >> 32) == tag) {
                const std::uint32_t slot = static_cast<std::uint32_t>(cell) - 1;
                if (is_it(slot)) return slot;
            }
        }
    }
    // Asks the CPU to start loading the cell where a find(hash) begins (a hint: nothing changes).
    void prefetch(std::uint64_t hash) const {
        if (cells_) __builtin_prefetch(&cells_[home(hash)]);
    }
    // Files `slot` under `hash` (the caller knows it is not present). slot < 2^32 - 1.
    void insert(std::uint64_t hash, std::uint32_t slot);
    // Removes `slot`, filed under `hash`; false if it was not there.
    bool erase(std::uint64_t hash, std::uint32_t slot);

    std::size_t size() const { return size_; }
    std::size_t capacity() const { return mask_ + 1; }
    std::size_t memory_bytes() const { return cells_ ? capacity() * sizeof(std::uint64_t) : 0; }

private:
    // The 32 bits of the hash a cell keeps; they also choose its home, so that cells can be moved (on
    // growth, and by backward shift) without the tuple.
    static std::uint32_t tag_of(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }
    std::size_t home(std::uint64_t hash) const { return tag_of(hash) & mask_; }
    std::size_t home_of_cell(std::uint64_t cell) const { return static_cast<std::size_t>(cell >> 32) & mask_; }
    void resize(std::size_t capacity);
    void place(std::uint64_t cell);

    std::unique_ptr<std::uint64_t[]> cells_;
    std::size_t mask_ = 0;  // capacity - 1, a power of two (capacity 0 while never used)
    std::size_t size_ = 0;
};

}  // namespace tcpp::stack
