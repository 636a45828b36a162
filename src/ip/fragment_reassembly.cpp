#include "ip/fragment_reassembly.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

#include "wire/checksum.h"

namespace tcpp::ip {
namespace {

ReassemblyConfig settled(ReassemblyConfig config) {
    config.low_threshold = std::min(config.low_threshold, config.high_threshold);
    config.max_datagrams = std::clamp<std::size_t>(config.max_datagrams, 1, std::size_t{1} << 24);
    config.timeout_us = std::max<std::uint64_t>(config.timeout_us, 1);
    return config;
}

}  // namespace

FragmentReassembly::FragmentReassembly(const ReassemblyConfig& config, tcp::Counters& counters, const tcp::SipKey& key)
    : config_(settled(config)), counters_(counters), key_(key) {}

FragmentReassembly::~FragmentReassembly() = default;

std::optional<wire::Bytes> FragmentReassembly::add(const wire::Ipv4View& fragment, std::uint64_t now) {
    ++counters_.ReasmReqds;
    const std::size_t offset = fragment.fragment_offset();
    const wire::Bytes data = fragment.payload();
    const std::size_t end = offset + data.size();
    const bool last = !fragment.more_fragments();
    // RFC 791: every fragment but the last carries whole 8-octet units (the next one's offset counts them).
    const bool malformed = end > max_payload || (!last && (data.empty() || data.size() % 8 != 0));

    const std::uint32_t bucket = bucket_of(fragment.source().value(), fragment.destination().value(),
                                           fragment.identification(), fragment.protocol());
    std::uint32_t index = find(fragment, bucket);
    if (malformed) {
        if (index != none) {
            fail(index);
        } else {
            ++counters_.ReasmFails;
        }
        return std::nullopt;
    }
    if (index == none) {
        index = create(fragment, bucket, now);
        if (index == none) {
            ++counters_.ReasmFails;
            return std::nullopt;
        }
    }
    Datagram& datagram = datagrams_[index];

    // The end of the datagram: set once by the last fragment, and nothing may lie past it.
    if (last) {
        const std::size_t held_end = datagram.range_count == 0 ? 0 : datagram.ranges[datagram.range_count - 1].end;
        if ((datagram.last_arrived && datagram.payload_length != end) || held_end > end) {
            fail(index);
            return std::nullopt;
        }
    } else if (datagram.last_arrived && end > datagram.payload_length) {
        fail(index);
        return std::nullopt;
    }

    // Where the fragment falls among the ranges held: `at` is the first range that ends at or after its start,
    // `after` the first that ends past it (the next one, when `at` ends just where the fragment starts).
    std::size_t at = 0;
    while (at < datagram.range_count && datagram.ranges[at].end < offset) ++at;
    const bool joins_previous = at < datagram.range_count && datagram.ranges[at].end == offset;
    const std::size_t after = joins_previous ? at + 1 : at;
    if (!data.empty() && after < datagram.range_count && datagram.ranges[after].start < end) {
        // It overlaps bytes held. Within one range and the same bytes, it is a copy of a fragment already
        // taken (a duplicate the network made): ignored. Anything else drops the datagram.
        const Range& range = datagram.ranges[after];
        if (range.start <= offset && end <= range.end && holds_same_bytes(datagram, offset, data)) {
            return std::nullopt;
        }
        ++counters_.ReasmOverlaps;
        fail(index);
        return std::nullopt;
    }

    if (!data.empty()) {
        // The blocks the fragment needs that the datagram does not have yet, within the budget.
        std::size_t new_blocks = 0;
        for (std::size_t b = offset / block_size; b <= (end - 1) / block_size; ++b) {
            if (datagram.blocks[b] == none) ++new_blocks;
        }
        const bool joins_next = after < datagram.range_count && datagram.ranges[after].start == end;
        if (!joins_previous && !joins_next && datagram.range_count == max_ranges) {
            fail(index);
            return std::nullopt;
        }
        if (!make_room(new_blocks * block_size, index)) {
            fail(index);
            return std::nullopt;
        }
        store(datagram, offset, data);

        const auto start16 = static_cast<std::uint16_t>(offset);
        const auto end16 = static_cast<std::uint16_t>(end);
        Range* ranges = datagram.ranges.data();
        if (joins_previous && joins_next) {
            ranges[at].end = ranges[after].end;
            std::copy(ranges + after + 1, ranges + datagram.range_count, ranges + after);
            --datagram.range_count;
        } else if (joins_previous) {
            ranges[at].end = end16;
        } else if (joins_next) {
            ranges[after].start = start16;
        } else {
            std::copy_backward(ranges + after, ranges + datagram.range_count, ranges + datagram.range_count + 1);
            ranges[after] = Range{start16, end16};
            ++datagram.range_count;
        }
    }

    if (offset == 0) {
        datagram.first_arrived = true;
        datagram.header_length = static_cast<std::uint8_t>(fragment.header_length());
        std::memcpy(datagram.header.data(), fragment.header().data(), fragment.header_length());
    }
    if (last) {
        datagram.last_arrived = true;
        datagram.payload_length = static_cast<std::uint16_t>(end);
    }

    const bool whole = datagram.last_arrived && datagram.first_arrived &&
                       (datagram.payload_length == 0 ||
                        (datagram.range_count == 1 && datagram.ranges[0].start == 0 &&
                         datagram.ranges[0].end == datagram.payload_length));
    if (!whole) return std::nullopt;
    // The first fragment's header may be longer than the 20 bytes the limit on data assumed.
    if (std::size_t{datagram.header_length} + datagram.payload_length > 65535) {
        fail(index);
        return std::nullopt;
    }
    const wire::Bytes packet = assemble(datagram);
    ++counters_.ReasmOKs;
    drop(index);
    return packet;
}

std::uint32_t FragmentReassembly::bucket_of(std::uint32_t source, std::uint32_t destination,
                                            std::uint16_t identification, std::uint8_t protocol) const {
    if (buckets_.empty()) return 0;
    const std::uint64_t hash = tcp::siphash13(key_, std::uint64_t{source} << 32 | destination,
                                              std::uint32_t{identification} << 8 | protocol);
    return static_cast<std::uint32_t>(hash & (buckets_.size() - 1));
}

std::uint32_t FragmentReassembly::find(const wire::Ipv4View& fragment, std::uint32_t bucket) const {
    if (buckets_.empty()) return none;
    const std::uint32_t source = fragment.source().value();
    const std::uint32_t destination = fragment.destination().value();
    for (std::uint32_t i = buckets_[bucket]; i != none; i = datagrams_[i].next_in_bucket) {
        const Datagram& d = datagrams_[i];
        if (d.source == source && d.destination == destination && d.identification == fragment.identification() &&
            d.protocol == fragment.protocol()) {
            return i;
        }
    }
    return none;
}

std::uint32_t FragmentReassembly::create(const wire::Ipv4View& fragment, std::uint32_t bucket, std::uint64_t now) {
    if (buckets_.empty()) {
        // The first fragment the stack sees: the index, sized once for the most datagrams allowed.
        buckets_.assign(std::bit_ceil(config_.max_datagrams), none);
        bucket = bucket_of(fragment.source().value(), fragment.destination().value(), fragment.identification(),
                           fragment.protocol());
    }
    if (in_progress_ >= config_.max_datagrams) fail(oldest_);
    if (!make_room(record_bytes, none)) return none;

    std::uint32_t index = free_datagram_;
    if (index != none) {
        free_datagram_ = datagrams_[index].older;
    } else {
        index = static_cast<std::uint32_t>(datagrams_.size());
        datagrams_.emplace_back();
    }
    Datagram& d = datagrams_[index];
    d.source = fragment.source().value();
    d.destination = fragment.destination().value();
    d.identification = fragment.identification();
    d.protocol = fragment.protocol();
    d.in_use = true;
    d.first_arrived = false;
    d.last_arrived = false;
    d.header_length = 0;
    d.range_count = 0;
    d.payload_length = 0;
    d.block_count = 0;
    d.blocks.fill(none);
    // Timed from its first fragment, never extended: a trickle of fragments cannot keep it for ever.
    d.deadline = now + config_.timeout_us;
    d.next_in_bucket = buckets_[bucket];
    buckets_[bucket] = index;
    // The newest: the timeout is the same for all, so the age list is also in order of deadline.
    d.older = newest_;
    d.newer = none;
    if (newest_ != none) {
        datagrams_[newest_].newer = index;
    } else {
        oldest_ = index;
    }
    newest_ = index;
    ++in_progress_;
    held_bytes_ += record_bytes;
    return index;
}

bool FragmentReassembly::make_room(std::size_t more, std::uint32_t keep) {
    if (held_bytes_ + more <= config_.high_threshold) return true;
    // Over the high threshold: evict from the oldest down to the low one, so that the next fragments do not
    // each evict another datagram.
    std::uint32_t candidate = oldest_;
    while (candidate != none && held_bytes_ + more > config_.low_threshold) {
        const std::uint32_t newer = datagrams_[candidate].newer;
        if (candidate != keep) fail(candidate);
        candidate = newer;
    }
    return held_bytes_ + more <= config_.high_threshold;
}

void FragmentReassembly::drop(std::uint32_t index) {
    Datagram& d = datagrams_[index];
    assert(d.in_use);
    for (std::uint32_t& b : d.blocks) {
        if (b != none) give_back_block(b);
        b = none;
    }
    held_bytes_ -= d.block_count * block_size + record_bytes;
    d.block_count = 0;

    const std::uint32_t bucket = bucket_of(d.source, d.destination, d.identification, d.protocol);
    std::uint32_t* link = &buckets_[bucket];
    while (*link != index) link = &datagrams_[*link].next_in_bucket;
    *link = d.next_in_bucket;

    if (d.older != none) {
        datagrams_[d.older].newer = d.newer;
    } else {
        oldest_ = d.newer;
    }
    if (d.newer != none) {
        datagrams_[d.newer].older = d.older;
    } else {
        newest_ = d.older;
    }
    d.in_use = false;
    d.older = free_datagram_;
    free_datagram_ = index;
    --in_progress_;
}

bool FragmentReassembly::holds_same_bytes(const Datagram& datagram, std::size_t offset, wire::Bytes data) const {
    while (!data.empty()) {
        const std::size_t within = offset % block_size;
        const std::size_t n = std::min(data.size(), block_size - within);
        if (std::memcmp(block(datagram.blocks[offset / block_size]) + within, data.data(), n) != 0) return false;
        offset += n;
        data = data.subspan(n);
    }
    return true;
}

void FragmentReassembly::store(Datagram& datagram, std::size_t offset, wire::Bytes data) {
    while (!data.empty()) {
        std::uint32_t& b = datagram.blocks[offset / block_size];
        if (b == none) {
            b = take_block();
            ++datagram.block_count;
            held_bytes_ += block_size;
        }
        const std::size_t within = offset % block_size;
        const std::size_t n = std::min(data.size(), block_size - within);
        std::memcpy(block(b) + within, data.data(), n);
        offset += n;
        data = data.subspan(n);
    }
}

std::uint32_t FragmentReassembly::take_block() {
    if (free_block_ == none) {
        const auto first = static_cast<std::uint32_t>(chunks_.size() * chunk_blocks);
        chunks_.push_back(std::make_unique<std::byte[]>(chunk_blocks * block_size));
        for (std::size_t i = chunk_blocks; i-- > 0;) give_back_block(first + static_cast<std::uint32_t>(i));
    }
    const std::uint32_t index = free_block_;
    std::memcpy(&free_block_, block(index), sizeof free_block_);
    return index;
}

void FragmentReassembly::give_back_block(std::uint32_t index) {
    std::memcpy(block(index), &free_block_, sizeof free_block_);
    free_block_ = index;
}

// RFC 791 3.2, reassembly: the first fragment's header (its options too: only the first carries them all),
// then the data; the total length the whole one's, MF and the offset cleared, and a new header checksum.
wire::Bytes FragmentReassembly::assemble(const Datagram& datagram) {
    if (!assembled_) assembled_ = std::make_unique<std::byte[]>(65535);
    std::byte* out = assembled_.get();
    const std::size_t header_length = datagram.header_length;
    std::memcpy(out, datagram.header.data(), header_length);
    for (std::size_t at = 0; at < datagram.payload_length; at += block_size) {
        const std::size_t n = std::min<std::size_t>(block_size, datagram.payload_length - at);
        std::memcpy(out + header_length + at, block(datagram.blocks[at / block_size]), n);
    }
    const std::size_t total = header_length + datagram.payload_length;
    wire::store_be16(out + 2, static_cast<std::uint16_t>(total));
    wire::store_be16(out + 6, static_cast<std::uint16_t>(wire::load_be16(out + 6) & 0xc000));  // DF, reserved kept
    wire::store_be16(out + 10, 0);
    wire::ChecksumAccumulator sum;
    sum.add_header(wire::Bytes{out, header_length});
    wire::store_be16(out + 10, sum.checksum());
    return wire::Bytes{out, total};
}

wire::Bytes FragmentReassembly::quote(const Datagram& datagram) {
    const std::size_t header_length = datagram.header_length;
    std::memcpy(quote_.data(), datagram.header.data(), header_length);
    // The first fragment carried at least 8 bytes (a fragment that is not the last carries whole 8-byte units).
    const std::size_t data = std::min<std::size_t>(quoted_data, datagram.ranges[0].end);
    std::memcpy(quote_.data() + header_length, block(datagram.blocks[0]), data);
    return wire::Bytes{quote_.data(), header_length + data};
}

}  // namespace tcpp::ip
