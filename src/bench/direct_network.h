#pragma once
// Stacks joined back to back, for benchmarks: no delay, no loss, no copy. Each packet goes straight from
// one stack's next_output() into the receive() of the stack that owns its destination address. The clock
// is virtual: it moves only when the driver says (tick, or a jump to the next timer), so the wall time a
// benchmark measures is the stacks' own work, not a simulator's.
//
// Why not runtime::SimNetwork: it copies every packet into a heap-allocated vector, orders them in a
// priority queue, finds the destination by a linear search and asks every node for its deadline on every
// step. That is right for scenarios (delay, loss, reordering) but it would be a large part of what a
// throughput benchmark measures.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tcpp/stack.h"

namespace tcpp::bench {

class DirectNetwork {
public:
    // Adds a stack; the network owns it and routes packets to its address.
    Stack& add(StackConfig config);

    std::uint64_t now_us() const { return now_; }
    // Moves packets until no stack has output left; returns how many moved.
    std::uint64_t deliver();
    // Moves the clock on by duration_us, runs every stack's due timers, and delivers what they sent.
    void advance(std::uint64_t duration_us);
    // Moves the clock to the earliest timer of any stack, if one runs and is due by limit_us; false
    // otherwise.
    bool advance_to_next_deadline(std::uint64_t limit_us);

    std::uint64_t packets() const { return packets_; }
    std::uint64_t packets_unrouted() const { return unrouted_; }
    std::size_t size() const { return stacks_.size(); }
    Stack& stack(std::size_t index) { return *stacks_[index]; }
    // Traces every stack, those added later too (nullptr: none).
    void set_trace(TraceSink* sink);

private:
    Stack* route(wire::Bytes packet);

    std::vector<std::unique_ptr<Stack>> stacks_;
    struct Route {
        std::uint32_t address = 0;
        Stack* stack = nullptr;  // nullptr: an empty cell
    };
    std::size_t home(std::uint32_t address) const;
    std::vector<Route> routes_;  // see add()
    unsigned route_bits_ = 1;
    std::vector<std::byte> scratch_;  // a packet a stack sends to itself is copied out first
    std::uint64_t now_ = 0;
    std::uint64_t packets_ = 0;
    std::uint64_t unrouted_ = 0;
    TraceSink* trace_ = nullptr;
};

}  // namespace tcpp::bench
