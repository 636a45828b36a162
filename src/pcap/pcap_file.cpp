#include "pcap/pcap_file.h"

#include <algorithm>

#include <pcap/pcap.h>

namespace tcpp::pcap {
namespace {

constexpr int snapshot_length = 262144;
constexpr int dlt_ipv4 = 228;  // LINKTYPE_IPV4; not named by every libpcap

std::optional<LinkType> link_type_of(int dlt) {
    switch (dlt) {
    case DLT_EN10MB: return LinkType::ethernet;
    case DLT_RAW:
    case dlt_ipv4: return LinkType::raw_ipv4;
    case DLT_LINUX_SLL: return LinkType::linux_cooked;
    default: return std::nullopt;
    }
}

}  // namespace

std::string_view to_string(LinkType type) {
    switch (type) {
    case LinkType::ethernet: return "ethernet";
    case LinkType::raw_ipv4: return "raw-ipv4";
    case LinkType::linux_cooked: return "linux-cooked";
    }
    return "unknown";
}

void Reader::Close::operator()(::pcap* handle) const { pcap_close(handle); }
void Writer::Close::operator()(::pcap* handle) const { pcap_close(handle); }
void Writer::Close::operator()(::pcap_dumper* dumper) const { pcap_dump_close(dumper); }

Reader::Reader(std::unique_ptr<::pcap, Close> handle, LinkType link_type)
    : handle_(std::move(handle)), link_type_(link_type) {}

Expected<Reader, std::string> Reader::open(const std::string& path) {
    char error[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<::pcap, Close> handle{
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, error)};
    if (!handle) return Unexpected{std::string{error}};
    int dlt = pcap_datalink(handle.get());
    auto link_type = link_type_of(dlt);
    if (!link_type) {
        const char* name = pcap_datalink_val_to_name(dlt);
        return Unexpected{std::string{"unsupported link type "} + (name ? name : std::to_string(dlt)) +
                          " (tcpp reads Ethernet, raw IPv4 and Linux cooked captures)"};
    }
    return Reader{std::move(handle), *link_type};
}

std::optional<Packet> Reader::next() {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int result = pcap_next_ex(handle_.get(), &header, &data);
    if (result == 1) {
        return Packet{std::int64_t{header->ts.tv_sec} * 1'000'000 + header->ts.tv_usec,
                      wire::as_bytes(data, header->caplen), header->len};
    }
    if (result == PCAP_ERROR) error_ = pcap_geterr(handle_.get());
    return std::nullopt;
}

Writer::Writer(std::unique_ptr<::pcap, Close> handle, std::unique_ptr<::pcap_dumper, Close> dumper)
    : handle_(std::move(handle)), dumper_(std::move(dumper)) {}

Expected<Writer, std::string> Writer::create(const std::string& path, LinkType link_type) {
    if (link_type == LinkType::linux_cooked) return Unexpected{std::string{"tcpp writes no Linux cooked captures"}};
    int dlt = link_type == LinkType::ethernet ? DLT_EN10MB : DLT_RAW;
    std::unique_ptr<::pcap, Close> handle{
        pcap_open_dead_with_tstamp_precision(dlt, snapshot_length, PCAP_TSTAMP_PRECISION_MICRO)};
    if (!handle) return Unexpected{std::string{"libpcap could not make a capture handle"}};
    std::unique_ptr<::pcap_dumper, Close> dumper{pcap_dump_open(handle.get(), path.c_str())};
    if (!dumper) return Unexpected{std::string{pcap_geterr(handle.get())}};
    return Writer{std::move(handle), std::move(dumper)};
}

void Writer::write(std::int64_t time_us, wire::Bytes packet, std::uint32_t original_length) {
    pcap_pkthdr header{};
    header.ts.tv_sec = time_us / 1'000'000;
    header.ts.tv_usec = time_us % 1'000'000;
    header.caplen = static_cast<bpf_u_int32>(packet.size());
    header.len = std::max(original_length, static_cast<bpf_u_int32>(packet.size()));
    pcap_dump(reinterpret_cast<u_char*>(dumper_.get()), &header, reinterpret_cast<const u_char*>(packet.data()));
}

void Writer::flush() { pcap_dump_flush(dumper_.get()); }

}  // namespace tcpp::pcap
