#include "trace/json_lines.h"

#include <fmt/format.h>

namespace tcpp::trace {
namespace {

// Names and reasons are plain ASCII from the stack itself, but never let one break a line of JSON.
void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out += c;
        }
    }
    out += '"';
}

}  // namespace

std::string flag_names(wire::TcpFlags flags) {
    static constexpr std::pair<std::uint8_t, std::string_view> names[] = {
        {wire::TcpFlags::syn, "SYN"}, {wire::TcpFlags::ack, "ACK"}, {wire::TcpFlags::fin, "FIN"},
        {wire::TcpFlags::rst, "RST"}, {wire::TcpFlags::psh, "PSH"}, {wire::TcpFlags::urg, "URG"},
    };
    std::string text;
    for (auto [flag, name] : names) {
        if (!flags.has(flag)) continue;
        if (!text.empty()) text += ',';
        text += name;
    }
    return text;
}

std::string to_json(const TraceEvent& event) {
    std::string out = fmt::format("{{\"t_us\":{},\"node\":", event.t_us);
    append_json_string(out, event.node);
    out += fmt::format(",\"conn\":\"{}-{}\"", event.local.to_string(), event.remote ? event.remote->to_string() : "*");
    switch (event.type) {
    case TraceEvent::Type::segment:
    case TraceEvent::Type::drop: {
        const wire::TcpSegment& s = *event.segment;
        out += fmt::format(",\"type\":\"{}\",\"dir\":\"{}\",\"flags\":\"{}\",\"seq\":{},\"ack\":{},\"win\":{},\"len\":{}",
                           event.type == TraceEvent::Type::segment ? "segment" : "drop",
                           event.direction == Direction::in ? "in" : "out", flag_names(s.flags), s.seq.raw(),
                           s.ack.raw(), s.window, s.payload.size());
        if (event.type == TraceEvent::Type::drop) {
            out += ",\"reason\":";
            append_json_string(out, event.reason);
        }
        break;
    }
    case TraceEvent::Type::state:
        out += fmt::format(",\"type\":\"state\",\"from\":\"{}\",\"to\":\"{}\"", tcp::to_string(event.from),
                           tcp::to_string(event.to));
        break;
    }
    out += '}';
    return out;
}

void JsonLinesSink::record(const TraceEvent& event) {
    line_ = to_json(event);
    line_ += '\n';
    std::fwrite(line_.data(), 1, line_.size(), out_);
}

}  // namespace tcpp::trace
