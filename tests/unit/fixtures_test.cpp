// The reference captures (real Linux-to-Linux conversations) as ground truth for the codecs: every packet
// parses, its checksums are what Linux put there, and re-emitting the parsed values gives back its bytes.

#include <filesystem>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "pcap/pcap_file.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace tcpp {
namespace {

using namespace tcpp::wire;

std::vector<std::filesystem::path> fixture_captures() {
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator{TCPP_FIXTURES_DIR}) {
        if (entry.path().extension() == ".pcap") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

TEST(Fixtures, AllEightCapturesArePresent) { EXPECT_EQ(fixture_captures().size(), 8u); }

// Linux hands outgoing segments to the (virtual) NIC with the checksum field holding the folded
// pseudo-header sum only (checksum offload); a capture on the sending host sees them so. Every TCP
// checksum in the fixtures must be either valid or exactly that partial sum, never anything else.
TEST(Fixtures, EveryPacketParsesWithValidChecksumsAndReEmitsByteForByte) {
    for (const auto& path : fixture_captures()) {
        SCOPED_TRACE(path.filename().string());
        auto reader = pcap::Reader::open(path.string());
        ASSERT_TRUE(reader) << reader.error();
        ASSERT_EQ(reader->link_type(), pcap::LinkType::ethernet);
        int packets = 0, valid = 0, offload_pending = 0;
        while (auto packet = reader->next()) {
            SCOPED_TRACE("packet " + std::to_string(packets + 1));
            ++packets;
            ASSERT_EQ(packet->original_length, packet->data.size());
            auto ethernet = EthernetView::parse(packet->data);
            ASSERT_TRUE(ethernet);
            ASSERT_EQ(ethernet->ethertype(), ethertype::ipv4);
            auto ip = Ipv4View::parse(ethernet->payload(), ChecksumCheck::verify);
            ASSERT_TRUE(ip) << to_string(ip.error());
            ASSERT_EQ(ip->header_length(), 20u);
            ASSERT_EQ(ip->bytes().size(), ethernet->payload().size()) << "no link padding expected on veth";
            auto tcp = TcpView::parse(*ip, ChecksumCheck::skip);
            ASSERT_TRUE(tcp) << to_string(tcp.error());
            ChecksumStatus status = tcp->checksum_status(ip->source(), ip->destination());
            ASSERT_NE(status, ChecksumStatus::bad);
            (status == ChecksumStatus::valid ? valid : offload_pending)++;

            // Re-emit from values alone into a fresh buffer.
            std::vector<std::byte> out(packet->data.size());
            EthernetHeader::from(*ethernet).emit(out);
            Ipv4Header::from(*ip).emit(std::span{out}.subspan(EthernetHeader::size()));
            TcpSegment segment = TcpSegment::from(*tcp);
            segment.emit(std::span{out}.subspan(EthernetHeader::size() + Ipv4Header::size()), ip->source(),
                         ip->destination(),
                         status == ChecksumStatus::valid ? ChecksumMode::full : ChecksumMode::offload);
            ASSERT_TRUE(std::ranges::equal(out, packet->data));
        }
        EXPECT_TRUE(reader->error().empty()) << reader->error();
        EXPECT_GT(packets, 0);
        EXPECT_EQ(valid + offload_pending, packets);
    }
}

TEST(Fixtures, ReceivedSegmentsCarryFullChecksums) {
    // The captures were taken on the client: what the server sent arrived with a real checksum.
    auto reader = pcap::Reader::open(std::string{TCPP_FIXTURES_DIR} + "/connection_refused.pcap");
    ASSERT_TRUE(reader);
    std::vector<ChecksumStatus> statuses;
    while (auto packet = reader->next()) {
        auto ip = Ipv4View::parse(EthernetView::parse(packet->data)->payload());
        auto tcp = TcpView::parse(*ip, ChecksumCheck::skip);
        statuses.push_back(tcp->checksum_status(ip->source(), ip->destination()));
    }
    EXPECT_EQ(statuses, (std::vector{ChecksumStatus::offload_pending, ChecksumStatus::valid}));
}

TEST(PcapFile, WritesWhatItReadsInBothLinkTypes) {
    auto reader = pcap::Reader::open(std::string{TCPP_FIXTURES_DIR} + "/half_close.pcap");
    ASSERT_TRUE(reader);
    std::vector<std::pair<std::int64_t, std::vector<std::byte>>> frames;
    while (auto packet = reader->next()) frames.emplace_back(packet->time_us, std::vector(packet->data.begin(), packet->data.end()));
    ASSERT_EQ(frames.size(), 14u);

    const auto directory = std::filesystem::temp_directory_path();
    for (auto link_type : {pcap::LinkType::ethernet, pcap::LinkType::raw_ipv4}) {
        SCOPED_TRACE(std::string{to_string(link_type)});
        const auto path = (directory / ("tcpp-pcap-test-" + std::to_string(::getpid()) + "-" + std::string{to_string(link_type)} + ".pcap")).string();
        std::size_t skip = link_type == pcap::LinkType::ethernet ? 0 : EthernetHeader::size();
        {
            auto writer = pcap::Writer::create(path, link_type);
            ASSERT_TRUE(writer) << writer.error();
            for (const auto& [time, bytes] : frames) writer->write(time, std::span{bytes}.subspan(skip));
        }
        auto again = pcap::Reader::open(path);
        ASSERT_TRUE(again) << again.error();
        EXPECT_EQ(again->link_type(), link_type);
        std::size_t i = 0;
        while (auto packet = again->next()) {
            ASSERT_LT(i, frames.size());
            EXPECT_EQ(packet->time_us, frames[i].first);
            EXPECT_TRUE(std::ranges::equal(packet->data, std::span{frames[i].second}.subspan(skip)));
            ++i;
        }
        EXPECT_EQ(i, frames.size());
        std::filesystem::remove(path);
    }
}

TEST(PcapFile, OpenNamesTheProblem) {
    auto missing = pcap::Reader::open("/nonexistent/capture.pcap");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
    auto unwritable = pcap::Writer::create("/nonexistent/capture.pcap", pcap::LinkType::raw_ipv4);
    EXPECT_FALSE(unwritable);
}

}  // namespace
}  // namespace tcpp
