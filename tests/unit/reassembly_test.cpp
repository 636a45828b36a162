#include "tcp/reassembly.h"

#include <gtest/gtest.h>

#include <vector>

#include "tcp/byte_ring.h"

namespace tcpp::tcp {
namespace {

using wire::Seq;

std::string ranges(const OutOfOrder& q) {
    std::string out;
    for (std::size_t i = 0; i < q.size(); ++i) {
        out += "[" + std::to_string(q[i].begin.raw()) + "," + std::to_string(q[i].end.raw()) + ")";
    }
    return out;
}

TEST(OutOfOrder, MergesOverlappingAndTouchingRanges) {
    OutOfOrder q;
    EXPECT_TRUE(q.add(Seq{100}, Seq{200}));
    EXPECT_TRUE(q.add(Seq{300}, Seq{400}));
    EXPECT_EQ(ranges(q), "[100,200)[300,400)");
    EXPECT_TRUE(q.add(Seq{200}, Seq{250}));  // touches the first
    EXPECT_EQ(ranges(q), "[100,250)[300,400)");
    EXPECT_TRUE(q.add(Seq{240}, Seq{310}));  // bridges both
    EXPECT_EQ(ranges(q), "[100,400)");
    EXPECT_TRUE(q.add(Seq{50}, Seq{60}));
    EXPECT_TRUE(q.add(Seq{500}, Seq{600}));
    EXPECT_EQ(ranges(q), "[50,60)[100,400)[500,600)");
    EXPECT_TRUE(q.add(Seq{0}, Seq{1000}));  // swallows all
    EXPECT_EQ(ranges(q), "[0,1000)");
}

TEST(OutOfOrder, WorksAcrossTheSequenceWrap) {
    OutOfOrder q;
    EXPECT_TRUE(q.add(Seq{0xfffffff0u}, Seq{0x10}));
    EXPECT_TRUE(q.add(Seq{0x20}, Seq{0x30}));
    EXPECT_TRUE(q.add(Seq{0x10}, Seq{0x20}));
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0].begin, Seq{0xfffffff0u});
    EXPECT_EQ(q[0].end, Seq{0x30});
}

TEST(OutOfOrder, IsBoundedAndRefusesARangeBeyondTheBound) {
    OutOfOrder q;
    for (std::uint32_t i = 0; i < OutOfOrder::max_ranges; ++i) ASSERT_TRUE(q.add(Seq{i * 100}, Seq{i * 100 + 10}));
    EXPECT_FALSE(q.add(Seq{5000}, Seq{5010}));
    EXPECT_EQ(q.size(), OutOfOrder::max_ranges);
    EXPECT_TRUE(q.add(Seq{105}, Seq{115})) << "one that merges needs no new range";
}

TEST(OutOfOrder, TakeFromReleasesTheFirstRangeOnceReached) {
    OutOfOrder q;
    q.add(Seq{100}, Seq{200});
    q.add(Seq{300}, Seq{400});
    EXPECT_FALSE(q.take_from(Seq{99}));
    EXPECT_EQ(q.take_from(Seq{100}), Seq{200});
    EXPECT_EQ(q.take_from(Seq{350}), Seq{400});
    EXPECT_TRUE(q.empty());
}

// RFC 2018 section 4: the first SACK block holds the most recently received segment; the others follow,
// most recently changed first.
TEST(OutOfOrder, Rfc2018_4_SackBlocksNewestFirst) {
    OutOfOrder q;
    q.add(Seq{100}, Seq{200});
    q.add(Seq{500}, Seq{600});
    q.add(Seq{300}, Seq{400});
    q.add(Seq{600}, Seq{700});  // grows [500,600)
    wire::TcpOptions options;
    q.sack_blocks(options, 3);
    ASSERT_EQ(options.sack_block_count, 3);
    EXPECT_EQ(options.sack_blocks[0], (wire::SackBlock{Seq{500}, Seq{700}}));
    EXPECT_EQ(options.sack_blocks[1], (wire::SackBlock{Seq{300}, Seq{400}}));
    EXPECT_EQ(options.sack_blocks[2], (wire::SackBlock{Seq{100}, Seq{200}}));
}

TEST(ByteRing, WriteAheadHoldsOutOfOrderBytesUntilCommitted) {
    ByteRing ring{8};
    ring.push(wire::as_bytes("ab", 2));
    ring.write_ahead(2, wire::as_bytes("ef", 2));  // positions 4,5: a gap of two ("cd")
    EXPECT_EQ(ring.size(), 2u);
    ring.consume(1);  // the reader moves on meanwhile
    ring.push(wire::as_bytes("cd", 2));
    ring.commit_ahead(2);
    std::string out(5, '?');
    ring.copy_out(0, std::as_writable_bytes(std::span{out}));
    EXPECT_EQ(out, "bcdef");
}

TEST(ByteRing, WriteAheadWrapsAroundTheEnd) {
    ByteRing ring{6};
    ring.push(wire::as_bytes("xxxxx", 5));
    ring.consume(5);                              // head at 5
    ring.write_ahead(1, wire::as_bytes("2345", 4));  // positions 6..9 wrap to 0..3
    ring.push(wire::as_bytes("1", 1));
    ring.commit_ahead(4);
    std::string out(5, '?');
    ring.copy_out(0, std::as_writable_bytes(std::span{out}));
    EXPECT_EQ(out, "12345");
}

// The storage grows with what is held, from 2 KiB in powers of two to the capacity, keeping the bytes
// held and those written ahead at their offsets, across wrap-around.
TEST(ByteRing, StorageGrowsWithWhatIsHeldAndKeepsEveryByte) {
    ByteRing ring{100'000};
    auto pattern = [](std::size_t at) { return static_cast<std::byte>((at * 131 + 7) % 251); };
    std::vector<std::byte> chunk(1500);
    std::size_t written = 0;
    std::size_t read = 0;
    auto push = [&](std::size_t n) {
        chunk.resize(n);
        for (std::size_t i = 0; i < n; ++i) chunk[i] = pattern(written + i);
        ASSERT_EQ(ring.push(chunk), n);
        written += n;
    };
    push(1000);
    EXPECT_EQ(ring.allocated(), ByteRing::min_storage);
    ring.consume(900);  // the head moves on: later growth has to unwrap
    read = 900;
    push(1500);  // wraps round the 2 KiB storage
    EXPECT_EQ(ring.allocated(), 2048u);
    // Out-of-order bytes far ahead: the storage grows to hold them, wrapped data and all.
    chunk.resize(500);
    for (std::size_t i = 0; i < 500; ++i) chunk[i] = pattern(written + 20'000 + i);
    ring.write_ahead(20'000, chunk);
    EXPECT_EQ(ring.allocated(), 32768u);
    push(20'000);  // fills the gap
    ring.commit_ahead(500);
    written += 500;
    EXPECT_EQ(ring.size(), written - read);
    std::vector<std::byte> out(ring.size());
    ring.copy_out(0, out);
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], pattern(read + i)) << "byte " << read + i;
    // Never beyond the capacity.
    ring.consume(ring.size());
    push(99'000);
    EXPECT_EQ(ring.allocated(), 100'000u);
    ring.consume(ring.size());
    ring.release();
    EXPECT_EQ(ring.allocated(), 0u);
}

TEST(ByteRing, RefilledAfterDraining_StartsWithTheStorageItLastNeeded) {
    ByteRing ring{65'536};
    std::vector<std::byte> data(40'000, std::byte{7});
    // A burst that grows the storage through 2, 4, ... 64 KiB, then drains.
    for (std::size_t at = 0; at < data.size(); at += 1000) ASSERT_EQ(ring.push(std::span{data}.subspan(at, 1000)), 1000u);
    EXPECT_EQ(ring.allocated(), 65'536u);
    ring.consume(ring.size());
    ring.release();
    EXPECT_EQ(ring.allocated(), 0u) << "drained: the storage goes back";
    EXPECT_EQ(ring.first_storage(), 65'536u);
    // The next burst takes 64 KiB with its first byte: no growth, no copy.
    ASSERT_EQ(ring.push(std::span{data}.first(1)), 1u);
    EXPECT_EQ(ring.allocated(), 65'536u);
    // A period that needed little: the storage after it starts small again.
    ring.consume(1);
    ring.release();
    EXPECT_EQ(ring.first_storage(), ByteRing::min_storage);
    ASSERT_EQ(ring.push(std::span{data}.first(100)), 100u);
    EXPECT_EQ(ring.allocated(), ByteRing::min_storage);
    // release_storage() remembers too; a capacity below the remembered need bounds it.
    ring.release_storage();
    ring.set_first_storage(65'536);
    ASSERT_TRUE(ring.set_capacity(10'000));
    ASSERT_EQ(ring.push(std::span{data}.first(10)), 10u);
    EXPECT_EQ(ring.allocated(), 10'000u);
}

}  // namespace
}  // namespace tcpp::tcp
