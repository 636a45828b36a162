// The output queue against a model: packets come out whole and in order through growth and wrapping, a
// popped packet stays intact until the next call, and the ring holds what is queued, not a buffer a packet.

#include "stack/packet_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <vector>

#include "test_random.h"

namespace tcpp::stack {
namespace {

using wire::test::TestRandom;

constexpr std::size_t packet_size = 1564;

void push(PacketQueue& queue, const std::vector<std::byte>& packet) {
    wire::MutableBytes room = queue.reserve();
    ASSERT_EQ(room.size(), packet_size);
    std::copy(packet.begin(), packet.end(), room.begin());
    queue.commit(packet.size());
}

bool same(wire::Bytes a, const std::vector<std::byte>& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

TEST(PacketQueue, EmptyPopsNothing) {
    PacketQueue queue(packet_size);
    EXPECT_FALSE(queue.pop());
    EXPECT_EQ(queue.size(), 0u);
    EXPECT_EQ(queue.memory_bytes(), 0u);
}

TEST(PacketQueue, PeekShowsWhatPopWillTake_AndLeavesItQueued) {
    PacketQueue queue(packet_size);
    EXPECT_FALSE(queue.peek());
    TestRandom random(7);
    std::deque<std::vector<std::byte>> model;
    for (int i = 0; i < 500; ++i) {
        if (model.empty() || random.below(3) != 0) {
            std::vector<std::byte> packet(1 + random.below(packet_size));
            for (std::byte& b : packet) b = static_cast<std::byte>(random.below(256));
            push(queue, packet);
            model.push_back(packet);
        }
        auto peeked = queue.peek();
        ASSERT_TRUE(peeked);
        EXPECT_TRUE(same(*peeked, model.front()));
        EXPECT_EQ(queue.size(), model.size()) << "peek takes nothing";
        if (random.below(2) == 0) {
            auto popped = queue.pop();
            ASSERT_TRUE(popped);
            EXPECT_EQ(popped->data(), peeked->data()) << "the same bytes";
            EXPECT_TRUE(same(*popped, model.front()));
            model.pop_front();
        }
    }
}

// A burst of a thousand handshake-sized packets takes about their bytes, not a full-sized buffer each.
TEST(PacketQueue, ABurstOfSmallPacketsHoldsTheirBytes) {
    PacketQueue queue(packet_size);
    TestRandom random(1);
    std::vector<std::vector<std::byte>> sent;
    for (int i = 0; i < 1024; ++i) {
        sent.push_back(random.bytes(60));
        push(queue, sent.back());
    }
    EXPECT_EQ(queue.size(), 1024u);
    EXPECT_LE(queue.memory_bytes(), 128u * 1024 + 16 * 1024);
    for (const auto& packet : sent) {
        auto popped = queue.pop();
        ASSERT_TRUE(popped);
        EXPECT_TRUE(same(*popped, packet));
    }
    EXPECT_FALSE(queue.pop());
}

// Once the ring has grown to the burst, bursts of that size go round it without growing it again.
TEST(PacketQueue, SteadyBurstsDoNotGrowTheRing) {
    PacketQueue queue(packet_size);
    TestRandom random(2);
    std::size_t settled = 0;
    for (int round = 0; round < 200; ++round) {
        std::deque<std::vector<std::byte>> model;
        for (int i = 0; i < 40; ++i) {
            model.push_back(random.bytes(40 + random.below(packet_size - 40 + 1)));
            push(queue, model.back());
            // Take a few as they come: the reader trails the writer round the ring.
            if (i % 3 == 2) {
                auto popped = queue.pop();
                ASSERT_TRUE(popped);
                ASSERT_TRUE(same(*popped, model.front()));
                model.pop_front();
            }
        }
        while (!model.empty()) {
            auto popped = queue.pop();
            ASSERT_TRUE(popped);
            ASSERT_TRUE(same(*popped, model.front()));
            model.pop_front();
        }
        if (round == 100) settled = queue.memory_bytes();
        if (round > 100) {
            ASSERT_EQ(queue.memory_bytes(), settled) << "round " << round;
        }
    }
}

// Random reserve, commit, pop (and reserve left uncommitted) against a model; each popped packet is checked
// again just before the next call, when it must still be intact.
TEST(PacketQueue, RandomCallsAgreeWithAModel) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        PacketQueue queue(packet_size);
        TestRandom random(seed);
        std::deque<std::vector<std::byte>> model;
        wire::Bytes lent;
        bool lending = false;
        std::vector<std::byte> lent_copy;
        for (int step = 0; step < 20000; ++step) {
            if (lending) {
                ASSERT_TRUE(same(lent, lent_copy)) << "seed " << seed << " step " << step;
                lending = false;
            }
            const std::size_t choice = random.below(10);
            if (choice < 5) {
                const std::size_t length = random.coin() ? 40 + random.below(40) : random.below(packet_size + 1);
                model.push_back(random.bytes(length));
                push(queue, model.back());
            } else if (choice < 9) {
                auto popped = queue.pop();
                ASSERT_EQ(popped.has_value(), !model.empty());
                if (!popped) continue;
                ASSERT_TRUE(same(*popped, model.front())) << "seed " << seed << " step " << step;
                lent = *popped;
                lending = true;
                lent_copy = model.front();
                model.pop_front();
            } else {
                queue.reserve();  // abandoned: nothing is queued
            }
            ASSERT_EQ(queue.size(), model.size());
        }
    }
}

}  // namespace
}  // namespace tcpp::stack
