// Bulk data transfer between two whole stacks over the simulated network, on the virtual clock, seeded:
// every byte arrives exactly once and in order (each compared with the sender's pattern at its offset, and
// the SHA-256 of each direction's stream compared end to end), through loss, reordering, duplication,
// corruption, delay, every kind of window scale and buffer size, in one direction or both at once; then
// both sides close with the FIN exchange and nothing is left held. Also: a receiver that stops reading (the
// window closes, zero-window probes back off, the connection survives a long pause and the transfer then
// completes), and urgent data (URG and the urgent pointer), accepted and delivered inline.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "segment_script.h"
#include "transfer_harness.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

// The sanitizer build is many times slower: there the big transfers are scaled down.
#if defined(__SANITIZE_ADDRESS__)
#define TCPP_TRANSFER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TCPP_TRANSFER_SANITIZED 1
#endif
#endif
#ifndef TCPP_TRANSFER_SANITIZED
#define TCPP_TRANSFER_SANITIZED 0
#endif

namespace tcpp {
namespace {

using testing::GiB;
using testing::KiB;
using testing::MiB;
using testing::SideConfig;
using testing::TransferRun;
using testing::TransferSpec;

constexpr std::uint64_t ms = 1000;
constexpr std::uint64_t s = 1'000'000;
constexpr bool sanitized = TCPP_TRANSFER_SANITIZED != 0;

// Sizes above 1 MiB are cut by 8 under the sanitizers (never below 1 MiB).
constexpr std::uint64_t size(std::uint64_t bytes) {
    if (!sanitized || bytes <= MiB) return bytes;
    return std::max<std::uint64_t>(MiB, bytes / 8);
}

std::string hex(const bench::Sha256::Digest& digest) { return bench::Sha256::hex(digest); }

// ---------------------------------------------------------------------------------------------------------
// The matrix

struct TransferCase {
    std::string name;
    TransferSpec spec;
    // The window scales each side should announce, and whether scaling is in use at all.
    std::uint8_t client_scale = 7;
    std::uint8_t server_scale = 7;
    bool scaling = true;
    // Whether the scales must be exactly those: a buffer of a few bytes leaves the stack free to offer a
    // smaller shift than its largest buffer asks for, so that the window does not round to zero.
    bool exact_scales = true;
};

void PrintTo(const TransferCase& c, std::ostream* out) { *out << c.name; }

runtime::LinkConfig link(std::uint64_t delay_us, double loss = 0) {
    runtime::LinkConfig config;
    config.delay_us = delay_us;
    config.loss = loss;
    return config;
}

// The client sends `bytes` to the server over links that are `network` both ways.
TransferCase one_way(std::string name, std::uint64_t seed, runtime::LinkConfig network, std::uint64_t bytes) {
    TransferCase c;
    c.name = std::move(name);
    c.spec.seed = seed;
    c.spec.client_to_server = network;
    c.spec.server_to_client = network;
    c.spec.client_sends = size(bytes);
    return c;
}

// Both send `bytes` at once.
TransferCase both_ways(std::string name, std::uint64_t seed, runtime::LinkConfig network, std::uint64_t bytes) {
    TransferCase c = one_way(std::move(name), seed, network, bytes);
    c.spec.server_sends = size(bytes);
    return c;
}

TransferCase with_buffers(TransferCase c, std::size_t send, std::size_t receive) {
    for (SideConfig* side : {&c.spec.client, &c.spec.server}) {
        side->send_buffer = send;
        side->receive_buffer = receive;
    }
    if (receive < 64 * KiB) c.exact_scales = false;
    return c;
}

// The scale a side announces follows from its largest receive buffer: 65535 << scale needs exactly `scale`.
TransferCase with_scales(TransferCase c, std::uint8_t client_scale, std::uint8_t server_scale) {
    c.spec.client.max_receive_buffer = std::size_t{0xffff} << client_scale;
    c.spec.server.max_receive_buffer = std::size_t{0xffff} << server_scale;
    c.client_scale = client_scale;
    c.server_scale = server_scale;
    return c;
}

TransferCase without_scaling(TransferCase c, bool at_client, bool at_server) {
    c.spec.client.window_scaling = !at_client;
    c.spec.server.window_scaling = !at_server;
    c.scaling = false;
    c.client_scale = c.server_scale = 0;
    return c;
}

// Engine failures this matrix found, by case, each reported with its parameters and what went wrong. These
// cases are instantiated apart, as DISABLED_KnownEngineFailures/... (gtest and ctest skip them; run them with
// --gtest_also_run_disabled_tests); a case runs with the rest again once its line is removed.
const std::map<std::string, std::string> known_failures = {
    // Fixed: tiny buffers 5-90x too slow, the SYN window and the window-update threshold having counted
    // the slack kept for rounding scaled windows (100 B and 1460 B cases now pass). Still slow: a 536-byte
    // receive buffer under scale 7 (windows of 512, four units): 732 KB in 60 s, about 86 s for 1 MiB; the
    // 24-byte remainders of the send buffer go as small segments the receiver does not answer at once.
    {"tiny_buffers_536B_1MiB_seed_31", "about 86 s for 1 MiB: small remainders wait for the delayed ACK"},
};

std::vector<TransferCase> transfer_cases() {
    std::vector<TransferCase> cases;
    auto add = [&](TransferCase c) { cases.push_back(std::move(c)); };

    // Loss: 0 and 1% up to 64 MiB, 5% and 20% on smaller transfers, across seeds.
    add(one_way("loss_0pct_64MiB_seed_1", 1, link(1 * ms), 64 * MiB));
    add(one_way("loss_1pct_64MiB_seed_2", 2, link(1 * ms, 0.01), 64 * MiB));
    add(one_way("loss_0pct_8MiB_delay_10ms_seed_3", 3, link(10 * ms), 8 * MiB));
    add(one_way("loss_1pct_8MiB_delay_10ms_seed_4", 4, link(10 * ms, 0.01), 8 * MiB));
    add(one_way("loss_1pct_8MiB_delay_10ms_seed_5", 5, link(10 * ms, 0.01), 8 * MiB));
    add(one_way("loss_5pct_8MiB_seed_6", 6, link(5 * ms, 0.05), 8 * MiB));
    add(one_way("loss_5pct_4MiB_seed_7", 7, link(5 * ms, 0.05), 4 * MiB));
    add(one_way("loss_20pct_1MiB_seed_8", 8, link(5 * ms, 0.2), 1 * MiB));
    add(one_way("loss_20pct_1MiB_seed_9", 9, link(5 * ms, 0.2), 1 * MiB));
    add(one_way("loss_20pct_2MiB_seed_10", 10, link(2 * ms, 0.2), 2 * MiB));
    {
        // Only the ACKs are lost, or only the data.
        TransferCase c = one_way("ack_path_loss_20pct_4MiB_seed_11", 11, link(5 * ms), 4 * MiB);
        c.spec.server_to_client.loss = 0.2;
        add(c);
        c = one_way("data_path_loss_5pct_4MiB_seed_12", 12, link(5 * ms), 4 * MiB);
        c.spec.client_to_server.loss = 0.05;
        add(c);
    }

    // Reordering, duplication, corruption (a flipped bit: the checksum drops the packet).
    {
        runtime::LinkConfig l = link(2 * ms);
        l.reorder = 0.05;
        l.reorder_delay_us = 3 * ms;
        add(one_way("reorder_5pct_8MiB_seed_13", 13, l, 8 * MiB));
        l.reorder = 0.3;
        l.reorder_delay_us = 8 * ms;
        add(one_way("reorder_30pct_4MiB_seed_14", 14, l, 4 * MiB));
    }
    {
        runtime::LinkConfig l = link(2 * ms);
        l.duplicate = 0.1;
        add(one_way("duplicate_10pct_8MiB_seed_15", 15, l, 8 * MiB));
        l.duplicate = 0.5;
        add(one_way("duplicate_50pct_2MiB_seed_16", 16, l, 2 * MiB));
    }
    {
        runtime::LinkConfig l = link(2 * ms);
        l.corrupt = 0.01;
        add(one_way("corrupt_1pct_8MiB_seed_17", 17, l, 8 * MiB));
        l.corrupt = 0.1;
        add(one_way("corrupt_10pct_2MiB_seed_18", 18, l, 2 * MiB));
    }

    // Delay from 0 to 200 ms each way.
    add(one_way("delay_0ms_16MiB_seed_19", 19, link(0), 16 * MiB));
    add(one_way("delay_50ms_8MiB_seed_20", 20, link(50 * ms), 8 * MiB));
    add(one_way("delay_200ms_4MiB_seed_21", 21, link(200 * ms), 4 * MiB));
    add(one_way("delay_200ms_loss_1pct_2MiB_seed_22", 22, link(200 * ms, 0.01), 2 * MiB));

    // Window scales 0 to 14.
    add(without_scaling(one_way("wscale_off_at_client_4MiB_seed_23", 23, link(5 * ms), 4 * MiB), true, false));
    add(without_scaling(one_way("wscale_off_at_server_4MiB_seed_24", 24, link(5 * ms), 4 * MiB), false, true));
    add(with_scales(one_way("wscale_0_announced_4MiB_seed_25", 25, link(5 * ms), 4 * MiB), 0, 0));
    add(with_buffers(with_scales(one_way("wscale_1_and_3_4MiB_seed_26", 26, link(5 * ms, 0.01), 4 * MiB), 1, 3),
                     256 * KiB, 256 * KiB));
    add(with_buffers(with_scales(one_way("wscale_9_and_5_8MiB_seed_27", 27, link(10 * ms, 0.01), 8 * MiB), 9, 5),
                     1 * MiB, 1 * MiB));
    {
        // The peer announces 14 (its largest buffer is 1 GiB), and the window in use is several MiB.
        TransferCase c = one_way("wscale_14_1GiB_max_16MiB_delay_20ms_seed_28", 28, link(20 * ms), 16 * MiB);
        c.spec.client.max_receive_buffer = c.spec.server.max_receive_buffer = 1 * GiB;
        c.client_scale = c.server_scale = 14;
        add(with_buffers(c, 8 * MiB, 8 * MiB));
        // Scale 14 with a buffer of 64 KiB: the window is counted in units of 16 KiB.
        c = one_way("wscale_14_64KiB_buffer_4MiB_loss_1pct_seed_29", 29, link(5 * ms, 0.01), 4 * MiB);
        c.spec.client.max_receive_buffer = c.spec.server.max_receive_buffer = 1 * GiB;
        c.client_scale = c.server_scale = 14;
        add(c);
    }

    // Tiny buffers (a segment or less) and large ones (several MiB).
    // A window of a segment or less costs a round trip (and at worst a delayed ACK, 40 ms) a segment: 1 MiB
    // over 2 ms round trips then takes 30 s at most. A minute allows twice that.
    auto bounded = [](TransferCase c) {
        c.spec.max_virtual_us = 60 * s;
        return c;
    };
    add(bounded(with_buffers(one_way("tiny_buffers_1460B_1MiB_seed_30", 30, link(1 * ms), 1 * MiB), 1460, 1460)));
    add(bounded(with_buffers(one_way("tiny_buffers_536B_1MiB_seed_31", 31, link(1 * ms), 1 * MiB), 536, 536)));
    add(with_buffers(one_way("tiny_buffers_1000B_loss_5pct_1MiB_seed_32", 32, link(2 * ms, 0.05), 1 * MiB), 1000,
                     1000));
    add(bounded(
        with_buffers(one_way("tiny_receive_buffer_100B_1MiB_seed_33", 33, link(1 * ms), 1 * MiB), 64 * KiB, 100)));
    {
        // A receive buffer of one segment under a large scale (the largest buffer allowed is 1 GiB).
        TransferCase c = one_way("tiny_receive_buffer_1460B_wscale_up_to_14_1MiB_seed_47", 47, link(1 * ms), 1 * MiB);
        c.spec.client.max_receive_buffer = c.spec.server.max_receive_buffer = 1 * GiB;
        c.client_scale = c.server_scale = 14;
        add(bounded(with_buffers(c, 64 * KiB, 1460)));
    }
    add(with_buffers(one_way("large_buffers_8MiB_32MiB_delay_20ms_seed_34", 34, link(20 * ms), 32 * MiB), 8 * MiB,
                     8 * MiB));
    add(with_buffers(one_way("large_buffers_4MiB_loss_1pct_8MiB_seed_35", 35, link(10 * ms, 0.01), 8 * MiB),
                     4 * MiB, 4 * MiB));
    {
        TransferCase c = one_way("no_delayed_ack_8MiB_loss_1pct_seed_36", 36, link(2 * ms, 0.01), 8 * MiB);
        c.spec.client.delayed_ack_us = c.spec.server.delayed_ack_us = 0;
        add(c);
    }

    // Both directions at once.
    add(both_ways("both_ways_16MiB_each_seed_37", 37, link(2 * ms), 16 * MiB));
    add(both_ways("both_ways_loss_1pct_8MiB_each_seed_38", 38, link(5 * ms, 0.01), 8 * MiB));
    add(both_ways("both_ways_loss_5pct_4MiB_each_seed_39", 39, link(5 * ms, 0.05), 4 * MiB));
    add(both_ways("both_ways_loss_20pct_1MiB_each_seed_40", 40, link(5 * ms, 0.2), 1 * MiB));
    add(bounded(with_buffers(both_ways("both_ways_tiny_buffers_1460B_1MiB_each_seed_41", 41, link(1 * ms), 1 * MiB),
                             1460, 1460)));
    add(with_buffers(both_ways("both_ways_large_buffers_4MiB_8MiB_each_seed_42", 42, link(20 * ms, 0.01), 8 * MiB),
                     4 * MiB, 4 * MiB));
    {
        runtime::LinkConfig l = link(20 * ms, 0.05);
        l.duplicate = 0.05;
        l.reorder = 0.1;
        l.reorder_delay_us = 10 * ms;
        l.corrupt = 0.02;
        add(both_ways("both_ways_everything_at_once_4MiB_each_seed_43", 43, l, 4 * MiB));
        add(both_ways("both_ways_everything_at_once_2MiB_each_seed_44", 44, l, 2 * MiB));
    }
    add(both_ways("both_ways_64MiB_each_seed_45", 45, link(1 * ms), 64 * MiB));
    add(both_ways("both_ways_loss_1pct_64MiB_each_seed_46", 46, link(2 * ms, 0.01), 64 * MiB));

    // Segmentation offload on both ends: new data crosses the simulated link in segments of up to 64 KiB
    // (a loss takes a whole one), while retransmissions and everything sent during a recovery stay one MSS.
    // These sizes are kept whole under the sanitizers: a transfer of long segments is a few dozen packets
    // (and quick), too few at 1 MiB for a 1% loss to be sure to hit one. The same sizes make the same run
    // in every build.
    auto offloaded = [](TransferCase c, std::uint64_t bytes) {
        c.spec.client.segmentation_offload = c.spec.server.segmentation_offload = tcp::max_offload_segment;
        c.spec.client_sends = bytes;
        if (c.spec.server_sends != 0) c.spec.server_sends = bytes;
        return c;
    };
    add(offloaded(one_way("offload_64KiB_16MiB_seed_47", 47, link(1 * ms), 16 * MiB), 16 * MiB));
    add(offloaded(with_buffers(one_way("offload_1MiB_buffers_32MiB_delay_20ms_seed_48", 48, link(20 * ms), 32 * MiB),
                               1 * MiB, 1 * MiB),
                  32 * MiB));
    add(offloaded(one_way("offload_loss_3pct_16MiB_seed_49", 49, link(5 * ms, 0.03), 16 * MiB), 16 * MiB));
    add(offloaded(with_buffers(one_way("offload_loss_5pct_4MiB_256KiB_buffers_seed_50", 50, link(5 * ms, 0.05),
                                       4 * MiB), 256 * KiB, 256 * KiB),
                  4 * MiB));
    add(offloaded(one_way("offload_loss_20pct_1MiB_seed_51", 51, link(5 * ms, 0.2), 1 * MiB), 1 * MiB));
    add(offloaded(both_ways("offload_both_ways_loss_1pct_8MiB_each_seed_52", 52, link(5 * ms, 0.01), 8 * MiB),
                  8 * MiB));
    add(offloaded(with_buffers(both_ways("offload_both_ways_tiny_buffers_1460B_1MiB_each_seed_53", 53, link(1 * ms),
                                         1 * MiB), 1460, 1460),
                  1 * MiB));
    {
        runtime::LinkConfig l = link(10 * ms, 0.05);
        l.duplicate = 0.05;
        l.reorder = 0.1;
        l.reorder_delay_us = 15 * ms;
        l.corrupt = 0.02;
        add(offloaded(both_ways("offload_both_ways_everything_at_once_2MiB_each_seed_54", 54, l, 2 * MiB), 2 * MiB));
    }

    // Sweeps over seeds: each seed is another pattern of losses, duplicates, reorderings and flipped bits.
    auto named = [](const char* what, std::uint64_t seed) {
        return std::string{what} + "_seed_" + std::to_string(seed);
    };
    for (std::uint64_t seed = 101; seed <= 106; ++seed) {
        add(one_way(named("sweep_loss_1pct_4MiB_delay_20ms", seed), seed, link(20 * ms, 0.01), 4 * MiB));
    }
    for (std::uint64_t seed = 111; seed <= 118; ++seed) {
        add(one_way(named("sweep_loss_5pct_2MiB", seed), seed, link(5 * ms, 0.05), 2 * MiB));
    }
    for (std::uint64_t seed = 121; seed <= 130; ++seed) {
        add(one_way(named("sweep_loss_20pct_1MiB", seed), seed, link(5 * ms, 0.2), 1 * MiB));
    }
    for (std::uint64_t seed = 131; seed <= 134; ++seed) {
        add(both_ways(named("sweep_both_ways_loss_20pct_1MiB_each", seed), seed, link(10 * ms, 0.2), 1 * MiB));
    }
    for (std::uint64_t seed = 141; seed <= 146; ++seed) {
        runtime::LinkConfig l = link(10 * ms, 0.05);
        l.duplicate = 0.05;
        l.reorder = 0.1;
        l.reorder_delay_us = 15 * ms;
        l.corrupt = 0.02;
        add(both_ways(named("sweep_both_ways_everything_at_once_2MiB_each", seed), seed, l, 2 * MiB));
    }
    for (std::uint64_t seed = 151; seed <= 154; ++seed) {
        const std::string name = named("sweep_tiny_buffers_1000B_loss_5pct_1MiB", seed);
        add(with_buffers(one_way(name, seed, link(2 * ms, 0.05), 1 * MiB), 1000, 1000));
    }
    for (std::uint64_t seed = 161; seed <= 164; ++seed) {
        runtime::LinkConfig l = link(5 * ms);
        l.reorder = 0.2;
        l.reorder_delay_us = 12 * ms;
        l.corrupt = 0.05;
        add(one_way(named("sweep_reorder_20pct_corrupt_5pct_2MiB", seed), seed, l, 2 * MiB));
    }
    return cases;
}

bool one_of(const std::string& value, std::initializer_list<const char*> choices) {
    return std::any_of(choices.begin(), choices.end(), [&](const char* c) { return value == c; });
}

// After ESTABLISHED, a side closes actively (its FIN first, or both at once) or passively.
constexpr std::initializer_list<const char*> active_close = {
    "FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED", "FIN_WAIT_1 TIME_WAIT CLOSED", "FIN_WAIT_1 CLOSING TIME_WAIT CLOSED"};
constexpr const char* passive_close = "CLOSE_WAIT LAST_ACK CLOSED";

std::string after(const std::string& states, const std::string& prefix) {
    return states.starts_with(prefix) ? states.substr(prefix.size()) : "(opened as " + states + ")";
}

class TransferMatrix : public ::testing::TestWithParam<TransferCase> {};

TEST_P(TransferMatrix, EveryByteArrivesOnceInOrderAndBothSidesClose) {
    const TransferCase& c = GetParam();
    const TransferSpec& spec = c.spec;
    TransferRun run{spec};

    ASSERT_TRUE(run.transfer()) << "the transfer did not complete\n" << run.describe();

    // Each direction: every byte, once, in order; and the hashes agree.
    struct Direction {
        const char* name;
        const testing::StreamSide& sender;
        const testing::StreamSide& receiver;
        std::uint64_t bytes;
    };
    for (const Direction& d : {Direction{"client to server", run.client_side, run.server_side, spec.client_sends},
                               Direction{"server to client", run.server_side, run.client_side, spec.server_sends}}) {
        SCOPED_TRACE(d.name);
        EXPECT_FALSE(d.sender.error) << d.sender.error.message() << "\n" << run.describe();
        EXPECT_FALSE(d.receiver.error) << d.receiver.error.message() << "\n" << run.describe();
        EXPECT_EQ(d.sender.queued, d.bytes);
        EXPECT_EQ(d.receiver.received, d.bytes) << run.describe();
        EXPECT_FALSE(d.receiver.first_mismatch) << "the stream differs from byte " << *d.receiver.first_mismatch;
        EXPECT_EQ(hex(d.sender.sent_digest), hex(d.receiver.received_digest));
        ASSERT_TRUE(d.receiver.last_info);
        EXPECT_EQ(d.receiver.last_info->bytes_received, d.bytes) << "bytes received in order, as the stack counts";
    }

    // The window scales the handshake settled: what each side announced is what the other scales by.
    ASSERT_TRUE(run.client_side.established_info);
    ASSERT_TRUE(run.server_side.established_info);
    const tcp::ConnectionInfo& ci = *run.client_side.established_info;
    const tcp::ConnectionInfo& si = *run.server_side.established_info;
    EXPECT_EQ(ci.window_scaling, c.scaling);
    EXPECT_EQ(si.window_scaling, c.scaling);
    EXPECT_EQ(ci.snd_wscale, si.rcv_wscale) << "the client scales the server's windows by the server's shift";
    EXPECT_EQ(si.snd_wscale, ci.rcv_wscale) << "and the server the client's by the client's";
    if (c.exact_scales) {
        EXPECT_EQ(ci.rcv_wscale, c.client_scale);
        EXPECT_EQ(si.rcv_wscale, c.server_scale);
    } else {
        EXPECT_LE(ci.rcv_wscale, c.client_scale);
        EXPECT_LE(si.rcv_wscale, c.server_scale);
    }
    if (!c.scaling) {
        EXPECT_LE(run.client_side.max_snd_wnd, 0xffffu) << "unscaled: the window field says it all";
    }
    // A receive buffer beyond 64 KiB is offered whole only through the scale.
    if (c.scaling && c.server_scale > 0 && spec.server.receive_buffer >= 1 * MiB) {
        EXPECT_GT(run.client_side.max_snd_wnd, std::uint32_t{0xffff} << std::min<std::uint8_t>(c.server_scale, 4))
            << "the scaled window was in use";
    }

    // What the network did shows in the counters.
    const tcp::Counters& cc = run.client.counters();
    const tcp::Counters& sc = run.server.counters();
    const runtime::LinkConfig& up = spec.client_to_server;
    const runtime::LinkConfig& down = spec.server_to_client;
    if (up.loss > 0 || down.loss > 0) {
        EXPECT_GT(run.network.packets_lost(), 0u);
    }
    if (up.loss > 0) {
        EXPECT_GT(cc.RetransSegs, 0u) << "lost data must have been sent again";
    }
    if (up.corrupt > 0 || down.corrupt > 0) {
        EXPECT_GT(cc.InCsumErrors + sc.InCsumErrors, 0u) << "a flipped bit is caught by the checksum";
    }
    if (up.duplicate > 0 && up.loss == 0) {
        EXPECT_GT(sc.InSegs, cc.OutSegs) << "the server received duplicates";
    }
    if (spec.client.segmentation_offload != 0 && spec.server.receive_buffer >= 64 * KiB && up.loss == 0) {
        EXPECT_LT(cc.OutSegs * 4 * 1460, spec.client_sends) << "new data crossed the link in long segments";
    }
    if (up.reorder > 0 && up.loss == 0) {
        EXPECT_GT(sc.TCPOFOQueue, 0u) << "segments arrived out of order and were held";
    }

    // Both close: the FIN exchange, then TIME_WAIT runs out, and neither stack holds anything.
    ASSERT_TRUE(run.drain()) << "the stacks still hold connections\n" << run.describe();
    const std::string client_close = after(run.states.states("client"), "SYN_SENT ESTABLISHED ");
    const std::string server_close = after(run.states.states("server"), "SYN_RECEIVED ESTABLISHED ");
    if (spec.server_sends == 0) {
        // One way: the sender's FIN goes first; the receiver closes when it reads the end of the stream.
        EXPECT_TRUE(one_of(client_close, {active_close.begin()[0], active_close.begin()[1]})) << client_close;
        EXPECT_EQ(server_close, passive_close);
        EXPECT_EQ(cc.TW, 1u) << "the client's TIME_WAIT ran its 2*MSL";
    } else {
        bool client_active = one_of(client_close, active_close);
        bool server_active = one_of(server_close, active_close);
        EXPECT_TRUE(client_active || client_close == passive_close) << client_close;
        EXPECT_TRUE(server_active || server_close == passive_close) << server_close;
        EXPECT_TRUE(client_active || server_active) << "someone closes first";
        EXPECT_EQ(cc.TW + sc.TW, (client_active ? 1u : 0u) + (server_active ? 1u : 0u));
    }
    EXPECT_EQ(cc.CurrEstab, 0u);
    EXPECT_EQ(sc.CurrEstab, 0u);
    // Nothing was reset or aborted. (A stack may still answer a duplicate that arrives after its side is
    // gone with an RST, as RFC 9293 3.10.7.1 says; TIME_WAIT ignores it, RFC 1337.)
    EXPECT_EQ(cc.EstabResets + sc.EstabResets, 0u);
    EXPECT_EQ(cc.TCPAbortOnTimeout + sc.TCPAbortOnTimeout, 0u);
    EXPECT_EQ(cc.TCPAbortOnData + sc.TCPAbortOnData + cc.TCPAbortOnClose + sc.TCPAbortOnClose, 0u);
}

std::vector<TransferCase> cases_known_to_fail(bool failing) {
    std::vector<TransferCase> chosen;
    for (TransferCase& c : transfer_cases()) {
        if (known_failures.contains(c.name) == failing) chosen.push_back(std::move(c));
    }
    return chosen;
}

std::string case_name(const ::testing::TestParamInfo<TransferCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Transfer, TransferMatrix, ::testing::ValuesIn(cases_known_to_fail(false)), case_name);
INSTANTIATE_TEST_SUITE_P(DISABLED_KnownEngineFailures, TransferMatrix, ::testing::ValuesIn(cases_known_to_fail(true)),
                         case_name);

// ---------------------------------------------------------------------------------------------------------
// A receiver that stops reading

struct Sent {
    std::uint64_t t_us;
    std::uint32_t seq;
    std::size_t length;
};

// Records the client's data segments and the server's segments as they enter the network.
struct Capture {
    std::vector<Sent> client_data;
    std::vector<std::uint64_t> server_segments;

    void attach(runtime::SimNetwork& network) {
        network.set_capture([this](std::uint64_t t_us, wire::Bytes packet) {
            auto ip = wire::Ipv4View::parse(packet, wire::ChecksumCheck::skip);
            if (!ip) return;
            auto tcp = wire::TcpView::parse(*ip, wire::ChecksumCheck::skip);
            if (!tcp) return;
            if (ip->source() == TransferRun::client_address && !tcp->payload().empty()) {
                client_data.push_back({t_us, tcp->seq().raw(), tcp->payload().size()});
            }
            if (ip->source() == TransferRun::server_address) server_segments.push_back(t_us);
        });
    }
};

struct PauseCase {
    std::string name;
    std::uint64_t seed = 1;
    double loss = 0;
    std::uint64_t pause_us = 0;
    unsigned retries = 15;      // the client's: the pause must hold more probes than this
    bool check_backoff = true;  // the gaps between probes (lost probes and answers do not change them)
};

void PrintTo(const PauseCase& c, std::ostream* out) { *out << c.name; }

class TransferZeroWindow : public ::testing::TestWithParam<PauseCase> {};

TEST_P(TransferZeroWindow, WindowClosesProbesBackOffConnectionSurvivesThenCompletes) {
    const PauseCase& p = GetParam();
    TransferSpec spec;
    spec.seed = p.seed;
    spec.client_to_server = spec.server_to_client = link(5 * ms, p.loss);
    spec.client_sends = 1 * MiB;
    spec.client.retries = p.retries;
    TransferRun run{spec};
    Capture capture;
    capture.attach(run.network);
    run.server_side.reading = false;  // the server's application reads nothing yet

    // The server's 64 KiB fill up and its window closes: the client sees a window of zero.
    ASSERT_TRUE(run.run_until([&] { return run.client_side.saw_zero_snd_wnd; }, 120 * s))
        << "the window never closed\n" << run.describe();
    auto client_info = run.client_side.connection.info();
    ASSERT_TRUE(client_info);
    EXPECT_EQ(client_info->snd_wnd, 0u);
    EXPECT_GT(client_info->send_queue, 0u) << "data waits behind the closed window";
    EXPECT_GE(run.server.counters().TCPToZeroWindowAdv, 1u);
    const std::uint64_t closed_at = run.network.now_us();
    const std::uint64_t probes_before = run.client.counters().TCPWinProbe;
    const std::size_t data_before = capture.client_data.size();
    const std::size_t server_before = capture.server_segments.size();

    // A long pause: the client probes the window, backing off, and the server answers each probe.
    ASSERT_TRUE(run.run_for(p.pause_us)) << run.describe();
    EXPECT_EQ(run.network.now_us(), closed_at + p.pause_us);
    const std::uint64_t probes = run.client.counters().TCPWinProbe - probes_before;
    std::vector<Sent> sent(capture.client_data.begin() + static_cast<std::ptrdiff_t>(data_before),
                           capture.client_data.end());
    EXPECT_EQ(sent.size(), probes) << "every data segment in the pause is a probe";
    for (const Sent& probe : sent) {
        EXPECT_EQ(probe.length, 1u) << "a probe carries one byte";
        EXPECT_EQ(probe.seq, sent.front().seq) << "the same byte, at the edge of the closed window";
    }
    // More probes than the retry limit: answered probes must not count towards a timeout.
    EXPECT_GT(probes, run.client.config().tcp.retries) << run.describe();
    EXPECT_GE(capture.server_segments.size() - server_before, p.loss > 0 ? probes / 2 : probes)
        << "the server answered the probes";
    if (p.check_backoff && sent.size() >= 3) {
        std::vector<std::uint64_t> gaps;
        for (std::size_t i = 1; i < sent.size(); ++i) gaps.push_back(sent[i].t_us - sent[i - 1].t_us);
        std::string listed;
        for (std::uint64_t g : gaps) listed += std::to_string(g / ms) + " ";
        const std::uint64_t max_rto = run.client.config().tcp.rto.max_us;
        for (std::size_t i = 1; i < gaps.size(); ++i) {
            EXPECT_GE(gaps[i], gaps[i - 1]) << "the gaps (ms): " << listed;
            EXPECT_LE(gaps[i], max_rto) << "the gaps (ms): " << listed;
            if (gaps[i - 1] * 2 <= max_rto) {
                EXPECT_EQ(gaps[i], gaps[i - 1] * 2) << "exponential backoff; the gaps (ms): " << listed;
            }
        }
        EXPECT_EQ(gaps.back(), max_rto) << "the backoff reaches the largest RTO; the gaps (ms): " << listed;
        EXPECT_GT(gaps.back(), gaps.front());
    }
    // Still open on both sides, nothing read, the window still closed.
    EXPECT_EQ(run.client_side.connection.state(), State::established) << run.describe();
    EXPECT_FALSE(run.client_side.connection.error());
    ASSERT_TRUE(run.server_side.connection.valid());
    EXPECT_EQ(run.server_side.connection.state(), State::established);
    EXPECT_EQ(run.server_side.received, 0u);
    auto server_info = run.server_side.connection.info();
    ASSERT_TRUE(server_info);
    EXPECT_EQ(server_info->rcv_wnd, 0u);
    EXPECT_GT(server_info->receive_queue, 0u);
    EXPECT_EQ(run.client.counters().TCPAbortOnTimeout, 0u);

    // The application reads again: the window opens and the rest arrives, intact.
    run.server_side.reading = true;
    ASSERT_TRUE(run.transfer()) << "the transfer did not resume\n" << run.describe();
    EXPECT_GE(run.server.counters().TCPFromZeroWindowAdv, 1u);
    EXPECT_FALSE(run.client_side.error);
    EXPECT_FALSE(run.server_side.error);
    EXPECT_EQ(run.server_side.received, spec.client_sends);
    EXPECT_FALSE(run.server_side.first_mismatch) << *run.server_side.first_mismatch;
    EXPECT_EQ(hex(run.client_side.sent_digest), hex(run.server_side.received_digest));
    ASSERT_TRUE(run.drain()) << run.describe();
    EXPECT_EQ(after(run.states.states("server"), "SYN_RECEIVED ESTABLISHED "), passive_close);
    EXPECT_EQ(run.client.counters().TW, 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Transfer, TransferZeroWindow,
    ::testing::Values(PauseCase{"pause_10min_retries_8_seed_51", 51, 0, 600 * s, 8, true},
                      PauseCase{"pause_40min_seed_52", 52, 0, 2400 * s, 15, true},
                      PauseCase{"pause_40min_loss_5pct_seed_53", 53, 0.05, 2400 * s, 15, false}),
    [](const ::testing::TestParamInfo<PauseCase>& info) { return info.param.name; });

// A reader that reads in bursts: in every 300 ms it reads for the first 100 ms only. The window closes and
// opens again and again, through loss; every byte still arrives once, in order.
TEST(TransferSlowReader, WindowClosesAndReopensRepeatedly) {
    TransferSpec spec;
    spec.seed = 54;
    spec.client_to_server = spec.server_to_client = link(5 * ms, 0.02);
    spec.client_sends = 4 * MiB;
    TransferRun run{spec};
    // The window counts as closed when less than a segment is left in it: with window scaling the receiver
    // may announce a last sliver (a unit of the scale) rather than zero.
    std::uint64_t closings = 0;
    bool was_closed = false;
    auto done = [&] {
        if (run.client_side.last_info && !run.client_side.closed) {
            const tcp::ConnectionInfo& info = *run.client_side.last_info;
            const bool closed = info.snd_wnd < info.snd_mss;
            if (closed && !was_closed) ++closings;
            was_closed = closed;
        }
        return run.client_side.closed && run.server_side.closed;
    };
    bool finished = false;
    for (int period = 0; period < 3 * 3600 * 10 && !finished && !run.out_of_steps; ++period) {  // an hour
        run.server_side.reading = period % 3 == 0;
        finished = run.run_for(100 * ms, done);
    }
    ASSERT_TRUE(finished) << run.describe();
    EXPECT_GE(closings, 3u) << "the window closed again and again";
    EXPECT_EQ(run.server_side.received, spec.client_sends);
    EXPECT_FALSE(run.server_side.first_mismatch) << *run.server_side.first_mismatch;
    EXPECT_EQ(hex(run.client_side.sent_digest), hex(run.server_side.received_digest));
    ASSERT_TRUE(run.drain()) << run.describe();
    EXPECT_EQ(after(run.states.states("server"), "SYN_RECEIVED ESTABLISHED "), passive_close);
}

// ---------------------------------------------------------------------------------------------------------
// Urgent data (RFC 9293 3.8.5): a segment with URG and an urgent pointer is accepted like any other, and
// its bytes are delivered inline, in sequence (no out-of-band byte, as Linux with SO_OOBINLINE).

using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

// The peer sends `payload` at `seq` with URG and `urgent_pointer` (plus ACK and PSH, and `more` flags).
void inject_urgent(SegmentScript& t, std::uint32_t seq, std::uint32_t ack, const std::string& payload,
                   std::uint16_t urgent_pointer, std::uint8_t more = 0) {
    wire::TcpSegment segment;
    segment.source_port = SegmentScript::peer_port;
    segment.destination_port = t.local_port;
    segment.seq = wire::Seq{seq};
    segment.ack = wire::Seq{ack};
    segment.flags.bits = wire::TcpFlags::ack | wire::TcpFlags::psh | wire::TcpFlags::urg | more;
    segment.window = 65535;
    segment.urgent_pointer = urgent_pointer;
    segment.payload = wire::as_bytes(payload.data(), payload.size());
    std::vector<std::byte> packet(wire::Ipv4Header::size() + segment.size());
    wire::Ipv4Header ip;
    ip.protocol = wire::ip_protocol::tcp;
    ip.source = SegmentScript::peer_address;
    ip.destination = SegmentScript::local_address;
    ip.payload_length = static_cast<std::uint16_t>(segment.size());
    ip.emit(packet);
    segment.emit(std::span{packet}.subspan(wire::Ipv4Header::size()), SegmentScript::peer_address,
                 SegmentScript::local_address);
    // The packet is what it says: URG and the pointer on the wire, and a valid checksum.
    auto view = wire::Ipv4View::parse(packet);
    ASSERT_TRUE(view);
    auto tcp = wire::TcpView::parse(*view, wire::ChecksumCheck::verify);
    ASSERT_TRUE(tcp);
    ASSERT_TRUE(tcp->flags().urg_set());
    ASSERT_EQ(tcp->urgent_pointer(), urgent_pointer);
    t.inject_packet(packet);
}

std::string read_everything(Connection& connection) {
    std::string out;
    std::byte buffer[256];
    for (;;) {
        auto n = connection.receive(buffer);
        if (!n || *n == 0) return out;
        out.append(reinterpret_cast<const char*>(buffer), *n);
    }
}

TEST(TransferUrgentData, UrgentSegmentIsAcceptedAndDeliveredInlineInOrder) {
    SegmentScript t;
    Opened o = t.open_server();
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("before|"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 7));
    // RFC 9293 3.8.5: the pointer is the offset of the octet after the urgent data: "URGENT" here.
    inject_urgent(t, o.rcv_nxt + 7, o.snd_nxt, "URGENT|", 6);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 14));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 14).ack(o.snd_nxt).payload("after"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 19));
    t.expect_nothing();
    EXPECT_EQ(read_everything(o.connection), "before|URGENT|after");
    EXPECT_EQ(o.connection.state(), State::established);
    auto info = o.connection.info();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->bytes_received, 19u);
}

TEST(TransferUrgentData, UrgentPointerBeyondTheSegment_LaterSegmentsStillDeliveredInOrder) {
    SegmentScript t;
    Opened o = t.open_server();
    // The urgent data runs past this segment (the pointer is 100 bytes on), over the next two.
    inject_urgent(t, o.rcv_nxt, o.snd_nxt, "0123456789", 100);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 10));
    inject_urgent(t, o.rcv_nxt + 10, o.snd_nxt, "abcdefghij", 90);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 20));
    t.inject(Seg{}.psh().seq(o.rcv_nxt + 20).ack(o.snd_nxt).payload("ABCDEFGHIJ"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 30));
    EXPECT_EQ(read_everything(o.connection), "0123456789abcdefghijABCDEFGHIJ");
}

TEST(TransferUrgentData, UrgentSegmentOutOfOrder_HeldThenDeliveredInPlace) {
    SegmentScript t;
    Opened o = t.open_server();
    // The urgent segment arrives before the one ahead of it: held, a duplicate ACK goes out.
    inject_urgent(t, o.rcv_nxt + 5, o.snd_nxt, "URG", 3);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    EXPECT_FALSE(o.connection.readable());
    t.inject(Seg{}.psh().seq(o.rcv_nxt).ack(o.snd_nxt).payload("first"));
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 8));
    EXPECT_EQ(read_everything(o.connection), "firstURG");
}

TEST(TransferUrgentData, UrgentDataWithFin_DeliveredThenEndOfStream) {
    SegmentScript t;
    Opened o = t.open_server();
    inject_urgent(t, o.rcv_nxt, o.snd_nxt, "last words", 10, wire::TcpFlags::fin);
    t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + 11));  // the data and the FIN
    EXPECT_EQ(o.connection.state(), State::close_wait);
    EXPECT_EQ(read_everything(o.connection), "last words");
    auto end = o.connection.receive(std::span<std::byte>{});
    ASSERT_TRUE(end);
    EXPECT_EQ(*end, 0u) << "end of stream after the urgent data";
}

// Urgent data within a stream of ordinary data through the whole stack: the peer (the test) sends
// 256 KiB in segments, every seventh with URG, and the stack's reader sees exactly the bytes sent.
TEST(TransferUrgentData, UrgentSegmentsInABulkStream_EveryByteInOrder) {
    SegmentScript t;
    Opened o = t.open_server();
    testing::PatternStream pattern{0x75726721ull};
    constexpr std::size_t total = 256 * 1024;
    constexpr std::size_t segment_size = 1000;
    std::string sent(total, '\0');
    pattern.fill(0, std::as_writable_bytes(std::span{sent}));
    std::string received;
    std::size_t offset = 0;
    int index = 0;
    while (offset < total) {
        const std::size_t n = std::min(segment_size, total - offset);
        const std::string chunk = sent.substr(offset, n);
        const std::uint32_t seq = o.rcv_nxt + static_cast<std::uint32_t>(offset);
        if (index % 7 == 3) {
            inject_urgent(t, seq, o.snd_nxt, chunk, static_cast<std::uint16_t>(n / 2 + 1));
        } else {
            t.inject(Seg{}.seq(seq).ack(o.snd_nxt).payload(chunk));
        }
        offset += n;
        ++index;
        t.expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt + static_cast<std::uint32_t>(offset)));
        received += read_everything(o.connection);  // keep the window open
    }
    t.expect_nothing();
    ASSERT_EQ(received.size(), sent.size());
    EXPECT_TRUE(received == sent) << "the bytes differ";
}

}  // namespace
}  // namespace tcpp
