// Fuzzes the TCP engine as a hostile peer would: a stack (fixed secret, so runs repeat) accepts a connection
// from the fuzzer, which then sends whatever segments the input describes — any flags, sequence and
// acknowledgment numbers near the connection's or anywhere, windows, SACK blocks (sane or absurd),
// timestamps, payloads — while time passes and the user reads, writes, shuts down, closes, aborts and
// changes options. Beside the sanitizers' checks: every packet the stack sends is well formed with a valid
// checksum, and the user never reads a byte the peer did not send at that place in the stream.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <cstdio>
#include <cstdlib>

#include "fuzz_check.h"
#include "tcpp/stack.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp::fuzz {
namespace {

using wire::Seq;
using wire::TcpFlags;

constexpr Ipv4Address ours{10, 0, 0, 2};
constexpr Ipv4Address peer{10, 0, 0, 1};
constexpr std::uint16_t our_port = 80;
constexpr std::uint16_t peer_port = 40000;
constexpr std::uint32_t peer_iss = 1000;

// The input, read byte by byte; zeros once it runs out.
class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const { return at_ >= size_; }
    std::uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(u16()) << 16 | u16(); }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// Byte i of the peer's stream: what a correct reader must see at offset i. Offsets are taken modulo 2^32,
// as sequence numbers are: a segment that starts before the stream (over the SYN) still maps its bytes.
std::byte peer_byte(std::uint32_t offset) { return static_cast<std::byte>((std::uint64_t{offset} * 131 + 17) % 251); }

// TCPP_FUZZ_VERBOSE=1 prints every segment both ways and every read, to study an input that failed.
const bool verbose = std::getenv("TCPP_FUZZ_VERBOSE") != nullptr;

struct Harness {
    Stack stack{[] {
        StackConfig config{.address = ours, .name = "fuzzed"};
        config.secret = tcp::SipKey{1, 2};
        return config;
    }()};
    std::uint64_t now = 1'000'000;
    std::uint32_t iss = 0;        // the stack's, from its SYN,ACK
    std::uint32_t stack_max = 0;  // the highest sequence number the stack has sent, + 1
    std::vector<std::byte> packet = std::vector<std::byte>(2048);

    // Drains what the stack sent: each must parse, with valid checksums, and come from our four-tuple.
    void drain() {
        while (auto out = stack.next_output()) {
            auto ip = wire::Ipv4View::parse(*out);
            check(ip.has_value(), "the stack's packet parses as IPv4");
            auto tcp = wire::TcpView::parse(ip->payload());
            check(tcp.has_value(), "the stack's packet parses as TCP");
            check(tcp->checksum_status(ip->source(), ip->destination()) == wire::ChecksumStatus::valid,
                  "the stack's TCP checksum is valid");
            check(ip->source() == ours && ip->destination() == peer, "the stack sends from us to the peer");
            if (verbose) {
                std::fprintf(stderr, "  out: flags %02x seq %u ack +%u win %u len %zu sack %u\n", tcp->flags().bits,
                             tcp->seq().raw() - iss, tcp->ack().raw() - (peer_iss + 1), tcp->window(),
                             tcp->payload().size(), wire::TcpSegment::from(*tcp).options.sack_block_count);
            }
            if (tcp->flags().syn_set() && tcp->flags().ack_set() && iss == 0) iss = tcp->seq().raw();
            const Seq end = tcp->seq() + tcp->sequence_length();
            if (iss != 0 && Seq{stack_max} < end) stack_max = end.raw();
        }
    }

    void send(wire::TcpSegment& segment) {
        segment.source_port = peer_port;
        segment.destination_port = our_port;
        const std::size_t tcp_size = segment.size();
        wire::Ipv4Header ip;
        ip.protocol = wire::ip_protocol::tcp;
        ip.source = peer;
        ip.destination = ours;
        ip.payload_length = static_cast<std::uint16_t>(tcp_size);
        const std::size_t total = wire::Ipv4Header::size() + tcp_size;
        ip.emit(packet);
        segment.emit(wire::MutableBytes{packet}.subspan(wire::Ipv4Header::size(), tcp_size), peer, ours);
        if (verbose) {
            std::fprintf(stderr, "in: t %llu flags %02x seq +%d ack %u win %u len %zu\n",
                         static_cast<unsigned long long>(now), segment.flags.bits,
                         static_cast<int>(segment.seq.raw() - (peer_iss + 1)), segment.ack.raw() - iss, segment.window,
                         segment.payload.size());
        }
        stack.receive(wire::Bytes{packet}.first(total), now);
        drain();
    }

    void advance(std::uint64_t us) {
        now += us;
        stack.poll(now);
        drain();
    }
};

void run(Input& in) {
    Harness h;
    auto listener = h.stack.listen({{}, our_port}, 4);
    check(listener.has_value(), "listen");

    // The handshake, with the options the input chooses.
    const std::uint8_t choice = in.u8();
    wire::TcpSegment syn;
    syn.seq = Seq{peer_iss};
    syn.flags.bits = TcpFlags::syn;
    syn.window = 65535;
    syn.options.mss = static_cast<std::uint16_t>(536 + (in.u8() << 2));
    if (choice & 1) syn.options.sack_permitted = true;
    if (choice & 2) syn.options.timestamps = wire::TcpTimestamps{100, 0};
    if (choice & 4) syn.options.window_scale = static_cast<std::uint8_t>(in.u8() % 16);
    h.send(syn);
    if (h.iss == 0) return;
    wire::TcpSegment ack;
    ack.seq = Seq{peer_iss + 1};
    ack.ack = Seq{h.iss + 1};
    ack.flags.bits = TcpFlags::ack;
    ack.window = 65535;
    if (choice & 2) ack.options.timestamps = wire::TcpTimestamps{101, 0};
    h.send(ack);
    auto accepted = listener->accept();
    if (!accepted) return;
    Connection connection = *accepted;
    if (choice & 8) {
        tcp::ConnectionOptions options = connection.options();
        options.nodelay = true;
        options.keepalive = true;
        options.keepalive_idle_us = 1'000'000;
        options.keepalive_interval_us = 100'000;
        options.keepalive_probes = 2;
        (void)connection.set_options(options);
    }

    std::uint32_t peer_next = peer_iss + 1;  // where the peer's stream continues (its next new byte)
    std::uint64_t read_offset = 0;           // the user has read this much of the peer's stream
    std::uint32_t ts = 200;
    std::array<std::byte, 1500> payload{};
    std::array<std::byte, 4096> buffer{};
    std::vector<std::byte> to_send(8192, std::byte{'s'});

    for (int step = 0; step < 400 && !in.done(); ++step) {
        const std::uint8_t op = in.u8();
        switch (op % 8) {
        case 0:
        case 1:
        case 2:
        case 3: {  // a segment
            wire::TcpSegment s;
            const std::uint8_t flags = in.u8();
            s.flags.bits = static_cast<std::uint8_t>(flags & 0x3f);
            if (op & 0x10) s.flags.bits |= TcpFlags::ack;
            // Sequence: the peer's next byte plus a small signed offset, or anything.
            const auto seq_offset = static_cast<std::int16_t>(in.u16());
            s.seq = (op & 0x20) ? Seq{in.u32()} : Seq{peer_next} + static_cast<std::uint32_t>(std::int32_t{seq_offset});
            // Acknowledgment: near what the stack has sent, or anything.
            const auto ack_offset = static_cast<std::int16_t>(in.u16());
            s.ack = (op & 0x40) ? Seq{in.u32()} : Seq{h.stack_max} + static_cast<std::uint32_t>(std::int32_t{ack_offset});
            s.window = in.u16();
            s.urgent_pointer = (flags & TcpFlags::urg) ? in.u16() : 0;
            if (op & 0x80) s.options.timestamps = wire::TcpTimestamps{ts += in.u8(), in.u32()};
            const std::uint8_t blocks = in.u8() % 5;
            for (std::uint8_t b = 0; b < blocks; ++b) {
                const Seq left = Seq{h.stack_max} - static_cast<std::uint32_t>(in.u16());
                s.options.add_sack_block({left, left + static_cast<std::uint32_t>(in.u16() % 8000)});
            }
            const std::size_t length = std::min<std::size_t>(in.u16() % 1501, payload.size());
            // The payload is the peer's stream at the place the segment claims, so any byte the user reads
            // can be checked against it (a segment far off wraps; it must not be accepted then).
            const std::uint32_t stream_offset = static_cast<std::uint32_t>(s.seq - Seq{peer_iss + 1});
            for (std::size_t i = 0; i < length; ++i) payload[i] = peer_byte(stream_offset + static_cast<std::uint32_t>(i));
            s.payload = wire::Bytes{payload}.first(length);
            if (s.options.size() + wire::TcpView::min_header_size > 60) s.options.sack_block_count = 0;
            h.send(s);
            // The peer's next byte moves on if this segment continued it.
            if (s.seq == Seq{peer_next}) peer_next += static_cast<std::uint32_t>(length);
            break;
        }
        case 4: h.advance(std::uint64_t{in.u16()} * (op & 0x10 ? 1000 : 10)); break;
        case 5: {  // the user reads, and checks every byte
            auto n = connection.receive(buffer);
            if (verbose && n) std::fprintf(stderr, "read %zu at %llu\n", *n, static_cast<unsigned long long>(read_offset));
            if (n && *n > 0) {
                for (std::size_t i = 0; i < *n; ++i) {
                    check(buffer[i] == peer_byte(static_cast<std::uint32_t>(read_offset + i)),
                          "the user reads the peer's stream in order");
                }
                read_offset += *n;
            }
            h.drain();
            break;
        }
        case 6: {  // the user writes
            const std::size_t n = std::min<std::size_t>(to_send.size(), 1 + in.u16() % 8192);
            (void)connection.send(wire::Bytes{to_send}.first(n));
            h.drain();
            break;
        }
        case 7:  // the user ends, one way or another
            switch (in.u8() % 6) {
            case 0: (void)connection.shutdown(); break;
            case 1: connection.close(); break;
            case 2: connection.abort(); break;
            case 3: (void)connection.set_linger({.on = true, .timeout_us = 0}); break;
            case 4: (void)connection.set_linger({.on = true, .timeout_us = 2'000'000}); break;
            default: (void)connection.info(); break;
            }
            h.drain();
            break;
        }
    }
    // Let every timer run out: TIME_WAIT, retransmissions, probes.
    for (int i = 0; i < 64; ++i) {
        auto next = h.stack.next_deadline();
        if (!next) break;
        h.advance(*next > h.now ? *next - h.now : 1);
    }
}

}  // namespace
}  // namespace tcpp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tcpp::fuzz::Input in{data, size};
    tcpp::fuzz::run(in);
    return 0;
}
