#pragma once
// The eleven states of RFC 9293 section 3.3.2.

#include <cstdint>
#include <string_view>

namespace tcpp::tcp {

enum class State : std::uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};

// The names the trace uses: "CLOSED", "LISTEN", "SYN_SENT", ... "TIME_WAIT".
constexpr std::string_view to_string(State state) {
    switch (state) {
    case State::closed: return "CLOSED";
    case State::listen: return "LISTEN";
    case State::syn_sent: return "SYN_SENT";
    case State::syn_received: return "SYN_RECEIVED";
    case State::established: return "ESTABLISHED";
    case State::fin_wait_1: return "FIN_WAIT_1";
    case State::fin_wait_2: return "FIN_WAIT_2";
    case State::close_wait: return "CLOSE_WAIT";
    case State::closing: return "CLOSING";
    case State::last_ack: return "LAST_ACK";
    case State::time_wait: return "TIME_WAIT";
    }
    return "?";
}

// RFC 9293 3.3.2: the states after the handshake, in which both sequence spaces are known.
constexpr bool is_synchronized(State state) {
    return state != State::closed && state != State::listen && state != State::syn_sent &&
           state != State::syn_received;
}

// The states in which a connection may still send data or its FIN: before its FIN is acknowledged.
constexpr bool may_send(State state) {
    return state == State::established || state == State::close_wait || state == State::fin_wait_1 ||
           state == State::closing || state == State::last_ack;
}

}  // namespace tcpp::tcp
