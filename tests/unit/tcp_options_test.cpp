// TCP options (RFC 9293 section 3.2, RFC 7323, RFC 2018): the walker over the raw area, the values
// parsed from it, and the layout emit() writes, which is Linux's, byte for byte.

#include "wire/tcp_options.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_bytes.h"
#include "test_random.h"

namespace tcpp::wire {
namespace {

using test::ByteVector;
using test::fails_with;
using test::hex;
using test::succeeds;
using test::TestRandom;
using test::to_hex;
using test::view;

// The options of a Linux SYN: MSS 1460, SACK permitted, timestamps, window scale 7.
const ByteVector linux_syn = hex("02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07");

struct Walked {
    std::vector<std::uint8_t> kinds;
    std::vector<std::string> data;
    ParseError error{};
};

Walked walk(const ByteVector& area) {
    Walked walked;
    TcpOptionWalker walker{view(area)};
    while (auto option = walker.next()) {
        walked.kinds.push_back(option->kind);
        walked.data.push_back(to_hex(option->data));
        EXPECT_TRUE(test::within(option->data, view(area)));
    }
    walked.error = walker.error();
    return walked;
}

ByteVector emitted(const TcpOptions& options) {
    ByteVector out(options.size());
    options.emit(test::mutable_view(out));
    return out;
}

// TcpOptions from its four scalar options (designated initializers would leave the optionals without an
// initializer, which g++ -Wextra reports).
TcpOptions make_options(std::optional<std::uint16_t> mss, std::optional<std::uint8_t> window_scale,
                        bool sack_permitted, std::optional<TcpTimestamps> timestamps) {
    TcpOptions options;
    options.mss = mss;
    options.window_scale = window_scale;
    options.sack_permitted = sack_permitted;
    options.timestamps = timestamps;
    return options;
}

TEST(TcpOptionWalker, ReportsOptionsInWireOrderWithNopAndEol) {
    auto walked = walk(hex("01 01 08 0a 00 00 00 01 00 00 00 02 01 03 03 07 00 00 00 00"));
    EXPECT_EQ(walked.kinds, (std::vector<std::uint8_t>{1, 1, 8, 1, 3, 0}));
    EXPECT_EQ(walked.data[2], "00 00 00 01 00 00 00 02");
    EXPECT_EQ(walked.data[4], "07");
    EXPECT_EQ(walked.data[5], "");
    EXPECT_EQ(walked.error, ParseError{});
}

TEST(TcpOptionWalker, StopsAtEndOfList) {
    // What follows EOL is padding, even when it would be a malformed option.
    auto walked = walk(hex("02 04 05 b4 00 02 00 ff"));
    EXPECT_EQ(walked.kinds, (std::vector<std::uint8_t>{2, 0}));
    EXPECT_EQ(walked.error, ParseError{});
}

TEST(TcpOptionWalker, EmptyArea_ReportsNothing) {
    auto walked = walk({});
    EXPECT_TRUE(walked.kinds.empty());
    EXPECT_EQ(walked.error, ParseError{});
}

TEST(TcpOptionWalker, UnknownOption_IsReportedWithItsData) {
    auto walked = walk(hex("fe 06 f9 89 aa bb 01 01"));  // an RFC 6994 experimental option
    EXPECT_EQ(walked.kinds, (std::vector<std::uint8_t>{254, 1, 1}));
    EXPECT_EQ(walked.data[0], "f9 89 aa bb");
}

TEST(TcpOptionWalker, LengthByteZeroOrOne_IsBadOptionLength) {
    for (const char* area : {"02 00 05 b4", "02 01 05 b4", "01 01 08 00", "fe 01 00 00"}) {
        auto walked = walk(hex(area));
        EXPECT_EQ(walked.error, ParseError::bad_option_length) << area;
        EXPECT_EQ(validate_tcp_options(view(hex(area))), ParseError::bad_option_length) << area;
    }
}

TEST(TcpOptionWalker, LengthPastTheArea_IsOptionPastHeader) {
    for (const char* area : {"02 05 05 b4", "01 01 08 0a 00 00 00 01", "fe 28 00 00", "03 03"}) {
        auto walked = walk(hex(area));
        EXPECT_EQ(walked.error, ParseError::option_past_header) << area;
        EXPECT_EQ(validate_tcp_options(view(hex(area))), ParseError::option_past_header) << area;
    }
}

TEST(TcpOptionWalker, KindWithoutLengthAtTheEnd_IsOptionPastHeader) {
    for (const char* area : {"02", "01 01 01 08", "02 04 05 b4 01 01 01 fe"}) {
        auto walked = walk(hex(area));
        EXPECT_EQ(walked.error, ParseError::option_past_header) << area;
        EXPECT_EQ(validate_tcp_options(view(hex(area))), ParseError::option_past_header) << area;
    }
}

TEST(TcpOptionWalker, OptionsBeforeAnError_AreReportedAndNothingAfter) {
    auto walked = walk(hex("02 04 05 b4 01 08 01 00"));
    EXPECT_EQ(walked.kinds, (std::vector<std::uint8_t>{2, 1}));
    EXPECT_EQ(walked.error, ParseError::bad_option_length);
}

TEST(TcpOptionWalker, EveryPrefixOfAnArea_FailsCleanlyOrWalks) {
    ByteVector area = hex("02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07 "
                          "01 01 05 0a 00 00 00 01 00 00 00 02");
    for (std::size_t size = 0; size <= area.size(); ++size) {
        ByteVector prefix(area.begin(), area.begin() + static_cast<std::ptrdiff_t>(size));
        walk(prefix);  // checks every option's data lies inside the prefix
        auto parsed = TcpOptions::parse(view(prefix));
        EXPECT_EQ(parsed.has_value(), validate_tcp_options(view(prefix)) == ParseError{}) << size;
    }
}

TEST(TcpOptions, Parse_LinuxSyn_ReadsEveryOption) {
    auto options = TcpOptions::parse(view(linux_syn));
    ASSERT_TRUE(succeeds(options));
    EXPECT_EQ(options->mss, 1460);
    EXPECT_TRUE(options->sack_permitted);
    ASSERT_TRUE(options->timestamps.has_value());
    EXPECT_EQ(options->timestamps->value, 123456u);
    EXPECT_EQ(options->timestamps->echo_reply, 0u);
    EXPECT_EQ(options->window_scale, 7);
    EXPECT_EQ(options->sack_block_count, 0u);
}

TEST(TcpOptions, Parse_SackBlocks_ReadsLeftAndRightEdges) {
    auto options = TcpOptions::parse(view(hex("01 01 05 12 00 00 00 0a 00 00 00 14 ff ff ff f0 00 00 00 10")));
    ASSERT_TRUE(succeeds(options));
    ASSERT_EQ(options->sack_block_count, 2u);
    EXPECT_EQ(options->sack_blocks[0], (SackBlock{Seq{10}, Seq{20}}));
    EXPECT_EQ(options->sack_blocks[1], (SackBlock{Seq{0xfffffff0}, Seq{0x10}}));
}

TEST(TcpOptions, Parse_KnownOptionOfTheWrongLength_IsIgnored) {
    // As Linux's tcp_parse_options does: the option is skipped by its length, and the rest still counts.
    for (const char* area : {"02 03 05 01", "02 06 05 b4 00 00", "03 04 07 00", "03 02 01 01", "04 03 00 01",
                             "08 08 00 00 00 01 00 00", "08 0c 00 00 00 01 00 00 00 02 00 00", "05 02 01 01",
                             "05 06 00 00 00 01", "05 0b 00 00 00 01 00 00 00 02 00 01 01 01 01 01"}) {
        ByteVector bytes = test::join({hex(area), hex("02 04 02 18")});
        auto options = TcpOptions::parse(view(bytes));
        ASSERT_TRUE(succeeds(options)) << area;
        EXPECT_EQ(*options, (make_options(536, {}, false, {}))) << area;
    }
}

TEST(TcpOptions, Parse_UnknownOptions_AreIgnored) {
    // Multipath TCP (30), TCP Fast Open cookie (34), an experimental option (254), and an obsolete echo (6).
    auto bytes = hex("1e 04 00 81 22 0a 01 02 03 04 05 06 07 08 fe 04 f9 89 06 06 00 00 00 00 02 04 05 b4");
    auto options = TcpOptions::parse(view(bytes));
    ASSERT_TRUE(succeeds(options));
    EXPECT_EQ(*options, (make_options(1460, {}, false, {})));
}

TEST(TcpOptions, Parse_RepeatedOption_LastOneWins) {
    auto options = TcpOptions::parse(view(hex("02 04 05 b4 02 04 02 18 05 0a 00 00 00 01 00 00 00 02 "
                                              "05 0a 00 00 00 03 00 00 00 04")));
    ASSERT_TRUE(succeeds(options));
    EXPECT_EQ(options->mss, 536);
    ASSERT_EQ(options->sack_block_count, 1u);
    EXPECT_EQ(options->sack_blocks[0], (SackBlock{Seq{3}, Seq{4}}));
}

TEST(TcpOptions, Parse_MalformedArea_FailsWithTheWalkerError) {
    EXPECT_TRUE(fails_with(TcpOptions::parse(view(hex("02 00 05 b4"))), ParseError::bad_option_length));
    EXPECT_TRUE(fails_with(TcpOptions::parse(view(hex("02 01 05 b4"))), ParseError::bad_option_length));
    EXPECT_TRUE(fails_with(TcpOptions::parse(view(hex("02 04 05"))), ParseError::option_past_header));
    EXPECT_TRUE(fails_with(TcpOptions::parse(view(hex("01 01 01 08"))), ParseError::option_past_header));
}

TEST(TcpOptions, Parse_NopNopTimestamps_IsReadAsTheWalkerReadsIt) {
    // The layout of nearly every established segment is recognised whole; the result must be the walker's.
    auto parsed = TcpOptions::parse(view(hex("01 01 08 0a fb 5d 57 60 d8 d2 17 56")));
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_TRUE(*parsed == make_options({}, {}, false, TcpTimestamps{0xfb5d5760, 0xd8d21756}));
    auto walked = TcpOptions::parse(view(hex("08 0a fb 5d 57 60 d8 d2 17 56 01 01")));
    ASSERT_TRUE(succeeds(walked));
    EXPECT_TRUE(*parsed == *walked);
    EXPECT_EQ(validate_tcp_options(view(hex("01 01 08 0a fb 5d 57 60 d8 d2 17 56"))), ParseError{});
    // A near miss is walked, and fails as it should: a length of 11 runs past the 12-byte area.
    EXPECT_TRUE(fails_with(TcpOptions::parse(view(hex("01 01 08 0b fb 5d 57 60 d8 d2 17 56"))),
                           ParseError::option_past_header));
    EXPECT_EQ(validate_tcp_options(view(hex("01 01 08 0b fb 5d 57 60 d8 d2 17 56"))), ParseError::option_past_header);
}

TEST(TcpOptions, Emit_LinuxSyn_IsByteForByteLinux) {
    TcpOptions options = make_options(1460, 7, true, TcpTimestamps{123456, 0});
    EXPECT_EQ(to_hex(view(emitted(options))), to_hex(view(linux_syn)));
    EXPECT_EQ(options.size(), 20u);
}

TEST(TcpOptions, Emit_AckWithTimestamps_IsNopNopTimestamps) {
    TcpOptions options = make_options({}, {}, false, TcpTimestamps{0xfb5d5760, 0xd8d21756});
    EXPECT_EQ(to_hex(view(emitted(options))), "01 01 08 0a fb 5d 57 60 d8 d2 17 56");
}

TEST(TcpOptions, Emit_SackBlocks_FollowNopNop) {
    TcpOptions options = make_options({}, {}, false, TcpTimestamps{1, 2});
    options.add_sack_block({Seq{0x1000}, Seq{0x2000}});
    options.add_sack_block({Seq{0x3000}, Seq{0x4000}});
    EXPECT_EQ(to_hex(view(emitted(options))),
              "01 01 08 0a 00 00 00 01 00 00 00 02 01 01 05 12 00 00 10 00 00 00 20 00 00 00 30 00 00 00 40 00");
}

TEST(TcpOptions, Emit_SynWithoutTimestamps_IsNopNopSackPermitted) {
    TcpOptions options = make_options(1460, 7, true, {});
    EXPECT_EQ(to_hex(view(emitted(options))), "02 04 05 b4 01 01 04 02 01 03 03 07");
}

TEST(TcpOptions, Emit_EachOptionAlone) {
    EXPECT_EQ(to_hex(view(emitted(make_options(536, {}, false, {})))), "02 04 02 18");
    EXPECT_EQ(to_hex(view(emitted(make_options({}, 14, false, {})))), "01 03 03 0e");
    EXPECT_EQ(to_hex(view(emitted(make_options({}, {}, true, {})))), "01 01 04 02");
    TcpOptions sack;
    sack.add_sack_block({Seq{1}, Seq{2}});
    EXPECT_EQ(to_hex(view(emitted(sack))), "01 01 05 0a 00 00 00 01 00 00 00 02");
    EXPECT_TRUE(TcpOptions{}.empty());
    EXPECT_EQ(TcpOptions{}.size(), 0u);
}

TEST(TcpOptions, Emit_WritesExactlySizeBytes) {
    TcpOptions options = make_options(1460, 7, true, TcpTimestamps{1, 2});
    for (int i = 0; i < 4; ++i) options.add_sack_block({Seq{1}, Seq{2}});
    ByteVector out(64, std::byte{0xa5});
    options.emit(test::mutable_view(out));
    ASSERT_EQ(options.size(), 40u);
    for (std::size_t i = options.size(); i < out.size(); ++i) EXPECT_EQ(out[i], std::byte{0xa5}) << i;
}

TEST(TcpOptions, SackBlocksThatFit_AreLimitedByTheFortyByteArea) {
    struct Case {
        TcpOptions options;
        std::size_t fit;
    };
    TcpTimestamps ts{1, 2};
    const Case cases[] = {
        {TcpOptions{}, 4},                            // 4 + 32 = 36
        {make_options({}, {}, false, ts), 3},         // 12 + 4 + 24 = 40
        {make_options({}, {}, true, ts), 3},          // SACK-permitted rides in the timestamps' NOPs
        {make_options(1460, {}, false, {}), 4},       // 4 + 4 + 32 = 40
        {make_options(1460, {}, false, ts), 2},       // 16 + 4 + 16 = 36
        {make_options(1460, 7, true, {}), 3},         // 12 + 4 + 24 = 40
        {make_options(1460, 7, true, ts), 2},         // 20 + 4 + 16 = 40
    };
    for (const auto& [base, fit] : cases) {
        for (std::size_t count = 0; count <= TcpOptions::max_sack_blocks; ++count) {
            TcpOptions options = base;
            for (std::size_t i = 0; i < count; ++i) options.add_sack_block({Seq{100u * std::uint32_t(i)}, Seq{1}});
            EXPECT_EQ(options.sack_blocks_that_fit(), std::min(count, fit)) << to_hex(view(emitted(base)));
            EXPECT_LE(options.size(), tcp_option::max_space);
            EXPECT_EQ(options.size() % 4, 0u);
        }
    }
}

TEST(TcpOptions, AddSackBlock_KeepsAtMostFour) {
    TcpOptions options;
    for (std::uint32_t i = 0; i < 6; ++i) options.add_sack_block({Seq{i}, Seq{i + 1}});
    EXPECT_EQ(options.sack_block_count, 4u);
    EXPECT_EQ(options.sack_blocks[3], (SackBlock{Seq{3}, Seq{4}}));
}

TEST(TcpOptions, Equality_IgnoresUnusedSackSlots) {
    TcpOptions a;
    TcpOptions b;
    b.sack_blocks[2] = {Seq{5}, Seq{6}};
    EXPECT_EQ(a, b);
    a.add_sack_block({Seq{1}, Seq{2}});
    EXPECT_NE(a, b);
    b.add_sack_block({Seq{1}, Seq{2}});
    EXPECT_EQ(a, b);
    b.sack_blocks[0].right = Seq{3};
    EXPECT_NE(a, b);
}

TEST(TcpOptions, ParseOfEmit_IsIdentityForEveryCombination) {
    // Every combination of MSS, window scale, SACK-permitted, timestamps and 0-4 SACK blocks, with random
    // values; the blocks that do not fit are dropped by emit, the rest come back.
    TestRandom random{0x7c9};
    int cases = 0;
    for (int round = 0; round < 30; ++round) {
        for (unsigned mask = 0; mask < 16; ++mask) {
            for (std::size_t blocks = 0; blocks <= TcpOptions::max_sack_blocks; ++blocks, ++cases) {
                TcpOptions options;
                if (mask & 1) options.mss = random.u16();
                if (mask & 2) options.window_scale = random.u8();
                if (mask & 4) options.sack_permitted = true;
                if (mask & 8) options.timestamps = TcpTimestamps{random.u32(), random.u32()};
                for (std::size_t i = 0; i < blocks; ++i) options.add_sack_block({Seq{random.u32()}, Seq{random.u32()}});

                ByteVector bytes = emitted(options);
                ASSERT_EQ(bytes.size() % 4, 0u);
                ASSERT_LE(bytes.size(), tcp_option::max_space);
                ASSERT_EQ(validate_tcp_options(view(bytes)), ParseError{});
                auto parsed = TcpOptions::parse(view(bytes));
                ASSERT_TRUE(succeeds(parsed));
                TcpOptions expected = options;
                expected.sack_block_count = static_cast<std::uint8_t>(options.sack_blocks_that_fit());
                ASSERT_EQ(*parsed, expected) << "case " << cases << ": " << to_hex(view(bytes));
                ASSERT_EQ(emitted(*parsed), bytes);
            }
        }
    }
    EXPECT_EQ(cases, 30 * 16 * 5);
}

// The options of an area the general way, as the walker reports them: the reference the whole-layout fast
// paths (timestamps alone, a full SYN) are checked against.
TcpOptions walked_options(const ByteVector& area, ParseError& error) {
    TcpOptions options;
    error = tcp_option_detail::read_options_walking(view(area), options);
    return options;
}

// Parse, parse_validated and validate agree with the walker on `area`, whichever path they take.
void expect_as_walked(const ByteVector& area) {
    ParseError walked_error{};
    const TcpOptions walked = walked_options(area, walked_error);
    ASSERT_EQ(validate_tcp_options(view(area)), walked_error) << to_hex(view(area));
    TcpOptions parsed;
    parsed.mss = 1;  // parse_into resets what was there
    parsed.add_sack_block({Seq{1}, Seq{2}});
    ASSERT_EQ(TcpOptions::parse_into(view(area), parsed), walked_error) << to_hex(view(area));
    if (walked_error != ParseError{}) return;
    ASSERT_EQ(parsed, walked) << to_hex(view(area));
    ASSERT_EQ(TcpOptions::parse_validated(view(area)), walked) << to_hex(view(area));
}

TEST(TcpOptions, FullSynLayout_IsReadAsTheWalkerReadsIt) {
    // MSS; SACK-permitted, timestamps; NOP, window scale: recognised whole, with any values in it.
    auto parsed = TcpOptions::parse(view(linux_syn));
    ASSERT_TRUE(succeeds(parsed));
    TcpOptions expected = make_options(1460, 7, true, TcpTimestamps{0x0001e240, 0});
    EXPECT_EQ(*parsed, expected);
    TestRandom random{0x5f11};
    for (int i = 0; i < 2000; ++i) {
        ByteVector area = linux_syn;
        // Random values (all-ones among them), then often one byte anywhere changed: the near misses, which
        // must be walked, and fail or parse just as the walker says.
        for (std::size_t at : {2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 19}) area[at] = static_cast<std::byte>(i % 7 == 0 ? 0xff : random.u8());
        if (random.coin()) area[random.below(area.size())] = static_cast<std::byte>(random.coin() ? random.u8() : random.u8() % 12);
        ASSERT_NO_FATAL_FAILURE(expect_as_walked(area)) << "case " << i;
    }
}

TEST(TcpOptions, RandomAreas_ValidateAndParseAsTheWalkerDoes) {
    // Areas of 0 to 40 bytes built from option-like pieces (so that many are well formed), some pieces
    // damaged: every path of validate and parse against the walker.
    TestRandom random{0xa7ea};
    const std::vector<ByteVector> pieces = {
        hex("01"), hex("00"), hex("02 04 05 b4"), hex("04 02"), hex("03 03 07"), hex("08 0a 01 02 03 04 05 06 07 08"),
        hex("01 01 08 0a ff ff ff ff ff ff ff ff"), hex("05 0a 00 00 00 01 00 00 00 02"), hex("fe 04 00 00"),
        hex("02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07"), hex("02 00"), hex("02 01"), hex("08 0b")};
    for (int i = 0; i < 5000; ++i) {
        ByteVector area;
        while (area.size() < tcp_option::max_space && random.below(4) != 0) {
            const ByteVector& piece = pieces[random.below(pieces.size())];
            area.insert(area.end(), piece.begin(), piece.end());
        }
        area.resize(std::min(area.size(), tcp_option::max_space));
        if (!area.empty() && random.below(4) == 0) area[random.below(area.size())] = std::byte{random.u8()};
        ASSERT_NO_FATAL_FAILURE(expect_as_walked(area)) << "case " << i;
    }
}

// emit() the plain way: one byte at a time, in the layout the header describes.
ByteVector reference_emit(const TcpOptions& options) {
    ByteVector out;
    auto put = [&out](std::initializer_list<unsigned> bytes) {
        for (unsigned b : bytes) out.push_back(std::byte(b));
    };
    auto put32 = [&put](std::uint32_t v) { put({v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xffu}); };
    if (options.mss) put({2, 4, unsigned{*options.mss} >> 8, unsigned{*options.mss} & 0xff});
    if (options.timestamps) {
        if (options.sack_permitted) put({4, 2, 8, 10});
        else put({1, 1, 8, 10});
        put32(options.timestamps->value);
        put32(options.timestamps->echo_reply);
    } else if (options.sack_permitted) {
        put({1, 1, 4, 2});
    }
    if (options.window_scale) put({1, 3, 3, *options.window_scale});
    if (std::size_t blocks = options.sack_blocks_that_fit(); blocks > 0) {
        put({1, 1, 5, static_cast<unsigned>(2 + 8 * blocks)});
        for (std::size_t i = 0; i < blocks; ++i) {
            put32(options.sack_blocks[i].left.raw());
            put32(options.sack_blocks[i].right.raw());
        }
    }
    return out;
}

TEST(TcpOptions, EmitAndSize_EqualTheBytewiseReference) {
    TestRandom random{0xe1e1};
    for (int i = 0; i < 3000; ++i) {
        TcpOptions options;
        const bool ones = i % 5 == 0;  // all-ones values
        if (random.coin()) options.mss = ones ? 0xffff : random.u16();
        if (random.coin()) options.window_scale = ones ? 0xff : random.u8();
        options.sack_permitted = random.coin();
        if (random.coin()) options.timestamps = TcpTimestamps{ones ? ~0u : random.u32(), ones ? ~0u : random.u32()};
        for (std::size_t b = random.below(5); b > 0; --b) options.add_sack_block({Seq{random.u32()}, Seq{ones ? ~0u : random.u32()}});
        const ByteVector expected = reference_emit(options);
        ASSERT_EQ(options.size(), expected.size()) << "case " << i;
        ASSERT_EQ(options.empty(), expected.empty()) << "case " << i;
        ASSERT_EQ(emitted(options), expected) << "case " << i;
    }
}

}  // namespace
}  // namespace tcpp::wire
