#pragma once
// One trace, several sinks.

#include <vector>

#include "tcpp/trace.h"

namespace tcpp::trace {

class Tee final : public TraceSink {
public:
    void add(TraceSink* sink) {
        if (sink) sinks_.push_back(sink);
    }
    void record(const TraceEvent& event) override {
        for (TraceSink* sink : sinks_) sink->record(event);
    }

private:
    std::vector<TraceSink*> sinks_;
};

}  // namespace tcpp::trace
