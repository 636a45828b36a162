#pragma once
// Settings of the TCP engine: the stack's defaults, and what each connection may change.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "tcp/congestion.h"
#include "tcp/rtt.h"

namespace tcpp::tcp {

struct Linger {
    bool on = false;
    std::uint64_t timeout_us = 0;  // with on: 0 makes close() an abort (RST, no TIME_WAIT)
};

// What a connection may set for itself (socket options).
struct ConnectionOptions {
    Linger linger{};
    std::uint64_t msl_us = 30'000'000;  // TIME_WAIT lasts 2*MSL: 60 s, as on Linux
    std::size_t send_buffer = 64 * 1024;
    std::size_t receive_buffer = 64 * 1024;
    // TCP_NODELAY: send small segments at once, even with data in flight (no Nagle, RFC 896).
    bool nodelay = false;
    // SO_KEEPALIVE (RFC 1122 4.2.3.6, RFC 9293 3.8.4): after keepalive_idle_us with nothing received, an
    // established connection with nothing outstanding sends a probe every keepalive_interval_us; when
    // keepalive_probes go unanswered it is reset and fails with ETIMEDOUT. Off by default; the times
    // are Linux's defaults (TCP_KEEPIDLE 2 h, TCP_KEEPINTVL 75 s, TCP_KEEPCNT 9).
    bool keepalive = false;
    std::uint64_t keepalive_idle_us = 7'200'000'000;
    std::uint64_t keepalive_interval_us = 75'000'000;
    unsigned keepalive_probes = 9;
    // TCP_USER_TIMEOUT (RFC 9293 3.10.8, the USER TIMEOUT; Linux's option): when data has waited this long
    // for an acknowledgment (counted from the last progress), the next retransmission timeout ends the
    // connection with ETIMEDOUT, before the retry limit. 0: only the retry limit. Whole milliseconds.
    std::uint64_t user_timeout_us = 0;
};

// Stack-wide settings. The retry limits are Linux's defaults (net.ipv4.tcp_syn_retries,
// tcp_synack_retries, tcp_retries2).
struct TcpConfig {
    std::uint16_t mss = 1460;           // announced in our SYNs: the MTU less 40 bytes of headers
    // The options our SYNs offer (each used only if the peer's SYN offers it too), on by default as on
    // Linux: window scaling and timestamps (RFC 7323), SACK (RFC 2018).
    bool window_scaling = true;
    bool timestamps = true;
    bool sack = true;
    // RACK (RFC 8985 section 6): time-based loss detection where SACK is in use, beside RFC 6675's
    // duplicate-ACK threshold (Linux's net.ipv4.tcp_recovery, on by default there too).
    bool rack = true;
    // The initial congestion window in segments; 0: RFC 6928's (ten segments of up to 1460 bytes, as Linux).
    std::uint32_t initial_window_segments = 0;
    // Congestion control for new connections (RFC 9438 CUBIC by default, as Linux).
    CongestionAlgorithm congestion = CongestionAlgorithm::cubic;
    // The largest receive buffer a connection may grow to: it sets the window scale we announce
    // (Linux's tcp_rmem[2], 6 MiB, gives 7).
    std::size_t max_receive_buffer = 6 * 1024 * 1024;
    RtoLimits rto{};
    unsigned syn_retries = 6;
    unsigned synack_retries = 5;
    unsigned retries = 15;
    // Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2): in-order data is acknowledged after this long, or at
    // once for every second full-sized segment; out-of-order data and gap fills at once. 0: every segment
    // at once. Linux's least delayed-ACK timeout is 40 ms.
    std::uint64_t delayed_ack_us = 40'000;
    // Quick ACKs, as Linux: the first data of a connection is ACKed at once, for up to this many ACKs (at
    // most half the receive window's worth of segments), so that the peer's slow start is not held up by
    // our delayed ACKs. Not while the connection is interactive: once we send data within the delayed-ACK
    // timeout of receiving some, our ACKs wait to ride on our data, until a delayed ACK goes out alone.
    // Until the first data arrives, ACKs (of a FIN, say) go at once. 0: every ACK may be delayed.
    std::uint8_t quick_acks = 16;
    // How long a connection the user has closed may wait in FIN_WAIT_2 for the peer's FIN before it is
    // dropped (Linux's net.ipv4.tcp_fin_timeout). A half-closed connection the user still holds waits on.
    std::uint64_t fin_timeout_us = 60'000'000;
    std::uint32_t challenge_acks_per_second = 1000;  // RFC 5961 section 7
    // Segmentation offload, for a link that carries TCP segments longer than the MTU allows, each standing
    // for whole MSS-sized ones (Linux's TSO/GSO when sending, GRO when receiving; its loopback and
    // virtio-net devices do this): new data then goes out in segments of up to this many bytes of payload,
    // rounded down to whole MSSes. Retransmissions, probes and anything sent while the peer SACKs stay one
    // MSS, and RACK still keeps one record per MSS. 0 (the default): no segment is longer than one MSS, as on
    // an Ethernet wire. A Stack caps it at max_offload_segment. Receiving needs nothing: a segment of any
    // length in the window is taken.
    std::uint32_t segmentation_offload = 0;
    ConnectionOptions defaults{};
};

// The most payload an offloaded segment carries: an IPv4 packet's 65,535 bytes less 20 of IPv4 header and
// the 60 of the largest TCP header.
inline constexpr std::uint32_t max_offload_segment = 65'535 - 20 - 60;

// RFC 9293 3.7.1 / RFC 6691: the MSS to assume when the peer sends no MSS option.
inline constexpr std::uint16_t default_mss = 536;
// The least MSS a peer may impose (Linux's TCP_MIN_MSS): an MSS of 0 would stall a connection forever, and
// one of a few bytes would make it send a segment per byte.
inline constexpr std::uint16_t minimum_mss = 88;
// At most one ACK per this interval for segments outside the window that carry nothing (Linux's
// tcp_invalid_ratelimit): they cost nothing to forge, and two TIME_WAITs must not ACK each other forever.
inline constexpr std::uint64_t out_of_window_ack_interval_us = 500'000;

}  // namespace tcpp::tcp
