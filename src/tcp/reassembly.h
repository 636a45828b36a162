#pragma once
// The out-of-order ranges a receiver holds beyond RCV.NXT (RFC 9293 3.10.7.4, "segments with higher
// beginning sequence numbers may be held"), as a small bounded set of disjoint ranges. The bytes
// themselves sit in the receive ring at their place (ByteRing::write_ahead), so holding them costs no
// memory beyond the receive buffer. Also the source of SACK blocks (RFC 2018 section 4): the range that
// holds the newest segment first, then the others, most recently changed first.

#include <array>
#include <cstdint>
#include <optional>

#include "wire/seq.h"
#include "wire/tcp_options.h"

namespace tcpp::tcp {

class OutOfOrder {
public:
    static constexpr std::size_t max_ranges = 16;

    // Adds [begin, end), merging with ranges it touches. False (and nothing changes) when it would need
    // more ranges than the set holds.
    bool add(wire::Seq begin, wire::Seq end);
    // If a range starts at or before rcv_nxt, removes it and returns its end: RCV.NXT may advance there.
    std::optional<wire::Seq> take_from(wire::Seq rcv_nxt);
    // Drops every range (the bytes they named are no longer held).
    void clear() { count_ = 0; }

    // Whether [begin, end) is all held already.
    bool holds(wire::Seq begin, wire::Seq end) const;
    // Makes the range holding seq the most recently changed (its SACK block goes first).
    void touch(wire::Seq seq);
    bool empty() const { return count_ == 0; }
    std::size_t size() const { return count_; }
    // Appends up to `most` SACK blocks, the most recently changed range first.
    void sack_blocks(wire::TcpOptions& options, std::size_t most) const;

    struct Range {
        wire::Seq begin;
        wire::Seq end;
        std::uint32_t touched = 0;  // when it last grew: higher is newer
    };
    const Range& operator[](std::size_t i) const { return ranges_[i]; }

private:
    std::array<Range, max_ranges> ranges_{};  // disjoint, not touching, in sequence order
    std::size_t count_ = 0;
    std::uint32_t clock_ = 0;
};

}  // namespace tcpp::tcp
