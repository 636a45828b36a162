// The pools of spare objects and of TCB cells give memory back as connections go, and use that swings
// while they stay allocates nothing once the pools have grown to it.

#include "stack/cell_chunks.h"
#include "stack/spare_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tcpp::stack {
namespace {

struct Counted {
    Counted() { ++made; }
    ~Counted() { --live; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    Counted(Counted&&) = delete;
    Counted& operator=(Counted&&) = delete;
    static inline std::size_t made = 0;  // constructions, each an allocation by the pool
    static inline std::int64_t live = 0;
    struct Add {
        Add() { ++live; }
    } add;
};

void acquire(SparePool<Counted>& pool, std::vector<Counted*>& held, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) held.push_back(pool.acquire());
}

void release(SparePool<Counted>& pool, std::vector<Counted*>& held, std::size_t n, std::size_t connections) {
    for (std::size_t i = 0; i < n; ++i) {
        pool.release(held.back(), connections);
        held.pop_back();
    }
}

// While the connections stay, objects released are kept for the next, however many are in use.
TEST(SparePool, UseSwingingUnderTheConnectionsAllocatesNothingOnceGrown) {
    SparePool<Counted> pool;
    std::vector<Counted*> held;
    acquire(pool, held, 1000);
    release(pool, held, 1000, 1000);
    EXPECT_EQ(pool.spares(), 1000u);
    Counted::made = 0;
    for (int round = 0; round < 100; ++round) {
        acquire(pool, held, 1000);
        release(pool, held, 1000, 1000);
    }
    EXPECT_EQ(Counted::made, 0u);
}

// As connections go, so do the spares they could have wanted, down to the floor.
TEST(SparePool, SparesGoWithTheConnections) {
    SparePool<Counted> pool;
    std::vector<Counted*> held;
    acquire(pool, held, 1000);
    release(pool, held, 1000, 1000);
    pool.trim(100);
    EXPECT_EQ(pool.spares(), 200u) << "twice the connections";
    pool.trim(0);
    EXPECT_EQ(pool.spares(), SparePool<Counted>::min_spares);
    EXPECT_EQ(Counted::live, static_cast<std::int64_t>(pool.spares()));
    // Released as the connections close, a burst's objects do not stay either.
    acquire(pool, held, 1000);
    for (std::size_t connections = 1000; connections-- > 0;) release(pool, held, 1, connections);
    EXPECT_EQ(pool.in_use(), 0u);
    EXPECT_EQ(pool.spares(), SparePool<Counted>::min_spares);
}

TEST(SparePool, NeverKeepsMoreThanMaxSpares) {
    SparePool<Counted> pool;
    std::vector<Counted*> held;
    acquire(pool, held, 3 * SparePool<Counted>::max_spares);
    release(pool, held, held.size(), 10 * SparePool<Counted>::max_spares);
    EXPECT_EQ(pool.spares(), SparePool<Counted>::max_spares);
}

struct Big {
    std::byte bytes[200];
};

TEST(CellChunks, EmptyChunksGoExceptTheLowestAndTheDirectoryShrinks) {
    CellChunks<Big> cells;
    constexpr std::uint32_t n = 100 * CellChunks<Big>::per_chunk;
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_NE(cells.take(i), nullptr);
    EXPECT_EQ(cells.chunks(), 100u);
    // Every other one first: no chunk empties, and none goes.
    for (std::uint32_t i = 0; i < n; i += 2) cells.give_back(i);
    EXPECT_EQ(cells.chunks(), 100u);
    for (std::uint32_t i = 1; i < n; i += 2) cells.give_back(i);
    EXPECT_EQ(cells.chunks(), 1u) << "one spare";
    EXPECT_LE(cells.directory_capacity(), 64u);
}

TEST(CellChunks, UseAcrossAChunkBoundaryKeepsItsChunk) {
    CellChunks<Big> cells;
    constexpr std::uint32_t boundary = 3 * CellChunks<Big>::per_chunk;
    for (std::uint32_t i = 0; i < boundary; ++i) cells.take(i);
    for (int round = 0; round < 10; ++round) {
        void* cell = cells.take(boundary);
        EXPECT_EQ(cells.chunks(), 4u);
        cells.give_back(boundary);
        EXPECT_EQ(cells.chunks(), 4u) << "kept as the spare";
        EXPECT_EQ(cells.take(boundary), cell) << "the same storage again";
        cells.give_back(boundary);
    }
    // Of two empty chunks, the lower stays: slot numbers are taken lowest first.
    for (std::uint32_t i = 0; i < CellChunks<Big>::per_chunk; ++i) cells.give_back(i);
    EXPECT_EQ(cells.chunks(), 3u);
    cells.take(0);
    EXPECT_EQ(cells.chunks(), 3u) << "chunk 0 was the spare";
}

}  // namespace
}  // namespace tcpp::stack
