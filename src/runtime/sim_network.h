#pragma once
// A simulated network: several stacks joined by links with delay, loss, duplication, reordering and
// corruption, on one virtual clock, driven by a seed. The same seed gives the same run, byte for byte;
// a 2*MSL of 60 s passes in microseconds of wall time.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "tcpp/stack.h"

namespace tcpp::runtime {

struct LinkConfig {
    std::uint64_t delay_us = 1'000;       // one way
    double loss = 0;                      // probability that a packet is lost
    double duplicate = 0;                 // ... delivered twice
    double reorder = 0;                   // ... held back by reorder_delay_us, so later ones overtake it
    std::uint64_t reorder_delay_us = 5'000;
    double corrupt = 0;                   // ... has one bit flipped (the checksum then drops it)
};

// Decides, packet by packet, that the network loses one: for scenarios that need a particular loss.
// Given the sending node and the packet (IPv4); true drops it.
using DropRule = std::function<bool(const std::string& node, wire::Bytes packet)>;

class SimNetwork {
public:
    explicit SimNetwork(std::uint64_t seed, LinkConfig link = {});

    // Adds a stack; the network owns it and routes packets to its address.
    Stack& add_node(StackConfig config);
    // The link from one node to another (by address); others use the default given at construction.
    void set_link(Ipv4Address from, Ipv4Address to, LinkConfig link);
    void set_drop_rule(DropRule rule) { drop_rule_ = std::move(rule); }
    // Sees every packet as it enters the network (lost ones too), with the time: for pcap captures.
    void set_capture(std::function<void(std::uint64_t t_us, wire::Bytes packet)> capture) {
        capture_ = std::move(capture);
    }
    // Drops are reported to this sink (as TraceEvent::Type::drop, from the sender's side).
    void set_trace(TraceSink* sink) { trace_ = sink; }

    std::uint64_t now_us() const { return now_; }
    // Runs until the virtual clock reaches deadline_us, or nothing is left to happen.
    void run_until(std::uint64_t deadline_us);
    // Runs until done() holds (checked after every step) or the clock passes deadline_us. True if done.
    bool run_until(const std::function<bool()>& done, std::uint64_t deadline_us);
    // Runs for a span of virtual time.
    void run_for(std::uint64_t duration_us) { run_until(now_ + duration_us); }
    // Takes packets the stacks have queued (after user calls) onto the links.
    void flush();

    std::uint64_t packets_sent() const { return packets_sent_; }
    std::uint64_t packets_lost() const { return packets_lost_; }

private:
    struct Node {
        std::unique_ptr<Stack> stack;
    };
    struct Delivery {
        std::uint64_t at_us;
        std::uint64_t order;  // ties broken by sending order: the run is deterministic
        std::size_t node;
        std::vector<std::byte> packet;
        bool operator>(const Delivery& other) const {
            return at_us != other.at_us ? at_us > other.at_us : order > other.order;
        }
    };

    // One step: deliver what is due and run due timers at the next instant, if it is by deadline_us.
    bool step(std::uint64_t deadline_us);
    void send(std::size_t from, wire::Bytes packet);
    double uniform();
    const LinkConfig& link(std::size_t from, std::size_t to) const;
    void trace_drop(std::size_t from, wire::Bytes packet, std::string_view reason);

    std::mt19937_64 random_;
    LinkConfig default_link_;
    std::map<std::pair<std::size_t, std::size_t>, LinkConfig> links_;
    std::vector<Node> nodes_;
    std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> in_flight_;
    std::uint64_t now_ = 0;
    std::uint64_t order_ = 0;
    std::uint64_t packets_sent_ = 0;
    std::uint64_t packets_lost_ = 0;
    DropRule drop_rule_;
    std::function<void(std::uint64_t, wire::Bytes)> capture_;
    TraceSink* trace_ = nullptr;
};

}  // namespace tcpp::runtime
