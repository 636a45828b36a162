#pragma once
// A link device in memory, for the tests of what sits on one (decorators, the Ethernet link): what is sent is
// recorded; what the test queues is received, a unit at a time.

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "link/device.h"

namespace tcpp::link {

class MemoryDevice final : public Device {
public:
    explicit MemoryDevice(Framing framing = Framing::ip, std::size_t max_unit = 1500)
        : framing_(framing), max_unit_(max_unit) {}

    const std::string& name() const override { return name_; }
    Framing framing() const override { return framing_; }
    std::size_t max_unit() const override { return max_unit_; }
    int fd() const override { return -1; }
    Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) override {
        if (incoming.empty()) return std::size_t{0};
        const std::vector<std::byte> unit = std::move(incoming.front());
        incoming.pop_front();
        std::copy(unit.begin(), unit.end(), buffer.begin());
        return unit.size();
    }
    std::error_code send(wire::Bytes unit) override {
        sent.emplace_back(unit.begin(), unit.end());
        return {};
    }

    std::deque<std::vector<std::byte>> incoming;
    std::vector<std::vector<std::byte>> sent;

private:
    std::string name_ = "memory";
    Framing framing_;
    std::size_t max_unit_;
};

}  // namespace tcpp::link
