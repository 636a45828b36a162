// An echo server on a TUN device, written with coroutines: one task accepts, and every connection gets a
// task of its own that writes back what it reads until the peer's end of stream. Stops on Ctrl-C.
//
//     echo_server TUN ADDRESS PORT        e.g.  echo_server tun0 10.0.0.2 7
//
// README.md, "Coroutines and readiness callbacks", shows how to run it in a network namespace.

#include <array>
#include <cstdio>

#include "device_stack.h"
#include "runtime/async.h"
#include "runtime/event_loop.h"

using namespace tcpp;
using runtime::AsyncConnection;
using runtime::AsyncListener;
using runtime::Task;

Task<> echo(AsyncConnection connection) {
    std::array<std::byte, 16 * 1024> buffer;
    for (;;) {
        auto n = co_await connection.read(buffer);  // some bytes; 0 at the end of stream; or an error
        if (!n || *n == 0) break;
        auto written = co_await connection.write({buffer.data(), *n});  // all of them, waiting for room
        if (!written) break;
    }
}  // `connection` goes out of scope: it closes (our FIN)

Task<> accept_connections(AsyncListener listener) {
    for (;;) {
        auto connection = co_await listener.accept();
        if (!connection) co_return;  // the listener was closed
        listener.reactor().spawn(echo(std::move(*connection)));
    }
}

int main(int argc, char** argv) {
    const auto address = argc == 4 ? Ipv4Address::parse(argv[2]) : std::nullopt;
    const std::uint16_t port = argc == 4 ? example::parse_port(argv[3]) : 0;
    if (!address || port == 0) {
        std::fprintf(stderr, "usage: echo_server TUN ADDRESS PORT   (e.g. echo_server tun0 10.0.0.2 7)\n");
        return 2;
    }
    auto opened = example::open_device_stack(argv[1], *address, "echo_server");
    if (!opened) return 1;
    Stack& stack = *opened->stack;

    runtime::EventLoop loop{stack, *opened->device};  // first: the stack's clock is the loop's from now on
    runtime::AsyncStack async{stack};                  // coroutines over the stack's readiness
    auto listener = async.listen({Ipv4Address{}, port}, 128);
    if (!listener) {
        std::fprintf(stderr, "echo_server: listen: %s\n", listener.error().message().c_str());
        return 1;
    }
    async.spawn(accept_connections(std::move(*listener)));
    std::printf("echo_server: listening on %s:%u\n", address->to_string().c_str(), unsigned{port});
    std::fflush(stdout);

    // The loop feeds the stack; the stack wakes the coroutines. Until Ctrl-C.
    const std::error_code error = loop.run([&] { return loop.interrupted() == 0; });
    if (error) std::fprintf(stderr, "echo_server: %s\n", error.message().c_str());
    return error ? 1 : 0;
}
