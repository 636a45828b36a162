// The impaired-link decorator: each impairment at about its probability, the same choices for the same
// seed, one bit flipped by corruption, delayed units held until their time, and both directions.

#include "link/impaired_device.h"

#include <cstdint>
#include <deque>
#include <vector>

#include <gtest/gtest.h>

#include "memory_device.h"

namespace tcpp::link {
namespace {

std::vector<std::byte> numbered(std::uint32_t n) {
    std::vector<std::byte> unit(64, std::byte{0});
    for (int i = 0; i < 4; ++i) unit[static_cast<std::size_t>(i)] = static_cast<std::byte>(n >> (8 * i));
    return unit;
}

std::uint32_t number_of(const std::vector<std::byte>& unit) {
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= std::to_integer<std::uint32_t>(unit[static_cast<std::size_t>(i)]) << (8 * i);
    return n;
}

std::vector<std::vector<std::byte>> send_all(const Impairment& impairment, std::uint32_t count) {
    MemoryDevice memory;
    ImpairedDevice device{memory, impairment};
    for (std::uint32_t n = 0; n < count; ++n) EXPECT_FALSE(device.send(numbered(n)));
    EXPECT_FALSE(device.poll(~std::uint64_t{0} / 2));  // everything held is due
    return memory.sent;
}

TEST(ImpairedDevice, LossDuplicationAndCorruptionAtAboutTheirRates) {
    constexpr std::uint32_t count = 20'000;
    const auto lossy = send_all({.loss = 0.1, .seed = 3}, count);
    EXPECT_NEAR(static_cast<double>(lossy.size()) / count, 0.9, 0.01);
    const auto doubled = send_all({.duplicate = 0.2, .seed = 3}, count);
    EXPECT_NEAR(static_cast<double>(doubled.size()) / count, 1.2, 0.01);
    const auto corrupt = send_all({.corrupt = 0.3, .seed = 3}, count);
    ASSERT_EQ(corrupt.size(), count);
    std::size_t changed = 0;
    for (std::uint32_t n = 0; n < count; ++n) {
        const std::vector<std::byte> original = numbered(n);
        int bits = 0;
        for (std::size_t i = 0; i < original.size(); ++i) {
            bits += std::popcount(std::to_integer<unsigned>(original[i] ^ corrupt[n][i]));
        }
        ASSERT_LE(bits, 1) << n;  // one bit flipped, no more
        changed += bits;
    }
    EXPECT_NEAR(static_cast<double>(changed) / count, 0.3, 0.015);
}

TEST(ImpairedDevice, TheSameSeedMakesTheSameChoices) {
    const Impairment impairment{.loss = 0.05, .duplicate = 0.05, .corrupt = 0.05, .reorder = 0.1, .seed = 42};
    EXPECT_EQ(send_all(impairment, 5000), send_all(impairment, 5000));
    Impairment other = impairment;
    other.seed = 43;
    EXPECT_NE(send_all(impairment, 5000), send_all(other, 5000));
}

TEST(ImpairedDevice, DelayedUnitsWaitForTheirTimeAndReorderedOnesAreOvertaken) {
    MemoryDevice memory;
    ImpairedDevice device{memory, {.reorder = 0.5, .delay_us = 1000, .reorder_delay_us = 5000, .seed = 9}};
    ASSERT_FALSE(device.poll(10'000));
    for (std::uint32_t n = 0; n < 100; ++n) ASSERT_FALSE(device.send(numbered(n)));
    EXPECT_TRUE(memory.sent.empty());                // all held: the delay applies to every unit
    EXPECT_EQ(device.next_deadline(), 11'000u);
    ASSERT_FALSE(device.poll(10'999));
    EXPECT_TRUE(memory.sent.empty());
    ASSERT_FALSE(device.poll(11'000));
    const std::size_t prompt = memory.sent.size();  // those not reordered
    EXPECT_GT(prompt, 30u);
    EXPECT_LT(prompt, 70u);
    EXPECT_EQ(device.next_deadline(), 16'000u);
    ASSERT_FALSE(device.poll(16'000));
    ASSERT_EQ(memory.sent.size(), 100u);
    EXPECT_FALSE(device.next_deadline());
    // Every unit once; some overtaken.
    std::vector<std::uint32_t> order;
    for (const auto& unit : memory.sent) order.push_back(number_of(unit));
    EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
    std::sort(order.begin(), order.end());
    for (std::uint32_t n = 0; n < 100; ++n) EXPECT_EQ(order[n], n);
}

TEST(ImpairedDevice, IncomingUnitsAreImpairedToo) {
    MemoryDevice memory;
    ImpairedDevice device{memory, {.loss = 0.5, .delay_us = 500, .seed = 5}};
    ASSERT_FALSE(device.poll(1000));
    for (std::uint32_t n = 0; n < 1000; ++n) memory.incoming.push_back(numbered(n));
    std::vector<std::byte> buffer(1500);
    auto got = device.receive(buffer);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, 0u);  // everything read from below is held for 500 us
    EXPECT_TRUE(memory.incoming.empty());
    EXPECT_EQ(device.next_deadline(), 1500u);
    ASSERT_FALSE(device.poll(1500));
    std::vector<std::uint32_t> received;
    while (auto size = device.receive(buffer)) {
        if (*size == 0) break;
        received.push_back(number_of({buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*size)}));
    }
    EXPECT_NEAR(static_cast<double>(received.size()), 500, 60);
    EXPECT_TRUE(std::is_sorted(received.begin(), received.end()));  // a fixed delay keeps the order
    EXPECT_EQ(device.lost() + received.size(), 1000u);
}

}  // namespace
}  // namespace tcpp::link
