#include "wire/tcp_options.h"

#include <algorithm>
#include <cassert>

namespace tcpp::wire {

std::optional<RawTcpOption> TcpOptionWalker::next() {
    if (rest_.empty() || error_ != ParseError{}) return std::nullopt;
    std::uint8_t kind = load_u8(rest_.data());
    if (kind == tcp_option::end_of_list) {
        rest_ = {};  // what follows is padding
        return RawTcpOption{kind, {}};
    }
    if (kind == tcp_option::nop) {
        rest_ = rest_.subspan(1);
        return RawTcpOption{kind, {}};
    }
    if (rest_.size() < 2) {
        error_ = ParseError::option_past_header;
        return std::nullopt;
    }
    std::uint8_t length = load_u8(rest_.data() + 1);
    if (length < 2) {
        error_ = ParseError::bad_option_length;
        return std::nullopt;
    }
    if (length > rest_.size()) {
        error_ = ParseError::option_past_header;
        return std::nullopt;
    }
    RawTcpOption option{kind, rest_.subspan(2, length - 2u)};
    rest_ = rest_.subspan(length);
    return option;
}

ParseError tcp_option_detail::walk_tcp_options(Bytes options) {
    TcpOptionWalker walker{options};
    while (walker.next()) {
    }
    return walker.error();
}

ParseError tcp_option_detail::read_options_walking(Bytes area, TcpOptions& options) {
    TcpOptionWalker walker{area};
    while (auto option = walker.next()) {
        const Bytes& data = option->data;
        switch (option->kind) {
        case tcp_option::mss:
            if (data.size() == 2) options.mss = load_be16(data.data());
            break;
        case tcp_option::window_scale:
            if (data.size() == 1) options.window_scale = load_u8(data.data());
            break;
        case tcp_option::sack_permitted:
            if (data.empty()) options.sack_permitted = true;
            break;
        case tcp_option::timestamps:
            if (data.size() == 8) options.timestamps = TcpTimestamps{load_be32(data.data()), load_be32(data.data() + 4)};
            break;
        case tcp_option::sack:
            if (data.size() % 8 == 0 && !data.empty() && data.size() <= 8 * TcpOptions::max_sack_blocks) {
                options.sack_block_count = 0;
                for (std::size_t i = 0; i < data.size(); i += 8) {
                    options.add_sack_block({Seq{load_be32(data.data() + i)}, Seq{load_be32(data.data() + i + 4)}});
                }
            }
            break;
        default:
            break;  // EOL, NOP, and options tcpp does not implement (RFC 9293 MUST-64: ignore them)
        }
    }
    return walker.error();
}

namespace {

using tcp_option_detail::is_full_syn;
using tcp_option_detail::is_timestamps_only;

// Reads `area` into `options`, which holds no options yet: the error, or none.
ParseError read_options(Bytes area, TcpOptions& options) {
    if (area.empty()) return {};
    if (is_timestamps_only(area)) {
        options.timestamps = TcpTimestamps{load_be32(area.data() + 4), load_be32(area.data() + 8)};
        return {};
    }
    if (is_full_syn(area)) {  // what the walk below finds there, read straight from the fixed offsets
        options.mss = load_be16(area.data() + 2);
        options.sack_permitted = true;
        options.timestamps = TcpTimestamps{load_be32(area.data() + 8), load_be32(area.data() + 12)};
        options.window_scale = load_u8(area.data() + 19);
        return {};
    }
    return tcp_option_detail::read_options_walking(area, options);
}

}  // namespace

ParseError TcpOptions::parse_into(Bytes area, TcpOptions& options) {
    options = TcpOptions{};
    return read_options(area, options);
}

TcpOptions TcpOptions::parse_validated(Bytes area) {
    TcpOptions options;
    [[maybe_unused]] const ParseError error = read_options(area, options);
    assert(error == ParseError{});
    return options;
}

Parsed<TcpOptions> TcpOptions::parse(Bytes area) {
    TcpOptions options;
    if (ParseError error = parse_into(area, options); error != ParseError{}) return fail(error);
    return options;
}

void TcpOptions::add_sack_block(SackBlock block) {
    if (sack_block_count < max_sack_blocks) sack_blocks[sack_block_count++] = block;
}

std::uint64_t TcpOptions::emit(MutableBytes out) const {
    assert(out.size() >= size());
    std::byte* p = out.data();
    std::uint64_t sum = 0;  // at most ten 32-bit words: no carry out
    // Every option here takes a whole 32-bit word with its padding: one store for the four bytes.
    auto put_u32 = [&p, &sum](std::uint32_t value) {
        store_be32(p, value);
        sum += value;
        p += 4;
    };
    auto put = [&put_u32](std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
        put_u32(std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d);
    };
    if (mss) put(tcp_option::mss, 4, static_cast<std::uint8_t>(*mss >> 8), static_cast<std::uint8_t>(*mss));
    if (timestamps) {
        if (sack_permitted) {
            put(tcp_option::sack_permitted, 2, tcp_option::timestamps, 10);
        } else {
            put(tcp_option::nop, tcp_option::nop, tcp_option::timestamps, 10);
        }
        put_u32(timestamps->value);
        put_u32(timestamps->echo_reply);
    } else if (sack_permitted) {
        put(tcp_option::nop, tcp_option::nop, tcp_option::sack_permitted, 2);
    }
    if (window_scale) put(tcp_option::nop, tcp_option::window_scale, 3, *window_scale);
    if (std::size_t blocks = sack_blocks_that_fit(); blocks > 0) {
        put(tcp_option::nop, tcp_option::nop, tcp_option::sack, static_cast<std::uint8_t>(2 + 8 * blocks));
        for (std::size_t i = 0; i < blocks; ++i) {
            put_u32(sack_blocks[i].left.raw());
            put_u32(sack_blocks[i].right.raw());
        }
    }
    return sum;
}

bool operator==(const TcpOptions& a, const TcpOptions& b) {
    return a.mss == b.mss && a.window_scale == b.window_scale && a.sack_permitted == b.sack_permitted &&
           a.timestamps == b.timestamps && a.sack_block_count == b.sack_block_count &&
           std::equal(a.sack_blocks.begin(), a.sack_blocks.begin() + a.sack_block_count, b.sack_blocks.begin());
}

}  // namespace tcpp::wire
