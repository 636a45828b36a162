// IPv4 fragment reassembly (RFC 791 3.2, RFC 815): whole datagrams back byte for byte whatever the order,
// duplicates ignored, overlaps and malformed fragments dropping the datagram, the timeout with the quote for
// ICMP time exceeded, and the bounds (memory budget, datagrams in progress, 64 pieces, 65,535 bytes). And
// fragmentation of what we send, checked by reassembling it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "ip/fragment_reassembly.h"
#include "ip/fragmentation.h"
#include "test_random.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

namespace tcpp::ip {
namespace {

using Bytes = std::vector<std::byte>;
using wire::test::TestRandom;

const wire::Ipv4Address source{10, 0, 0, 1};
const wire::Ipv4Address destination{10, 0, 0, 2};
constexpr tcp::SipKey key{1, 2};

struct Datagram {
    wire::Ipv4Header header;  // payload_length: the whole payload's
    Bytes payload;
    Bytes options;            // carried by the first fragment only (a multiple of 4 bytes)
};

Datagram datagram(std::size_t size, std::uint16_t identification, std::uint64_t seed = 1,
                  wire::Ipv4Address from = source, std::uint8_t protocol = wire::ip_protocol::udp) {
    Datagram d;
    d.header.identification = identification;
    d.header.dont_fragment = false;
    d.header.protocol = protocol;
    d.header.source = from;
    d.header.destination = destination;
    d.header.payload_length = static_cast<std::uint16_t>(size);
    TestRandom random{seed};
    d.payload = random.bytes(size);
    return d;
}

// An IPv4 packet: a header of these fields (and options, then IHL > 5) and this payload.
Bytes packet(wire::Ipv4Header header, const Bytes& options, const std::byte* payload, std::size_t length) {
    header.payload_length = static_cast<std::uint16_t>(length);
    Bytes out(wire::Ipv4Header::size() + options.size() + length);
    header.emit(out);
    if (!options.empty()) {
        std::copy(options.begin(), options.end(), out.begin() + 20);
        const std::size_t header_length = 20 + options.size();
        out[0] = static_cast<std::byte>(0x40 | header_length / 4);
        wire::store_be16(out.data() + 2, static_cast<std::uint16_t>(out.size()));
        wire::store_be16(out.data() + 10, 0);
        wire::store_be16(out.data() + 10, wire::internet_checksum(wire::Bytes{out}.first(header_length)));
    }
    std::copy(payload, payload + length, out.begin() + static_cast<std::ptrdiff_t>(out.size() - length));
    return out;
}

// The fragment of `d` carrying payload [offset, offset + length); `last` clears MF.
Bytes fragment_of(const Datagram& d, std::size_t offset, std::size_t length, bool last) {
    wire::Ipv4Header header = d.header;
    header.fragment_offset = static_cast<std::uint16_t>(offset);
    header.more_fragments = !last;
    return packet(header, offset == 0 ? d.options : Bytes{}, d.payload.data() + offset, length);
}

// `d` cut into fragments of `each` bytes (a multiple of 8), in order.
std::vector<Bytes> fragments(const Datagram& d, std::size_t each) {
    std::vector<Bytes> out;
    for (std::size_t offset = 0; offset < d.payload.size(); offset += each) {
        const std::size_t length = std::min(each, d.payload.size() - offset);
        out.push_back(fragment_of(d, offset, length, offset + length == d.payload.size()));
    }
    return out;
}

// What reassembly must hand back: the first fragment's header (options too), whole, unfragmented.
Bytes whole(const Datagram& d) {
    wire::Ipv4Header header = d.header;
    header.more_fragments = false;
    header.fragment_offset = 0;
    return packet(header, d.options, d.payload.data(), d.payload.size());
}

wire::Ipv4View view(const Bytes& bytes) {
    auto parsed = wire::Ipv4View::parse(bytes);
    EXPECT_TRUE(parsed);
    return *parsed;
}

class IpReassembly : public ::testing::Test {
protected:
    std::optional<Bytes> add(const Bytes& fragment, std::uint64_t now = 0) {
        auto done = reassembly.add(view(fragment), now);
        if (!done) return std::nullopt;
        return Bytes(done->begin(), done->end());
    }
    // Feeds every fragment; returns what the last one completed (each before it must complete nothing).
    std::optional<Bytes> add_all(const std::vector<Bytes>& all) {
        for (std::size_t i = 0; i + 1 < all.size(); ++i) {
            EXPECT_FALSE(add(all[i])) << "fragment " << i << " completed the datagram early";
        }
        return add(all.back());
    }

    tcp::Counters counters;
    FragmentReassembly reassembly{ReassemblyConfig{}, counters, key};
};

TEST_F(IpReassembly, InOrder_GivesBackTheWholeDatagramWithTheFirstHeader) {
    const Datagram d = datagram(3000, 7);
    auto done = add_all(fragments(d, 1480));
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, whole(d));
    auto ip = wire::Ipv4View::parse(*done);  // the header checksum holds
    ASSERT_TRUE(ip);
    EXPECT_FALSE(ip->is_fragment());
    EXPECT_EQ(ip->total_length(), 3020);
    EXPECT_EQ(counters.ReasmReqds, 3u);
    EXPECT_EQ(counters.ReasmOKs, 1u);
    EXPECT_EQ(counters.ReasmFails, 0u);
    EXPECT_EQ(reassembly.datagrams_in_progress(), 0u);
    EXPECT_EQ(reassembly.memory_bytes(), 0u);
    EXPECT_FALSE(reassembly.next_deadline());
}

TEST_F(IpReassembly, ReverseOrder_TheLastFragmentFirst) {
    const Datagram d = datagram(8000, 8);
    std::vector<Bytes> all = fragments(d, 1480);
    std::reverse(all.begin(), all.end());
    auto done = add_all(all);
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, whole(d));
    EXPECT_EQ(counters.ReasmOKs, 1u);
}

TEST_F(IpReassembly, RandomOrder_AnySizeAnyFragmentSize) {
    TestRandom random{2026};
    for (int round = 0; round < 200; ++round) {
        const std::size_t size = 1 + random.below(FragmentReassembly::max_payload);
        // At most 128 fragments, which can never lie in more than 64 separate pieces.
        const std::size_t fewest = (size + 128 * 8 - 1) / (128 * 8) * 8;
        const std::size_t each = std::max(fewest, 8 * (1 + random.below(200)));
        const Datagram d = datagram(size, static_cast<std::uint16_t>(round), random.next());
        std::vector<Bytes> all = fragments(d, each);
        ASSERT_LE(all.size(), 2 * FragmentReassembly::max_ranges);
        for (std::size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[random.below(i)]);  // seeded shuffle
        auto done = add_all(all);
        ASSERT_TRUE(done) << "round " << round << ": " << size << " bytes in " << all.size();
        ASSERT_EQ(*done, whole(d)) << "round " << round;
    }
    EXPECT_EQ(counters.ReasmFails, 0u);
    EXPECT_EQ(counters.ReasmOKs, 200u);
    EXPECT_EQ(reassembly.datagrams_in_progress(), 0u);
}

TEST_F(IpReassembly, ExactDuplicates_AreIgnored) {
    const Datagram d = datagram(5000, 9);
    std::vector<Bytes> all = fragments(d, 1024);
    TestRandom random{5};
    std::vector<Bytes> twice;
    for (const Bytes& f : all) {
        twice.push_back(f);
        twice.push_back(f);
    }
    for (std::size_t i = twice.size(); i > 1; --i) std::swap(twice[i - 1], twice[random.below(i)]);
    std::optional<Bytes> done;
    for (const Bytes& f : twice) {
        if (auto d2 = add(f)) {
            EXPECT_FALSE(done) << "completed twice";
            done = d2;
        }
    }
    // The last copies after completion start a datagram of their own, which waits: only one was whole.
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, whole(d));
    EXPECT_EQ(counters.ReasmOKs, 1u);
    EXPECT_EQ(counters.ReasmOverlaps, 0u);
    EXPECT_EQ(counters.ReasmReqds, twice.size());
}

TEST_F(IpReassembly, ADuplicateSpanningTwoFragmentsIsStillADuplicate) {
    // [0, 16) and [16, 32) held: a fragment [8, 24) with the same bytes lies within the one range they make.
    const Datagram d = datagram(48, 10);
    EXPECT_FALSE(add(fragment_of(d, 0, 16, false)));
    EXPECT_FALSE(add(fragment_of(d, 16, 16, false)));
    EXPECT_FALSE(add(fragment_of(d, 8, 16, false)));
    auto done = add(fragment_of(d, 32, 16, true));
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, whole(d));
    EXPECT_EQ(counters.ReasmOverlaps, 0u);
}

TEST_F(IpReassembly, Overlaps_DropTheDatagram) {
    struct Case {
        const char* name;
        std::size_t offset, length;
        bool change_bytes;
    };
    // Held: [0, 16) and [32, 48) of 64 bytes.
    for (const Case& c : {Case{"partly over the first", 8, 16, false}, Case{"past the end of a range", 40, 16, false},
                          Case{"touching one, over the next", 16, 24, false},
                          Case{"covering both", 0, 56, false}, Case{"within, other bytes", 0, 8, true}}) {
        tcp::Counters fresh;
        FragmentReassembly r{ReassemblyConfig{}, fresh, key};
        const Datagram d = datagram(64, 11);
        EXPECT_FALSE(r.add(view(fragment_of(d, 0, 16, false)), 0));
        EXPECT_FALSE(r.add(view(fragment_of(d, 32, 16, false)), 0));
        Datagram other = d;
        if (c.change_bytes) other.payload[c.offset] ^= std::byte{1};
        EXPECT_FALSE(r.add(view(fragment_of(other, c.offset, c.length, false)), 0)) << c.name;
        EXPECT_EQ(fresh.ReasmOverlaps, 1u) << c.name;
        EXPECT_EQ(fresh.ReasmFails, 1u) << c.name;
        EXPECT_EQ(r.datagrams_in_progress(), 0u) << c.name;
        EXPECT_EQ(r.memory_bytes(), 0u) << c.name;
        // The rest arrives: a datagram anew, never whole.
        EXPECT_FALSE(r.add(view(fragment_of(d, 16, 16, false)), 0)) << c.name;
        EXPECT_FALSE(r.add(view(fragment_of(d, 48, 16, true)), 0)) << c.name;
        EXPECT_EQ(fresh.ReasmOKs, 0u) << c.name;
    }
}

TEST_F(IpReassembly, Timeout_DropsTheDatagramAndQuotesTheFirstFragment) {
    Datagram d = datagram(3000, 12);
    d.options = Bytes(4, std::byte{1});  // four NOPs: the quote carries the first fragment's whole header
    const std::vector<Bytes> all = fragments(d, 1480);
    EXPECT_FALSE(add(all[0], 1'000));
    EXPECT_FALSE(add(all[2], 20'000'000));  // a later fragment does not extend the time
    EXPECT_EQ(reassembly.next_deadline(), 1'000 + 30'000'000u);
    std::vector<Bytes> quotes;
    auto collect = [&](wire::Bytes quote) { quotes.emplace_back(quote.begin(), quote.end()); };
    reassembly.expire(30'000'999, collect);
    EXPECT_TRUE(quotes.empty());
    EXPECT_EQ(reassembly.datagrams_in_progress(), 1u);
    reassembly.expire(30'001'000, collect);
    ASSERT_EQ(quotes.size(), 1u);
    EXPECT_EQ(quotes[0], Bytes(all[0].begin(), all[0].begin() + 24 + 8));
    EXPECT_EQ(counters.ReasmTimeout, 1u);
    EXPECT_EQ(counters.ReasmFails, 1u);
    EXPECT_EQ(reassembly.datagrams_in_progress(), 0u);
    EXPECT_FALSE(reassembly.next_deadline());
    // The missing fragment, late: a datagram anew.
    EXPECT_FALSE(add(all[1], 30'002'000));
    EXPECT_EQ(counters.ReasmOKs, 0u);
}

TEST_F(IpReassembly, Timeout_WithoutTheFirstFragmentQuotesNothing) {
    const Datagram d = datagram(3000, 13);
    EXPECT_FALSE(add(fragments(d, 1480)[1], 0));
    int calls = 0;
    reassembly.expire(30'000'000, [&](wire::Bytes) { ++calls; });
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(counters.ReasmTimeout, 1u);
    EXPECT_EQ(reassembly.datagrams_in_progress(), 0u);
}

TEST_F(IpReassembly, Timeout_IsConfigurableAndOldestFirst) {
    tcp::Counters c;
    FragmentReassembly r{ReassemblyConfig{.timeout_us = 5'000'000}, c, key};
    for (std::uint16_t id = 0; id < 3; ++id) {
        EXPECT_FALSE(r.add(view(fragments(datagram(3000, id), 1480)[0]), std::uint64_t{id} * 1'000'000));
    }
    EXPECT_EQ(r.next_deadline(), 5'000'000u);
    std::vector<std::uint16_t> expired;
    r.expire(6'000'000, [&](wire::Bytes quote) { expired.push_back(wire::load_be16(quote.data() + 4)); });
    EXPECT_EQ(expired, (std::vector<std::uint16_t>{0, 1}));
    EXPECT_EQ(r.next_deadline(), 7'000'000u);
}

TEST(IpReassemblyBounds, OverTheBudget_TheOldestAreEvictedDownToTheLowThreshold) {
    // What one datagram holding one block takes, as counted.
    tcp::Counters probe_counters;
    FragmentReassembly probe{ReassemblyConfig{}, probe_counters, key};
    EXPECT_FALSE(probe.add(view(fragments(datagram(3000, 1), 1480)[0]), 0));
    const std::size_t one = probe.memory_bytes();
    EXPECT_GT(one, FragmentReassembly::block_size);

    tcp::Counters counters;
    FragmentReassembly r{ReassemblyConfig{.high_threshold = 3 * one, .low_threshold = 2 * one}, counters, key};
    std::vector<Datagram> ds;
    for (std::uint16_t id = 0; id < 4; ++id) ds.push_back(datagram(3000, id, id + 1u));
    for (std::uint16_t id = 0; id < 3; ++id) EXPECT_FALSE(r.add(view(fragments(ds[id], 1480)[0]), id));
    EXPECT_EQ(r.memory_bytes(), 3 * one);
    EXPECT_EQ(counters.ReasmFails, 0u);
    // A fourth: the two oldest go, leaving it and the third.
    EXPECT_FALSE(r.add(view(fragments(ds[3], 1480)[0]), 3));
    EXPECT_EQ(counters.ReasmFails, 2u);
    EXPECT_EQ(r.datagrams_in_progress(), 2u);
    EXPECT_EQ(r.memory_bytes(), 2 * one);
    for (int id : {2, 3}) {
        const std::vector<Bytes> all = fragments(ds[id], 1480);
        EXPECT_FALSE(r.add(view(all[1]), 4));
        auto done = r.add(view(all[2]), 4);
        ASSERT_TRUE(done) << id;
        EXPECT_EQ(Bytes(done->begin(), done->end()), whole(ds[id]));
    }
    EXPECT_EQ(counters.ReasmOKs, 2u);
    // The first's rest: a datagram anew, missing its first fragment.
    EXPECT_FALSE(r.add(view(fragments(ds[0], 1480)[1]), 5));
    EXPECT_FALSE(r.add(view(fragments(ds[0], 1480)[2]), 5));
    EXPECT_EQ(counters.ReasmOKs, 2u);
    EXPECT_LE(r.memory_bytes(), 3 * one);
}

TEST(IpReassemblyBounds, ADatagramLargerThanTheBudgetIsDropped) {
    tcp::Counters counters;
    FragmentReassembly r{ReassemblyConfig{.high_threshold = 16 * 1024, .low_threshold = 8 * 1024}, counters, key};
    const Datagram d = datagram(40000, 1);
    for (const Bytes& f : fragments(d, 1480)) EXPECT_FALSE(r.add(view(f), 0));
    EXPECT_EQ(counters.ReasmOKs, 0u);
    EXPECT_GE(counters.ReasmFails, 1u);
    EXPECT_LE(r.memory_bytes(), 16u * 1024);
    EXPECT_LE(r.pool_bytes(), 64u * 1024);
}

TEST(IpReassemblyBounds, AtMostMaxDatagrams_ANewOneEvictsTheOldest) {
    tcp::Counters counters;
    FragmentReassembly r{ReassemblyConfig{.max_datagrams = 4}, counters, key};
    std::vector<Datagram> ds;
    for (std::uint16_t id = 0; id < 5; ++id) ds.push_back(datagram(3000, id, id + 1u));
    for (std::uint16_t id = 0; id < 5; ++id) EXPECT_FALSE(r.add(view(fragments(ds[id], 1480)[0]), id));
    EXPECT_EQ(r.datagrams_in_progress(), 4u);
    EXPECT_EQ(counters.ReasmFails, 1u);
    // The oldest (0) was evicted: its rest does not complete it; the others complete.
    EXPECT_FALSE(r.add(view(fragments(ds[0], 1480)[1]), 9));
    EXPECT_EQ(counters.ReasmFails, 2u);  // making room for 0's rest evicted 1
    for (std::uint16_t id = 2; id < 5; ++id) {
        const std::vector<Bytes> all = fragments(ds[id], 1480);
        EXPECT_FALSE(r.add(view(all[1]), 10));
        auto done = r.add(view(all[2]), 10);
        ASSERT_TRUE(done);
        EXPECT_EQ(Bytes(done->begin(), done->end()), whole(ds[id]));
    }
    EXPECT_EQ(counters.ReasmOKs, 3u);
}

TEST(IpReassemblyBounds, MoreThan64SeparatePiecesDropTheDatagram) {
    tcp::Counters counters;
    FragmentReassembly r{ReassemblyConfig{}, counters, key};
    const Datagram d = datagram(8 * 200, 1);
    for (std::size_t i = 0; i < FragmentReassembly::max_ranges; ++i) EXPECT_FALSE(r.add(view(fragment_of(d, 16 * i, 8, false)), 0));
    EXPECT_EQ(counters.ReasmFails, 0u);
    EXPECT_EQ(r.datagrams_in_progress(), 1u);
    // A piece that joins one held is no new piece; one apart is the 65th.
    EXPECT_FALSE(r.add(view(fragment_of(d, 16 * 63 + 8, 8, false)), 0));
    EXPECT_EQ(counters.ReasmFails, 0u);
    EXPECT_EQ(r.datagrams_in_progress(), 1u);
    EXPECT_FALSE(r.add(view(fragment_of(d, 16 * 64 + 8, 8, false)), 0));
    EXPECT_EQ(counters.ReasmFails, 1u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
}

TEST(IpReassemblyBounds, ThePoolIsWarmedOnceAndReused) {
    tcp::Counters counters;
    FragmentReassembly r{ReassemblyConfig{}, counters, key};
    std::size_t warmed = 0;
    for (std::uint16_t id = 0; id < 100; ++id) {
        const Datagram d = datagram(FragmentReassembly::max_payload, id, id);
        std::vector<Bytes> all = fragments(d, 1480);
        std::optional<wire::Bytes> done;
        for (const Bytes& f : all) done = r.add(view(f), id);
        ASSERT_TRUE(done);
        ASSERT_EQ(Bytes(done->begin(), done->end()), whole(d)) << id;
        if (id == 0) warmed = r.pool_bytes();
        EXPECT_EQ(r.pool_bytes(), warmed);
    }
    EXPECT_EQ(warmed, 64u * 1024);  // one chunk: its 32 blocks of 2 KiB hold 65,515 bytes
}

TEST_F(IpReassembly, BadFragments_AreRefusedAndDropTheirDatagram) {
    const Datagram d = datagram(3100, 20);  // the last fragment says 3000: the rest is there to be sent wrongly
    struct Case {
        const char* name;
        Bytes bad;
    };
    const std::vector<Case> cases{
        {"not the last, length not a multiple of 8", fragment_of(d, 1480, 1001, false)},
        {"not the last, no data", fragment_of(d, 1480, 0, false)},
        {"a second last fragment with another end", fragment_of(d, 1480, 1000, true)},
        {"data past the end the last fragment gave", fragment_of(d, 2992, 16, false)},
    };
    for (const Case& c : cases) {
        tcp::Counters fresh;
        FragmentReassembly r{ReassemblyConfig{}, fresh, key};
        EXPECT_FALSE(r.add(view(fragment_of(d, 0, 1480, false)), 0));
        EXPECT_FALSE(r.add(view(fragment_of(d, 2960, 40, true)), 0));
        EXPECT_EQ(r.datagrams_in_progress(), 1u);
        EXPECT_FALSE(r.add(view(c.bad), 0)) << c.name;
        EXPECT_EQ(fresh.ReasmFails, 1u) << c.name;
        EXPECT_EQ(r.datagrams_in_progress(), 0u) << c.name;
        EXPECT_EQ(r.memory_bytes(), 0u) << c.name;
    }
    // A last fragment ending before data already held.
    tcp::Counters fresh;
    FragmentReassembly r{ReassemblyConfig{}, fresh, key};
    EXPECT_FALSE(r.add(view(fragment_of(d, 1480, 1480, false)), 0));
    EXPECT_FALSE(r.add(view(fragment_of(d, 8, 1000, true)), 0));
    EXPECT_EQ(fresh.ReasmFails, 1u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
}

TEST_F(IpReassembly, The65535ByteLimit) {
    // 65,515 bytes of data under a 20-byte header: 65,535, the largest packet; whole.
    const Datagram largest = datagram(FragmentReassembly::max_payload, 30);
    auto done = add_all(fragments(largest, 1480));
    ASSERT_TRUE(done);
    EXPECT_EQ(done->size(), 65535u);
    EXPECT_EQ(*done, whole(largest));
    // A fragment whose data would end past 65,515: refused.
    const Datagram d = datagram(65528, 31);
    EXPECT_FALSE(add(fragment_of(d, 65512, 16, true)));
    EXPECT_EQ(counters.ReasmFails, 1u);
    EXPECT_EQ(reassembly.datagrams_in_progress(), 0u);
    // 65,515 bytes of data under a first header with options: 65,539 bytes, too long for IPv4.
    Datagram with_options = datagram(FragmentReassembly::max_payload, 32);
    with_options.options = Bytes(4, std::byte{1});
    EXPECT_FALSE(add_all(fragments(with_options, 1480)));
    EXPECT_EQ(counters.ReasmFails, 2u);
    EXPECT_EQ(counters.ReasmOKs, 1u);
    EXPECT_EQ(reassembly.datagrams_in_progress(), 0u);
}

TEST_F(IpReassembly, ManyDatagramsInterleaved_EachWholeByItsFullKey) {
    // 300 datagrams: shared identifications told apart by source and protocol, fragments of all shuffled.
    TestRandom random{77};
    std::vector<Datagram> ds;
    std::vector<std::pair<std::size_t, Bytes>> all;
    for (std::size_t i = 0; i < 300; ++i) {
        const wire::Ipv4Address from{10, 0, 1, static_cast<std::uint8_t>(i % 3)};
        const std::uint8_t protocol = i % 2 == 0 ? wire::ip_protocol::udp : wire::ip_protocol::icmp;
        ds.push_back(datagram(500 + random.below(6000), static_cast<std::uint16_t>(i / 6), random.next(), from, protocol));
        for (Bytes& f : fragments(ds.back(), 8 * (20 + random.below(160)))) all.emplace_back(i, std::move(f));
    }
    for (std::size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[random.below(i)]);
    std::vector<int> completed(ds.size(), 0);
    for (const auto& [i, f] : all) {
        if (auto done = add(f)) {
            ++completed[i];
            EXPECT_EQ(*done, whole(ds[i])) << i;
        }
    }
    EXPECT_EQ(std::count(completed.begin(), completed.end(), 1), 300);
    EXPECT_EQ(counters.ReasmOKs, 300u);
    EXPECT_EQ(counters.ReasmFails, 0u);
    EXPECT_EQ(counters.ReasmReqds, all.size());
    EXPECT_EQ(reassembly.datagrams_in_progress(), 0u);
    EXPECT_EQ(reassembly.memory_bytes(), 0u);
}

// --- Fragmentation of what we send ---

struct Queue {
    wire::MutableBytes reserve() {
        packets.emplace_back(2000);
        return packets.back();
    }
    void commit(std::size_t size) { packets.back().resize(size); }
    std::vector<Bytes> packets;
};

TEST(Fragmentation, EightByteUnitsMfOnAllButTheLastAndReassemblesWhole) {
    for (std::size_t mtu : {68u, 576u, 1500u}) {
        for (std::size_t size : {1u, 8u, 1473u, 3008u, 65507u}) {
            Datagram d = datagram(size, 0x4242);
            d.header.dont_fragment = true;  // what we would send whole; fragments clear it
            const Bytes head(d.payload.begin(), d.payload.begin() + std::min<std::size_t>(5, size));
            const Bytes rest(d.payload.begin() + static_cast<std::ptrdiff_t>(head.size()), d.payload.end());
            const std::vector<wire::Bytes> pieces{wire::Bytes{head}, wire::Bytes{rest}};
            Queue queue;
            const std::size_t count = ip::fragment(d.header, pieces, mtu, queue);
            ASSERT_EQ(count, queue.packets.size());
            EXPECT_EQ(count, fragment_count(size, mtu)) << mtu << " " << size;
            tcp::Counters counters;
            FragmentReassembly r{ReassemblyConfig{}, counters, key};
            std::optional<Bytes> done;
            for (std::size_t i = 0; i < queue.packets.size(); ++i) {
                const Bytes& p = queue.packets[i];
                EXPECT_LE(p.size(), mtu);
                auto ip = wire::Ipv4View::parse(p);
                ASSERT_TRUE(ip);
                EXPECT_FALSE(ip->dont_fragment());
                EXPECT_EQ(ip->more_fragments(), i + 1 < count);
                EXPECT_EQ(ip->fragment_offset(), i * fragment_payload_size(mtu));
                EXPECT_EQ(ip->identification(), 0x4242);
                if (i + 1 < count) {
                    EXPECT_EQ(ip->payload().size(), fragment_payload_size(mtu));
                }
                if (count == 1) {
                    done = p;
                } else if (auto whole_one = r.add(*ip, 0)) {
                    done = Bytes(whole_one->begin(), whole_one->end());
                }
            }
            ASSERT_TRUE(done);
            d.header.dont_fragment = false;
            EXPECT_EQ(*done, whole(d)) << mtu << " " << size;
        }
    }
}

TEST(Fragmentation, AnMtuTooSmallForAnyFragment) {
    Queue queue;
    const Datagram d = datagram(100, 1);
    const std::vector<wire::Bytes> pieces{wire::Bytes{d.payload}};
    EXPECT_EQ(ip::fragment(d.header, pieces, 27, queue), 0u);
    EXPECT_TRUE(queue.packets.empty());
    EXPECT_EQ(fragment_payload_size(28), 8u);
    EXPECT_EQ(fragment_payload_size(1500), 1480u);
    EXPECT_EQ(fragment_payload_size(1501), 1480u);
}

}  // namespace
}  // namespace tcpp::ip
