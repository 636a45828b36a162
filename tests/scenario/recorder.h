#pragma once
// A trace sink for tests: keeps every event, with the segment copied out.

#include <algorithm>
#include <string>
#include <vector>

#include "tcpp/trace.h"

namespace tcpp::testing {

struct Recorded {
    TraceEvent::Type type;
    std::uint64_t t_us;
    std::string node;
    tcp::Endpoint local;
    std::optional<tcp::Endpoint> remote;
    Direction direction;
    wire::TcpFlags flags;
    wire::Seq seq;
    wire::Seq ack;
    std::size_t length = 0;
    tcp::State from, to;
    std::string reason;
};

class Recorder : public TraceSink {
public:
    void record(const TraceEvent& event) override {
        Recorded r{event.type, event.t_us, std::string{event.node}, event.local, event.remote, event.direction,
                   {}, {}, {}, 0, event.from, event.to, std::string{event.reason}};
        if (event.segment) {
            r.flags = event.segment->flags;
            r.seq = event.segment->seq;
            r.ack = event.segment->ack;
            r.length = event.segment->payload.size();
        }
        events.push_back(std::move(r));
    }

    // The states each of a node's connections (not listeners) went through, connections in order of
    // their first event, separated by " | ": "SYN_SENT ESTABLISHED ... | SYN_SENT ...".
    std::string states(const std::string& node) const {
        std::vector<std::pair<std::pair<tcp::Endpoint, tcp::Endpoint>, std::string>> connections;
        for (const auto& e : events) {
            if (e.type != TraceEvent::Type::state || e.node != node || !e.remote) continue;
            std::pair key{e.local, *e.remote};
            auto it = std::find_if(connections.begin(), connections.end(), [&](auto& c) { return c.first == key; });
            if (it == connections.end()) it = connections.insert(connections.end(), {key, ""});
            if (!it->second.empty()) it->second += ' ';
            it->second += tcp::to_string(e.to);
        }
        std::string out;
        for (const auto& [key, text] : connections) out += (out.empty() ? "" : " | ") + text;
        return out;
    }

    std::vector<Recorded> events;
};

}  // namespace tcpp::testing
