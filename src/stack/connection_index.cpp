#include "stack/connection_index.h"

#include <utility>

namespace tcpp::stack {

void ConnectionIndex::place(std::uint64_t cell) {
    std::size_t i = home_of_cell(cell);
    while (cells_[i] != 0) i = (i + 1) & mask_;
    cells_[i] = cell;
}

void ConnectionIndex::resize(std::size_t capacity) {
    std::unique_ptr<std::uint64_t[]> old = std::move(cells_);
    const std::size_t old_capacity = old ? mask_ + 1 : 0;
    cells_ = std::make_unique<std::uint64_t[]>(capacity);  // zeroed: all empty
    mask_ = capacity - 1;
    for (std::size_t i = 0; i < old_capacity; ++i) {
        if (old[i] != 0) place(old[i]);
    }
}

void ConnectionIndex::insert(std::uint64_t hash, std::uint32_t slot) {
    if (!cells_) {
        resize(16);
    } else if ((size_ + 1) * 4 > capacity() * 3) {
        resize(capacity() * 2);
    }
    place(std::uint64_t{tag_of(hash)} << 32 | (std::uint64_t{slot} + 1));
    ++size_;
}

bool ConnectionIndex::erase(std::uint64_t hash, std::uint32_t slot) {
    if (size_ == 0) return false;
    const std::uint64_t wanted = std::uint64_t{tag_of(hash)} << 32 | (std::uint64_t{slot} + 1);
    std::size_t i = home(hash);
    while (cells_[i] != wanted) {
        if (cells_[i] == 0) return false;
        i = (i + 1) & mask_;
    }
    // Backward shift: pull later cells of the cluster into the hole when the hole lies between their home
    // and where they sit, so that no probe meets an empty cell before its key.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; cells_[j] != 0; j = (j + 1) & mask_) {
        const std::size_t h = home_of_cell(cells_[j]);
        // Distance from home: may the cell at j move back to the hole?
        if (((j - h) & mask_) >= ((j - hole) & mask_)) {
            cells_[hole] = cells_[j];
            hole = j;
        }
    }
    cells_[hole] = 0;
    --size_;
    if (capacity() > 16 && size_ * 4 < capacity()) resize(capacity() / 2);
    return true;
}

}  // namespace tcpp::stack
