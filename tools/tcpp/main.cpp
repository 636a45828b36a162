// tcpp: a userspace TCP/IP stack, and the tool that shows it working.

#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{"tcpp: a userspace TCP/IP stack"};
    app.require_subcommand(1);
    int exit_code = 0;
    tcpp::tool::add_decode_command(app, exit_code);
    CLI11_PARSE(app, argc, argv);
    return exit_code;
}
