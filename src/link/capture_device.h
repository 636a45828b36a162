#pragma once
// A device that writes every unit it passes, both ways, to a pcap capture with the wall-clock time: a
// decorator over any Device, so that a run on a real link can be read in tcpdump, tshark or `tcpp decode`.

#include <sys/time.h>

#include <memory>
#include <utility>

#include "link/device.h"
#include "pcap/pcap_file.h"

namespace tcpp::link {

class CaptureDevice final : public Device {
public:
    // The capture's link type must match the device's framing (raw IPv4 for TUN, Ethernet for TAP).
    CaptureDevice(Device& inner, pcap::Writer writer) : inner_(inner), writer_(std::move(writer)) {}

    const std::string& name() const override { return inner_.name(); }
    Framing framing() const override { return inner_.framing(); }
    std::size_t max_unit() const override { return inner_.max_unit(); }
    int fd() const override { return inner_.fd(); }
    std::error_code flush() override { return inner_.flush(); }

    Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) override {
        auto size = inner_.receive(buffer);
        if (size && *size > 0) {
            ++units_received_;
            writer_.write(wall_us(), buffer.first(*size));
        }
        return size;
    }
    std::error_code send(wire::Bytes unit) override {
        writer_.write(wall_us(), unit);
        ++units_sent_;
        return inner_.send(unit);
    }
    std::optional<std::uint64_t> next_deadline() const override { return inner_.next_deadline(); }
    std::error_code poll(std::uint64_t now_us) override { return inner_.poll(now_us); }
    void flush_file() { writer_.flush(); }  // what the capture holds, written out

    static pcap::LinkType link_type_for(Framing framing) {
        return framing == Framing::ip ? pcap::LinkType::raw_ipv4 : pcap::LinkType::ethernet;
    }

private:
    static std::int64_t wall_us() {
        timeval now{};
        gettimeofday(&now, nullptr);
        return static_cast<std::int64_t>(now.tv_sec) * 1'000'000 + now.tv_usec;
    }

    Device& inner_;
    pcap::Writer writer_;
};

}  // namespace tcpp::link
