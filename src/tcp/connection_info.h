#pragma once
// Per-connection figures, in the manner of Linux's TCP_INFO.

#include <cstddef>
#include <cstdint>

#include "tcp/four_tuple.h"
#include "tcp/state.h"

namespace tcpp::tcp {

// A connection as Linux's TCP_INFO describes one, for the user and for tools.
struct ConnectionInfo {
    State state = State::closed;
    FourTuple tuple;
    std::uint32_t snd_mss = 0;       // the largest segment we send
    std::uint32_t rcv_mss = 0;       // the MSS we announced
    std::uint32_t pmtu = 0;          // the path MTU as we know it (RFC 1191): lowered by ICMP
    int soft_error = 0;              // the errno of the last ICMP error about the connection, 0 if none
    std::uint32_t snd_wnd = 0;       // the peer's window, in bytes
    std::uint32_t rcv_wnd = 0;       // ours, as announced, in bytes
    std::uint8_t snd_wscale = 0;
    std::uint8_t rcv_wscale = 0;
    bool window_scaling = false;
    bool timestamps = false;
    bool sack = false;
    std::uint64_t srtt_us = 0;
    std::uint64_t rttvar_us = 0;
    std::uint64_t rto_us = 0;
    unsigned retransmits = 0;        // consecutive timeouts without progress
    unsigned backoff = 0;
    std::uint64_t total_retransmits = 0;
    std::uint64_t bytes_sent = 0;      // payload bytes transmitted, retransmissions included
    std::uint64_t bytes_acked = 0;     // payload bytes the peer has acknowledged
    std::uint64_t bytes_received = 0;  // payload bytes received in order
    std::size_t unacked = 0;           // bytes in flight
    std::size_t send_queue = 0;        // bytes in the send buffer (in flight and not yet sent)
    std::size_t receive_queue = 0;     // bytes received and not yet read
    std::size_t out_of_order_ranges = 0;    // ranges held beyond RCV.NXT (what our SACK blocks name)
    std::uint32_t cwnd = 0;                 // congestion window, bytes
    std::uint32_t ssthresh = 0;             // slow start threshold, bytes (UINT32_MAX: not yet set)
    bool in_recovery = false;               // fast recovery under way
    bool sack_recovery = false;             // ... driven by the SACK scoreboard (RFC 6675)
    std::uint32_t sacked = 0;               // bytes above SND.UNA the peer has SACKed
    std::size_t sacked_ranges = 0;
    bool loss_probe_outstanding = false;    // a tail loss probe (RFC 8985) awaits resolution
    bool active = false;                    // holds transfer state (a Flow): false when idle
    // The timer that runs, as `ss -o` names it: "on" (retransmission or probe), "persist" (zero-window
    // probes), "keepalive", "timewait"; nullptr when none does. timer_expiry_us is when it fires.
    const char* timer = nullptr;
    std::uint64_t timer_expiry_us = 0;
    // A listener's row (state LISTEN): its accept queue and its backlog, as ss shows them.
    std::size_t accept_queue = 0;
    std::size_t backlog = 0;
};

}  // namespace tcpp::tcp
