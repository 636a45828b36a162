#pragma once
// Neighbours on an Ethernet link: ARP (RFC 826) for IPv4, sans-I/O. The table answers requests for our
// address, learns from what it hears (RFC 826's merge), resolves the next hops our packets go to, holds a
// few packets while a resolution is under way, and gives up after a few unanswered requests, handing the
// held packets back so that their senders learn EHOSTUNREACH (RFC 1122 2.3.2.2 and 2.3.2.1). It never
// reads a clock: every call takes `now`, and next_deadline() says when poll() next has work.
//
// Per packet, resolve() is one hash lookup. Memory is bounded: at most max_entries neighbours, and at most
// max_held packets (max_held_per_neighbor for one of them) waiting; only those held packets, rare and
// bounded, are copied to the heap.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "wire/address.h"
#include "wire/arp.h"
#include "wire/bytes.h"

namespace tcpp::link {

using wire::Ipv4Address;
using wire::MacAddress;

struct NeighborConfig {
    // An answer is believed this long (Linux: base_reachable_time, 30 s); used after it, it is confirmed
    // again by a request, the old address still used meanwhile (RFC 1122 2.3.2.1).
    std::uint64_t reachable_us = 30'000'000;
    std::uint64_t retry_us = 1'000'000;  // between requests for one neighbour (Linux: retrans_time)
    unsigned max_requests = 3;           // unanswered, and the neighbour is unreachable (Linux: mcast_solicit)
    std::size_t max_entries = 1024;
    std::size_t max_held = 256;            // packets waiting for any resolution
    std::size_t max_held_per_neighbor = 8;  // ... for one (the oldest is dropped past it)
};

// Counters in the manner of Linux's `ip -s neigh` and its ARP statistics.
struct NeighborCounters {
    std::uint64_t requests_sent = 0;
    std::uint64_t replies_sent = 0;
    std::uint64_t requests_received = 0;  // for our address
    std::uint64_t replies_received = 0;
    std::uint64_t resolution_failures = 0;  // neighbours given up on after max_requests
    std::uint64_t held = 0;                 // packets held while a resolution was under way
    std::uint64_t held_dropped = 0;         // ... dropped for want of room (not reported unreachable)
    std::uint64_t unreachable = 0;          // ... handed back as unreachable
    std::uint64_t entries_evicted = 0;      // neighbours forgotten to make room for another
};

class NeighborTable {
public:
    NeighborTable(Ipv4Address ours, MacAddress our_mac, NeighborConfig config = {});

    // A packet for `next_hop`: the hardware address to send it to now, or nothing, in which case the table
    // has kept a copy of it (or dropped it, counted, when full) until the neighbour answers or is given up.
    std::optional<MacAddress> resolve(Ipv4Address next_hop, wire::Bytes packet, std::uint64_t now);
    // An ARP packet heard on the link.
    void arp_arrived(const wire::ArpPacket& arp, std::uint64_t now);
    // Requests again, or gives up on, the neighbours whose time has come.
    void poll(std::uint64_t now);
    std::optional<std::uint64_t> next_deadline() const;

    // --- What the table has for the link to do, each taken once ---
    // An ARP packet to send (a request goes to the broadcast address, a reply to its asker).
    struct OutgoingArp {
        wire::ArpPacket packet;
        MacAddress destination;
    };
    std::optional<OutgoingArp> next_arp();
    // A held packet whose neighbour has answered: its bytes (valid until the next call) and where to.
    std::optional<wire::Bytes> next_released(MacAddress& destination);
    // A held packet whose neighbour never answered (valid until the next call): its sender should hear
    // that the host is unreachable.
    std::optional<wire::Bytes> next_unreachable();

    // The neighbour's address, if known (for tests and listings).
    std::optional<MacAddress> lookup(Ipv4Address address) const;
    std::size_t size() const { return entries_.size(); }
    std::size_t held() const { return held_.size(); }
    const NeighborCounters& counters() const { return counters_; }
    MacAddress mac() const { return our_mac_; }
    Ipv4Address address() const { return ours_; }

private:
    struct Entry {
        MacAddress mac;
        bool resolved = false;
        unsigned requests = 0;         // sent since the last answer
        std::uint64_t confirmed_us = 0;  // when the last answer came
        std::uint64_t next_request_us = 0;  // while resolving or confirming: when to ask again
        std::uint64_t last_used_us = 0;
    };
    struct Held {
        Ipv4Address next_hop;
        std::vector<std::byte> bytes;
    };

    Entry* find(Ipv4Address address);
    Entry* insert(Ipv4Address address, std::uint64_t now);  // nullptr: no room
    void request(Ipv4Address address, Entry& entry, std::uint64_t now);
    void learned(Ipv4Address address, Entry& entry, MacAddress mac, std::uint64_t now);
    void hold(Ipv4Address next_hop, wire::Bytes packet);

    Ipv4Address ours_;
    MacAddress our_mac_;
    NeighborConfig config_;
    std::unordered_map<std::uint32_t, Entry> entries_;
    std::deque<Held> held_;      // in arrival order
    std::deque<OutgoingArp> arp_out_;
    std::deque<Held> released_;  // resolved, to send in order
    std::deque<Held> unreachable_;
    std::vector<std::byte> taken_;  // the bytes last handed out
    // No entry's request falls due before this (it may be early: an answer cancels a request silently).
    static constexpr std::uint64_t never = ~std::uint64_t{0};
    std::uint64_t deadline_ = never;
    std::size_t asking_ = 0;  // entries with a request out (next_request_us set)
    NeighborCounters counters_;
};

}  // namespace tcpp::link
