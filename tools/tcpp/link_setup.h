#pragma once
// What `tcpp serve` and `tcpp connect` share: the options of a stack on a real device (the device, our
// address, the gateway, MSL, linger, trace and capture), and their setup, with one-line errors.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "ip/route.h"
#include "link/capture_device.h"
#include "link/ethernet_link.h"
#include "link/device.h"
#include "link/impaired_device.h"
#include "link/uring_device.h"
#include "tcpp/stack.h"
#include "trace/json_lines.h"

namespace tcpp::tool {

struct LinkOptions {
    std::string tun;
    std::string tap;  // instead of tun: a TAP device, IPv4 over Ethernet with ARP
    bool io_uring = false;  // the device driven through io_uring: many packets per system call
    std::string address;  // A.B.C.D/LEN
    std::string gateway;
    double msl_seconds = 30;
    std::optional<double> linger_seconds;
    std::string trace_path;
    std::string pcap_path;
    link::Impairment impairment;  // on the device, both ways
    double delay_ms = 0;

    const std::string& device_name() const { return tap.empty() ? tun : tap; }
};

void add_link_options(CLI::App* command, LinkOptions& options);

// Our address on the device, and the length of the network's prefix.
using InterfaceAddress = ip::Subnet;
std::optional<InterfaceAddress> parse_interface_address(const std::string& text);

// The device (with its capture, if asked), the stack on it, and the trace. Made by open(), which prints a
// one-line error and sets exit_code when it cannot.
class LinkSetup {
public:
    static std::unique_ptr<LinkSetup> open(const LinkOptions& options, const char* command, int& exit_code);
    ~LinkSetup();

    Stack& stack() { return *stack_; }
    // The outermost device: the TUN device, impaired if asked, captured if asked (so that the capture
    // shows what the stack sent and received).
    link::Device& device() {
        if (ethernet_) return *ethernet_;
        return frame_device();
    }
    const link::Device& raw_device() const { return *tun_; }
    const InterfaceAddress& interface() const { return routes_.interface; }
    // Whether we can send to `destination`: on our network, or through the gateway.
    bool routable(Ipv4Address destination) const { return routes_.next_hop(destination).has_value(); }
    // Where progress goes: stdout, unless the trace has it.
    std::FILE* out() const { return out_; }
    void flush();
    // The counters and the device's packet counts, one per line.
    void print_counters() const;

private:
    class WallClockSink;
    LinkSetup() = default;

    // Below the Ethernet link, if any: the device as the capture sees it (frames, for a TAP device).
    link::Device& frame_device() {
        if (capture_) return *capture_;
        if (impaired_) return *impaired_;
        return *tun_;
    }

    ip::Routes routes_;
    std::unique_ptr<link::Device> tun_;  // the TUN or TAP device (through io_uring, if asked)
    link::UringDevice* uring_ = nullptr;  // that, when it is
    std::optional<link::ImpairedDevice> impaired_;
    std::optional<link::CaptureDevice> capture_;
    std::optional<link::EthernetLink> ethernet_;  // over a TAP device: IPv4 over Ethernet, with ARP
    std::unique_ptr<Stack> stack_;
    std::FILE* trace_file_ = nullptr;
    std::optional<trace::JsonLinesSink> json_;
    std::unique_ptr<WallClockSink> wall_;
    std::FILE* out_ = stdout;
};

}  // namespace tcpp::tool
