#pragma once
// TCP options (RFC 9293 section 3.2): MSS (RFC 6691), window scale and timestamps (RFC 7323),
// SACK-permitted and SACK blocks (RFC 2018). Unknown options are skipped by their length.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "wire/bytes.h"
#include "wire/parse_error.h"
#include "wire/seq.h"

namespace tcpp::wire {

namespace tcp_option {
inline constexpr std::uint8_t end_of_list = 0;
inline constexpr std::uint8_t nop = 1;
inline constexpr std::uint8_t mss = 2;
inline constexpr std::uint8_t window_scale = 3;
inline constexpr std::uint8_t sack_permitted = 4;
inline constexpr std::uint8_t sack = 5;
inline constexpr std::uint8_t timestamps = 8;
inline constexpr std::size_t max_space = 40;  // a 60-byte header less its 20 fixed bytes
}  // namespace tcp_option

// One option as it stands on the wire: its kind and the bytes after its kind and length bytes.
struct RawTcpOption {
    std::uint8_t kind = 0;
    Bytes data;
};

// Walks the options area in wire order. end_of_list is reported once, and the walk stops there; NOP is
// reported too, so a printer can show the layout as it was.
class TcpOptionWalker {
public:
    explicit TcpOptionWalker(Bytes options) : rest_(options) {}

    // The next option, or nothing at the end of the area or at a malformed option (then error() names it).
    std::optional<RawTcpOption> next();
    ParseError error() const { return error_; }

private:
    Bytes rest_;
    ParseError error_{};
};

namespace tcp_option_detail {

// NOP, NOP, Timestamps: the options of nearly every segment of an established connection (RFC 7323
// appendix A's layout, which Linux and tcpp send). Recognised whole, without walking the list.
inline bool is_timestamps_only(Bytes area) { return area.size() == 12 && load_be32(area.data()) == 0x0101080au; }

// MSS; SACK-permitted, Timestamps; NOP, Window scale: the options of a SYN from Linux or tcpp (the layout
// TcpOptions::emit writes when all four are on). Recognised whole too: a well-formed area, whatever the values.
inline bool is_full_syn(Bytes area) {
    return area.size() == 20 && load_be16(area.data()) == 0x0204 && load_be32(area.data() + 4) == 0x0402080au &&
           load_be32(area.data() + 16) >> 8 == 0x010303;
}

ParseError walk_tcp_options(Bytes options);

}  // namespace tcp_option_detail

// The first structural error in an options area (length byte 0 or 1, or an option past the end), if any.
// The usual areas (none, timestamps alone, a full SYN's) are known well formed without a walk.
inline ParseError validate_tcp_options(Bytes options) {
    if (options.empty() || tcp_option_detail::is_timestamps_only(options) || tcp_option_detail::is_full_syn(options)) {
        return {};
    }
    return tcp_option_detail::walk_tcp_options(options);
}

struct TcpTimestamps {
    std::uint32_t value = 0;
    std::uint32_t echo_reply = 0;
    friend bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

struct SackBlock {
    Seq left;   // first sequence number of the block
    Seq right;  // the one after its last
    friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

// The options a segment carries, as values. Known options of the wrong length are ignored, as Linux does.
// emit() writes them in the layout Linux uses, so a Linux segment re-emits byte for byte:
//   MSS; then SACK-permitted+timestamps, or NOP,NOP,timestamps, or NOP,NOP,SACK-permitted;
//   then NOP,window scale; then NOP,NOP,SACK blocks (as many as fit in the 40 bytes).
struct TcpOptions {
    static constexpr std::size_t max_sack_blocks = 4;

    std::optional<std::uint16_t> mss{};
    std::optional<std::uint8_t> window_scale{};  // as sent: RFC 7323 2.3's limit of 14 is the engine's to apply
    bool sack_permitted = false;
    std::optional<TcpTimestamps> timestamps{};
    std::array<SackBlock, max_sack_blocks> sack_blocks{};
    std::uint8_t sack_block_count = 0;

    static Parsed<TcpOptions> parse(Bytes options);
    // The same into `out` (reset first), without a copy: the error, or none. `out` may be partly filled
    // when there is an error.
    static ParseError parse_into(Bytes options, TcpOptions& out);
    // An area already validated (TcpView::parse has), which therefore parses: returned in place, with no
    // reset of a destination first.
    static TcpOptions parse_validated(Bytes options);

    // How many of the SACK blocks emit() writes: all of them, or as many as fit beside the other options.
    std::size_t sack_blocks_that_fit() const { return sack_blocks_after(size_before_sack()); }
    // Encoded size in bytes, a multiple of 4, at most 40. Inline: every emit asks for it more than once.
    std::size_t size() const {
        const std::size_t before = size_before_sack();
        const std::size_t blocks = sack_blocks_after(before);
        return before + (blocks > 0 ? 4 + 8 * blocks : 0);
    }
    // Writes size() bytes into out.
    // Returns the sum of the 32-bit words written, as big-endian numbers: what the checksum needs of them,
    // without reading back bytes just stored.
    std::uint64_t emit(MutableBytes out) const;

    bool empty() const { return size() == 0; }
    void add_sack_block(SackBlock block);

    friend bool operator==(const TcpOptions& a, const TcpOptions& b);

private:
    // What emit() writes before the SACK blocks: MSS, SACK-permitted and/or timestamps, window scale.
    std::size_t size_before_sack() const {
        return (mss ? 4 : 0) + (timestamps ? 12 : sack_permitted ? 4 : 0) + (window_scale ? 4 : 0);
    }
    // The blocks that fit after `before` bytes of other options, with their NOP, NOP, kind and length.
    std::size_t sack_blocks_after(std::size_t before) const {
        if (sack_block_count == 0 || before + 4 + 8 > tcp_option::max_space) return 0;
        return std::min<std::size_t>(sack_block_count, (tcp_option::max_space - before - 4) / 8);
    }
};

namespace tcp_option_detail {

// Reads `area` into `options` (which holds no options yet) by walking it option by option: what parsing
// does when no whole layout is recognised, and the reference the layouts are tested against. The error,
// or none.
ParseError read_options_walking(Bytes area, TcpOptions& options);

}  // namespace tcp_option_detail

}  // namespace tcpp::wire
