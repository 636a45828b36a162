// The demultiplexing index against a model, with good hashes and with hashes built to collide.

#include "stack/connection_index.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace tcpp::stack {
namespace {

// Keys are connection numbers; their "tuples" are the numbers themselves.
struct Model {
    ConnectionIndex index;
    std::unordered_map<std::uint32_t, std::uint64_t> present;  // slot -> its hash

    std::uint32_t find(std::uint32_t slot, std::uint64_t hash) const {
        return index.find(hash, [&](std::uint32_t candidate) { return candidate == slot; });
    }
};

std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

TEST(ConnectionIndex, EmptyFindsNothing) {
    ConnectionIndex index;
    EXPECT_EQ(index.find(42, [](std::uint32_t) { return true; }), ConnectionIndex::none);
    EXPECT_FALSE(index.erase(42, 1));
    EXPECT_EQ(index.memory_bytes(), 0u);
}

TEST(ConnectionIndex, AMillionInsertedFoundHalfErasedFoundAgain) {
    Model m;
    constexpr std::uint32_t n = 1'000'000;
    for (std::uint32_t i = 0; i < n; ++i) m.index.insert(mix(i), i);
    EXPECT_EQ(m.index.size(), n);
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(m.find(i, mix(i)), i);
    EXPECT_EQ(m.find(n + 1, mix(n + 1)), ConnectionIndex::none);
    // At most 3/4 full: at most 2 * 8 / (3/4) bytes per entry, 21.3.
    EXPECT_LE(static_cast<double>(m.index.memory_bytes()) / n, 21.4);
    for (std::uint32_t i = 0; i < n; i += 2) ASSERT_TRUE(m.index.erase(mix(i), i));
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(m.find(i, mix(i)), i % 2 == 1 ? i : ConnectionIndex::none);
    for (std::uint32_t i = 1; i < n; i += 2) ASSERT_TRUE(m.index.erase(mix(i), i));
    EXPECT_EQ(m.index.size(), 0u);
    EXPECT_LE(m.index.capacity(), 32u) << "shrinks as it empties";
}

// Hashes that share their home and most of their tag: long clusters, and backward shifts across the end
// of the table.
TEST(ConnectionIndex, RandomCallsAgreeWithAModel_UnderCollidingHashes) {
    for (int weak = 0; weak < 2; ++weak) {
        Model m;
        std::mt19937_64 random(7 + weak);
        auto hash_of = [&](std::uint32_t slot) -> std::uint64_t {
            return weak ? (std::uint64_t{slot % 5} << 32) | 0xffffffffull * (slot % 3) : mix(slot);
        };
        for (int step = 0; step < 200'000; ++step) {
            const auto slot = static_cast<std::uint32_t>(random() % 3000);
            const std::uint64_t h = hash_of(slot);
            switch (random() % 3) {
            case 0:
                if (!m.present.contains(slot)) {
                    m.index.insert(h, slot);
                    m.present[slot] = h;
                }
                break;
            case 1: ASSERT_EQ(m.index.erase(h, slot), m.present.erase(slot) == 1) << "step " << step; break;
            default:
                ASSERT_EQ(m.find(slot, h), m.present.contains(slot) ? slot : ConnectionIndex::none) << "step " << step;
            }
            ASSERT_EQ(m.index.size(), m.present.size());
        }
        for (const auto& [slot, h] : m.present) ASSERT_EQ(m.find(slot, h), slot);
    }
}

}  // namespace
}  // namespace tcpp::stack
