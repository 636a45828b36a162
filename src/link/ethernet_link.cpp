#include "link/ethernet_link.h"

#include <algorithm>
#include <cstring>

#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace tcpp::link {

namespace {
constexpr std::size_t header_size = wire::EthernetView::header_size;
constexpr std::size_t max_reports = 64;              // ICMP messages waiting for the stack
constexpr std::size_t frames_per_receive = 64;       // ARP and stray frames looked at before returning
}  // namespace

MacAddress mac_from_address(Ipv4Address address) {
    const std::uint32_t v = address.value();
    return MacAddress{{0x02, 0x00, static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                       static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}};
}

EthernetLink::EthernetLink(Device& inner, MacAddress mac, const ip::Routes& routes, NeighborConfig neighbors)
    : inner_(inner),
      mac_(mac),
      routes_(routes),
      neighbors_(routes.interface.address, mac, neighbors),
      frame_(inner.max_unit()) {}

Expected<std::size_t, std::error_code> EthernetLink::receive(wire::MutableBytes buffer) {
    for (std::size_t looked = 0; looked < frames_per_receive; ++looked) {
        if (!reports_.empty()) {
            const std::vector<std::byte>& report = reports_.front();
            const std::size_t size = std::min(report.size(), buffer.size());
            std::memcpy(buffer.data(), report.data(), size);
            reports_.pop_front();
            return size;
        }
        auto size = inner_.receive(frame_);
        if (!size || *size == 0) return size;
        auto frame = wire::EthernetView::parse(wire::Bytes{frame_.data(), *size});
        if (!frame) {
            ++frames_malformed_;
            continue;
        }
        if (frame->destination() != mac_ && frame->destination() != MacAddress::broadcast()) {
            ++frames_not_for_us_;
            continue;
        }
        if (frame->ethertype() == wire::ethertype::arp) {
            auto arp = wire::ArpPacket::parse(frame->payload());
            if (!arp) {
                ++frames_malformed_;
                continue;
            }
            // A sender off our network is no neighbour of ours (and a flood of made-up senders would churn
            // the table): not learned, not answered.
            if (arp->sender_ip != Ipv4Address{} && !routes_.interface.contains(arp->sender_ip)) {
                ++frames_not_for_us_;
                continue;
            }
            neighbors_.arp_arrived(*arp, now_us_);
            if (std::error_code error = send_pending()) return Unexpected{error};  // the answer, and what waited
            continue;
        }
        if (frame->ethertype() != wire::ethertype::ipv4) {
            ++frames_other_protocol_;
            continue;
        }
        const wire::Bytes packet = frame->payload();
        if (packet.size() > buffer.size()) {
            ++frames_malformed_;
            continue;
        }
        std::memcpy(buffer.data(), packet.data(), packet.size());
        ++units_received_;
        return packet.size();
    }
    return std::size_t{0};  // more may wait: the descriptor stays readable, and the loop comes back
}

std::error_code EthernetLink::send(wire::Bytes packet) {
    if (packet.size() < wire::Ipv4Header::size() || packet.size() > max_unit()) {
        ++send_drops_;
        return {};
    }
    const Ipv4Address destination{wire::load_be32(packet.data() + 16)};
    MacAddress mac = MacAddress::broadcast();
    if (destination != Ipv4Address{0xffffffff} && destination != routes_.interface.broadcast()) {
        auto next_hop = routes_.next_hop(destination);
        if (!next_hop) {
            ++no_route_;
            report_unreachable(packet, wire::icmp_unreachable::net);
            return {};
        }
        auto resolved = neighbors_.resolve(*next_hop, packet, now_us_);
        if (!resolved) return send_pending();  // held (or dropped): the request goes out
        mac = *resolved;
    }
    if (std::error_code error = send_frame(mac, wire::ethertype::ipv4, packet)) return error;
    return send_pending();
}

std::optional<std::uint64_t> EthernetLink::next_deadline() const {
    std::optional<std::uint64_t> deadline = inner_.next_deadline();
    if (auto own = neighbors_.next_deadline(); own && (!deadline || *own < *deadline)) deadline = own;
    if (!reports_.empty()) deadline = 0;
    return deadline;
}

std::error_code EthernetLink::poll(std::uint64_t now_us) {
    now_us_ = now_us;
    if (std::error_code error = inner_.poll(now_us)) return error;
    neighbors_.poll(now_us);
    return send_pending();
}

// Sends what the neighbour table has queued: ARP packets, and packets whose neighbour has answered; and
// turns those whose neighbour never did into reports for the stack.
std::error_code EthernetLink::send_pending() {
    while (auto arp = neighbors_.next_arp()) {
        std::byte payload[wire::ArpPacket::wire_size];
        arp->packet.emit(payload);
        if (std::error_code error = send_frame(arp->destination, wire::ethertype::arp, payload)) return error;
    }
    MacAddress destination;
    while (auto packet = neighbors_.next_released(destination)) {
        if (std::error_code error = send_frame(destination, wire::ethertype::ipv4, *packet)) return error;
    }
    while (auto packet = neighbors_.next_unreachable()) report_unreachable(*packet, wire::icmp_unreachable::host);
    return {};
}

std::error_code EthernetLink::send_frame(MacAddress destination, std::uint16_t ethertype, wire::Bytes payload) {
    wire::EthernetHeader header;
    header.destination = destination;
    header.source = mac_;
    header.ethertype = ethertype;
    header.emit(frame_);
    std::memcpy(frame_.data() + header_size, payload.data(), payload.size());
    const std::error_code error = inner_.send(wire::Bytes{frame_.data(), header_size + payload.size()});
    if (!error && ethertype == wire::ethertype::ipv4) ++units_sent_;
    return error;
}

// RFC 792: the quoted IPv4 header and the first 8 bytes of what it carried, in an ICMP destination
// unreachable from us to us.
void EthernetLink::report_unreachable(wire::Bytes packet, std::uint8_t code) {
    if (reports_.size() >= max_reports) return;  // the stack hears of the others by their timeouts
    const std::size_t header = std::size_t{std::to_integer<std::uint8_t>(packet[0])} % 16 * 4;
    const std::size_t quoted = std::min(packet.size(), std::max(header, wire::Ipv4Header::size()) + 8);
    std::vector<std::byte> report(wire::Ipv4Header::size() + wire::Icmpv4Header::size() + quoted);
    wire::Ipv4Header ip;
    ip.protocol = wire::ip_protocol::icmp;
    ip.source = routes_.interface.address;
    ip.destination = routes_.interface.address;
    ip.payload_length = static_cast<std::uint16_t>(wire::Icmpv4Header::size() + quoted);
    ip.emit(report);
    wire::Icmpv4Header::destination_unreachable(code).emit(
        wire::MutableBytes{report}.subspan(wire::Ipv4Header::size()), packet.first(quoted));
    reports_.push_back(std::move(report));
}

}  // namespace tcpp::link
