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

namespace {

// NOP, NOP, Timestamps: the options of nearly every segment of an established connection (RFC 7323
// appendix A's layout, which Linux and tcpp send). Recognised whole, without walking the list.
bool is_timestamps_only(Bytes area) {
    return area.size() == 12 && load_be32(area.data()) == 0x0101080au;
}

}  // namespace

ParseError validate_tcp_options(Bytes options) {
    if (options.empty() || is_timestamps_only(options)) return {};
    TcpOptionWalker walker{options};
    while (walker.next()) {
    }
    return walker.error();
}

ParseError TcpOptions::parse_into(Bytes area, TcpOptions& options) {
    options = TcpOptions{};
    if (area.empty()) return {};
    if (is_timestamps_only(area)) {
        options.timestamps = TcpTimestamps{load_be32(area.data() + 4), load_be32(area.data() + 8)};
        return {};
    }
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
            if (data.size() % 8 == 0 && !data.empty() && data.size() <= 8 * max_sack_blocks) {
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

Parsed<TcpOptions> TcpOptions::parse(Bytes area) {
    TcpOptions options;
    if (ParseError error = parse_into(area, options); error != ParseError{}) return fail(error);
    return options;
}

void TcpOptions::add_sack_block(SackBlock block) {
    if (sack_block_count < max_sack_blocks) sack_blocks[sack_block_count++] = block;
}

std::size_t TcpOptions::sack_blocks_that_fit() const {
    std::size_t other = (mss ? 4 : 0) + (timestamps ? 12 : sack_permitted ? 4 : 0) + (window_scale ? 4 : 0);
    if (sack_block_count == 0 || other + 4 + 8 > tcp_option::max_space) return 0;
    return std::min<std::size_t>(sack_block_count, (tcp_option::max_space - other - 4) / 8);
}

std::size_t TcpOptions::size() const {
    std::size_t blocks = sack_blocks_that_fit();
    return (mss ? 4 : 0) + (timestamps ? 12 : sack_permitted ? 4 : 0) + (window_scale ? 4 : 0) +
           (blocks ? 4 + 8 * blocks : 0);
}

void TcpOptions::emit(MutableBytes out) const {
    assert(out.size() >= size());
    std::byte* p = out.data();
    auto put = [&p](std::initializer_list<std::uint8_t> bytes) {
        for (std::uint8_t b : bytes) store_u8(p++, b);
    };
    if (mss) {
        put({tcp_option::mss, 4});
        store_be16(p, *mss);
        p += 2;
    }
    if (timestamps) {
        if (sack_permitted) {
            put({tcp_option::sack_permitted, 2, tcp_option::timestamps, 10});
        } else {
            put({tcp_option::nop, tcp_option::nop, tcp_option::timestamps, 10});
        }
        store_be32(p, timestamps->value);
        store_be32(p + 4, timestamps->echo_reply);
        p += 8;
    } else if (sack_permitted) {
        put({tcp_option::nop, tcp_option::nop, tcp_option::sack_permitted, 2});
    }
    if (window_scale) put({tcp_option::nop, tcp_option::window_scale, 3, *window_scale});
    if (std::size_t blocks = sack_blocks_that_fit(); blocks > 0) {
        put({tcp_option::nop, tcp_option::nop, tcp_option::sack, static_cast<std::uint8_t>(2 + 8 * blocks)});
        for (std::size_t i = 0; i < blocks; ++i) {
            store_be32(p, sack_blocks[i].left.raw());
            store_be32(p + 4, sack_blocks[i].right.raw());
            p += 8;
        }
    }
}

bool operator==(const TcpOptions& a, const TcpOptions& b) {
    return a.mss == b.mss && a.window_scale == b.window_scale && a.sack_permitted == b.sack_permitted &&
           a.timestamps == b.timestamps && a.sack_block_count == b.sack_block_count &&
           std::equal(a.sack_blocks.begin(), a.sack_blocks.begin() + a.sack_block_count, b.sack_blocks.begin());
}

}  // namespace tcpp::wire
