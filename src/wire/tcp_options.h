#pragma once
// TCP options (RFC 9293 section 3.2): MSS (RFC 6691), window scale and timestamps (RFC 7323),
// SACK-permitted and SACK blocks (RFC 2018). Unknown options are skipped by their length.

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

// The first structural error in an options area (length byte 0 or 1, or an option past the end), if any.
ParseError validate_tcp_options(Bytes options);

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

    // How many of the SACK blocks emit() writes: all of them, or as many as fit beside the other options.
    std::size_t sack_blocks_that_fit() const;
    // Encoded size in bytes, a multiple of 4, at most 40.
    std::size_t size() const;
    // Writes size() bytes into out.
    void emit(MutableBytes out) const;

    bool empty() const { return size() == 0; }
    void add_sack_block(SackBlock block);

    friend bool operator==(const TcpOptions& a, const TcpOptions& b);
};

}  // namespace tcpp::wire
