#pragma once
// IPv4 fragment reassembly (RFC 791 3.2, with RFC 815's bookkeeping of what has arrived), sans-I/O: it takes
// fragments and the time, and hands back whole datagrams.
//
// A datagram in progress is keyed by (source, destination, protocol, identification), found through a keyed
// hash in O(1). Its bytes lie in 2 KiB blocks at their place in the datagram, taken from a pool that grows
// in 64 KiB chunks up to the memory budget and keeps them: once warmed up, no fragment allocates. What has
// arrived is a short sorted list of disjoint ranges (RFC 815's holes are the gaps between them).
//
// Bounded in memory and in time: every datagram's blocks and record count against a byte budget (over the
// high threshold, the oldest datagrams are evicted down to the low one); at most max_datagrams are in
// progress (a new one evicts the oldest); each has timeout_us from its first fragment to complete.
//
// What is refused drops the whole datagram (ReasmFails): any overlap between fragments (as Linux does since
// 2018; RFC 5722 forbids them for IPv6 for the attacks they allow), though a fragment that repeats bytes
// already held, identically, is an exact duplicate and ignored; a fragment that is not the last whose length
// is not a multiple of 8, or that carries no data; data past 65,515 bytes (a 65,535-byte packet less a 20-byte
// header), or past the end the last fragment gave; a second last fragment with another end; more than 64
// separate pieces at once.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "ip/reassembly_config.h"
#include "tcp/counters.h"
#include "tcp/siphash.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"

namespace tcpp::ip {

class FragmentReassembly {
public:
    static constexpr std::size_t block_size = 2048;
    static constexpr std::size_t max_ranges = 64;
    // The largest payload a datagram can carry: a 65,535-byte packet with a header of 20 bytes.
    static constexpr std::size_t max_payload = 65535 - wire::Ipv4View::min_header_size;

    // Counts in counters' Ip fields (ReasmReqds, ReasmOKs, ReasmFails, ReasmTimeout, ReasmOverlaps); the
    // key makes the hash of the datagrams' keys one an attacker cannot aim at.
    FragmentReassembly(const ReassemblyConfig& config, tcp::Counters& counters, const tcp::SipKey& key);
    FragmentReassembly(const FragmentReassembly&) = delete;
    FragmentReassembly& operator=(const FragmentReassembly&) = delete;
    ~FragmentReassembly();

    // One fragment (a packet with MF set or a non-zero offset) at `now`; expire(now) should have run first.
    // When it completes its datagram: the whole packet, the first fragment's header with the total length
    // set, MF and offset cleared and the checksum made right, valid until the next call.
    std::optional<wire::Bytes> add(const wire::Ipv4View& fragment, std::uint64_t now);

    // Drops the datagrams whose time is up by `now` (ReasmTimeout, ReasmFails). For each whose first fragment
    // had arrived, expired(quote) with that fragment's header and the first 8 bytes of its data, for the ICMP
    // time exceeded that RFC 792 and RFC 1122 3.3.2 ask (valid during the call).
    template <class Expired>
    void expire(std::uint64_t now, Expired&& expired) {
        while (oldest_ != none && datagrams_[oldest_].deadline <= now) {
            const std::uint32_t index = oldest_;
            ++counters_.ReasmTimeout;
            ++counters_.ReasmFails;
            if (datagrams_[index].first_arrived) expired(quote(datagrams_[index]));
            drop(index);
        }
    }
    // When expire() next has work: the oldest datagram's deadline.
    std::optional<std::uint64_t> next_deadline() const {
        if (oldest_ == none) return std::nullopt;
        return datagrams_[oldest_].deadline;
    }

    std::size_t datagrams_in_progress() const { return in_progress_; }
    // What the datagrams in progress hold, as counted against the budget.
    std::size_t memory_bytes() const { return held_bytes_; }
    // What the block pool has taken from the allocator (kept for reuse).
    std::size_t pool_bytes() const { return chunks_.size() * chunk_blocks * block_size; }
    const ReassemblyConfig& config() const { return config_; }

private:
    static constexpr std::uint32_t none = ~std::uint32_t{0};
    static constexpr std::size_t blocks_per_datagram = (max_payload + block_size - 1) / block_size;
    static constexpr std::size_t chunk_blocks = 32;  // 64 KiB: the pool grows by this much at a time
    static constexpr std::size_t max_header = 60;
    static constexpr std::size_t quoted_data = 8;  // RFC 792: the header and the first 64 bits of data

    struct Range {
        std::uint16_t start;
        std::uint16_t end;  // one past
    };
    struct Datagram {
        // The key.
        std::uint32_t source = 0;
        std::uint32_t destination = 0;
        std::uint16_t identification = 0;
        std::uint8_t protocol = 0;

        bool in_use = false;
        bool first_arrived = false;     // the fragment at offset 0, whose header the datagram takes
        bool last_arrived = false;      // the fragment without MF, which sets the length
        std::uint8_t header_length = 0;  // the first fragment's
        std::uint16_t range_count = 0;
        std::uint16_t payload_length = 0;  // once the last fragment arrived
        std::uint32_t block_count = 0;
        std::uint64_t deadline = 0;
        std::uint32_t next_in_bucket = none;
        std::uint32_t older = none;  // the age list, oldest first; also the free list's link
        std::uint32_t newer = none;
        std::array<std::byte, max_header> header{};
        std::array<Range, max_ranges> ranges{};  // sorted, disjoint, never touching
        std::array<std::uint32_t, blocks_per_datagram> blocks{};  // none where nothing arrived
    };
    static constexpr std::size_t record_bytes = sizeof(Datagram);

    std::uint32_t bucket_of(std::uint32_t source, std::uint32_t destination, std::uint16_t identification,
                            std::uint8_t protocol) const;
    std::uint32_t find(const wire::Ipv4View& fragment, std::uint32_t bucket) const;
    std::uint32_t create(const wire::Ipv4View& fragment, std::uint32_t bucket, std::uint64_t now);
    // Evicts the oldest datagrams other than `keep` until `more` bytes fit under the high threshold (going
    // down to the low one); whether they fit.
    bool make_room(std::size_t more, std::uint32_t keep);
    // Drops a datagram and gives back what it held (counting nothing).
    void drop(std::uint32_t index);
    // Drops a datagram as a failure.
    void fail(std::uint32_t index) {
        ++counters_.ReasmFails;
        drop(index);
    }
    bool holds_same_bytes(const Datagram& datagram, std::size_t offset, wire::Bytes data) const;
    void store(Datagram& datagram, std::size_t offset, wire::Bytes data);
    wire::Bytes assemble(const Datagram& datagram);
    wire::Bytes quote(const Datagram& datagram);

    std::byte* block(std::uint32_t index) const {
        return chunks_[index / chunk_blocks].get() + index % chunk_blocks * block_size;
    }
    std::uint32_t take_block();
    void give_back_block(std::uint32_t index);

    ReassemblyConfig config_;
    tcp::Counters& counters_;
    tcp::SipKey key_;

    std::vector<Datagram> datagrams_;  // records, reused; grows to at most max_datagrams
    std::uint32_t free_datagram_ = none;
    std::vector<std::uint32_t> buckets_;  // heads of the hash chains; a power of two of them
    std::uint32_t oldest_ = none;
    std::uint32_t newest_ = none;
    std::size_t in_progress_ = 0;
    std::size_t held_bytes_ = 0;

    std::vector<std::unique_ptr<std::byte[]>> chunks_;  // the block pool
    std::uint32_t free_block_ = none;  // free blocks are chained through their first four bytes

    std::unique_ptr<std::byte[]> assembled_;  // the last whole datagram handed back
    std::array<std::byte, max_header + quoted_data> quote_{};
};

}  // namespace tcpp::ip
