// Stack::prefetch(): a hint that changes nothing but speed. With an index large enough for it to act
// (tens of thousands of connections), hinted packets, unhinted ones, and stale or malformed hints must
// all reach the right connection, byte for byte.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "bench/direct_network.h"

namespace tcpp {
namespace {

constexpr std::size_t connections = 20'000;  // the server's index is then past the prefetch threshold

struct Pairs {
    bench::DirectNetwork network;  // hints every packet it delivers before handing over the one before
    Stack* client = nullptr;
    Stack* server = nullptr;
    std::vector<Connection> client_ends, server_ends;
};

void open(Pairs& p) {
    p.client = &p.network.add(StackConfig{.address = Ipv4Address{10, 0, 0, 1}, .name = "client"});
    p.server = &p.network.add(StackConfig{.address = Ipv4Address{10, 0, 0, 2}, .name = "server"});
    auto listener = p.server->listen({Ipv4Address{}, 80}, 1024);
    ASSERT_TRUE(listener);
    // Bounded: each round opens and accepts up to 512; twice the rounds needed is a failure, not a hang.
    for (std::size_t round = 0; p.server_ends.size() < connections; ++round) {
        ASSERT_LT(round, 2 * connections / 512 + 2) << p.server_ends.size() << " accepted";
        for (std::size_t i = 0; i < 512 && p.client_ends.size() < connections; ++i) {
            auto c = p.client->connect({Ipv4Address{10, 0, 0, 2}, 80});
            ASSERT_TRUE(c) << c.error().message();
            p.client_ends.push_back(*c);
        }
        p.network.deliver();
        while (auto s = listener->accept()) p.server_ends.push_back(*s);
    }
}

std::string message(std::size_t i) { return "message " + std::to_string(i * 7919); }

// Each client end sends its own message; every server end must read exactly its peer's.
void exchange(Pairs& p, std::size_t first, std::size_t step) {
    for (std::size_t i = first; i < connections; i += step) {
        const std::string m = message(i);
        ASSERT_EQ(p.client_ends[i].send(wire::as_bytes(m.data(), m.size())).value_or(0), m.size());
    }
    p.network.deliver();
    // A second message waits (Nagle) for the ACK of the first, which the peer delays: let it come.
    p.network.advance(50'000);
    std::vector<std::byte> buffer(64);
    for (std::size_t i = first; i < connections; i += step) {
        auto n = p.server_ends[i].receive(buffer);
        ASSERT_TRUE(n) << i;
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), *n), message(i)) << "connection " << i;
    }
}

TEST(Prefetch, ManyConnections_EverySegmentReachesItsOwn) {
    Pairs p;
    open(p);
    ASSERT_EQ(p.server->connection_count(), connections);
    exchange(p, 0, 1);
    exchange(p, 3, 7);  // interleaved: the hints rarely name the connection just used
}

TEST(Prefetch, StaleAndMalformedHints_ChangeNothing) {
    Pairs p;
    open(p);
    std::mt19937 random(3);
    auto below = [&](unsigned bound) { return static_cast<std::size_t>(random() % bound); };
    // Hints for packets that never come, and bytes that are no packet at all.
    std::vector<std::byte> junk(80);
    for (int round = 0; round < 2000; ++round) {
        junk.resize(below(80));
        for (std::byte& b : junk) b = static_cast<std::byte>(below(256));
        if (junk.size() > 16 && below(2) == 0) {
            wire::store_be32(junk.data() + 16, Ipv4Address{10, 0, 0, 2}.value());  // addressed to the server
            junk[0] = std::byte{0x45};
        }
        p.server->prefetch(junk);
    }
    exchange(p, 1, 3);
    EXPECT_EQ(p.server->counters().InErrs, 0u);
}

TEST(Prefetch, PeekOutput_IsWhatNextOutputTakes) {
    Stack stack{StackConfig{.address = Ipv4Address{10, 0, 0, 1}, .name = "client"}};
    EXPECT_FALSE(stack.peek_output());
    auto c = stack.connect({Ipv4Address{10, 0, 0, 2}, 80});
    ASSERT_TRUE(c);
    auto peeked = stack.peek_output();
    ASSERT_TRUE(peeked);
    const std::vector<std::byte> copy(peeked->begin(), peeked->end());
    auto taken = stack.next_output();
    ASSERT_TRUE(taken);
    EXPECT_EQ(std::vector<std::byte>(taken->begin(), taken->end()), copy);
    EXPECT_FALSE(stack.peek_output());
}

}  // namespace
}  // namespace tcpp
