// Each demo scenario's trace, asserted: the exact sequence of states each node's connections went through.
// Determinism: one seed, one trace, byte for byte.

#include <string>

#include <gtest/gtest.h>

#include "recorder.h"
#include "scenarios/scenarios.h"
#include "trace/json_lines.h"

namespace tcpp {
namespace {

struct Expected {
    const char* scenario;
    const char* client;
    const char* server;
};

class DemoScenario : public ::testing::TestWithParam<Expected> {};

TEST_P(DemoScenario, GoesThroughExactlyTheseStates) {
    const Expected& expected = GetParam();
    testing::Recorder recorder;
    auto outcome = scenarios::run(expected.scenario, {}, recorder);
    ASSERT_TRUE(outcome.completed) << outcome.failure;
    EXPECT_EQ(recorder.states("client"), expected.client);
    EXPECT_EQ(recorder.states("server"), expected.server);
}

INSTANTIATE_TEST_SUITE_P(
    All, DemoScenario,
    ::testing::Values(
        Expected{"handshake-and-close", "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
                 "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
        Expected{"server-closes-first", "SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
                 "SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED"},
        Expected{"half-close", "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
                 "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
        Expected{"simultaneous-open", "SYN_SENT SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
                 "SYN_SENT SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
        Expected{"simultaneous-close", "SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED",
                 "SYN_RECEIVED ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED"},
        Expected{"lost-final-ack", "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
                 "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
        Expected{"linger-abort", "SYN_SENT ESTABLISHED CLOSED", "SYN_RECEIVED ESTABLISHED CLOSED"},
        Expected{"unread-data-reset", "SYN_SENT ESTABLISHED CLOSED", "SYN_RECEIVED ESTABLISHED CLOSED"},
        Expected{"refused", "SYN_SENT CLOSED", ""},
        // In these two no data moves: the server ACKs the client's FIN at once (as Linux does before any data),
        // so the client goes through FIN_WAIT_2 though the server closes as soon as the FIN arrives.
        Expected{"syn-lost", "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
                 "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"},
        Expected{"backlog-full",
                 "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED | "
                 "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED | "
                 "SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
                 "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED | "
                 "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED | "
                 "SYN_RECEIVED ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"}),
    [](const ::testing::TestParamInfo<Expected>& info) {
        std::string name = info.param.scenario;
        for (char& c : name) {
            if (c == '-') c = '_';
        }
        return name;
    });

TEST(DemoScenarios, EveryScenarioIsTested) { EXPECT_EQ(scenarios::all().size(), 11u); }

TEST(DemoScenarios, LostFinalAck_TimeWaitReAcksTheRepeatedFinAndRestarts2Msl) {
    testing::Recorder recorder;
    auto outcome = scenarios::run("lost-final-ack", {}, recorder);
    ASSERT_TRUE(outcome.completed) << outcome.failure;
    // The server's FIN arrives twice at the client; the client answers both with an ACK, never an RST.
    int fins_in = 0, acks_out_in_time_wait = 0, resets = 0;
    bool in_time_wait = false;
    std::uint64_t entered = 0, left = 0, second_fin = 0;
    for (const auto& e : recorder.events) {
        if (e.node != "client") continue;
        if (e.type == TraceEvent::Type::state && e.to == tcp::State::time_wait) {
            in_time_wait = true;
            entered = e.t_us;
        }
        if (e.type == TraceEvent::Type::state && e.from == tcp::State::time_wait) left = e.t_us;
        if (e.type != TraceEvent::Type::segment) continue;
        if (e.flags.rst_set()) ++resets;
        if (e.direction == Direction::in && e.flags.fin_set()) {
            ++fins_in;
            if (fins_in == 2) second_fin = e.t_us;
        }
        if (e.direction == Direction::out && in_time_wait && e.flags.bits == wire::TcpFlags::ack) ++acks_out_in_time_wait;
    }
    EXPECT_EQ(fins_in, 2);
    EXPECT_EQ(acks_out_in_time_wait, 2);
    EXPECT_EQ(resets, 0);
    EXPECT_GT(second_fin, entered);
    EXPECT_EQ(left, second_fin + 60'000'000) << "2*MSL restarts from the repeated FIN";
    EXPECT_EQ(outcome.lines[0].rfind("client: CLOSED after TIME_WAIT 60.", 0), 0u) << outcome.lines[0];
}

TEST(DemoScenarios, SynLost_RetransmitsWithExponentialBackoff) {
    testing::Recorder recorder;
    auto outcome = scenarios::run("syn-lost", {}, recorder);
    ASSERT_TRUE(outcome.completed) << outcome.failure;
    std::vector<std::uint64_t> syns;
    for (const auto& e : recorder.events) {
        if (e.node == "client" && e.type == TraceEvent::Type::segment && e.direction == Direction::out &&
            e.flags.syn_set()) {
            syns.push_back(e.t_us);
        }
    }
    ASSERT_EQ(syns.size(), 3u);
    EXPECT_EQ(syns[1] - syns[0], 1'000'000u);  // RFC 6298 2.1: the initial RTO is 1 s
    EXPECT_EQ(syns[2] - syns[1], 2'000'000u);  // 5.5: doubled
}

TEST(DemoScenarios, ClosingLinesSayWhatEachNodeSaw) {
    testing::Recorder recorder;
    auto outcome = scenarios::run("handshake-and-close", {}, recorder);
    ASSERT_EQ(outcome.lines.size(), 2u);
    EXPECT_EQ(outcome.lines[0], "client: CLOSED after TIME_WAIT 60.000 s; received \"pong\"");
    EXPECT_EQ(outcome.lines[1], "server: CLOSED; received \"ping\"");
    auto refused = scenarios::run("refused", {}, recorder);
    EXPECT_EQ(refused.lines[0], "client: CLOSED; connect failed with ECONNREFUSED");
}

TEST(DemoScenarios, MslSetsTheLengthOfTimeWait) {
    testing::Recorder recorder;
    scenarios::Options options;
    options.msl_us = 2'000'000;
    auto outcome = scenarios::run("handshake-and-close", options, recorder);
    EXPECT_EQ(outcome.lines[0], "client: CLOSED after TIME_WAIT 4.000 s; received \"pong\"");
}

class JsonTrace : public TraceSink {
public:
    void record(const TraceEvent& event) override { text += trace::to_json(event) + "\n"; }
    std::string text;
};

TEST(Determinism, OneSeedGivesOneTraceByteForByte) {
    for (const auto& scenario : scenarios::all()) {
        SCOPED_TRACE(std::string{scenario.name});
        scenarios::Options options;
        options.loss = 0.1;
        options.seed = 7;
        JsonTrace first, second;
        auto a = scenarios::run(scenario.name, options, first);
        auto b = scenarios::run(scenario.name, options, second);
        EXPECT_EQ(a.completed, b.completed);
        EXPECT_FALSE(first.text.empty());
        EXPECT_EQ(first.text, second.text);
    }
}

TEST(Determinism, AnotherSeedGivesAnotherRunUnderLoss) {
    scenarios::Options options;
    options.loss = 0.2;
    JsonTrace first, second;
    options.seed = 1;
    (void)scenarios::run("half-close", options, first);
    options.seed = 2;
    (void)scenarios::run("half-close", options, second);
    EXPECT_NE(first.text, second.text);
}

TEST(DemoScenarios, EveryScenarioCompletesUnderLoss) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        for (const auto& scenario : scenarios::all()) {
            SCOPED_TRACE(std::string{scenario.name} + " seed " + std::to_string(seed));
            testing::Recorder recorder;
            scenarios::Options options;
            options.loss = 0.1;
            options.seed = seed;
            auto outcome = scenarios::run(scenario.name, options, recorder);
            EXPECT_TRUE(outcome.completed) << outcome.failure;
        }
    }
}

}  // namespace
}  // namespace tcpp
