// Fuzzes a TCP options area (any length, though a header holds at most 40 bytes):
//   - TcpOptionWalker reports exactly what a simple model of RFC 9293 section 3.2 finds, stops, and never
//     hands out bytes outside the area;
//   - validate_tcp_options fails exactly when TcpOptions::parse does, with the walker's error;
//   - TcpOptions emit/parse round trip: parse(emit(x)) == x, less the SACK blocks emit has no room for, and
//     emitting that again gives the same bytes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz_check.h"
#include "wire/tcp_options.h"

namespace tcpp::fuzz {
namespace {

using wire::Bytes;

// What a walk should report: each option's kind and the offset and size of its data, then the error, if any.
struct ModelOption {
    std::uint8_t kind;
    std::size_t data_offset;
    std::size_t data_size;
};

struct ModelWalk {
    std::vector<ModelOption> options;
    wire::ParseError error{};
};

ModelWalk model_walk(Bytes area) {
    ModelWalk walk;
    std::size_t i = 0;
    while (i < area.size()) {
        std::uint8_t kind = std::to_integer<std::uint8_t>(area[i]);
        if (kind == wire::tcp_option::end_of_list) {
            walk.options.push_back({kind, i + 1, 0});
            break;
        }
        if (kind == wire::tcp_option::nop) {
            walk.options.push_back({kind, i + 1, 0});
            i += 1;
            continue;
        }
        if (i + 1 >= area.size()) {
            walk.error = wire::ParseError::option_past_header;
            break;
        }
        std::size_t length = std::to_integer<std::size_t>(area[i + 1]);
        if (length < 2) {
            walk.error = wire::ParseError::bad_option_length;
            break;
        }
        if (i + length > area.size()) {
            walk.error = wire::ParseError::option_past_header;
            break;
        }
        walk.options.push_back({kind, i + 2, length - 2});
        i += length;
    }
    return walk;
}

void check_walker(Bytes area) {
    const ModelWalk model = model_walk(area);
    wire::TcpOptionWalker walker{area};
    std::size_t count = 0;
    while (auto option = walker.next()) {
        check(count < model.options.size(), "the walker reports no more options than there are");
        check(count <= area.size(), "the walk ends: at most one option per byte");
        const ModelOption& expected = model.options[count];
        check(option->kind == expected.kind, "the walker reports each option's kind in wire order");
        check(option->data.size() == expected.data_size, "... and the size of its data");
        if (!option->data.empty()) {
            check(option->data.data() == area.data() + expected.data_offset, "... and where its data starts");
            check(option->data.data() + option->data.size() <= area.data() + area.size(),
                  "option data lies within the area");
        }
        std::uint64_t sum = option->kind;
        for (std::byte b : option->data) sum += std::to_integer<std::uint64_t>(b);  // read every byte handed out
        use(sum);
        ++count;
    }
    check(count == model.options.size(), "the walker reports every option");
    check(walker.error() == model.error, "the walker's error is the first structural error");
    check(!walker.next().has_value(), "a finished walk stays finished");
    check(walker.error() == model.error, "... with the same error");
}

wire::TcpOptions as_emitted(wire::TcpOptions options) {
    options.sack_block_count = static_cast<std::uint8_t>(options.sack_blocks_that_fit());
    return options;
}

void check_round_trip(const wire::TcpOptions& options) {
    const std::size_t size = options.size();
    check(size % 4 == 0, "options emit as whole 32-bit words");
    check(size <= wire::tcp_option::max_space, "options emit in at most 40 bytes");
    check(options.sack_blocks_that_fit() <= options.sack_block_count, "emit holds no more blocks than there are");
    check(options.empty() == (size == 0), "empty() means nothing to emit");

    ExactBuffer out{size};
    options.emit(out.mutable_bytes());
    check(wire::validate_tcp_options(out.bytes()) == wire::ParseError{}, "emitted options are well formed");
    auto parsed = wire::TcpOptions::parse(out.bytes());
    check(parsed.has_value(), "emitted options parse");
    const wire::TcpOptions expected = as_emitted(options);
    check(*parsed == expected, "TcpOptions: parse(emit(x)) == x, less the SACK blocks that do not fit");
    check(parsed->size() == size, "the round trip keeps the size");

    ExactBuffer again{parsed->size()};
    parsed->emit(again.mutable_bytes());
    check(std::ranges::equal(again.bytes(), out.bytes()), "emit(parse(emit(x))) == emit(x)");
}

void run(Bytes input) {
    ExactBuffer buffer{input};
    Bytes area = buffer.bytes();
    check_walker(area);

    wire::ParseError error = wire::validate_tcp_options(area);
    auto options = wire::TcpOptions::parse(area);
    check(options.has_value() == (error == wire::ParseError{}), "validate fails exactly when parse does");
    if (!options) {
        check(options.error() == error, "... with the same error");
        return;
    }
    check(options->sack_block_count <= wire::TcpOptions::max_sack_blocks, "at most four SACK blocks are kept");
    check_round_trip(*options);

    // A block added past the fourth is dropped; one added below it must survive the round trip if it fits.
    wire::TcpOptions more = *options;
    more.add_sack_block({wire::Seq{1}, wire::Seq{2}});
    check(more.sack_block_count == std::min<std::size_t>(options->sack_block_count + 1u, 4u),
          "add_sack_block keeps at most four blocks");
    check_round_trip(more);
}

}  // namespace
}  // namespace tcpp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tcpp::fuzz::run(tcpp::fuzz::input_bytes(data, size));
    return 0;
}
