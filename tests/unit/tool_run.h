#pragma once
// Runs the tcpp tool as a user would, and collects what it prints (stdout and stderr) and its exit code.

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include <sys/wait.h>

namespace tcpp {

struct ToolRun {
    int exit_code = -1;
    std::string output;
};

inline ToolRun run_tool(const std::string& arguments) {
    std::string command = std::string{TCPP_TOOL} + " " + arguments + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe{popen(command.c_str(), "r"), pclose};
    ToolRun run;
    std::array<char, 4096> buffer;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) run.output.append(buffer.data(), n);
    int status = pclose(pipe.release());
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

}  // namespace tcpp
