#pragma once
// What a stack reports as it works: every segment in and out, every state change, every drop. A sink
// sees each event as it happens; src/trace has sinks that write JSON lines and sequence diagrams.

#include <cstdint>
#include <optional>
#include <string_view>

#include "tcp/four_tuple.h"
#include "tcp/state.h"
#include "wire/tcp.h"

namespace tcpp {

enum class Direction : std::uint8_t { in, out };

struct TraceEvent {
    enum class Type : std::uint8_t { segment, state, drop };

    Type type = Type::segment;
    std::uint64_t t_us = 0;
    std::string_view node;
    // The connection from the node's side. A listener has no remote endpoint.
    tcp::Endpoint local;
    std::optional<tcp::Endpoint> remote;
    // segment and drop:
    Direction direction = Direction::in;
    const wire::TcpSegment* segment = nullptr;
    std::string_view reason;  // drop: why
    // state:
    tcp::State from = tcp::State::closed;
    tcp::State to = tcp::State::closed;
};

class TraceSink {
public:
    virtual ~TraceSink() = default;
    virtual void record(const TraceEvent& event) = 0;
};

}  // namespace tcpp
