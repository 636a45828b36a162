#include "link/neighbor_table.h"

#include <algorithm>
#include <limits>

namespace tcpp::link {

NeighborTable::NeighborTable(Ipv4Address ours, MacAddress our_mac, NeighborConfig config)
    : ours_(ours), our_mac_(our_mac), config_(config) {
    entries_.reserve(config_.max_entries);
}

NeighborTable::Entry* NeighborTable::find(Ipv4Address address) {
    auto it = entries_.find(address.value());
    return it == entries_.end() ? nullptr : &it->second;
}

std::optional<MacAddress> NeighborTable::lookup(Ipv4Address address) const {
    auto it = entries_.find(address.value());
    if (it == entries_.end() || !it->second.resolved) return std::nullopt;
    return it->second.mac;
}

std::optional<MacAddress> NeighborTable::resolve(Ipv4Address next_hop, wire::Bytes packet, std::uint64_t now) {
    Entry* entry = find(next_hop);
    if (entry != nullptr && entry->resolved) {
        entry->last_used_us = now;
        // Believed too long without an answer: ask again (to the address we have, RFC 1122 2.3.2.1), and
        // go on using it while the question is out.
        if (entry->requests == 0 && now - entry->confirmed_us >= config_.reachable_us) request(next_hop, *entry, now);
        return entry->mac;
    }
    if (entry == nullptr) {
        entry = insert(next_hop, now);
        if (entry == nullptr) {  // full of neighbours still being resolved: nothing to make room with
            ++counters_.held_dropped;
            return std::nullopt;
        }
        request(next_hop, *entry, now);
    }
    hold(next_hop, packet);
    return std::nullopt;
}

// RFC 826, "Packet Reception": update the sender's entry if we have one; if the packet is for us, add the
// sender if we had none, and answer a request.
void NeighborTable::arp_arrived(const wire::ArpPacket& arp, std::uint64_t now) {
    // A sender of 0.0.0.0 is an address probe (RFC 5227): nothing to learn from it.
    const bool learnable = arp.sender_ip != Ipv4Address{} && arp.sender_ip != ours_;
    bool merged = false;
    if (learnable) {
        if (Entry* entry = find(arp.sender_ip)) {
            learned(arp.sender_ip, *entry, arp.sender_mac, now);
            merged = true;
        }
    }
    if (arp.target_ip != ours_) return;
    if (learnable && !merged) {
        if (Entry* entry = insert(arp.sender_ip, now)) learned(arp.sender_ip, *entry, arp.sender_mac, now);
    }
    if (arp.operation == wire::ArpOperation::reply) {
        ++counters_.replies_received;
        return;
    }
    ++counters_.requests_received;
    wire::ArpPacket reply;
    reply.operation = wire::ArpOperation::reply;
    reply.sender_mac = our_mac_;
    reply.sender_ip = ours_;
    reply.target_mac = arp.sender_mac;
    reply.target_ip = arp.sender_ip;
    arp_out_.push_back({reply, arp.sender_mac});
    ++counters_.replies_sent;
}

void NeighborTable::poll(std::uint64_t now) {
    // Called every round of the event loop: the walk over the table only when some request is due.
    if (now < deadline_) return;
    deadline_ = never;
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& entry = it->second;
        if (entry.next_request_us == 0 || entry.next_request_us > now) {
            if (entry.next_request_us != 0) deadline_ = std::min(deadline_, entry.next_request_us);
            ++it;
            continue;
        }
        const Ipv4Address address{it->first};
        if (entry.requests < config_.max_requests) {
            request(address, entry, now);
            ++it;
            continue;
        }
        // Unanswered: unreachable. What waited for it goes back, for its senders to hear so.
        ++counters_.resolution_failures;
        for (auto held = held_.begin(); held != held_.end();) {
            if (held->next_hop == address) {
                unreachable_.push_back(std::move(*held));
                ++counters_.unreachable;
                held = held_.erase(held);
            } else {
                ++held;
            }
        }
        --asking_;
        it = entries_.erase(it);
    }
}

std::optional<std::uint64_t> NeighborTable::next_deadline() const {
    if (!arp_out_.empty() || !released_.empty() || !unreachable_.empty()) return 0;  // work waiting now
    if (deadline_ == never) return std::nullopt;
    return deadline_;
}

std::optional<NeighborTable::OutgoingArp> NeighborTable::next_arp() {
    if (arp_out_.empty()) return std::nullopt;
    OutgoingArp out = arp_out_.front();
    arp_out_.pop_front();
    return out;
}

std::optional<wire::Bytes> NeighborTable::next_released(MacAddress& destination) {
    if (released_.empty()) return std::nullopt;
    taken_ = std::move(released_.front().bytes);
    const Ipv4Address next_hop = released_.front().next_hop;
    released_.pop_front();
    auto mac = lookup(next_hop);
    destination = mac ? *mac : MacAddress::broadcast();  // always known: released as it was learned
    return wire::Bytes{taken_};
}

std::optional<wire::Bytes> NeighborTable::next_unreachable() {
    if (unreachable_.empty()) return std::nullopt;
    taken_ = std::move(unreachable_.front().bytes);
    unreachable_.pop_front();
    return wire::Bytes{taken_};
}

// A new neighbour. At capacity the one used least recently among those resolved (which hold no packets)
// is forgotten; if every entry is still being resolved, there is no room.
NeighborTable::Entry* NeighborTable::insert(Ipv4Address address, std::uint64_t now) {
    if (entries_.size() >= config_.max_entries) {
        auto victim = entries_.end();
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->second.resolved && (victim == entries_.end() || it->second.last_used_us < victim->second.last_used_us)) {
                victim = it;
            }
        }
        if (victim == entries_.end()) return nullptr;
        if (victim->second.next_request_us != 0) --asking_;  // a resolved one being confirmed
        entries_.erase(victim);
        ++counters_.entries_evicted;
    }
    Entry& entry = entries_[address.value()];
    entry.last_used_us = now;
    return &entry;
}

void NeighborTable::request(Ipv4Address address, Entry& entry, std::uint64_t now) {
    wire::ArpPacket packet;
    packet.operation = wire::ArpOperation::request;
    packet.sender_mac = our_mac_;
    packet.sender_ip = ours_;
    packet.target_ip = address;  // target_mac: zero, as it is unknown
    // To everyone while unknown; to the address we have when only confirming it.
    arp_out_.push_back({packet, entry.resolved ? entry.mac : MacAddress::broadcast()});
    ++entry.requests;
    if (entry.next_request_us == 0) ++asking_;
    entry.next_request_us = now + config_.retry_us;
    deadline_ = std::min(deadline_, entry.next_request_us);
    ++counters_.requests_sent;
}

void NeighborTable::learned(Ipv4Address address, Entry& entry, MacAddress mac, std::uint64_t now) {
    entry.mac = mac;
    entry.resolved = true;
    entry.requests = 0;
    entry.confirmed_us = now;
    if (entry.next_request_us != 0 && --asking_ == 0) deadline_ = never;  // nobody left to ask
    entry.next_request_us = 0;
    for (auto held = held_.begin(); held != held_.end();) {
        if (held->next_hop == address) {
            released_.push_back(std::move(*held));
            held = held_.erase(held);
        } else {
            ++held;
        }
    }
}

void NeighborTable::hold(Ipv4Address next_hop, wire::Bytes packet) {
    const auto for_it = static_cast<std::size_t>(
        std::count_if(held_.begin(), held_.end(), [&](const Held& h) { return h.next_hop == next_hop; }));
    if (for_it >= config_.max_held_per_neighbor) {
        held_.erase(std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.next_hop == next_hop; }));
        ++counters_.held_dropped;
    } else if (held_.size() >= config_.max_held) {
        held_.pop_front();
        ++counters_.held_dropped;
    }
    held_.push_back({next_hop, std::vector<std::byte>(packet.begin(), packet.end())});
    ++counters_.held;
}

}  // namespace tcpp::link
