#include "trace/packet_printer.h"

#include <ctime>

#include <fmt/format.h>

#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmpv4.h"
#include "wire/tcp_options.h"

namespace tcpp::trace {
namespace {

using wire::Bytes;

constexpr std::size_t linux_cooked_header_size = 16;

std::string time_of_day(std::int64_t time_us) {
    std::time_t seconds = static_cast<std::time_t>(time_us / 1'000'000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:02}:{:02}:{:02}.{:06}", utc.tm_hour, utc.tm_min, utc.tm_sec, time_us % 1'000'000);
}

// tcpdump's letters, in tcpdump's order: F S R P . U E W.
std::string flag_letters(wire::TcpFlags flags) {
    static constexpr std::pair<std::uint8_t, char> letters[] = {
        {wire::TcpFlags::fin, 'F'}, {wire::TcpFlags::syn, 'S'}, {wire::TcpFlags::rst, 'R'},
        {wire::TcpFlags::psh, 'P'}, {wire::TcpFlags::ack, '.'}, {wire::TcpFlags::urg, 'U'},
        {wire::TcpFlags::ece, 'E'}, {wire::TcpFlags::cwr, 'W'},
    };
    std::string text;
    for (auto [flag, letter] : letters) {
        if (flags.has(flag)) text += letter;
    }
    return text.empty() ? "none" : text;
}

std::string hex(Bytes data) {
    std::string text = "0x";
    for (std::byte b : data) text += fmt::format("{:02x}", std::to_integer<unsigned>(b));
    return text;
}

// One option as tcpdump names it; `relative` maps a peer sequence number (in a SACK block) for printing.
template <class Relative>
std::string option_text(const wire::RawTcpOption& option, Relative relative) {
    namespace opt = wire::tcp_option;
    const Bytes& data = option.data;
    auto bad_length = [&](std::string_view name) {
        return fmt::format("{} [bad length {}]", name, data.size() + 2);
    };
    switch (option.kind) {
    case opt::end_of_list: return "eol";
    case opt::nop: return "nop";
    case opt::mss:
        return data.size() == 2 ? fmt::format("mss {}", wire::load_be16(data.data())) : bad_length("mss");
    case opt::window_scale:
        return data.size() == 1 ? fmt::format("wscale {}", wire::load_u8(data.data())) : bad_length("wscale");
    case opt::sack_permitted: return data.empty() ? "sackOK" : bad_length("sackOK");
    case opt::timestamps:
        return data.size() == 8 ? fmt::format("TS val {} ecr {}", wire::load_be32(data.data()),
                                              wire::load_be32(data.data() + 4))
                                : bad_length("TS");
    case opt::sack: {
        if (data.empty() || data.size() % 8 != 0) return bad_length("sack");
        std::string text = fmt::format("sack {} ", data.size() / 8);
        for (std::size_t i = 0; i < data.size(); i += 8) {
            text += fmt::format("{{{}:{}}}", relative(wire::load_be32(data.data() + i)),
                                relative(wire::load_be32(data.data() + i + 4)));
        }
        return text;
    }
    default: return fmt::format("unknown-{} {}", option.kind, hex(data));
    }
}

}  // namespace

PacketPrinter::PacketPrinter(pcap::LinkType link_type, PrinterOptions options)
    : link_type_(link_type), options_(options) {}

std::string PacketPrinter::format(const pcap::Packet& packet) {
    std::string out = time_of_day(packet.time_us);
    out += ' ';
    const bool cut = packet.original_length > packet.data.size();
    switch (link_type_) {
    case pcap::LinkType::ethernet: format_link(out, packet.data, cut); break;
    case pcap::LinkType::raw_ipv4: format_ipv4(out, packet.data, cut); break;
    case pcap::LinkType::linux_cooked:
        if (packet.data.size() < linux_cooked_header_size) {
            out += fmt::format("[malformed Linux cooked header: truncated], length {}", packet.data.size());
        } else if (std::uint16_t protocol = wire::load_be16(packet.data.data() + 14); protocol != wire::ethertype::ipv4) {
            out += fmt::format("ethertype 0x{:04x}, length {}", protocol, packet.data.size());
        } else {
            format_ipv4(out, packet.data.subspan(linux_cooked_header_size), cut);
        }
        break;
    }
    if (packet.original_length > packet.data.size()) {
        out += fmt::format(" [capture cut {} of {} bytes]", packet.data.size(), packet.original_length);
    }
    return out;
}

void PacketPrinter::format_link(std::string& out, Bytes frame, bool cut) {
    auto ethernet = wire::EthernetView::parse(frame);
    if (!ethernet) {
        out += fmt::format("[malformed Ethernet: {}], length {}", to_string(ethernet.error()), frame.size());
        return;
    }
    switch (ethernet->ethertype()) {
    case wire::ethertype::ipv4: format_ipv4(out, ethernet->payload(), cut); return;
    case wire::ethertype::arp: {
        auto arp = wire::ArpPacket::parse(ethernet->payload());
        if (!arp) {
            out += fmt::format("ARP [malformed: {}], length {}", to_string(arp.error()), ethernet->payload().size());
        } else if (arp->operation == wire::ArpOperation::request) {
            out += fmt::format("ARP, Request who-has {} tell {}, length {}", arp->target_ip.to_string(),
                               arp->sender_ip.to_string(), ethernet->payload().size());
        } else {
            out += fmt::format("ARP, Reply {} is-at {}, length {}", arp->sender_ip.to_string(),
                               arp->sender_mac.to_string(), ethernet->payload().size());
        }
        return;
    }
    default:
        out += fmt::format("{} > {}, ethertype 0x{:04x}, length {}", ethernet->source().to_string(),
                           ethernet->destination().to_string(), ethernet->ethertype(), frame.size());
    }
}

void PacketPrinter::format_ipv4(std::string& out, Bytes bytes, bool cut) {
    // A packet the capture cut short is read as far as it goes, as an ICMP error's quote is.
    auto ip = cut ? wire::Ipv4View::parse_quoted(bytes) : wire::Ipv4View::parse(bytes, wire::ChecksumCheck::skip);
    if (!ip) {
        out += fmt::format("IP [malformed: {}], length {}", to_string(ip.error()), bytes.size());
        return;
    }
    out += "IP ";
    if (options_.verbose) {
        out += fmt::format("(ttl {}, id {}{}, length {}) ", ip->ttl(), ip->identification(),
                           ip->dont_fragment() ? ", DF" : "", ip->total_length());
    }
    if (!ip->header_checksum_ok()) {
        wire::ChecksumAccumulator sum;
        sum.add(ip->header().first(10));
        sum.add(ip->header().subspan(12));
        out += fmt::format("[bad IP header checksum 0x{:04x}, should be 0x{:04x}] ", ip->header_checksum(),
                           sum.checksum());
    }
    if (ip->is_fragment()) {
        out += fmt::format("{} > {}: ip-proto-{} fragment id {}, offset {}{}, length {}", ip->source().to_string(),
                           ip->destination().to_string(), ip->protocol(), ip->identification(),
                           ip->fragment_offset(), ip->more_fragments() ? ", more" : "", ip->payload().size());
        return;
    }
    switch (ip->protocol()) {
    case wire::ip_protocol::tcp: format_tcp(out, *ip, cut); return;
    case wire::ip_protocol::icmp: format_icmp(out, *ip); return;
    default:
        out += fmt::format("{} > {}: ip-proto-{}, length {}", ip->source().to_string(),
                           ip->destination().to_string(), ip->protocol(), ip->payload().size());
    }
}

void PacketPrinter::format_tcp(std::string& out, const wire::Ipv4View& ip, bool cut) {
    const Bytes segment = ip.payload();
    auto tcp = wire::TcpView::parse(segment);
    // A capture cut inside the TCP header still shows its first 20 bytes: print those, as tcpdump does.
    const bool partial = !tcp && cut && segment.size() >= wire::TcpView::min_header_size;
    if (!tcp && !partial) {
        if (cut) {
            out += fmt::format("{} > {}: [|tcp]", ip.source().to_string(), ip.destination().to_string());
        } else {
            out += fmt::format("{} > {}: TCP [malformed: {}], length {}", ip.source().to_string(),
                               ip.destination().to_string(), to_string(tcp.error()), segment.size());
        }
        return;
    }
    const std::byte* fixed = segment.data();
    const std::uint16_t source_port = wire::load_be16(fixed);
    const std::uint16_t destination_port = wire::load_be16(fixed + 2);
    const std::uint32_t raw_seq = wire::load_be32(fixed + 4);
    const std::uint32_t raw_ack = wire::load_be32(fixed + 8);
    const std::size_t header_length = (wire::load_u8(fixed + 12) >> 4) * 4u;
    const wire::TcpFlags flags{wire::load_u8(fixed + 13)};

    Endpoint source{ip.source().value(), source_port};
    Endpoint destination{ip.destination().value(), destination_port};
    bool source_is_lower = source < destination;
    Connection& connection = connections_[source_is_lower ? std::pair{source, destination} : std::pair{destination, source}];
    Side& sender = connection.sides[source_is_lower ? 0 : 1];
    Side& receiver = connection.sides[source_is_lower ? 1 : 0];

    if (flags.syn_set()) {
        if (!flags.ack_set()) receiver = Side{};  // a new connection on this four-tuple
        sender = Side{};
        sender.base = raw_seq;
        sender.syn_seen = true;
        if (tcp) {
            if (auto options = wire::TcpOptions::parse(tcp->options()); options && options->window_scale) {
                sender.window_scale = options->window_scale;
            }
        }
    }
    if (!sender.base) sender.base = raw_seq;
    if (!receiver.base && flags.ack_set()) receiver.base = raw_ack - 1;  // as if ack 1 were the first

    auto relative_seq = [&](std::uint32_t seq) { return options_.absolute ? seq : seq - *sender.base; };
    auto relative_ack = [&](std::uint32_t ack) {
        return options_.absolute || !receiver.base ? ack : ack - *receiver.base;
    };

    out += fmt::format("{}.{} > {}.{}: Flags [{}]", ip.source().to_string(), source_port,
                       ip.destination().to_string(), destination_port, flag_letters(flags));
    // The payload's length as the IP header gives it: a cut capture may hold less of it.
    const std::size_t stated = ip.total_length() - ip.header_length();
    const std::size_t length = stated > header_length ? stated - header_length : 0;
    if (length > 0 || flags.syn_set() || flags.fin_set() || flags.rst_set()) {
        std::uint32_t seq = relative_seq(raw_seq);
        if (length > 0) {
            out += fmt::format(", seq {}:{}", seq, seq + static_cast<std::uint32_t>(length));
        } else {
            out += fmt::format(", seq {}", seq);
        }
    }
    if (flags.ack_set()) out += fmt::format(", ack {}", relative_ack(raw_ack));

    // RFC 7323 section 2.2: the window of a SYN is never scaled; the others are, once both SYNs offered
    // a scale.
    std::uint32_t window = wire::load_be16(fixed + 14);
    if (!flags.syn_set() && sender.syn_seen && receiver.syn_seen && sender.window_scale && receiver.window_scale) {
        window <<= std::min<std::uint8_t>(*sender.window_scale, 14);
    }
    if (partial) {
        out += fmt::format(", win {} [|tcp]", window);
        return;
    }
    out += fmt::format(", win {}", window);
    if (flags.urg_set()) out += fmt::format(", urg {}", tcp->urgent_pointer());

    if (!tcp->options().empty()) {
        out += ", options [";
        wire::TcpOptionWalker walker{tcp->options()};
        bool first = true;
        while (auto option = walker.next()) {
            if (!first) out += ',';
            first = false;
            out += option_text(*option, relative_ack);
        }
        out += ']';
    }
    out += fmt::format(", length {}", length);
    if (cut) return;  // no checksum to check without the whole segment

    switch (tcp->checksum_status(ip.source(), ip.destination())) {
    case wire::ChecksumStatus::valid:
        if (options_.verbose) out += fmt::format(", cksum 0x{:04x} (correct)", tcp->checksum());
        break;
    case wire::ChecksumStatus::offload_pending:
        if (options_.verbose) out += fmt::format(", cksum 0x{:04x} (offload pending)", tcp->checksum());
        break;
    case wire::ChecksumStatus::bad:
        out += fmt::format(", bad cksum 0x{:04x} (should be 0x{:04x})", tcp->checksum(),
                           tcp->expected_checksum(ip.source(), ip.destination()));
        break;
    }
}

void PacketPrinter::format_icmp(std::string& out, const wire::Ipv4View& ip) {
    out += fmt::format("{} > {}: ", ip.source().to_string(), ip.destination().to_string());
    auto icmp = wire::Icmpv4View::parse(ip.payload(), wire::ChecksumCheck::skip);
    if (!icmp) {
        out += fmt::format("ICMP [malformed: {}], length {}", to_string(icmp.error()), ip.payload().size());
        return;
    }
    auto header = wire::Icmpv4Header::from(*icmp);
    switch (header.type) {
    case wire::icmp_type::echo_request:
    case wire::icmp_type::echo_reply:
        out += fmt::format("ICMP echo {}, id {}, seq {}", header.type == wire::icmp_type::echo_request ? "request" : "reply",
                           header.identifier(), header.sequence());
        break;
    case wire::icmp_type::destination_unreachable: {
        auto quoted = wire::QuotedTcp::parse(icmp->body());
        std::string what = quoted ? fmt::format("{} tcp port {}", quoted->destination.to_string(), quoted->destination_port)
                                  : std::string{"(quoted packet not TCP)"};
        switch (header.code) {
        case wire::icmp_unreachable::port: out += fmt::format("ICMP {} unreachable", what); break;
        case wire::icmp_unreachable::fragmentation_needed:
            out += fmt::format("ICMP {} unreachable - need to frag (mtu {})", what, header.next_hop_mtu());
            break;
        default: out += fmt::format("ICMP {} unreachable, code {}", what, header.code);
        }
        break;
    }
    case wire::icmp_type::time_exceeded:
        out += fmt::format("ICMP time exceeded {}", header.code == 0 ? "in-transit" : "reassembly");
        break;
    default: out += fmt::format("ICMP type {}, code {}", header.type, header.code);
    }
    out += fmt::format(", length {}", ip.payload().size());
    if (!icmp->checksum_ok()) {
        out += fmt::format(", bad cksum 0x{:04x}", icmp->checksum());
    } else if (options_.verbose) {
        out += fmt::format(", cksum 0x{:04x} (correct)", icmp->checksum());
    }
}

}  // namespace tcpp::trace
