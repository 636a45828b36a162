#pragma once
// The trace as JSON lines, one object per event:
//   {"t_us":1000,"node":"client","conn":"10.0.0.1:40000-10.0.0.2:80","type":"segment","dir":"out",
//    "flags":"SYN","seq":123,"ack":0,"win":65535,"len":0}
//   {"t_us":1200,"node":"client","conn":"10.0.0.1:40000-10.0.0.2:80","type":"state","from":"SYN_SENT",
//    "to":"ESTABLISHED"}
// conn is local-remote from the node's side ("10.0.0.2:80-*" for a listener); flags lists SYN, ACK, FIN,
// RST, PSH, URG in that order; seq and ack are absolute. A drop is a segment with "type":"drop" and a
// "reason".

#include <cstdio>
#include <string>

#include "tcpp/trace.h"

namespace tcpp::trace {

// "SYN,ACK": the flags present, in the trace's order.
std::string flag_names(wire::TcpFlags flags);
// One event as one line, without the newline.
std::string to_json(const TraceEvent& event);

class JsonLinesSink final : public TraceSink {
public:
    // Writes to an open file, which the caller keeps open and closes.
    explicit JsonLinesSink(std::FILE* out) : out_(out) {}
    void record(const TraceEvent& event) override;

private:
    std::FILE* out_;
    std::string line_;
};

}  // namespace tcpp::trace
