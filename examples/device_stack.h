#pragma once
// What both examples start with: a TUN device by name (attached, or created with CAP_NET_ADMIN) and a
// stack with our address on it, its MTU and MSS taken from the device.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "link/device.h"
#include "tcpp/stack.h"

namespace example {

struct DeviceStack {
    std::unique_ptr<tcpp::link::Device> device;
    std::unique_ptr<tcpp::Stack> stack;
};

// Prints a one-line error and returns nothing when the device cannot be opened.
inline std::optional<DeviceStack> open_device_stack(const std::string& tun, tcpp::Ipv4Address address,
                                                    const char* name) {
    auto device = tcpp::link::open_tun(tun, tcpp::link::Framing::ip);
    if (!device) {
        std::fprintf(stderr, "%s: %s\n", name, tcpp::link::describe_open_error(tun, device.error()).c_str());
        return std::nullopt;
    }
    tcpp::StackConfig config{.address = address, .name = name};
    config.mtu = static_cast<std::uint16_t>(std::min<std::size_t>((*device)->max_unit(), 65535));
    config.tcp.mss = static_cast<std::uint16_t>(config.mtu - 40);  // IPv4 and TCP headers
    return DeviceStack{std::move(*device), std::make_unique<tcpp::Stack>(config)};
}

// A port number from 1 to 65535, or 0.
inline std::uint16_t parse_port(const std::string& text) {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) return 0;
    const unsigned long port = std::stoul(text);
    return port <= 65535 ? static_cast<std::uint16_t>(port) : 0;
}

}  // namespace example
