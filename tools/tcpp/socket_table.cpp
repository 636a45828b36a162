#include "socket_table.h"

#include <fmt/format.h>

namespace tcpp::tool {
namespace {

// ss's names for the states.
const char* ss_name(State state) {
    switch (state) {
    case State::closed: return "CLOSE";
    case State::listen: return "LISTEN";
    case State::syn_sent: return "SYN-SENT";
    case State::syn_received: return "SYN-RECV";
    case State::established: return "ESTAB";
    case State::fin_wait_1: return "FIN-WAIT-1";
    case State::fin_wait_2: return "FIN-WAIT-2";
    case State::close_wait: return "CLOSE-WAIT";
    case State::closing: return "CLOSING";
    case State::last_ack: return "LAST-ACK";
    case State::time_wait: return "TIME-WAIT";
    }
    return "?";
}

std::string endpoint(const Endpoint& e) { return fmt::format("{}:{}", e.address.to_string(), e.port); }

// As ss shows a time left: "59sec", "200ms", "1min59sec".
std::string left(std::uint64_t us) {
    if (us < 1'000'000) return fmt::format("{}ms", us / 1000);
    const std::uint64_t seconds = us / 1'000'000;
    if (seconds < 60) return fmt::format("{}sec", seconds);
    return fmt::format("{}min{}sec", seconds / 60, seconds % 60);
}

}  // namespace

std::string socket_table(const Stack& stack, std::uint64_t now_us) {
    std::string table = fmt::format("{:<11}{:>7}{:>7} {:<22}{:<22}{}\n", "State", "Recv-Q", "Send-Q",
                                    "Local Address:Port", "Peer Address:Port", "Timer");  // ends in a word: no trailing space
    stack.for_each_socket([&](const tcp::ConnectionInfo& s) {
        const bool listening = s.state == State::listen;
        const std::size_t recv_q = listening ? s.accept_queue : s.receive_queue;
        const std::size_t send_q = listening ? s.backlog : s.send_queue;
        std::string timer;
        if (s.timer != nullptr) {
            timer = fmt::format("timer:({},{})", s.timer, left(s.timer_expiry_us > now_us ? s.timer_expiry_us - now_us : 0));
        }
        std::string line = fmt::format("{:<11}{:>7}{:>7} {:<22}{:<22}{}", ss_name(s.state), recv_q, send_q,
                                       endpoint(s.tuple.local), listening ? std::string{"*:*"} : endpoint(s.tuple.remote),
                                       timer);
        line.erase(line.find_last_not_of(' ') + 1);
        table += line + '\n';
    });
    return table;
}

}  // namespace tcpp::tool
