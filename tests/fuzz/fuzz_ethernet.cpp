// Fuzzes IPv4 over Ethernet: a tcpp stack on the Ethernet link (ARP's neighbour table inside) over a frame
// device in memory, fed any frames, with the stack sending (a connection attempt to the input's chosen
// addresses) and time passing between. The input is a list of chunks: a length byte, then a kind byte
// (a frame arrives; time moves on; the stack connects somewhere) and the rest. Whatever comes, every frame
// out must be well formed and no larger than the device carries, the neighbour table must stay within its
// bounds, and nothing may crash or leak.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "fuzz_check.h"
#include "link/ethernet_link.h"
#include "tcpp/stack.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

namespace tcpp::fuzz {
namespace {

class FrameDevice final : public link::Device {
public:
    const std::string& name() const override { return name_; }
    link::Framing framing() const override { return link::Framing::ethernet; }
    std::size_t max_unit() const override { return 1514; }
    int fd() const override { return -1; }
    Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) override {
        if (incoming.empty()) return std::size_t{0};
        const std::vector<std::byte> frame = std::move(incoming.front());
        incoming.pop_front();
        std::copy(frame.begin(), frame.end(), buffer.begin());
        return frame.size();
    }
    std::error_code send(wire::Bytes frame) override {
        check(frame.size() <= max_unit(), "no frame is larger than the device carries");
        auto parsed = wire::EthernetView::parse(frame);
        check(parsed.has_value(), "every frame out parses");
        check(parsed->source() == link::mac_from_address(Ipv4Address{10, 0, 0, 2}), "from our address");
        if (parsed->ethertype() == wire::ethertype::arp) {
            check(wire::ArpPacket::parse(parsed->payload()).has_value(), "every ARP packet out parses");
        } else {
            check(parsed->ethertype() == wire::ethertype::ipv4, "only ARP and IPv4 go out");
            check(wire::Ipv4View::parse(parsed->payload()).has_value(), "every IPv4 packet out parses");
        }
        return {};
    }
    std::deque<std::vector<std::byte>> incoming;

private:
    std::string name_ = "fuzz";
};

}  // namespace
}  // namespace tcpp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tcpp;
    fuzz::FrameDevice frames;
    link::NeighborConfig config;
    config.max_entries = 8;
    config.max_held = 16;
    config.max_held_per_neighbor = 4;
    link::EthernetLink link{frames, link::mac_from_address(Ipv4Address{10, 0, 0, 2}),
                            ip::Routes{{Ipv4Address{10, 0, 0, 2}, 24}, Ipv4Address{10, 0, 0, 1}}, config};
    tcpp::Stack stack{{.address = Ipv4Address{10, 0, 0, 2}, .name = "fuzz", .secret = tcp::SipKey{1, 2}}};
    std::vector<std::byte> buffer(link.max_unit());
    std::uint64_t now = 1'000'000;
    std::vector<Connection> connections;
    std::size_t at = 0;
    for (int chunks = 0; chunks < 64 && at + 2 <= size; ++chunks) {
        const std::size_t length = std::min<std::size_t>(data[at], size - at - 2);
        const std::uint8_t kind = data[at + 1];
        const auto* body = reinterpret_cast<const std::byte*>(data + at + 2);
        at += 2 + length;
        if (kind % 4 == 0 || kind % 4 == 1) {
            frames.incoming.emplace_back(body, body + std::min<std::size_t>(length, 1514));
        } else if (kind % 4 == 2) {
            now += (std::uint64_t{kind} << 14);  // up to about 4 s
        } else if (length >= 2 && connections.size() < 8) {
            // Somewhere on our network (resolved by ARP), or beyond it (through the gateway).
            const Ipv4Address remote{std::uint32_t{0x0a000000} | std::to_integer<std::uint32_t>(body[0]) |
                                     (std::to_integer<std::uint32_t>(body[1]) & 1u) << 16};
            if (auto c = stack.connect({remote, 80})) connections.push_back(*c);
        }
        fuzz::check(!link.poll(now), "polling a memory device never fails");
        stack.poll(now);
        while (auto n = link.receive(buffer)) {
            if (*n == 0) break;
            stack.receive(wire::Bytes{buffer.data(), *n}, now);
        }
        while (auto packet = stack.next_output()) fuzz::check(!link.send(*packet), "sending never fails");
        fuzz::check(link.neighbors().size() <= config.max_entries, "neighbours within their bound");
        fuzz::check(link.neighbors().held() <= config.max_held, "held packets within their bound");
    }
    return 0;
}
