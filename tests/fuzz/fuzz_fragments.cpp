// Fuzzes IPv4 fragment reassembly with whatever fragments the input describes, 7 bytes each: which datagram
// (identification, protocol, source), the offset, the length, MF, the time that passes before it, whether the
// first fragment carries options and whether its data is changed. The data of a fragment is otherwise a
// function of its datagram and place, so that a datagram reassembled from unchanged fragments can be checked
// byte for byte. Each fragment goes both to a FragmentReassembly with a small budget (64 KiB, 8 datagrams,
// 1 s), whose bounds and counters are checked after every step, and to a Stack, whose every output (echo
// replies in fragments, time exceeded) must be well formed.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_check.h"
#include "ip/fragment_reassembly.h"
#include "tcpp/stack.h"
#include "wire/checksum.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

namespace tcpp::fuzz {
namespace {

constexpr Ipv4Address ours{10, 0, 0, 2};
constexpr std::size_t spec_size = 7;
constexpr ip::ReassemblyConfig small{
    .high_threshold = 64 * 1024, .low_threshold = 48 * 1024, .max_datagrams = 8, .timeout_us = 1'000'000};

std::byte data_at(std::uint16_t identification, std::uint8_t protocol, std::size_t position) {
    return static_cast<std::byte>(position * 131 + identification * 7 + protocol);
}

struct Spec {
    std::uint16_t identification;
    std::uint8_t protocol;
    Ipv4Address source;
    bool options;
    bool changed;
    std::size_t offset;
    std::size_t length;
    bool more_fragments;
    std::uint64_t wait_us;
};

Spec spec(const std::uint8_t* b) {
    Spec s{};
    s.identification = b[0] & 3;
    s.protocol = (b[0] & 4) != 0 ? wire::ip_protocol::icmp : wire::ip_protocol::udp;
    s.source = (b[0] & 8) != 0 ? Ipv4Address{10, 0, 0, 3} : Ipv4Address{10, 0, 0, 1};
    s.options = (b[0] & 16) != 0;
    s.changed = (b[0] & 32) != 0;
    s.offset = ((std::size_t{b[1]} << 8 | b[2]) & 0x1fff) * 8;
    s.length = (std::size_t{b[3]} << 8 | b[4]) % 3000;
    s.more_fragments = (b[5] & 1) != 0;
    s.wait_us = std::uint64_t{b[5]} / 2 * 50'000 + b[6];
    return s;
}

std::vector<std::byte> build(const Spec& s) {
    const bool options = s.options && s.offset == 0;
    const std::size_t header_length = options ? 24 : 20;
    std::vector<std::byte> packet(header_length + s.length);
    wire::Ipv4Header header;
    header.identification = s.identification;
    header.dont_fragment = false;
    header.more_fragments = s.more_fragments;
    header.fragment_offset = static_cast<std::uint16_t>(s.offset);
    header.protocol = s.protocol;
    header.source = s.source;
    header.destination = ours;
    header.payload_length = static_cast<std::uint16_t>(s.length);
    header.emit(packet);
    if (options) {
        std::fill_n(packet.begin() + 20, 4, std::byte{1});  // NOPs
        packet[0] = std::byte{0x46};
        wire::store_be16(packet.data() + 2, static_cast<std::uint16_t>(packet.size()));
        wire::store_be16(packet.data() + 10, 0);
        wire::store_be16(packet.data() + 10, wire::internet_checksum(wire::Bytes{packet}.first(24)));
    }
    for (std::size_t i = 0; i < s.length; ++i) {
        packet[header_length + i] = data_at(s.identification, s.protocol, s.offset + i);
    }
    if (s.changed && s.length > 0) packet[header_length] ^= std::byte{0x5a};
    return packet;
}

void check_whole(wire::Bytes whole, const Spec& s, bool any_changed) {
    auto ip = wire::Ipv4View::parse(whole, wire::ChecksumCheck::verify);
    check(ip.has_value(), "a reassembled datagram parses, its header checksum right");
    check(ip->bytes().size() == whole.size(), "... and is its total length");
    check(!ip->is_fragment(), "... and is no fragment");
    check(ip->identification() == s.identification && ip->protocol() == s.protocol && ip->source() == s.source,
          "... of the datagram the last fragment belonged to");
    if (any_changed) return;
    const wire::Bytes data = ip->payload();
    for (std::size_t i = 0; i < data.size(); ++i) {
        check(data[i] == data_at(s.identification, s.protocol, i), "... holding each byte at its place");
    }
}

void check_output(Stack& stack) {
    while (auto packet = stack.next_output()) {
        check(packet->size() <= stack.config().mtu, "the stack sends nothing longer than the MTU");
        auto ip = wire::Ipv4View::parse(*packet, wire::ChecksumCheck::verify);
        check(ip.has_value(), "what the stack sends parses, its header checksum right");
        check(ip->protocol() == wire::ip_protocol::icmp, "... and is ICMP (an echo reply or a time exceeded)");
        if (ip->is_fragment()) {
            check(!ip->dont_fragment(), "a fragment we send has DF clear");
            check(!ip->more_fragments() || ip->payload().size() % 8 == 0, "... and whole 8-byte units");
            continue;
        }
        auto icmp = wire::Icmpv4View::parse(ip->payload(), wire::ChecksumCheck::verify);
        check(icmp.has_value(), "an ICMP message we send parses, its checksum right");
        if (icmp->type() == wire::icmp_type::time_exceeded) {
            check(icmp->code() == 1, "time exceeded for reassembly is code 1");
            auto quoted = wire::Ipv4View::parse_quoted(icmp->body());
            check(quoted.has_value() && quoted->fragment_offset() == 0, "... quoting a first fragment");
            check(quoted->payload().size() == 8, "... its header and 8 bytes of data");
        } else {
            check(icmp->type() == wire::icmp_type::echo_reply, "otherwise an echo reply");
        }
    }
}

void run(const std::uint8_t* data, std::size_t size) {
    tcp::Counters counters;
    ip::FragmentReassembly reassembly{small, counters, {3, 4}};
    StackConfig config{.address = ours, .name = "fuzz", .secret = tcp::SipKey{1, 2}};
    config.reassembly = small;
    Stack stack{config};

    std::uint64_t now = 0;
    bool any_changed = false;
    for (std::size_t at = 0; at + spec_size <= size; at += spec_size) {
        const Spec s = spec(data + at);
        any_changed = any_changed || s.changed;
        now += s.wait_us;
        reassembly.expire(now, [&](wire::Bytes quote) {
            auto quoted = wire::Ipv4View::parse_quoted(quote);
            check(quoted.has_value() && quoted->fragment_offset() == 0, "a quote is a first fragment's header");
            check(quoted->payload().size() == 8, "... and its first 8 bytes of data");
        });
        if (auto next = reassembly.next_deadline()) check(*next > now, "nothing due is left after expire()");

        const std::vector<std::byte> packet = build(s);
        auto view = wire::Ipv4View::parse(packet);
        check(view.has_value(), "the fragment built parses");
        if (auto whole = reassembly.add(*view, now)) check_whole(*whole, s, any_changed);
        check(reassembly.memory_bytes() <= small.high_threshold, "held memory stays within the budget");
        check(reassembly.datagrams_in_progress() <= small.max_datagrams, "at most max_datagrams in progress");
        check(counters.ReasmOKs + counters.ReasmFails + reassembly.datagrams_in_progress() <= counters.ReasmReqds,
              "each datagram ends once, and came from at least one fragment");
        check(counters.ReasmOverlaps <= counters.ReasmFails, "an overlap is a failure");
        check(counters.ReasmTimeout <= counters.ReasmFails, "a timeout is a failure");

        stack.receive(packet, now);
        check_output(stack);
    }
    now += 2'000'000;
    reassembly.expire(now, [](wire::Bytes) {});
    check(reassembly.datagrams_in_progress() == 0 && reassembly.memory_bytes() == 0,
          "after the timeout, nothing is held");
    stack.poll(now);
    check_output(stack);
    check(!stack.next_deadline(), "the stack waits for nothing once every datagram timed out");
}

}  // namespace
}  // namespace tcpp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tcpp::fuzz::run(data, size);
    return 0;
}
