// IPv4 over Ethernet: the neighbour table (ARP, RFC 826) on its own, sans-I/O, and the Ethernet link that
// puts it between a stack and a frame device: requests answered, next hops resolved and cached, packets held
// while a resolution is under way and sent once it completes, and, when nobody answers, EHOSTUNREACH for
// the connection that waited.

#include "link/ethernet_link.h"

#include <cstdint>
#include <deque>
#include <vector>

#include <gtest/gtest.h>

#include "memory_device.h"

#include "tcpp/stack.h"
#include "wire/ethernet.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace tcpp::link {
namespace {

constexpr Ipv4Address ours{10, 0, 0, 2};
constexpr Ipv4Address host{10, 0, 0, 1};
constexpr Ipv4Address gateway{10, 0, 0, 254};
const MacAddress our_mac{{0x02, 0x00, 10, 0, 0, 2}};
const MacAddress host_mac{{0xaa, 0xbb, 0xcc, 0, 0, 1}};
const MacAddress gateway_mac{{0xaa, 0xbb, 0xcc, 0, 0, 0xfe}};

constexpr std::uint64_t second = 1'000'000;

wire::ArpPacket arp(wire::ArpOperation operation, MacAddress sender_mac, Ipv4Address sender_ip,
                    Ipv4Address target_ip, MacAddress target_mac = {}) {
    wire::ArpPacket packet;
    packet.operation = operation;
    packet.sender_mac = sender_mac;
    packet.sender_ip = sender_ip;
    packet.target_mac = target_mac;
    packet.target_ip = target_ip;
    return packet;
}

std::vector<std::byte> ip_packet(Ipv4Address destination, std::uint16_t id) {
    std::vector<std::byte> packet(wire::Ipv4Header::size() + 8);
    wire::Ipv4Header header;
    header.protocol = wire::ip_protocol::tcp;
    header.source = ours;
    header.destination = destination;
    header.identification = id;
    header.payload_length = 8;
    header.emit(packet);
    return packet;
}

TEST(NeighborTable, AnswersARequestForOurAddressAndLearnsTheAsker) {
    NeighborTable table{ours, our_mac};
    table.arp_arrived(arp(wire::ArpOperation::request, host_mac, host, ours), 0);
    auto reply = table.next_arp();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->destination, host_mac);  // unicast to the asker
    EXPECT_EQ(reply->packet, arp(wire::ArpOperation::reply, our_mac, ours, host, host_mac));
    EXPECT_FALSE(table.next_arp());
    // RFC 826: the asker is learned, since the request was for us: no request of ours is needed.
    EXPECT_EQ(table.lookup(host), host_mac);
    EXPECT_EQ(table.resolve(host, ip_packet(host, 1), 1), host_mac);
    EXPECT_FALSE(table.next_arp());
    EXPECT_EQ(table.counters().requests_received, 1u);
    EXPECT_EQ(table.counters().replies_sent, 1u);
}

TEST(NeighborTable, RequestsForOthersAreNotAnsweredAndTeachOnlyWhatWeAlreadyKnew) {
    NeighborTable table{ours, our_mac};
    // For someone else, from a stranger: nothing learned (RFC 826 merges only known entries), nothing sent.
    table.arp_arrived(arp(wire::ArpOperation::request, host_mac, host, Ipv4Address{10, 0, 0, 7}), 0);
    EXPECT_FALSE(table.next_arp());
    EXPECT_FALSE(table.lookup(host));
    // Known, and it moved: the new address is merged in.
    table.arp_arrived(arp(wire::ArpOperation::request, host_mac, host, ours), 0);
    (void)table.next_arp();
    const MacAddress moved{{0xaa, 0xbb, 0xcc, 0, 0, 0x99}};
    table.arp_arrived(arp(wire::ArpOperation::request, moved, host, Ipv4Address{10, 0, 0, 7}), 1);
    EXPECT_EQ(table.lookup(host), moved);
    EXPECT_FALSE(table.next_arp());
    // An address probe (sender 0.0.0.0, RFC 5227) for us is answered but teaches nothing.
    table.arp_arrived(arp(wire::ArpOperation::request, gateway_mac, Ipv4Address{}, ours), 2);
    auto reply = table.next_arp();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->destination, gateway_mac);
    EXPECT_EQ(table.size(), 1u);
}

TEST(NeighborTable, HoldsPacketsWhileResolvingAndReleasesThemInOrder) {
    NeighborTable table{ours, our_mac};
    EXPECT_FALSE(table.resolve(host, ip_packet(host, 1), 0));
    auto request = table.next_arp();
    ASSERT_TRUE(request);
    EXPECT_EQ(request->destination, MacAddress::broadcast());
    EXPECT_EQ(request->packet, arp(wire::ArpOperation::request, our_mac, ours, host));
    EXPECT_FALSE(table.resolve(host, ip_packet(host, 2), 10));
    EXPECT_FALSE(table.next_arp());  // one request is out: no second before its retry time
    EXPECT_EQ(table.held(), 2u);
    EXPECT_EQ(table.next_deadline(), second);

    table.arp_arrived(arp(wire::ArpOperation::reply, host_mac, host, ours, our_mac), 500);
    MacAddress to;
    auto first = table.next_released(to);
    ASSERT_TRUE(first);
    EXPECT_EQ(to, host_mac);
    EXPECT_EQ(wire::Ipv4View::parse(*first)->identification(), 1);
    auto next = table.next_released(to);
    ASSERT_TRUE(next);
    EXPECT_EQ(wire::Ipv4View::parse(*next)->identification(), 2);
    EXPECT_FALSE(table.next_released(to));
    EXPECT_EQ(table.held(), 0u);
    EXPECT_FALSE(table.next_deadline());  // nothing more to ask
    EXPECT_EQ(table.counters().replies_received, 1u);
}

TEST(NeighborTable, GivesUpAfterThreeUnansweredRequestsAndHandsTheHeldPacketsBack) {
    NeighborTable table{ours, our_mac};
    EXPECT_FALSE(table.resolve(host, ip_packet(host, 1), 0));
    std::uint64_t now = 0;
    int requests = 0;
    while (table.next_arp()) ++requests;
    for (int i = 0; i < 10 && table.next_deadline() > now; ++i) {
        now = *table.next_deadline();
        table.poll(now);
        while (table.next_arp()) ++requests;
    }
    EXPECT_EQ(requests, 3);
    EXPECT_EQ(now, 3 * second);  // one a second, and a second for the last to be answered
    auto unreachable = table.next_unreachable();
    ASSERT_TRUE(unreachable);
    EXPECT_EQ(wire::Ipv4View::parse(*unreachable)->identification(), 1);
    EXPECT_FALSE(table.next_unreachable());
    EXPECT_FALSE(table.lookup(host));
    EXPECT_EQ(table.size(), 0u);  // forgotten: the next packet starts again
    EXPECT_EQ(table.counters().resolution_failures, 1u);
    EXPECT_EQ(table.counters().unreachable, 1u);
}

TEST(NeighborTable, AnOldAnswerIsConfirmedByAUnicastRequestAndForgottenIfUnanswered) {
    NeighborConfig config;
    config.reachable_us = 30 * second;
    NeighborTable table{ours, our_mac, config};
    table.arp_arrived(arp(wire::ArpOperation::request, host_mac, host, ours), 0);
    (void)table.next_arp();
    EXPECT_EQ(table.resolve(host, ip_packet(host, 1), 29 * second), host_mac);
    EXPECT_FALSE(table.next_arp());
    // Past its time: still used, and asked about, at the address we have.
    EXPECT_EQ(table.resolve(host, ip_packet(host, 2), 31 * second), host_mac);
    auto confirm = table.next_arp();
    ASSERT_TRUE(confirm);
    EXPECT_EQ(confirm->destination, host_mac);
    // Answered: believed again.
    table.arp_arrived(arp(wire::ArpOperation::reply, host_mac, host, ours, our_mac), 31 * second + 100);
    EXPECT_FALSE(table.next_deadline());
    // Later, unanswered: three requests, then forgotten.
    EXPECT_EQ(table.resolve(host, ip_packet(host, 3), 70 * second), host_mac);
    for (int i = 0; i < 10 && table.next_deadline(); ++i) {
        table.poll(*table.next_deadline());
        while (table.next_arp()) {
        }
    }
    EXPECT_FALSE(table.lookup(host));
    EXPECT_FALSE(table.next_unreachable());  // nothing was held: the packets went to the old address
}

TEST(NeighborTable, MemoryIsBoundedInNeighboursAndHeldPackets) {
    NeighborConfig config;
    config.max_entries = 4;
    config.max_held = 6;
    config.max_held_per_neighbor = 2;
    NeighborTable table{ours, our_mac, config};
    // Three packets for one neighbour: the oldest goes.
    for (std::uint16_t id = 1; id <= 3; ++id) EXPECT_FALSE(table.resolve(host, ip_packet(host, id), 0));
    EXPECT_EQ(table.held(), 2u);
    EXPECT_EQ(table.counters().held_dropped, 1u);
    // More neighbours than entries, all unresolved: no room, the packet is dropped.
    for (std::uint8_t n = 10; n < 14; ++n) (void)table.resolve(Ipv4Address{10, 0, 0, n}, ip_packet(host, 9), 0);
    EXPECT_EQ(table.size(), 4u);
    EXPECT_LE(table.held(), 6u);
    // A resolved entry may be evicted for a new one: the least recently used.
    for (std::uint8_t n = 10; n < 13; ++n) {
        table.arp_arrived(arp(wire::ArpOperation::reply, gateway_mac, Ipv4Address{10, 0, 0, n}, ours, our_mac), n);
    }
    EXPECT_EQ(table.resolve(Ipv4Address{10, 0, 0, 11}, ip_packet(host, 11), 50), gateway_mac);
    EXPECT_EQ(table.resolve(Ipv4Address{10, 0, 0, 12}, ip_packet(host, 12), 60), gateway_mac);
    EXPECT_FALSE(table.resolve(Ipv4Address{10, 0, 0, 20}, ip_packet(host, 20), 100));
    EXPECT_EQ(table.size(), 4u);
    EXPECT_EQ(table.counters().entries_evicted, 1u);
    EXPECT_FALSE(table.lookup(Ipv4Address{10, 0, 0, 10}));  // the one used least recently
}

std::vector<std::byte> frame(MacAddress destination, MacAddress source, std::uint16_t ethertype, wire::Bytes payload) {
    std::vector<std::byte> bytes(wire::EthernetView::header_size + payload.size());
    wire::EthernetHeader header;
    header.destination = destination;
    header.source = source;
    header.ethertype = ethertype;
    header.emit(bytes);
    std::copy(payload.begin(), payload.end(), bytes.begin() + wire::EthernetView::header_size);
    return bytes;
}

std::vector<std::byte> arp_frame(MacAddress destination, const wire::ArpPacket& packet) {
    std::byte payload[wire::ArpPacket::wire_size];
    packet.emit(payload);
    return frame(destination, packet.sender_mac, wire::ethertype::arp, payload);
}

TEST(EthernetLink, ResolvesTheGatewayForOtherNetworksAndCarriesIpv4BothWays) {
    MemoryDevice frames{Framing::ethernet, 1514};
    EthernetLink link{frames, our_mac, ip::Routes{{ours, 24}, gateway}};
    EXPECT_EQ(link.framing(), Framing::ip);
    EXPECT_EQ(link.max_unit(), 1500u);
    ASSERT_FALSE(link.poll(0));
    // For another network: the gateway's address is asked for, the packet held.
    const std::vector<std::byte> packet = ip_packet(Ipv4Address{192, 0, 2, 1}, 7);
    ASSERT_FALSE(link.send(packet));
    ASSERT_EQ(frames.sent.size(), 1u);
    auto request = wire::EthernetView::parse(frames.sent[0]);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->destination(), MacAddress::broadcast());
    EXPECT_EQ(request->ethertype(), wire::ethertype::arp);
    EXPECT_EQ(wire::ArpPacket::parse(request->payload())->target_ip, gateway);
    // The gateway answers: the packet goes to it, whole.
    frames.incoming.push_back(arp_frame(our_mac, arp(wire::ArpOperation::reply, gateway_mac, gateway, ours, our_mac)));
    std::vector<std::byte> buffer(link.max_unit());
    EXPECT_EQ(link.receive(buffer).value_or(99), 0u);  // ARP is the link's business, not the stack's
    ASSERT_EQ(frames.sent.size(), 2u);
    auto sent = wire::EthernetView::parse(frames.sent[1]);
    EXPECT_EQ(sent->destination(), gateway_mac);
    EXPECT_EQ(sent->source(), our_mac);
    EXPECT_EQ(sent->ethertype(), wire::ethertype::ipv4);
    EXPECT_TRUE(std::ranges::equal(sent->payload(), packet));
    // Coming in: IPv4 for our address, or broadcast, goes up; for another, or another protocol, does not.
    const std::vector<std::byte> in = ip_packet(ours, 9);
    frames.incoming.push_back(frame(MacAddress{{0xaa, 0, 0, 0, 0, 9}}, gateway_mac, wire::ethertype::ipv4, in));
    frames.incoming.push_back(frame(our_mac, gateway_mac, wire::ethertype::ipv6, in));
    frames.incoming.push_back(frame(our_mac, gateway_mac, wire::ethertype::ipv4, in));
    auto size = link.receive(buffer);
    ASSERT_TRUE(size);
    ASSERT_EQ(*size, in.size());
    EXPECT_TRUE(std::equal(in.begin(), in.end(), buffer.begin()));
    EXPECT_EQ(link.frames_not_for_us(), 1u);
    EXPECT_EQ(link.frames_other_protocol(), 1u);
}

// A tcpp stack over the link, the test playing the network: nobody has 10.0.0.9, so the stack's connection
// attempt ends with EHOSTUNREACH after ARP's three requests, not after the SYN's retries.
TEST(EthernetLink, AConnectionToANeighbourThatNeverAnswersFailsWithHostUnreachable) {
    MemoryDevice frames{Framing::ethernet, 1514};
    EthernetLink link{frames, our_mac, ip::Routes{{ours, 24}, std::nullopt}};
    Stack stack{{.address = ours, .name = "tcpp"}};
    std::uint64_t now = 1000;
    ASSERT_FALSE(link.poll(now));
    stack.poll(now);
    auto connection = stack.connect({Ipv4Address{10, 0, 0, 9}, 80});
    ASSERT_TRUE(connection);
    std::vector<std::byte> buffer(link.max_unit());
    std::size_t requests = 0;
    for (int round = 0; round < 100 && connection->state() != State::closed; ++round) {
        while (auto packet = stack.next_output()) ASSERT_FALSE(link.send(*packet));
        for (auto& sent : frames.sent) {
            auto f = wire::EthernetView::parse(sent);
            if (f && f->ethertype() == wire::ethertype::arp) ++requests;
        }
        frames.sent.clear();
        std::optional<std::uint64_t> next = stack.next_deadline();
        if (auto held = link.next_deadline(); held && (!next || *held < *next)) next = held;
        ASSERT_TRUE(next);
        now = std::max(now, *next);
        ASSERT_FALSE(link.poll(now));
        stack.poll(now);
        while (auto size = link.receive(buffer)) {
            if (*size == 0) break;
            stack.receive(wire::Bytes{buffer.data(), *size}, now);
        }
    }
    EXPECT_EQ(connection->state(), State::closed);
    EXPECT_EQ(connection->error(), std::make_error_code(std::errc::host_unreachable));
    EXPECT_EQ(requests, 3u);
    EXPECT_LE(now, 1000 + 3 * second);  // ARP's time: the SYN alone would have tried for two minutes
    EXPECT_EQ(link.neighbors().counters().resolution_failures, 1u);
    // Every SYN that waited (the first, and its retransmission) came back as a host unreachable.
    EXPECT_GE(stack.counters().IcmpInDestUnreachs, 1u);
    EXPECT_EQ(stack.counters().IcmpInDestUnreachs, link.neighbors().counters().unreachable);
}

TEST(EthernetLink, ArpFromASenderOffOurNetworkIsNeitherLearnedNorAnswered) {
    MemoryDevice frames{Framing::ethernet, 1514};
    EthernetLink link{frames, our_mac, ip::Routes{{ours, 24}, std::nullopt}};
    frames.incoming.push_back(arp_frame(MacAddress::broadcast(),
                                        arp(wire::ArpOperation::request, host_mac, Ipv4Address{192, 168, 9, 9}, ours)));
    std::vector<std::byte> buffer(link.max_unit());
    EXPECT_EQ(link.receive(buffer).value_or(99), 0u);
    EXPECT_TRUE(frames.sent.empty());
    EXPECT_EQ(link.neighbors().size(), 0u);
    EXPECT_EQ(link.frames_not_for_us(), 1u);
}

TEST(EthernetLink, APacketForANetworkWithoutARouteComesBackAsNetUnreachable) {
    MemoryDevice frames{Framing::ethernet, 1514};
    EthernetLink link{frames, our_mac, ip::Routes{{ours, 24}, std::nullopt}};
    const std::vector<std::byte> packet = ip_packet(Ipv4Address{192, 0, 2, 1}, 7);
    ASSERT_FALSE(link.send(packet));
    EXPECT_TRUE(frames.sent.empty());
    EXPECT_EQ(link.no_route(), 1u);
    std::vector<std::byte> buffer(link.max_unit());
    auto size = link.receive(buffer);
    ASSERT_TRUE(size && *size > 0);
    auto ip = wire::Ipv4View::parse(wire::Bytes{buffer.data(), *size});
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->source(), ours);
    EXPECT_EQ(ip->destination(), ours);
    auto icmp = wire::Icmpv4View::parse(ip->payload());
    ASSERT_TRUE(icmp);
    EXPECT_EQ(icmp->type(), wire::icmp_type::destination_unreachable);
    EXPECT_EQ(icmp->code(), wire::icmp_unreachable::net);
    EXPECT_TRUE(std::ranges::equal(icmp->body(), wire::Bytes{packet}.first(28)));  // header and 8 bytes
}

}  // namespace
}  // namespace tcpp::link
