// An echo client on a TUN device, written with coroutines: it connects, sends its standard input (then
// our FIN), and writes what comes back to its standard output until the server's end of stream. Sending
// and reading run as two tasks at once, so a long input never waits on an echo nobody reads.
//
//     echo_client TUN ADDRESS SERVER PORT < input > echoed
//     e.g.  echo_client tun1 10.1.0.2 10.1.0.1 9000 < /etc/services
//
// Exits 0 once the server has ended its stream, 1 if the connection failed (refused, reset, timed out).

#include <array>
#include <cstdio>
#include <vector>

#include "device_stack.h"
#include "runtime/async.h"
#include "runtime/event_loop.h"

using namespace tcpp;
using runtime::AsyncConnection;
using runtime::AsyncStack;
using runtime::Task;

Task<> send_all(AsyncConnection& connection, const std::vector<std::byte>& input) {
    auto written = co_await connection.write(input);
    if (written) connection.shutdown();  // all sent: our FIN
}

Task<> exchange(AsyncStack& stack, Endpoint server, const std::vector<std::byte>& input, int& status) {
    auto connection = co_await stack.connect(server);  // ESTABLISHED, or why not
    if (!connection) {
        std::fprintf(stderr, "echo_client: connect to %s: %s\n", server.to_string().c_str(),
                     connection.error().message().c_str());
        status = 1;
        co_return;
    }
    stack.spawn(send_all(*connection, input));
    std::array<std::byte, 16 * 1024> buffer;
    for (;;) {
        auto n = co_await connection->read(buffer);
        if (!n) {
            std::fprintf(stderr, "echo_client: %s\n", n.error().message().c_str());
            status = 1;
            co_return;
        }
        if (*n == 0) break;  // the server's end of stream
        std::fwrite(buffer.data(), 1, *n, stdout);
    }
    status = 0;
}

int main(int argc, char** argv) {
    const auto address = argc == 5 ? Ipv4Address::parse(argv[2]) : std::nullopt;
    const auto server = argc == 5 ? Ipv4Address::parse(argv[3]) : std::nullopt;
    const std::uint16_t port = argc == 5 ? example::parse_port(argv[4]) : 0;
    if (!address || !server || port == 0) {
        std::fprintf(stderr, "usage: echo_client TUN ADDRESS SERVER PORT < input\n"
                             "       (e.g. echo_client tun1 10.1.0.2 10.1.0.1 9000 < /etc/services)\n");
        return 2;
    }
    std::vector<std::byte> input;
    std::array<std::byte, 64 * 1024> chunk;
    while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), stdin)) {
        input.insert(input.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }

    auto opened = example::open_device_stack(argv[1], *address, "echo_client");
    if (!opened) return 1;
    runtime::EventLoop loop{*opened->stack, *opened->device};
    AsyncStack stack{*opened->stack};
    int status = -1;  // set when the exchange is over
    stack.spawn(exchange(stack, {*server, port}, input, status));
    const std::error_code error = loop.run([&] { return status < 0 && loop.interrupted() == 0; });
    if (error) std::fprintf(stderr, "echo_client: %s\n", error.message().c_str());
    std::fflush(stdout);
    return error || status != 0 ? 1 : 0;
}
