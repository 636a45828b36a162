// Micro-benchmarks of the wire layer on one full-sized segment as Linux sends it in bulk: IPv4, TCP with the
// timestamps option (NOP, NOP, TS: 12 bytes), and 1460 bytes of payload, 1512 bytes in all. Each reports
// bytes/s over the bytes it touches, next to a memcpy of the same packet as the yardstick. The same for a
// pure ACK (no payload, 52 bytes), where the per-packet cost of the headers is all there is.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp {
namespace {

constexpr std::size_t payload_size = 1460;
constexpr wire::Ipv4Address client{10, 99, 0, 1};
constexpr wire::Ipv4Address server{10, 99, 0, 2};

// One packet in its own buffer, with the values it was built from.
struct BulkPacket {
    std::vector<std::byte> bytes;
    wire::Ipv4Header ip;
    wire::TcpSegment tcp;  // its payload is the one inside `bytes`

    explicit BulkPacket(std::size_t payload_bytes = payload_size) {
        tcp.source_port = 45672;
        tcp.destination_port = 5555;
        tcp.seq = wire::Seq{4147429300};
        tcp.ack = wire::Seq{2280628981};
        tcp.flags.bits = wire::TcpFlags::ack;
        tcp.window = 63;
        tcp.options.timestamps = wire::TcpTimestamps{19939991, 3842442160};

        ip.identification = 36647;
        ip.protocol = wire::ip_protocol::tcp;
        ip.source = client;
        ip.destination = server;
        ip.payload_length = static_cast<std::uint16_t>(tcp.header_size() + payload_bytes);

        bytes.resize(wire::Ipv4Header::size() + ip.payload_length);
        wire::MutableBytes payload = segment_bytes().subspan(tcp.header_size());
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>(i);  // as bulk_transfer
        tcp.payload = payload;
        emit();
    }
    BulkPacket(const BulkPacket&) = delete;  // tcp.payload points into bytes
    BulkPacket& operator=(const BulkPacket&) = delete;

    wire::MutableBytes segment_bytes() { return wire::MutableBytes{bytes}.subspan(wire::Ipv4Header::size()); }

    // Headers and checksums around the payload already in place: what a sender does per segment.
    void emit() {
        tcp.emit(segment_bytes(), ip.source, ip.destination);
        ip.emit(bytes);
    }
};

void set_bytes(benchmark::State& state, std::size_t per_iteration) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(per_iteration));
}

// Receive path: IPv4 header checksum, TCP checksum over pseudo-header and segment, options, fields.
void parse_and_verify(benchmark::State& state, const BulkPacket& packet) {
    wire::Bytes bytes{packet.bytes};
    if (auto ip = wire::Ipv4View::parse(bytes, wire::ChecksumCheck::verify); !ip) {
        state.SkipWithError("the IPv4 header does not parse back");
        return;
    } else if (auto tcp = wire::TcpView::parse(*ip, wire::ChecksumCheck::verify);
               !tcp || wire::TcpSegment::from(*tcp) != packet.tcp) {
        state.SkipWithError("the TCP segment does not parse back");
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(bytes.data());
        auto ip = wire::Ipv4View::parse(bytes, wire::ChecksumCheck::verify);
        auto tcp = wire::TcpView::parse(*ip, wire::ChecksumCheck::verify);
        wire::TcpSegment segment = wire::TcpSegment::from(*tcp);
        benchmark::DoNotOptimize(segment);
    }
    set_bytes(state, bytes.size());
}

void BM_ParseAndVerify1460(benchmark::State& state) { parse_and_verify(state, BulkPacket{}); }
BENCHMARK(BM_ParseAndVerify1460);

// The same for a pure ACK: the 20-byte IPv4 and 32-byte TCP headers' unrolled sums, the options recognised whole.
void BM_ParseAndVerifyAck(benchmark::State& state) { parse_and_verify(state, BulkPacket{0}); }
BENCHMARK(BM_ParseAndVerifyAck);

// The Internet checksum alone, over the TCP segment (header and payload, 1492 bytes).
void BM_Checksum1460(benchmark::State& state) {
    BulkPacket packet;
    wire::Bytes segment = packet.segment_bytes();
    for (auto _ : state) {
        benchmark::DoNotOptimize(segment.data());
        std::uint16_t checksum = wire::internet_checksum(segment);
        benchmark::DoNotOptimize(checksum);
    }
    set_bytes(state, segment.size());
}
BENCHMARK(BM_Checksum1460);

// Send path: TCP header, options and checksum, then the IPv4 header and its checksum, around a payload already
// in place (no copy).
void BM_Emit1460(benchmark::State& state) {
    BulkPacket packet;
    for (auto _ : state) {
        packet.emit();
        benchmark::ClobberMemory();
    }
    set_bytes(state, packet.bytes.size());
}
BENCHMARK(BM_Emit1460);

void BM_EmitAck(benchmark::State& state) {
    BulkPacket packet{0};
    for (auto _ : state) {
        packet.emit();
        benchmark::ClobberMemory();
    }
    set_bytes(state, packet.bytes.size());
}
BENCHMARK(BM_EmitAck);

// The yardstick: copying the same 1512 bytes once.
void BM_Memcpy1460(benchmark::State& state) {
    BulkPacket packet;
    std::vector<std::byte> copy(packet.bytes.size());
    for (auto _ : state) {
        benchmark::DoNotOptimize(packet.bytes.data());
        std::memcpy(copy.data(), packet.bytes.data(), packet.bytes.size());
        benchmark::ClobberMemory();
    }
    set_bytes(state, packet.bytes.size());
}
BENCHMARK(BM_Memcpy1460);

}  // namespace
}  // namespace tcpp

BENCHMARK_MAIN();
