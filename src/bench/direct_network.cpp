#include "bench/direct_network.h"

#include <algorithm>

#include "wire/ipv4.h"

namespace tcpp::bench {

Stack& DirectNetwork::add(StackConfig config) {
    addresses_.push_back(config.address.value());
    stacks_.push_back(std::make_unique<Stack>(std::move(config)));
    stacks_.back()->poll(now_);
    stacks_.back()->set_trace(trace_);
    return *stacks_.back();
}

void DirectNetwork::set_trace(TraceSink* sink) {
    trace_ = sink;
    for (auto& stack : stacks_) stack->set_trace(sink);
}

Stack* DirectNetwork::route(wire::Bytes packet) {
    auto ip = wire::Ipv4View::parse(packet, wire::ChecksumCheck::skip);
    if (!ip) return nullptr;
    auto found = std::find(addresses_.begin(), addresses_.end(), ip->destination().value());
    return found == addresses_.end() ? nullptr : stacks_[static_cast<std::size_t>(found - addresses_.begin())].get();
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
