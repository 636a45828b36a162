// `tcpp decode`: the tool run as a user runs it, its whole output compared with text written by hand from
// the capture (tcpdump -nn shows the same packets with absolute numbers and unscaled windows).

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcap/pcap_file.h"
#include "tool_run.h"
#include "trace/packet_printer.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp {
namespace {

std::string fixture(const std::string& name) { return std::string{TCPP_FIXTURES_DIR} + "/" + name; }

TEST(Decode, ClientClosesFirst_PrintsElevenPacketsRelativeAndScaled) {
    // Windows: both SYNs offer wscale 10, so after the handshake the client's 63 is 64512 and the
    // server's 64 is 65536. The SYN windows are never scaled.
    const std::string expected =
        "00:36:21.180453 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [S], seq 0, win 64240, "
        "options [mss 1460,sackOK,TS val 4217198432 ecr 0,nop,wscale 10], length 0\n"
        "00:36:21.180482 IP 10.99.0.2.5555 > 10.99.0.1.42216: Flags [S.], seq 0, ack 1, win 65160, "
        "options [mss 1460,sackOK,TS val 3637647190 ecr 4217198432,nop,wscale 10], length 0\n"
        "00:36:21.180498 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [.], ack 1, win 64512, "
        "options [nop,nop,TS val 4217198432 ecr 3637647190], length 0\n"
        "00:36:21.180576 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [P.], seq 1:6, ack 1, win 64512, "
        "options [nop,nop,TS val 4217198432 ecr 3637647190], length 5\n"
        "00:36:21.180584 IP 10.99.0.2.5555 > 10.99.0.1.42216: Flags [.], ack 6, win 65536, "
        "options [nop,nop,TS val 3637647190 ecr 4217198432], length 0\n"
        "00:36:21.180684 IP 10.99.0.2.5555 > 10.99.0.1.42216: Flags [P.], seq 1:6, ack 6, win 65536, "
        "options [nop,nop,TS val 3637647190 ecr 4217198432], length 5\n"
        "00:36:21.180704 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [.], ack 6, win 64512, "
        "options [nop,nop,TS val 4217198432 ecr 3637647190], length 0\n"
        "00:36:21.230919 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [F.], seq 6, ack 6, win 64512, "
        "options [nop,nop,TS val 4217198482 ecr 3637647190], length 0\n"
        "00:36:21.271344 IP 10.99.0.2.5555 > 10.99.0.1.42216: Flags [.], ack 7, win 65536, "
        "options [nop,nop,TS val 3637647281 ecr 4217198482], length 0\n"
        "00:36:21.281233 IP 10.99.0.2.5555 > 10.99.0.1.42216: Flags [F.], seq 6, ack 7, win 65536, "
        "options [nop,nop,TS val 3637647290 ecr 4217198482], length 0\n"
        "00:36:21.281272 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [.], ack 7, win 64512, "
        "options [nop,nop,TS val 4217198533 ecr 3637647290], length 0\n";
    ToolRun run = run_tool("decode " + fixture("client_closes_first.pcap"));
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.output, expected);
}

TEST(Decode, Absolute_PrintsRawSequenceNumbers) {
    ToolRun run = run_tool("decode --absolute " + fixture("client_closes_first.pcap"));
    ASSERT_EQ(run.exit_code, 0);
    EXPECT_NE(run.output.find("Flags [S.], seq 4291956215, ack 3875377048, win 65160"), std::string::npos);
    EXPECT_NE(run.output.find("Flags [F.], seq 3875377053, ack 4291956221, win 64512"), std::string::npos);
}

TEST(Decode, ConnectionRefused_ShowsRstWithAck) {
    ToolRun run = run_tool("decode " + fixture("connection_refused.pcap"));
    ASSERT_EQ(run.exit_code, 0);
    EXPECT_NE(run.output.find("10.99.0.2.5555 > 10.99.0.1.45670: Flags [R.], seq 0, ack 1, win 0, length 0\n"),
              std::string::npos)
        << run.output;
}

TEST(Decode, Verbose_ShowsChecksumStatus) {
    ToolRun run = run_tool("decode -v " + fixture("connection_refused.pcap"));
    ASSERT_EQ(run.exit_code, 0);
    EXPECT_NE(run.output.find("cksum 0x14f7 (offload pending)"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("cksum 0xd495 (correct)"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("(ttl 64, id 38935, DF, length 60)"), std::string::npos) << run.output;
}

// A capture taken with a small snap length: the headers that are there are printed, and what is cut is said.
TEST(Decode, CutCapture_PrintsWhatItHoldsAndSaysWhatWasCut) {
    auto reader = pcap::Reader::open(fixture("client_closes_first.pcap"));
    ASSERT_TRUE(reader);
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("tcpp-cut-" + std::to_string(::getpid()) + ".pcap")).string();
    {
        auto writer = pcap::Writer::create(path, pcap::LinkType::ethernet);
        ASSERT_TRUE(writer);
        while (auto packet = reader->next()) {
            writer->write(packet->time_us, packet->data.first(std::min<std::size_t>(packet->data.size(), 68)),
                          static_cast<std::uint32_t>(packet->data.size()));
        }
    }
    ToolRun run = run_tool("decode " + path);
    std::filesystem::remove(path);
    ASSERT_EQ(run.exit_code, 0);
    // The SYN's options are cut: tcpdump's [|tcp]. The data segment keeps its header: all but the bytes.
    EXPECT_NE(run.output.find("00:36:21.180453 IP 10.99.0.1.42216 > 10.99.0.2.5555: Flags [S], seq 0, win 64240 [|tcp] "
                              "[capture cut 68 of 74 bytes]\n"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("Flags [P.], seq 1:6, ack 1, win 63, options [nop,nop,TS val 4217198432 ecr "
                              "3637647190], length 5 [capture cut 68 of 71 bytes]\n"),
              std::string::npos)
        << run.output;
}

TEST(Decode, MissingFile_IsAOneLineErrorAndNonZeroExit) {
    ToolRun run = run_tool("decode /nonexistent.pcap");
    EXPECT_NE(run.exit_code, 0);
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
    EXPECT_EQ(run.output.rfind("tcpp decode: ", 0), 0u) << run.output;
}

TEST(Decode, UnknownOption_IsRejected) {
    ToolRun run = run_tool("decode --frobnicate " + fixture("client_closes_first.pcap"));
    EXPECT_NE(run.exit_code, 0);
}

// Packets built here, written to a raw-IPv4 capture, then printed: errors must show, not vanish.
class DecodeBuiltPackets : public ::testing::Test {
protected:
    static constexpr wire::Ipv4Address client{10, 0, 0, 1};
    static constexpr wire::Ipv4Address server{10, 0, 0, 2};

    std::vector<std::byte> tcp_packet(const wire::TcpSegment& segment) {
        return wire::ipv4_tcp_packet(segment, client, server);
    }

    std::string print(const std::vector<std::byte>& packet) {
        trace::PacketPrinter printer{pcap::LinkType::raw_ipv4};
        return printer.format(pcap::Packet{1'000'000, packet, static_cast<std::uint32_t>(packet.size())});
    }
};

TEST_F(DecodeBuiltPackets, BadTcpChecksum_IsShownWithTheRightValue) {
    wire::TcpSegment syn;
    syn.source_port = 40000;
    syn.destination_port = 80;
    syn.seq = wire::Seq{1000};
    syn.flags.bits = wire::TcpFlags::syn;
    syn.window = 65535;
    auto packet = tcp_packet(syn);
    auto good = wire::load_be16(packet.data() + 20 + 16);
    packet[20 + 16] ^= std::byte{0x01};
    std::string line = print(packet);
    EXPECT_EQ(line, fmt::format("00:00:01.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 0, win 65535, "
                                "length 0, bad cksum 0x{:04x} (should be 0x{:04x})",
                                good ^ 0x0100, good));
}

TEST_F(DecodeBuiltPackets, BadIpHeaderChecksum_IsShown) {
    wire::TcpSegment ack;
    ack.source_port = 1;
    ack.destination_port = 2;
    ack.flags.bits = wire::TcpFlags::ack;
    auto packet = tcp_packet(ack);
    auto good = wire::load_be16(packet.data() + 10);
    packet[10] ^= std::byte{0x80};
    EXPECT_NE(print(packet).find(fmt::format("[bad IP header checksum 0x{:04x}, should be 0x{:04x}]",
                                             good ^ 0x8000, good)),
              std::string::npos);
}

TEST_F(DecodeBuiltPackets, MalformedTcp_NamesTheError) {
    wire::TcpSegment ack;
    ack.flags.bits = wire::TcpFlags::ack;
    auto packet = tcp_packet(ack);
    packet[20 + 12] = std::byte{0x40};  // data offset 4
    EXPECT_EQ(print(packet), "00:00:01.000000 IP 10.0.0.1 > 10.0.0.2: TCP [malformed: bad data offset], length 20");
}

TEST_F(DecodeBuiltPackets, MalformedIp_NamesTheError) {
    std::vector<std::byte> packet(12, std::byte{0x45});
    EXPECT_EQ(print(packet), "00:00:01.000000 IP [malformed: truncated], length 12");
    packet.assign(20, std::byte{0});
    packet[0] = std::byte{0x65};
    EXPECT_EQ(print(packet), "00:00:01.000000 IP [malformed: bad version], length 20");
}

TEST_F(DecodeBuiltPackets, OptionLengthZero_IsMalformed) {
    wire::TcpSegment syn;
    syn.flags.bits = wire::TcpFlags::syn;
    syn.options.mss = 1460;
    auto packet = tcp_packet(syn);
    packet[20 + 21] = std::byte{0};  // the MSS option's length byte
    EXPECT_NE(print(packet).find("TCP [malformed: bad option length]"), std::string::npos);
}

TEST_F(DecodeBuiltPackets, IcmpFragmentationNeeded_NamesPortAndMtu) {
    wire::TcpSegment quoted;
    quoted.source_port = 40000;
    quoted.destination_port = 80;
    quoted.flags.bits = wire::TcpFlags::ack;
    auto original = tcp_packet(quoted);
    std::vector<std::byte> body(original.begin(), original.begin() + 28);  // IP header + 8 bytes of TCP
    std::vector<std::byte> packet(20 + 8 + body.size());
    wire::Ipv4Header ip;
    ip.protocol = wire::ip_protocol::icmp;
    ip.source = server;
    ip.destination = client;
    ip.payload_length = static_cast<std::uint16_t>(8 + body.size());
    ip.emit(packet);
    wire::Icmpv4Header::destination_unreachable(wire::icmp_unreachable::fragmentation_needed, 1400)
        .emit(std::span{packet}.subspan(20), body);
    EXPECT_EQ(print(packet), "00:00:01.000000 IP 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 tcp port 80 unreachable - need to "
                             "frag (mtu 1400), length 36");
}

}  // namespace
}  // namespace tcpp
