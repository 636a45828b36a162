#include "tcp/time_wait.h"

namespace tcpp::tcp {

TimeWaitAction classify(const TimeWaitState& state, const wire::TcpSegment& segment) {
    const wire::TcpFlags flags = segment.flags;
    if (flags.rst_set()) return TimeWaitAction::ignore;
    // RFC 6191 without timestamps (and Linux): a SYN whose number is beyond everything the old
    // incarnation used cannot be an old duplicate, so a listener may take it.
    if (flags.syn_set() && !flags.ack_set()) {
        return segment.seq > state.rcv_nxt ? TimeWaitAction::new_connection : TimeWaitAction::ack;
    }
    if (flags.fin_set() && segment.seq + segment.sequence_length() == state.rcv_nxt) {
        return TimeWaitAction::ack_and_restart;
    }
    // A bare ACK at RCV.NXT is what the other end of a simultaneous close (itself in TIME_WAIT) sends:
    // answering it would start an endless exchange of ACKs. RFC 9293 3.10.7.4 expects only a FIN here.
    if (segment.sequence_length() == 0 && segment.seq == state.rcv_nxt) return TimeWaitAction::ignore;
    return TimeWaitAction::ack;
}

TimeWaitEntry* TimeWaitTable::find(const FourTuple& tuple) {
    auto it = entries_.find(tuple);
    return it == entries_.end() ? nullptr : &it->second;
}

const TimeWaitEntry* TimeWaitTable::find(const FourTuple& tuple) const {
    auto it = entries_.find(tuple);
    return it == entries_.end() ? nullptr : &it->second;
}

TimeWaitEntry& TimeWaitTable::insert(const TimeWaitState& state, std::uint64_t expiry_us) {
    auto [it, inserted] = entries_.try_emplace(state.tuple());
    TimeWaitEntry& entry = it->second;
    entry.state = state;
    wheel_.arm(entry, expiry_us);
    return entry;
}

void TimeWaitTable::restart(TimeWaitEntry& entry, std::uint64_t now_us) {
    wheel_.arm(entry, now_us + std::uint64_t{entry.state.duration_ms} * 1000);
}

void TimeWaitTable::erase(const FourTuple& tuple) { entries_.erase(tuple); }

}  // namespace tcpp::tcp
