#pragma once
// IPv4 over an Ethernet device (a TAP device, perhaps impaired or captured): a Device that carries IPv4
// packets, as a TUN device does, so that the event loop and the stack need not know the difference. Below
// it, Ethernet frames; in it, ARP (a NeighborTable): requests for our address are answered, next hops
// (from the routes) resolved, packets held while a resolution is under way. When a neighbour never
// answers, each packet that waited for it comes back up as an ICMP host unreachable (RFC 792, code 1)
// from our own address, quoting it, as Linux's own stack reports a failed resolution to itself; the stack
// then ends a connection attempt with EHOSTUNREACH. A packet for a network with no route comes back as
// ICMP net unreachable (ENETUNREACH).
//
// Frames not for our hardware address (or broadcast), and protocols other than IPv4 and ARP, are counted
// and dropped. Our hardware address is a locally administered one; by default made from our IPv4 address
// (02:00:a:b:c:d for a.b.c.d) so that a capture reads easily.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ip/route.h"
#include "link/device.h"
#include "link/neighbor_table.h"
#include "wire/ethernet.h"

namespace tcpp::link {

// 02:00 then the four octets of the address: locally administered (RFC 7042 2.1), unicast.
MacAddress mac_from_address(Ipv4Address address);

class EthernetLink final : public Device {
public:
    // `inner` carries Ethernet frames (Framing::ethernet); it outlives this link.
    EthernetLink(Device& inner, MacAddress mac, const ip::Routes& routes, NeighborConfig neighbors = {});

    const std::string& name() const override { return inner_.name(); }
    Framing framing() const override { return Framing::ip; }
    std::size_t max_unit() const override { return inner_.max_unit() - wire::EthernetView::header_size; }
    int fd() const override { return inner_.fd(); }
    std::error_code flush() override { return inner_.flush(); }
    Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) override;
    std::error_code send(wire::Bytes packet) override;
    std::optional<std::uint64_t> next_deadline() const override;
    std::error_code poll(std::uint64_t now_us) override;

    const NeighborTable& neighbors() const { return neighbors_; }
    MacAddress mac() const { return mac_; }
    // Frames dropped on the way in: for another hardware address (or ARP from a sender off our network),
    // malformed, or of another protocol.
    std::uint64_t frames_not_for_us() const { return frames_not_for_us_; }
    std::uint64_t frames_malformed() const { return frames_malformed_; }
    std::uint64_t frames_other_protocol() const { return frames_other_protocol_; }
    // Packets the stack sent to a network with no route, or too large for the device.
    std::uint64_t no_route() const { return no_route_; }

private:
    std::error_code send_frame(MacAddress destination, std::uint16_t ethertype, wire::Bytes payload);
    std::error_code send_pending();
    // Queues an ICMP destination unreachable for our stack about `packet`, one of its own.
    void report_unreachable(wire::Bytes packet, std::uint8_t code);

    Device& inner_;
    MacAddress mac_;
    ip::Routes routes_;
    NeighborTable neighbors_;
    std::uint64_t now_us_ = 0;  // the time of the last poll(): the event loop polls every round
    std::vector<std::byte> frame_;        // a frame in or out
    std::deque<std::vector<std::byte>> reports_;  // ICMP messages for our stack (bounded)
    std::uint64_t frames_not_for_us_ = 0;
    std::uint64_t frames_malformed_ = 0;
    std::uint64_t frames_other_protocol_ = 0;
    std::uint64_t no_route_ = 0;
};

}  // namespace tcpp::link
