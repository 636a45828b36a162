#pragma once
// The stack's counters, named as Linux names them (netstat -s, /proc/net/snmp and netstat); ICMP's with the
// prefix Icmp, as they share the one struct.

#include <cstdint>

namespace tcpp::tcp {

struct Counters {
    // Ip: (IPv4 fragments; ReasmOverlaps is Linux's TcpExt: line, IcmpOutTimeExcds its Icmp: line)
    std::uint64_t ReasmTimeout = 0;      // datagrams whose fragments did not all come in time
    std::uint64_t ReasmReqds = 0;        // fragments received
    std::uint64_t ReasmOKs = 0;          // datagrams reassembled
    std::uint64_t ReasmFails = 0;        // datagrams given up (timeout, overlap, bad fragment, evicted) or refused
    std::uint64_t ReasmOverlaps = 0;     // ... of them, for fragments that overlapped
    std::uint64_t FragOKs = 0;           // datagrams we sent in fragments
    std::uint64_t FragFails = 0;         // ... that we could not (an MTU too small for any fragment)
    std::uint64_t FragCreates = 0;       // fragments sent
    std::uint64_t IcmpOutTimeExcds = 0;  // time exceeded sent: fragment reassembly time exceeded (RFC 792)
    // Tcp: (RFC 4022 MIB)
    std::uint64_t ActiveOpens = 0;     // CLOSED -> SYN_SENT
    std::uint64_t PassiveOpens = 0;    // LISTEN -> SYN_RECEIVED
    std::uint64_t AttemptFails = 0;    // SYN_SENT/SYN_RECEIVED -> CLOSED, or SYN_RECEIVED -> LISTEN
    std::uint64_t EstabResets = 0;     // ESTABLISHED/CLOSE_WAIT -> CLOSED by a reset
    std::uint64_t CurrEstab = 0;       // now in ESTABLISHED or CLOSE_WAIT
    std::uint64_t InSegs = 0;          // every segment received, those in error included (RFC 4022)
    std::uint64_t OutSegs = 0;
    std::uint64_t RetransSegs = 0;
    std::uint64_t InErrs = 0;          // segments received in error (bad checksum, malformed)
    std::uint64_t OutRsts = 0;
    std::uint64_t InCsumErrors = 0;
    // TcpExt:
    std::uint64_t ListenOverflows = 0;  // a completing ACK or a SYN dropped: accept queue full
    std::uint64_t ListenDrops = 0;
    std::uint64_t TCPTimeouts = 0;      // retransmission timer expiries
    std::uint64_t TCPAbortOnData = 0;   // RST: close() with linger {on, 0}, or data arrived after close()
    std::uint64_t TCPAbortOnClose = 0;  // RST: close() with data the user never read (RFC 2525 2.17)
    std::uint64_t TCPAbortOnTimeout = 0;
    std::uint64_t TCPChallengeACK = 0;
    std::uint64_t TCPSYNChallenge = 0;
    std::uint64_t TCPRenoRecovery = 0;   // fast recoveries begun by three duplicate ACKs (RFC 5681, 6582)
    std::uint64_t TCPSackRecovery = 0;   // fast recoveries run on the SACK scoreboard (RFC 6675)
    std::uint64_t TCPFastRetrans = 0;    // segments resent by fast retransmit when a recovery began
    std::uint64_t TCPLossProbes = 0;     // tail loss probes sent (RFC 8985 section 7)
    std::uint64_t TCPRackLoss = 0;       // ACKs or reordering timeouts on which RACK found segments lost
    std::uint64_t TCPLossProbeRecovery = 0;  // losses a tail loss probe repaired
    std::uint64_t TCPDSACKRecv = 0;      // D-SACK blocks received (RFC 2883)
    std::uint64_t TCPDSACKOldSent = 0;   // D-SACK blocks sent for data below RCV.NXT
    std::uint64_t TCPDSACKOfoSent = 0;   // D-SACK blocks sent for data already held out of order
    std::uint64_t TCPSACKDiscard = 0;    // SACK blocks ignored as invalid
    std::uint64_t TCPSACKReneging = 0;       // the peer discarded data it had SACKed (RFC 2018 section 8)
    std::uint64_t TCPKeepAlive = 0;          // keepalive probes sent
    std::uint64_t TCPKeepAliveTimeouts = 0;  // connections reset after their keepalive probes went unanswered
    std::uint64_t TCPChallengeACKLimit = 0;  // challenge ACKs not sent: over the rate limit
    std::uint64_t TW = 0;               // TIME_WAIT entries that ran their full 2*MSL
    std::uint64_t TWRecycled = 0;       // TIME_WAIT entries taken over by a new SYN (RFC 6191)
    std::uint64_t TCPWinProbe = 0;      // zero-window probes sent
    std::uint64_t TCPToZeroWindowAdv = 0;    // our receive window announced closed (it was open)
    std::uint64_t TCPFromZeroWindowAdv = 0;  // our receive window announced open again
    std::uint64_t TCPACKSkippedSeq = 0; // ACKs not sent for out-of-window segments: rate limit
    std::uint64_t PAWSEstab = 0;           // segments dropped by PAWS (RFC 7323 section 5)
    std::uint64_t TCPOFOQueue = 0;         // segments held out of order
    std::uint64_t TCPOFODrop = 0;          // out-of-order segments dropped: no room to hold them
    // Icmp: (Linux's Icmp: line, the prefix added)
    std::uint64_t IcmpInMsgs = 0;          // ICMP messages to us, those in error included
    std::uint64_t IcmpInErrors = 0;        // ... malformed, or failing their checksum
    std::uint64_t IcmpInEchos = 0;         // echo requests
    std::uint64_t IcmpOutEchoReps = 0;     // echo replies sent
    std::uint64_t IcmpInDestUnreachs = 0;  // destination unreachable
    std::uint64_t IcmpInTimeExcds = 0;     // time exceeded
    // ICMP errors about TCP (TcpExt:): quoting a sequence number the connection has not sent, or naming no
    // connection (RFC 5927: believed only when they could concern one), and path MTUs learned (RFC 1191).
    std::uint64_t OutOfWindowIcmps = 0;
    std::uint64_t TCPIcmpErrorsIgnored = 0;
    std::uint64_t TCPPathMtuLowered = 0;
};

// Every counter with its name, in the order above: visit(name, value).
template <class Visit>
void for_each_counter(const Counters& c, Visit&& visit) {
    struct Named {
        const char* name;
        std::uint64_t Counters::*field;
    };
#define TCPP_COUNTER(name) Named{#name, &Counters::name}
    static constexpr Named all[] = {
        TCPP_COUNTER(ReasmTimeout), TCPP_COUNTER(ReasmReqds), TCPP_COUNTER(ReasmOKs), TCPP_COUNTER(ReasmFails),
        TCPP_COUNTER(ReasmOverlaps), TCPP_COUNTER(FragOKs), TCPP_COUNTER(FragFails), TCPP_COUNTER(FragCreates),
        TCPP_COUNTER(IcmpOutTimeExcds),
        TCPP_COUNTER(ActiveOpens), TCPP_COUNTER(PassiveOpens), TCPP_COUNTER(AttemptFails),
        TCPP_COUNTER(EstabResets), TCPP_COUNTER(CurrEstab), TCPP_COUNTER(InSegs), TCPP_COUNTER(OutSegs),
        TCPP_COUNTER(RetransSegs), TCPP_COUNTER(InErrs), TCPP_COUNTER(OutRsts), TCPP_COUNTER(InCsumErrors),
        TCPP_COUNTER(ListenOverflows), TCPP_COUNTER(ListenDrops), TCPP_COUNTER(TCPTimeouts),
        TCPP_COUNTER(TCPAbortOnData), TCPP_COUNTER(TCPAbortOnClose), TCPP_COUNTER(TCPAbortOnTimeout),
        TCPP_COUNTER(TCPChallengeACK), TCPP_COUNTER(TCPSYNChallenge), TCPP_COUNTER(TCPRenoRecovery),
        TCPP_COUNTER(TCPSackRecovery), TCPP_COUNTER(TCPFastRetrans), TCPP_COUNTER(TCPLossProbes),
        TCPP_COUNTER(TCPRackLoss), TCPP_COUNTER(TCPLossProbeRecovery), TCPP_COUNTER(TCPDSACKRecv),
        TCPP_COUNTER(TCPDSACKOldSent), TCPP_COUNTER(TCPDSACKOfoSent), TCPP_COUNTER(TCPSACKDiscard),
        TCPP_COUNTER(TCPSACKReneging), TCPP_COUNTER(TCPKeepAlive), TCPP_COUNTER(TCPKeepAliveTimeouts),
        TCPP_COUNTER(TCPChallengeACKLimit), TCPP_COUNTER(TW), TCPP_COUNTER(TWRecycled),
        TCPP_COUNTER(TCPWinProbe), TCPP_COUNTER(TCPToZeroWindowAdv), TCPP_COUNTER(TCPFromZeroWindowAdv), TCPP_COUNTER(TCPACKSkippedSeq), TCPP_COUNTER(PAWSEstab),
        TCPP_COUNTER(TCPOFOQueue), TCPP_COUNTER(TCPOFODrop), TCPP_COUNTER(IcmpInMsgs),
        TCPP_COUNTER(IcmpInErrors), TCPP_COUNTER(IcmpInEchos), TCPP_COUNTER(IcmpOutEchoReps),
        TCPP_COUNTER(IcmpInDestUnreachs), TCPP_COUNTER(IcmpInTimeExcds), TCPP_COUNTER(OutOfWindowIcmps),
        TCPP_COUNTER(TCPIcmpErrorsIgnored), TCPP_COUNTER(TCPPathMtuLowered),
    };
#undef TCPP_COUNTER
    static_assert(sizeof(all) / sizeof(all[0]) * sizeof(std::uint64_t) == sizeof(Counters),
                  "every counter is listed here");
    for (const Named& n : all) visit(n.name, c.*n.field);
}

}  // namespace tcpp::tcp
