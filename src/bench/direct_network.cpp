#include "bench/direct_network.h"

#include "wire/ipv4.h"

namespace tcpp::bench {

// The stacks by address: open addressing in a power-of-two table at most half full, rebuilt as stacks are
// added (a benchmark adds a few dozen), so that routing a packet is a multiply, a shift and a compare or
// two: std::unordered_map would divide by a prime for every packet.
std::size_t DirectNetwork::home(std::uint32_t address) const {
    return static_cast<std::size_t>((address * 0x9e3779b97f4a7c15ull) >> (64 - route_bits_));
}

Stack& DirectNetwork::add(StackConfig config) {
    stacks_.push_back(std::make_unique<Stack>(std::move(config)));
    while ((std::size_t{1} << route_bits_) < 2 * stacks_.size()) ++route_bits_;
    routes_.assign(std::size_t{1} << route_bits_, Route{});
    for (const auto& stack : stacks_) {
        std::size_t i = home(stack->config().address.value());
        while (routes_[i].stack != nullptr) i = (i + 1) & (routes_.size() - 1);
        routes_[i] = Route{stack->config().address.value(), stack.get()};
    }
    stacks_.back()->poll(now_);
    stacks_.back()->set_trace(trace_);
    return *stacks_.back();
}

void DirectNetwork::set_trace(TraceSink* sink) {
    trace_ = sink;
    for (auto& stack : stacks_) stack->set_trace(sink);
}

Stack* DirectNetwork::route(wire::Bytes packet) {
    // Only the destination address is read (bytes 16-19): the receiving stack checks the rest, as a
    // link would leave it to.
    constexpr std::size_t destination_at = 16;
    if (packet.size() < wire::Ipv4Header::size() || routes_.empty()) return nullptr;
    const std::uint32_t address = wire::load_be32(packet.data() + destination_at);
    for (std::size_t i = home(address);; i = (i + 1) & (routes_.size() - 1)) {
        if (routes_[i].stack == nullptr || routes_[i].address == address) return routes_[i].stack;
    }
}

std::uint64_t DirectNetwork::deliver() {
    std::uint64_t moved = 0;
    bool any = true;
    while (any) {
        any = false;
        for (auto& from : stacks_) {
            while (auto packet = from->next_output()) {
                any = true;
                ++moved;
                Stack* to = route(*packet);
                if (!to) {
                    ++unrouted_;
                    continue;
                }
                // The next packet's connection lookup starts loading while this one is handled.
                if (auto next = from->peek_output()) {
                    if (Stack* next_to = route(*next)) next_to->prefetch(*next);
                }
                if (to == from.get()) {
                    // The packet is valid only until the next call on its stack: copy it before receive().
                    scratch_.assign(packet->begin(), packet->end());
                    to->receive(scratch_, now_);
                } else {
                    to->receive(*packet, now_);
                }
            }
        }
    }
    packets_ += moved;
    return moved;
}

void DirectNetwork::advance(std::uint64_t duration_us) {
    now_ += duration_us;
    for (auto& stack : stacks_) stack->poll(now_);
    deliver();
}

bool DirectNetwork::advance_to_next_deadline(std::uint64_t limit_us) {
    std::optional<std::uint64_t> next;
    for (const auto& stack : stacks_) {
        if (auto deadline = stack->next_deadline(); deadline && (!next || *deadline < *next)) next = deadline;
    }
    if (!next || *next > limit_us) return false;
    advance(*next > now_ ? *next - now_ : 0);
    return true;
}

}  // namespace tcpp::bench
