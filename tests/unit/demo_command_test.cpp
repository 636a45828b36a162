// `tcpp demo` as a user runs it: the diagram and closing lines, the trace and pcap files, and a one-line
// error with a non-zero exit for every kind of bad input.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "pcap/pcap_file.h"
#include "tool_run.h"

namespace tcpp {
namespace {

int lines_in(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

TEST(DemoCommand, DefaultScenario_DrawsTheDiagramAndClosingLines) {
    ToolRun run = run_tool("demo");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("|--SYN seq=0 len=0---"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("--SYN,ACK seq=0 ack=1 len=0--|"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("TIME_WAIT"), std::string::npos);
    EXPECT_NE(run.output.find("client: CLOSED after TIME_WAIT 60.000 s; received \"pong\"\n"), std::string::npos);
    EXPECT_NE(run.output.find("server: CLOSED; received \"ping\"\n"), std::string::npos);
}

TEST(DemoCommand, LostSegmentsAreMarked) {
    ToolRun run = run_tool("demo --scenario syn-lost");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), 'X'), 2) << run.output;
    EXPECT_NE(run.output.find("--SYN seq=0 len=0------X lost"), std::string::npos) << run.output;
}

TEST(DemoCommand, WritesTheTraceAndThePcap) {
    auto dir = std::filesystem::temp_directory_path();
    std::string trace = (dir / ("tcpp-demo-" + std::to_string(::getpid()) + ".jsonl")).string();
    std::string pcap = (dir / ("tcpp-demo-" + std::to_string(::getpid()) + ".pcap")).string();
    ToolRun run = run_tool("demo --scenario refused --trace " + trace + " --pcap " + pcap);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    std::ifstream in{trace};
    std::stringstream text;
    text << in.rdbuf();
    // The whole trace of the refused connection. The ISN is a keyed hash (RFC 6528) whose key the demo
    // derives from its seed, so it too is the same in every run.
    EXPECT_EQ(text.str(),
              R"({"t_us":0,"node":"client","conn":"10.0.0.1:32768-10.0.0.2:81","type":"state","from":"CLOSED","to":"SYN_SENT"}
{"t_us":0,"node":"client","conn":"10.0.0.1:32768-10.0.0.2:81","type":"segment","dir":"out","flags":"SYN","seq":4113656065,"ack":0,"win":65535,"len":0}
{"t_us":1000,"node":"server","conn":"10.0.0.2:81-10.0.0.1:32768","type":"segment","dir":"in","flags":"SYN","seq":4113656065,"ack":0,"win":65535,"len":0}
{"t_us":1000,"node":"server","conn":"10.0.0.2:81-10.0.0.1:32768","type":"segment","dir":"out","flags":"ACK,RST","seq":0,"ack":4113656066,"win":0,"len":0}
{"t_us":2000,"node":"client","conn":"10.0.0.1:32768-10.0.0.2:81","type":"segment","dir":"in","flags":"ACK,RST","seq":0,"ack":4113656066,"win":0,"len":0}
{"t_us":2000,"node":"client","conn":"10.0.0.1:32768-10.0.0.2:81","type":"state","from":"SYN_SENT","to":"CLOSED"}
)");
    auto reader = pcap::Reader::open(pcap);
    ASSERT_TRUE(reader) << reader.error();
    EXPECT_EQ(reader->link_type(), pcap::LinkType::raw_ipv4);
    int packets = 0;
    while (reader->next()) ++packets;
    EXPECT_EQ(packets, 2);  // the SYN and the RST,ACK
    ToolRun decoded = run_tool("decode " + pcap);
    EXPECT_NE(decoded.output.find("10.0.0.2.81 > 10.0.0.1.32768: Flags [R.], seq 0, ack 1, win 0, length 0"),
              std::string::npos)
        << decoded.output;
    std::filesystem::remove(trace);
    std::filesystem::remove(pcap);
}

TEST(DemoCommand, List_NamesEveryScenario) {
    ToolRun run = run_tool("demo --list");
    ASSERT_EQ(run.exit_code, 0);
    EXPECT_EQ(lines_in(run.output), 11);
    EXPECT_EQ(run.output.rfind("handshake-and-close ", 0), 0u);
}

TEST(DemoCommand, BadInput_IsOneLineAndANonZeroExit) {
    for (const char* arguments : {"demo --scenario nope", "demo --frobnicate", "demo --loss 2", "demo --loss -0.5",
                                  "demo --msl 0", "demo --seed abc", "demo --scenario", "", "nosuchcommand"}) {
        SCOPED_TRACE(arguments);
        ToolRun run = run_tool(arguments);
        EXPECT_NE(run.exit_code, 0);
        EXPECT_EQ(lines_in(run.output), 1) << run.output;
    }
    ToolRun unknown = run_tool("demo --scenario nope");
    EXPECT_NE(unknown.output.find("handshake-and-close, server-closes-first"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace tcpp
