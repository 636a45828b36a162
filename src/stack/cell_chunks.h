#pragma once
// Storage for objects of type T by slot number: chunks of cells that never move, so that taking a cell is
// a placement new (no allocation, no allocator header, neighbours in memory). A chunk whose cells are all
// free is given back, except one kept for the next objects (the lowest such, since slot numbers are taken
// lowest first): a stack whose connections have closed (into TIME_WAIT, say) keeps one chunk of their
// memory, and use that goes up and down across a chunk boundary allocates nothing. The directory of chunks
// shrinks from its end too, as the highest chunks go.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace tcpp::stack {

template <class T, std::size_t PerChunk = 32>
class CellChunks {
public:
    static constexpr std::size_t per_chunk = PerChunk;

    CellChunks() = default;
    CellChunks(const CellChunks&) = delete;
    CellChunks& operator=(const CellChunks&) = delete;

    // The cell of slot `index` (uninitialised storage for a T), which comes into use.
    void* take(std::uint32_t index) {
        const std::size_t chunk = index / per_chunk;
        if (chunks_.size() <= chunk) {
            chunks_.resize(chunk + 1);
            live_.resize(chunk + 1, 0);
        }
        if (!chunks_[chunk]) {
            chunks_[chunk] = std::make_unique_for_overwrite<Cell[]>(per_chunk);
            ++allocated_;
        } else if (chunk == spare_) {
            spare_ = none;
        }
        ++live_[chunk];
        return &chunks_[chunk][index % per_chunk];
    }
    // Slot `index` is out of use (its T destroyed).
    void give_back(std::uint32_t index) {
        std::size_t chunk = index / per_chunk;
        if (--live_[chunk] != 0) return;
        if (spare_ == none) {
            spare_ = chunk;
            return;
        }
        if (chunk < spare_) std::swap(chunk, spare_);  // the lower one stays
        chunks_[chunk].reset();
        --allocated_;
        // The directory follows the highest chunk allocated, and gives its memory back once mostly unused.
        std::size_t size = chunks_.size();
        while (size > 0 && !chunks_[size - 1]) --size;
        if (size != chunks_.size()) {
            chunks_.resize(size);
            live_.resize(size);
            if (chunks_.capacity() > 64 && size < chunks_.capacity() / 4) {
                chunks_.shrink_to_fit();
                live_.shrink_to_fit();
            }
        }
    }

    // Chunks allocated, in use or spare.
    std::size_t chunks() const { return allocated_; }
    std::size_t directory_capacity() const { return chunks_.capacity(); }

private:
    static constexpr std::size_t none = ~std::size_t{0};
    struct alignas(T) Cell {
        std::byte bytes[sizeof(T)];
    };
    std::vector<std::unique_ptr<Cell[]>> chunks_;
    std::vector<std::uint16_t> live_;  // objects in each chunk
    std::size_t allocated_ = 0;        // chunks
    std::size_t spare_ = none;         // an allocated chunk with no object in it
};

}  // namespace tcpp::stack
