#pragma once
// TIME_WAIT kept compact (RFC 9293 3.6.1, RFC 1337, RFC 6191): once the user has let go of a connection
// in TIME_WAIT, its TCB is freed and this entry holds only what is needed for 2*MSL: the four-tuple, the
// numbers to re-acknowledge a retransmitted FIN, and the expiry.

#include <cstdint>
#include <unordered_map>

#include "tcp/four_tuple.h"
#include "timer/timing_wheel.h"
#include "wire/seq.h"
#include "wire/tcp.h"

namespace tcpp::tcp {

// What a TIME_WAIT entry remembers of its connection.
struct TimeWaitState {
    PackedTuple packed;
    wire::Seq snd_nxt;              // our sequence number after our FIN
    wire::Seq rcv_nxt;              // theirs after their FIN
    std::uint32_t duration_ms = 0;  // 2*MSL, to restart with
    std::uint32_t ts_recent = 0;    // with timestamps (RFC 7323): to echo in the re-ACK
    std::uint32_t ts_offset = 0;    // and to stamp it with our clock
    std::uint16_t window = 0;       // the window field of our last ACK
    bool timestamps = false;
    std::uint32_t last_ack_ms = 0;  // when the entry last acknowledged a segment that carried nothing

    FourTuple tuple() const { return packed.unpack(); }
};

struct TimeWaitEntry : timer::Timer {
    TimeWaitState state;
};
static_assert(sizeof(TimeWaitEntry) <= 64, "a TIME_WAIT entry stays within 64 bytes");

// What a segment that reaches a TIME_WAIT entry calls for.
enum class TimeWaitAction : std::uint8_t {
    ignore,           // an RST (RFC 1337: TIME_WAIT is not assassinated), or a bare ACK at RCV.NXT
    ack,              // an old duplicate: acknowledge it (rate-limited if it carries nothing)
    ack_and_restart,  // the peer's FIN again (our last ACK was lost): re-ACK and restart 2*MSL
    new_connection,   // a SYN beyond the old connection's numbers (RFC 6191): may open a new one
};

TimeWaitAction classify(const TimeWaitState& state, const wire::TcpSegment& segment);

class TimeWaitTable {
public:
    explicit TimeWaitTable(const SipKey& key) : entries_(64, FourTupleHash{key}) {}

    TimeWaitEntry* find(const FourTuple& tuple);
    const TimeWaitEntry* find(const FourTuple& tuple) const;
    // Adds an entry that expires at expiry_us; the tuple must not be present.
    TimeWaitEntry& insert(const TimeWaitState& state, std::uint64_t expiry_us);
    void restart(TimeWaitEntry& entry, std::uint64_t now_us);
    void erase(const FourTuple& tuple);
    std::size_t size() const { return entries_.size(); }

    // Removes the entries that expire by now_us, calling on_expire(tuple) for each.
    template <class OnExpire>
    void expire(std::uint64_t now_us, OnExpire&& on_expire);
    std::optional<std::uint64_t> next_deadline() const { return wheel_.next_deadline(); }

private:
    std::unordered_map<FourTuple, TimeWaitEntry, FourTupleHash> entries_;
    timer::TimingWheel wheel_;
};

template <class OnExpire>
void TimeWaitTable::expire(std::uint64_t now_us, OnExpire&& on_expire) {
    wheel_.advance(now_us, [&](timer::Timer& timer) {
        FourTuple tuple = static_cast<TimeWaitEntry&>(timer).state.tuple();
        entries_.erase(tuple);
        on_expire(tuple);
    });
}

}  // namespace tcpp::tcp
