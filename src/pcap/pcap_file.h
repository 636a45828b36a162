#pragma once
// pcap capture files, read and written through libpcap. Link types: Ethernet, raw IPv4 (LINKTYPE_RAW or
// LINKTYPE_IPV4), and, for reading only, Linux cooked captures (tcpdump -i any).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/expected.h"
#include "wire/bytes.h"

struct pcap;
struct pcap_dumper;

namespace tcpp::pcap {

enum class LinkType : std::uint8_t { ethernet, raw_ipv4, linux_cooked };

std::string_view to_string(LinkType type);

struct Packet {
    std::int64_t time_us = 0;             // since the Unix epoch
    wire::Bytes data;                     // the captured bytes, valid until the next read
    std::uint32_t original_length = 0;    // on the wire; more than data.size() when the capture cut it short
};

class Reader {
public:
    // Opens a capture; "-" reads standard input. The error is libpcap's message or names the link type
    // that tcpp cannot read.
    static Expected<Reader, std::string> open(const std::string& path);

    LinkType link_type() const { return link_type_; }
    // The next packet, or nothing at the end of the file or on a read error (then error() says which).
    std::optional<Packet> next();
    const std::string& error() const { return error_; }

private:
    struct Close {
        void operator()(::pcap* handle) const;
    };
    Reader(std::unique_ptr<::pcap, Close> handle, LinkType link_type);

    std::unique_ptr<::pcap, Close> handle_;
    LinkType link_type_;
    std::string error_;
};

class Writer {
public:
    // Creates (or truncates) a capture; "-" writes to standard output.
    static Expected<Writer, std::string> create(const std::string& path, LinkType link_type);

    // original_length: the packet's length on the wire, when the capture holds less of it.
    void write(std::int64_t time_us, wire::Bytes packet, std::uint32_t original_length = 0);
    void flush();

private:
    struct Close {
        void operator()(::pcap* handle) const;
        void operator()(::pcap_dumper* dumper) const;
    };
    Writer(std::unique_ptr<::pcap, Close> handle, std::unique_ptr<::pcap_dumper, Close> dumper);

    std::unique_ptr<::pcap, Close> handle_;
    std::unique_ptr<::pcap_dumper, Close> dumper_;
};

}  // namespace tcpp::pcap
