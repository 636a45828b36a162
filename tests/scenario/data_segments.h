#pragma once
// Data for segment scripts about the sender: a peer MSS of 1000 and a 100 ms handshake RTT, and a stream of
// whole segments, each one letter, so that a segment sent at the wrong place shows at once.

#include <gtest/gtest.h>

#include <string>

#include "segment_script.h"

namespace tcpp::testing {

inline constexpr std::uint32_t data_mss = 1000;

// ESTABLISHED as the server, the peer's MSS 1000, an RTT sample of 100 ms (SRTT 100 ms, RTO 300 ms), a
// 256 KiB send buffer; nothing sent yet.
inline Opened open_for_data(SegmentScript& t, OpenOptions options = {}) {
    options.peer_mss = data_mss;
    options.rtt_us = 100'000;
    options.connection.send_buffer = 256 * 1024;
    return t.open_server(options);
}

// Segment `index` of the stream.
inline std::string segment_of(std::uint32_t index) {
    return std::string(data_mss, static_cast<char>('a' + index % 26));
}

// Queues segments 0 to count - 1; all must fit the send buffer.
inline void queue_segments(Opened& o, std::uint32_t count) {
    std::string data;
    for (std::uint32_t i = 0; i < count; ++i) data += segment_of(i);
    ASSERT_EQ(o.connection.send(wire::as_bytes(data.data(), data.size())).value_or(0), data.size());
}

}  // namespace tcpp::testing
