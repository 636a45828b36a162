// Fuzzes the messages around TCP: the input is taken both as an ICMP message and as an Ethernet frame.
//   - Icmpv4View::parse (both checksum modes), Icmpv4Header::from and the emit/parse round trip, in a buffer of
//     its own and in place; QuotedTcp::parse and Ipv4View::parse_quoted on the body, which must agree;
//   - EthernetView and ArpPacket parse and emit round trips (ARP on the input and on the frame's payload);
//     an Ethernet frame carrying IPv4+ICMP has its ICMP message checked as above;
//   - trace::PacketPrinter on the bytes as an Ethernet capture.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "pcap/pcap_file.h"
#include "trace/packet_printer.h"
#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace tcpp::fuzz {
namespace {

using wire::Bytes;

void check_quoted(Bytes body) {
    auto ip = wire::Ipv4View::parse_quoted(body);
    auto quoted = wire::QuotedTcp::parse(body);
    auto whole = wire::Ipv4View::parse(body, wire::ChecksumCheck::skip);
    if (whole) {
        check(ip.has_value(), "a packet that parses whole parses as quoted");
        check(std::ranges::equal(ip->bytes(), whole->bytes()), "... as the same bytes");
    }
    if (!ip) {
        check(!quoted && quoted.error() == ip.error(), "QuotedTcp fails as the quoted IPv4 header does");
        return;
    }
    check(ip->bytes().data() == body.data(), "the quoted packet starts the body");
    check(ip->bytes().size() == std::min<std::size_t>(ip->total_length(), body.size()),
          "the quoted packet is its total length, or as much as was quoted");
    check(ip->header_length() >= wire::Ipv4View::min_header_size && ip->header_length() <= ip->bytes().size(),
          "the quoted header is whole");
    check(ip->payload().size() == ip->bytes().size() - ip->header_length(), "the quoted payload is the rest");
    use(ip->tos() + ip->identification() + ip->ttl() + ip->header_checksum() + ip->options().size() +
        ip->header_checksum_ok());

    Bytes transport = ip->payload();
    if (ip->protocol() != wire::ip_protocol::tcp || ip->fragment_offset() != 0) {
        check(!quoted && quoted.error() == wire::ParseError::unsupported, "only TCP, first fragments, is quoted TCP");
    } else if (transport.size() < 8) {
        check(!quoted && quoted.error() == wire::ParseError::truncated, "quoted TCP needs 8 bytes of header");
    } else {
        check(quoted.has_value(), "an IPv4 header quoting 8 bytes of TCP is quoted TCP");
        check(quoted->source == ip->source() && quoted->destination == ip->destination(), "the quoted addresses");
        check(quoted->source_port == wire::load_be16(transport.data()) &&
                  quoted->destination_port == wire::load_be16(transport.data() + 2) &&
                  quoted->seq.raw() == wire::load_be32(transport.data() + 4),
              "the quoted ports and sequence number");
    }
}

void check_icmp_header(const wire::Icmpv4Header& header) {
    check(header.identifier() == header.rest_of_header >> 16, "the identifier is the high half");
    check(header.sequence() == (header.rest_of_header & 0xffff), "the sequence is the low half");
    check(header.next_hop_mtu() == (header.rest_of_header & 0xffff), "the MTU is the low half");
    check(header.is_error() == (header.type == wire::icmp_type::destination_unreachable ||
                                header.type == wire::icmp_type::time_exceeded),
          "unreachable and time exceeded are the errors");
    using wire::Icmpv4Header;
    if (header.code == 0 && header.type == wire::icmp_type::echo_request) {
        check(Icmpv4Header::echo_request(header.identifier(), header.sequence()) == header, "echo_request()");
    }
    if (header.code == 0 && header.type == wire::icmp_type::echo_reply) {
        check(Icmpv4Header::echo_reply(header.identifier(), header.sequence()) == header, "echo_reply()");
    }
    if (header.type == wire::icmp_type::destination_unreachable && header.rest_of_header <= 0xffff) {
        check(Icmpv4Header::destination_unreachable(header.code, header.next_hop_mtu()) == header,
              "destination_unreachable()");
    }
    if (header.type == wire::icmp_type::time_exceeded && header.rest_of_header == 0) {
        check(Icmpv4Header::time_exceeded(header.code) == header, "time_exceeded()");
    }
}

void check_icmp(Bytes message) {
    auto skipped = wire::Icmpv4View::parse(message, wire::ChecksumCheck::skip);
    auto verified = wire::Icmpv4View::parse(message, wire::ChecksumCheck::verify);
    if (!skipped) {
        check(message.size() < wire::Icmpv4View::header_size && skipped.error() == wire::ParseError::truncated,
              "only a message shorter than 8 bytes does not parse");
        check(!verified && verified.error() == wire::ParseError::truncated, "... with or without the checksum");
        return;
    }
    const wire::Icmpv4View& view = *skipped;
    check(verified.has_value() == view.checksum_ok(), "verify accepts exactly good checksums");
    if (!verified) check(verified.error() == wire::ParseError::bad_checksum, "... and names the failure");
    check(view.bytes().data() == message.data() && view.bytes().size() == message.size(), "the view is the message");
    check(view.body().size() == message.size() - wire::Icmpv4View::header_size, "the body follows the header");
    use(view.checksum());

    auto header = wire::Icmpv4Header::from(view);
    check(header.type == view.type() && header.code == view.code() && header.rest_of_header == view.rest_of_header(),
          "Icmpv4Header::from copies the fields");
    check_icmp_header(header);

    ExactBuffer out{wire::Icmpv4Header::size() + view.body().size()};
    header.emit(out.mutable_bytes(), view.body());
    auto reparsed = wire::Icmpv4View::parse(out.bytes(), wire::ChecksumCheck::verify);
    check(reparsed.has_value(), "an emitted ICMP message parses, checksum verified");
    check(wire::Icmpv4Header::from(*reparsed) == header, "Icmpv4Header: parse(emit(x)) == x");
    check(std::ranges::equal(reparsed->body(), view.body()), "the body follows the emitted header");
    check(std::ranges::equal(out.bytes().first(2), message.first(2)) &&
              std::ranges::equal(out.bytes().subspan(4), message.subspan(4)),
          "emit writes the message's bytes, checksum aside");
    if (view.checksum_ok()) {
        check(same_ones_complement(reparsed->checksum(), view.checksum()), "a good checksum is emitted as it was");
    }

    ExactBuffer in_place{out.bytes().size()};
    wire::MutableBytes bytes = in_place.mutable_bytes();
    std::ranges::copy(view.body(), bytes.begin() + wire::Icmpv4Header::size());
    header.emit(bytes, bytes.subspan(wire::Icmpv4Header::size()));
    check(std::ranges::equal(in_place.bytes(), out.bytes()), "emit in place writes the same bytes");

    ExactBuffer body{view.body()};
    check_quoted(body.bytes());
}

void check_arp(Bytes packet) {
    auto arp = wire::ArpPacket::parse(packet);
    if (!arp) {
        check(arp.error() == wire::ParseError::truncated || arp.error() == wire::ParseError::unsupported,
              "ARP fails as truncated or unsupported");
        return;
    }
    check(packet.size() >= wire::ArpPacket::wire_size, "a parsed ARP packet has its 28 bytes");
    check(arp->operation == wire::ArpOperation::request || arp->operation == wire::ArpOperation::reply,
          "requests and replies only");
    ExactBuffer out{wire::ArpPacket::size()};
    arp->emit(out.mutable_bytes());
    check(std::ranges::equal(out.bytes(), packet.first(wire::ArpPacket::wire_size)), "ARP: emit(parse(b)) == b");
    auto reparsed = wire::ArpPacket::parse(out.bytes());
    check(reparsed && *reparsed == *arp, "ARP: parse(emit(x)) == x");
    use(arp->sender_mac.to_string().size() + arp->target_mac.to_string().size() + arp->sender_ip.to_string().size());
}

void check_ethernet(Bytes frame) {
    auto ethernet = wire::EthernetView::parse(frame);
    if (!ethernet) {
        check(frame.size() < wire::EthernetView::header_size && ethernet.error() == wire::ParseError::truncated,
              "only a frame shorter than 14 bytes does not parse");
        return;
    }
    check(ethernet->payload().size() == frame.size() - wire::EthernetView::header_size, "the payload is the rest");
    auto header = wire::EthernetHeader::from(*ethernet);
    check(header.destination == ethernet->destination() && header.source == ethernet->source() &&
              header.ethertype == ethernet->ethertype(),
          "EthernetHeader::from copies the fields");
    auto parsed = wire::EthernetHeader::parse(frame);
    check(parsed && *parsed == header, "EthernetHeader::parse equals from() of the view");
    ExactBuffer out{wire::EthernetHeader::size()};
    header.emit(out.mutable_bytes());
    check(std::ranges::equal(out.bytes(), frame.first(wire::EthernetHeader::size())), "Ethernet: emit(parse(b)) == b");

    ExactBuffer payload{ethernet->payload()};
    check_arp(payload.bytes());
    if (ethernet->ethertype() != wire::ethertype::ipv4) return;
    auto ip = wire::Ipv4View::parse(payload.bytes(), wire::ChecksumCheck::skip);
    if (!ip || ip->protocol() != wire::ip_protocol::icmp || ip->is_fragment()) return;
    ExactBuffer message{ip->payload()};
    check_icmp(message.bytes());
}

void check_printer(Bytes frame) {
    constexpr std::int64_t time_us = 1'700'000'000'654'321;
    pcap::Packet captured{time_us, frame, static_cast<std::uint32_t>(frame.size())};
    trace::PacketPrinter printer{pcap::LinkType::ethernet};
    check(!printer.format(captured).empty(), "the printer prints a line");
    trace::PacketPrinter verbose{pcap::LinkType::ethernet, {.absolute = false, .verbose = true}};
    captured.original_length += 1;
    check(!verbose.format(captured).empty(), "the verbose printer prints a line");
}

void run(Bytes input) {
    ExactBuffer buffer{input};
    check_icmp(buffer.bytes());
    check_arp(buffer.bytes());
    check_ethernet(buffer.bytes());
    check_printer(buffer.bytes());
}

}  // namespace
}  // namespace tcpp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tcpp::fuzz::run(tcpp::fuzz::input_bytes(data, size));
    return 0;
}
