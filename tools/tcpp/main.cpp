// tcpp: a userspace TCP/IP stack, and the tool that shows it working.

#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{"tcpp: a userspace TCP/IP stack"};
    app.require_subcommand(1);
    int exit_code = 0;
    tcpp::tool::add_demo_command(app, exit_code);
    tcpp::tool::add_decode_command(app, exit_code);
    tcpp::tool::add_bench_command(app, exit_code);
    tcpp::tool::add_serve_command(app, exit_code);
    tcpp::tool::add_connect_command(app, exit_code);
    // Errors in one line, naming what was wrong; --help prints the usage.
    app.failure_message([](const CLI::App*, const CLI::Error& error) { return std::string{error.what()} + "\n"; });
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "tcpp: %s\n", error.what());
        return 2;  // a usage error, as getopt-style tools exit
    }
    return exit_code;
}
