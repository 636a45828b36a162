#pragma once
// One line of text per captured packet, in the form tcpdump prints it:
//   00:36:21.180498 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [.], ack 1, win 64512, options [...], length 0
// Sequence and acknowledgment numbers are relative to each side's initial sequence number (or, for a
// connection whose SYN was not captured, to its first number seen); windows are scaled once both SYNs
// have shown the scale. Checksum errors and malformed packets are printed, never skipped.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "pcap/pcap_file.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp::trace {

struct PrinterOptions {
    bool absolute = false;  // raw sequence numbers, as on the wire
    bool verbose = false;   // also the TTL, IP id and every checksum's status
};

class PacketPrinter {
public:
    explicit PacketPrinter(pcap::LinkType link_type, PrinterOptions options = {});

    // The line for one packet, without a newline. Remembers each connection's initial sequence numbers
    // and window scales, so packets must be given in capture order.
    std::string format(const pcap::Packet& packet);

private:
    struct Endpoint {
        std::uint32_t address;
        std::uint16_t port;
        friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
    };
    // What the printer knows about one direction of a connection.
    struct Side {
        std::optional<std::uint32_t> base;   // the initial sequence number, or the first one seen
        std::optional<std::uint8_t> window_scale;  // offered in this side's SYN
        bool syn_seen = false;
    };
    struct Connection {
        Side sides[2];  // [0] for the lower endpoint, [1] for the higher
    };

    void format_link(std::string& out, wire::Bytes frame, bool cut);
    // `cut`: the capture holds less than the packet, so its end (and its checksums) cannot be checked.
    void format_ipv4(std::string& out, wire::Bytes packet, bool cut);
    void format_tcp(std::string& out, const wire::Ipv4View& ip, bool cut);
    void format_icmp(std::string& out, const wire::Ipv4View& ip);

    pcap::LinkType link_type_;
    PrinterOptions options_;
    std::map<std::pair<Endpoint, Endpoint>, Connection> connections_;
};

}  // namespace tcpp::trace
