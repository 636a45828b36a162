#pragma once
// An ASCII sequence diagram of a conversation between two nodes: one column per node, time going down,
// an arrow per segment with its flags, relative seq/ack and length, lost segments marked with an X, and
// each side's new state written beside its column.
//
//    time ms          client                                                  server
//      0.000                  |                                                    | LISTEN
//      0.000         SYN_SENT |                                                    |
//      0.000                  |--SYN seq=0 len=0--------------------------------->|
//      1.000                  |                                                    | SYN_RECEIVED

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tcpp/trace.h"

namespace tcpp::trace {

class SequenceDiagram final : public TraceSink {
public:
    void record(const TraceEvent& event) override;
    // The diagram of what passed between the two named nodes.
    std::string render(const std::string& left, const std::string& right) const;

private:
    struct Event {
        TraceEvent::Type type;
        std::uint64_t t_us;
        std::string node;
        tcp::Endpoint local;
        std::optional<tcp::Endpoint> remote;
        Direction direction;
        wire::TcpFlags flags;
        std::uint32_t seq = 0;
        std::uint32_t ack = 0;
        std::size_t length = 0;
        tcp::State to = tcp::State::closed;
        std::string reason;
        bool lost = false;  // a segment sent that the network dropped
    };
    std::vector<Event> events_;
};

}  // namespace tcpp::trace
