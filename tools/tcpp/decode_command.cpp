#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "commands.h"
#include "pcap/pcap_file.h"
#include "trace/packet_printer.h"

namespace tcpp::tool {
namespace {

struct DecodeOptions {
    std::string path;
    trace::PrinterOptions printer;
};

int decode(const DecodeOptions& options) {
    auto reader = pcap::Reader::open(options.path);
    if (!reader) {
        fmt::print(stderr, "tcpp decode: {}\n", reader.error());
        return 1;
    }
    trace::PacketPrinter printer{reader->link_type(), options.printer};
    std::string line;
    while (auto packet = reader->next()) {
        line = printer.format(*packet);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
    }
    if (!reader->error().empty()) {
        fmt::print(stderr, "tcpp decode: {}: {}\n", options.path, reader->error());
        return 1;
    }
    return 0;
}

}  // namespace

void add_decode_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<DecodeOptions>();
    CLI::App* command = app.add_subcommand("decode", "Print each packet of a pcap capture as tcpdump would");
    command->add_option("file", options->path, "capture file (Ethernet, raw IPv4 or Linux cooked); - for stdin")
        ->required();
    command->add_flag("--absolute", options->printer.absolute, "print raw sequence numbers, not relative ones");
    command->add_flag("-v,--verbose", options->printer.verbose, "also print TTL, IP id and every checksum's status");
    command->callback([options, &exit_code] { exit_code = decode(*options); });
}

}  // namespace tcpp::tool
