#pragma once
// Objects a connection needs only now and then (a Flow, a SACK scoreboard, out-of-order ranges), kept for
// reuse so that the packet path does not allocate. A pool holds, in use and spare, at most two objects a
// connection (and a floor; and never more than max_spares spares): enough that, while connections come
// and go and their use of the objects swings, a closing connection's object waits for the next to open,
// and as connections go for good (to TIME_WAIT, say) their spares go with them. Trimming is amortised
// O(1): each object trimmed was allocated once.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace tcpp::stack {

template <class T>
class SparePool {
public:
    static constexpr std::size_t max_spares = 1024;
    static constexpr std::size_t min_spares = 16;  // kept even with no connection

    SparePool() = default;
    SparePool(const SparePool&) = delete;
    SparePool& operator=(const SparePool&) = delete;

    // A spare, or a new T made from `args`.
    template <class... Args>
    T* acquire(Args&&... args) {
        ++in_use_;
        if (spares_.empty()) return new T(std::forward<Args>(args)...);
        T* object = spares_.back().release();
        spares_.pop_back();
        return object;
    }
    // Kept as a spare, reset to a fresh T where T can be assigned one (else its user resets it on taking),
    // unless the pool holds its share for `connections` already; spares beyond it go too.
    void release(T* object, std::size_t connections) {
        --in_use_;
        if (spares_.size() >= max_spares || in_use_ + spares_.size() >= wanted(connections)) {
            delete object;
            trim(connections);
            return;
        }
        if constexpr (std::is_default_constructible_v<T> && std::is_move_assignable_v<T>) *object = T{};
        spares_.emplace_back(object);
    }
    // The connections are down to `connections`: the spares beyond their share go.
    void trim(std::size_t connections) {
        while (!spares_.empty() && in_use_ + spares_.size() > wanted(connections)) spares_.pop_back();
    }

    std::size_t spares() const { return spares_.size(); }
    std::size_t in_use() const { return in_use_; }

private:
    static std::size_t wanted(std::size_t connections) { return std::max(2 * connections, min_spares); }

    std::vector<std::unique_ptr<T>> spares_;
    std::size_t in_use_ = 0;  // acquired and not yet released
};

}  // namespace tcpp::stack
