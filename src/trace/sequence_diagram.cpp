#include "trace/sequence_diagram.h"

#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "trace/json_lines.h"

namespace tcpp::trace {
namespace {

constexpr std::size_t zone_width = 52;

using ConnectionKey = std::tuple<std::string, tcp::Endpoint, tcp::Endpoint>;  // node, local, remote

std::string milliseconds(std::uint64_t t_us) { return fmt::format("{:>10.3f}", static_cast<double>(t_us) / 1000.0); }

}  // namespace

void SequenceDiagram::record(const TraceEvent& event) {
    Event e{event.type, event.t_us, std::string{event.node}, event.local, event.remote, event.direction,
            {}, 0, 0, 0, event.to, std::string{event.reason}};
    if (event.segment) {
        e.flags = event.segment->flags;
        e.seq = event.segment->seq.raw();
        e.ack = event.segment->ack.raw();
        e.length = event.segment->payload.size();
    }
    // A drop by the network on the way out: mark the segment the node sent, rather than add a row.
    if (event.type == TraceEvent::Type::drop && event.direction == Direction::out) {
        for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
            if (it->type == TraceEvent::Type::segment && it->direction == Direction::out && !it->lost &&
                it->node == e.node && it->local == e.local && it->remote == e.remote && it->flags == e.flags &&
                it->seq == e.seq && it->ack == e.ack && it->length == e.length) {
                it->lost = true;
                return;
            }
        }
    }
    events_.push_back(std::move(e));
}

std::string SequenceDiagram::render(const std::string& left, const std::string& right) const {
    // Each connection's initial sequence number, from the SYN it sent, for relative numbers: taken as the
    // events pass, so a four-tuple used again is numbered from its new SYN.
    std::map<ConnectionKey, std::uint32_t> isn;
    std::set<std::pair<tcp::Endpoint, tcp::Endpoint>> left_connections;
    for (const Event& e : events_) {
        if (e.node == left && e.remote) left_connections.insert({e.local, *e.remote});
    }
    const bool many = left_connections.size() > 1;
    const std::size_t state_width = many ? 24 : 16;
    auto base = [&](const std::string& node, const tcp::Endpoint& local, const tcp::Endpoint& remote) -> std::uint32_t {
        auto found = isn.find({node, local, remote});
        return found == isn.end() ? 0 : found->second;
    };
    auto port_tag = [&](const Event& e) -> std::string {
        if (!many || !e.remote) return "";
        return fmt::format("[:{}] ", e.node == left ? e.local.port : e.remote->port);
    };

    std::string out = fmt::format("{:>10}  {:>{}} {:^{}} {}\n", "time ms", left, state_width, "", zone_width, right);
    auto row = [&](std::uint64_t t, const std::string& left_text, const std::string& zone, const std::string& right_text) {
        out += fmt::format("{}  {:>{}} |{:<{}}| {}", milliseconds(t), left_text, state_width, zone, zone_width, right_text);
        while (!out.empty() && out.back() == ' ') out.pop_back();
        out += '\n';
    };

    for (const Event& e : events_) {
        if (e.node != left && e.node != right) continue;
        const bool is_left = e.node == left;
        switch (e.type) {
        case TraceEvent::Type::state: {
            std::string text = port_tag(e) + std::string{tcp::to_string(e.to)};
            if (!e.remote && e.to == tcp::State::closed) text += " (listener)";
            row(e.t_us, is_left ? text : "", "", is_left ? "" : text);
            break;
        }
        case TraceEvent::Type::segment: {
            if (e.direction != Direction::out || !e.remote) break;
            if (e.flags.syn_set()) isn[{e.node, e.local, *e.remote}] = e.seq;
            std::uint32_t seq = e.seq - base(e.node, e.local, *e.remote);
            std::string label = port_tag(e) + flag_names(e.flags) + fmt::format(" seq={}", seq);
            if (e.flags.ack_set()) label += fmt::format(" ack={}", e.ack - base(is_left ? right : left, *e.remote, e.local));
            label += fmt::format(" len={}", e.length);
            // The arrow, padded with dashes to the width between the two columns.
            std::string zone;
            auto pad = [](std::size_t used, std::size_t least) { return used + least < zone_width ? zone_width - used : least; };
            if (is_left) {
                zone = fmt::format("--{}", label);
                if (e.lost) {
                    zone.append(6, '-').append("X lost");
                } else {
                    zone.append(pad(zone.size() + 1, 1), '-').push_back('>');
                }
            } else {
                std::string tail = fmt::format("{}--", label);
                if (e.lost) {
                    std::string lost = fmt::format("lost X------{}", tail);
                    zone.assign(lost.size() < zone_width ? zone_width - lost.size() : 0, ' ').append(lost);
                } else {
                    zone.assign(1, '<').append(pad(tail.size() + 1, 1), '-').append(tail);
                }
            }
            row(e.t_us, "", zone, "");
            break;
        }
        case TraceEvent::Type::drop: {
            std::string text = port_tag(e) + fmt::format("dropped {} ({})", flag_names(e.flags), e.reason);
            row(e.t_us, is_left ? text : "", "", is_left ? "" : text);
            break;
        }
        }
    }
    return out;
}

}  // namespace tcpp::trace
