#include "link_setup.h"

#include <time.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "pcap/pcap_file.h"
#include "runtime/event_loop.h"

namespace tcpp::tool {

void add_link_options(CLI::App* command, LinkOptions& options) {
    auto* tun = command->add_option("--tun", options.tun,
                                    "the TUN device to attach to (created if missing: needs CAP_NET_ADMIN)");
    auto* tap = command->add_option("--tap", options.tap,
                                    "instead of --tun: a TAP device (Ethernet, with ARP), attached or created");
    tun->excludes(tap);
    tap->excludes(tun);
    command->add_flag("--io-uring", options.io_uring,
                      "drive the device through io_uring: a round's packets in and out in one system call");
    command->add_option("--addr", options.address, "our IPv4 address and prefix on the device, like 10.0.0.2/24")
        ->required();
    command->add_option("--gateway", options.gateway, "where packets for other networks go (without it, only our prefix is reachable)");
    command->add_option("--msl", options.msl_seconds, "MSL in seconds: TIME_WAIT lasts 2*MSL")
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    command->add_option("--linger", options.linger_seconds,
                        "SO_LINGER {on, SECONDS} on every connection (0: close aborts with RST, no TIME_WAIT)")
        ->check(CLI::Range(0.0, 3600.0));
    command->add_option("--trace", options.trace_path, "write the trace as JSON lines, wall-clock t_us (- for stdout)");
    command->add_option("--pcap", options.pcap_path,
                        "write every packet in and out to a pcap capture (raw IPv4; Ethernet frames on a TAP device)");
    // The impaired link, over the device, both ways.
    auto probability = CLI::Range(0.0, 1.0);
    command->add_option("--loss", options.impairment.loss, "lose this share of packets, each way (0 to 1)")->check(probability);
    command->add_option("--duplicate", options.impairment.duplicate, "send this share twice")->check(probability);
    command->add_option("--corrupt", options.impairment.corrupt, "flip one bit in this share")->check(probability);
    command->add_option("--reorder", options.impairment.reorder, "hold this share back 5 ms, so later ones overtake it")
        ->check(probability);
    command->add_option("--delay-ms", options.delay_ms, "delay every packet this long, each way")
        ->check(CLI::Range(0.0, 10'000.0));
    command->add_option("--seed", options.impairment.seed, "the impairments' random seed: the same seed, the same choices")
        ->capture_default_str();
}

std::optional<InterfaceAddress> parse_interface_address(const std::string& text) {
    const std::size_t slash = text.find('/');
    auto address = Ipv4Address::parse(std::string_view{text}.substr(0, slash));
    if (!address || *address == Ipv4Address{}) return std::nullopt;
    InterfaceAddress result{*address, 32};
    if (slash != std::string::npos) {
        const std::string digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 2 || digits.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
        result.prefix = static_cast<unsigned>(std::stoul(digits));
        if (result.prefix == 0 || result.prefix > 32) return std::nullopt;
    }
    return result;
}

// The trace's t_us on the wall clock: the stack runs on the monotonic one.
class LinkSetup::WallClockSink final : public TraceSink {
public:
    explicit WallClockSink(TraceSink& inner) : inner_(inner) {
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        const auto wall = static_cast<std::int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
        offset_ = wall - static_cast<std::int64_t>(runtime::monotonic_us());
    }
    void record(const TraceEvent& event) override {
        TraceEvent shifted = event;
        shifted.t_us = static_cast<std::uint64_t>(static_cast<std::int64_t>(event.t_us) + offset_);
        inner_.record(shifted);
    }

private:
    TraceSink& inner_;
    std::int64_t offset_ = 0;
};

std::unique_ptr<LinkSetup> LinkSetup::open(const LinkOptions& options, const char* command, int& exit_code) {
    std::unique_ptr<LinkSetup> setup{new LinkSetup};
    auto fail = [&](int code, const std::string& message) {
        fmt::print(stderr, "tcpp {}: {}\n", command, message);
        exit_code = code;
        return nullptr;
    };
    if (options.tun.empty() == options.tap.empty()) return fail(2, "one of --tun IFNAME or --tap IFNAME is needed");
    const auto interface = parse_interface_address(options.address);
    if (!interface) {
        return fail(2, fmt::format("--addr '{}' is not an IPv4 address with a prefix (like 10.0.0.2/24)", options.address));
    }
    setup->routes_.interface = *interface;
    if (!options.gateway.empty()) {
        auto gateway = Ipv4Address::parse(options.gateway);
        if (!gateway || !interface->contains(*gateway) || *gateway == interface->address) {
            return fail(2, fmt::format("--gateway '{}' is not another address on {}/{}", options.gateway,
                                       interface->address.to_string(), interface->prefix));
        }
        setup->routes_.gateway = *gateway;
    }
    if (options.trace_path == "-") setup->out_ = stderr;

    const link::Framing framing = options.tap.empty() ? link::Framing::ip : link::Framing::ethernet;
    auto opened = link::open_tun(options.device_name(), framing);
    if (!opened) return fail(1, link::describe_open_error(options.device_name(), opened.error()));
    setup->tun_ = std::move(*opened);
    if (options.io_uring) {
        auto uring = link::UringDevice::create(std::move(setup->tun_));
        if (!uring) return fail(1, fmt::format("--io-uring: io_uring is not available: {}", uring.error().message()));
        setup->uring_ = uring->get();
        setup->tun_ = std::move(*uring);
    }
    link::Device* below = setup->tun_.get();
    link::Impairment impairment = options.impairment;
    impairment.delay_us = static_cast<std::uint64_t>(options.delay_ms * 1000);
    if (impairment.any()) {
        setup->impaired_.emplace(*below, impairment);
        below = &*setup->impaired_;
    }
    if (!options.pcap_path.empty()) {
        auto writer = pcap::Writer::create(options.pcap_path, link::CaptureDevice::link_type_for(framing));
        if (!writer) return fail(1, fmt::format("cannot write {}: {}", options.pcap_path, writer.error()));
        setup->capture_.emplace(*below, std::move(*writer));
    }

    if (framing == link::Framing::ethernet) {
        setup->ethernet_.emplace(setup->frame_device(), link::mac_from_address(interface->address), setup->routes_);
    }

    StackConfig config{.address = interface->address, .name = "tcpp"};
    config.mtu = static_cast<std::uint16_t>(std::min<std::size_t>(setup->device().max_unit(), 65535));
    config.tcp.mss = static_cast<std::uint16_t>(config.mtu - 40);
    config.tcp.defaults.msl_us = static_cast<std::uint64_t>(options.msl_seconds * 1e6);
    if (options.linger_seconds) {
        config.tcp.defaults.linger = {true, static_cast<std::uint64_t>(*options.linger_seconds * 1e6)};
    }
    setup->stack_ = std::make_unique<Stack>(config);

    if (!options.trace_path.empty()) {
        if (options.trace_path != "-") {
            setup->trace_file_ = std::fopen(options.trace_path.c_str(), "w");
            if (!setup->trace_file_) {
                return fail(1, fmt::format("cannot write {}: {}", options.trace_path, std::strerror(errno)));
            }
        }
        setup->json_.emplace(setup->trace_file_ ? setup->trace_file_ : stdout);
        setup->wall_ = std::make_unique<WallClockSink>(*setup->json_);
        setup->stack_->set_trace(setup->wall_.get());
    }
    return setup;
}

LinkSetup::~LinkSetup() {
    if (stack_) stack_->set_trace(nullptr);
    flush();
    if (trace_file_) std::fclose(trace_file_);
}

void LinkSetup::flush() {
    if (capture_) capture_->flush_file();
    if (trace_file_) std::fflush(trace_file_);
    std::fflush(out_);
}

void LinkSetup::print_counters() const {
    tcp::for_each_counter(stack_->counters(), [&](const char* name, std::uint64_t value) {
        if (value != 0) fmt::print(out_, "  {:<24} {}\n", name, value);
    });
    fmt::print(out_, "  device: {} packets in, {} out, {} dropped (queue full, or refused)\n", tun_->units_received(),
               tun_->units_sent(), tun_->send_drops());
    if (uring_ != nullptr) fmt::print(out_, "  io_uring: {} system calls\n", uring_->system_calls());
    if (impaired_) {
        fmt::print(out_, "  impaired link: {} lost, {} duplicated, {} corrupted, {} delayed\n", impaired_->lost(),
                   impaired_->duplicated(), impaired_->corrupted(), impaired_->delayed());
    }
    if (ethernet_) {
        const link::NeighborCounters& arp = ethernet_->neighbors().counters();
        fmt::print(out_,
                   "  arp: {} requests sent, {} answered; {} requests for us answered; {} neighbours known, {} "
                   "unreachable; {} packets held, {} reported unreachable, {} dropped\n",
                   arp.requests_sent, arp.replies_received, arp.replies_sent, ethernet_->neighbors().size(),
                   arp.resolution_failures, arp.held, arp.unreachable, arp.held_dropped);
        fmt::print(out_, "  ethernet: {} frames for others, {} of other protocols, {} malformed; {} without a route\n",
                   ethernet_->frames_not_for_us(), ethernet_->frames_other_protocol(), ethernet_->frames_malformed(),
                   ethernet_->no_route());
    }
}

}  // namespace tcpp::tool
