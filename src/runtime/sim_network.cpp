#include "runtime/sim_network.h"

#include <algorithm>

#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp::runtime {

SimNetwork::SimNetwork(std::uint64_t seed, LinkConfig link) : random_(seed), default_link_(link) {}

Stack& SimNetwork::add_node(StackConfig config) {
    nodes_.push_back(Node{std::make_unique<Stack>(std::move(config))});
    return *nodes_.back().stack;
}

void SimNetwork::set_link(Ipv4Address from, Ipv4Address to, LinkConfig link) {
    std::size_t a = nodes_.size(), b = nodes_.size();
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].stack->config().address == from) a = i;
        if (nodes_[i].stack->config().address == to) b = i;
    }
    links_[{a, b}] = link;
}

const LinkConfig& SimNetwork::link(std::size_t from, std::size_t to) const {
    auto found = links_.find({from, to});
    return found == links_.end() ? default_link_ : found->second;
}

// 53 random bits as a double in [0, 1): the same on every platform, unlike std::uniform_real_distribution.
double SimNetwork::uniform() { return static_cast<double>(random_() >> 11) * 0x1.0p-53; }

void SimNetwork::flush() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        while (auto packet = nodes_[i].stack->next_output()) send(i, *packet);
    }
}

void SimNetwork::send(std::size_t from, wire::Bytes packet) {
    ++packets_sent_;
    if (capture_) capture_(now_, packet);
    auto ip = wire::Ipv4View::parse(packet, wire::ChecksumCheck::skip);
    if (!ip) return;
    auto to = std::find_if(nodes_.begin(), nodes_.end(),
                           [&](const Node& n) { return n.stack->config().address == ip->destination(); });
    if (to == nodes_.end()) {
        ++packets_lost_;
        trace_drop(from, packet, "no route");
        return;
    }
    std::size_t destination = static_cast<std::size_t>(to - nodes_.begin());
    const LinkConfig& config = link(from, destination);
    // Every random draw happens for every packet, in the same order, so one seed is one run.
    double loss = uniform(), duplicate = uniform(), reorder = uniform(), corrupt = uniform();
    std::uint64_t bit = random_();
    if (drop_rule_ && drop_rule_(nodes_[from].stack->config().name, packet)) {
        ++packets_lost_;
        trace_drop(from, packet, "dropped by rule");
        return;
    }
    if (loss < config.loss) {
        ++packets_lost_;
        trace_drop(from, packet, "lost");
        return;
    }
    int copies = duplicate < config.duplicate ? 2 : 1;
    for (int copy = 0; copy < copies; ++copy) {
        Delivery delivery{now_ + config.delay_us, order_++, destination, {packet.begin(), packet.end()}};
        if (reorder < config.reorder && copy == 0) delivery.at_us += config.reorder_delay_us;
        if (corrupt < config.corrupt && copy == 0) {
            std::size_t at = bit % (delivery.packet.size() * 8);
            delivery.packet[at / 8] ^= std::byte(1u << (at % 8));
        }
        in_flight_.push(std::move(delivery));
    }
}

bool SimNetwork::step(std::uint64_t deadline_us) {
    flush();
    std::optional<std::uint64_t> next;
    if (!in_flight_.empty()) next = in_flight_.top().at_us;
    for (const Node& node : nodes_) {
        if (auto deadline = node.stack->next_deadline(); deadline && (!next || *deadline < *next)) next = *deadline;
    }
    if (!next || *next > deadline_us) return false;
    now_ = std::max(now_, *next);
    while (!in_flight_.empty() && in_flight_.top().at_us <= now_) {
        Delivery delivery = std::move(const_cast<Delivery&>(in_flight_.top()));
        in_flight_.pop();
        nodes_[delivery.node].stack->receive(delivery.packet, now_);
        flush();
    }
    // Every stack's clock follows the network's, so user calls between steps act at the right time.
    for (Node& node : nodes_) node.stack->poll(now_);
    flush();
    return true;
}

void SimNetwork::run_until(std::uint64_t deadline_us) {
    while (step(deadline_us)) {
    }
    now_ = std::max(now_, deadline_us);
    for (Node& node : nodes_) node.stack->poll(now_);
    flush();
}

bool SimNetwork::run_until(const std::function<bool()>& done, std::uint64_t deadline_us) {
    flush();
    if (done()) return true;
    while (step(deadline_us)) {
        if (done()) return true;
    }
    return done();
}

void SimNetwork::trace_drop(std::size_t from, wire::Bytes packet, std::string_view reason) {
    if (!trace_) return;
    auto ip = wire::Ipv4View::parse(packet, wire::ChecksumCheck::skip);
    if (!ip) return;
    auto tcp = wire::TcpView::parse(*ip, wire::ChecksumCheck::skip);
    if (!tcp) return;
    wire::TcpSegment segment = wire::TcpSegment::from(*tcp);
    TraceEvent event;
    event.type = TraceEvent::Type::drop;
    event.t_us = now_;
    event.node = nodes_[from].stack->config().name;
    event.local = {ip->source(), segment.source_port};
    event.remote = Endpoint{ip->destination(), segment.destination_port};
    event.direction = Direction::out;
    event.segment = &segment;
    event.reason = reason;
    trace_->record(event);
}

}  // namespace tcpp::runtime
