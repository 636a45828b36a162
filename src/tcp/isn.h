#pragma once
// Initial sequence numbers per RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport,
// secretkey), where M is a timer that ticks every 4 microseconds and F is SipHash-2-4 under a secret key.
// A new incarnation of a four-tuple therefore starts ahead of the last one's numbers (the clock has moved
// on), while an off-path attacker cannot guess the numbers of any connection.

#include <cstdint>

#include "tcp/four_tuple.h"
#include "tcp/siphash.h"
#include "wire/seq.h"

namespace tcpp::tcp {

class IsnGenerator {
public:
    explicit IsnGenerator(const SipKey& secret) : secret_(secret) {}

    // The ISN for a connection opened at `now_us` (microseconds on the stack's clock).
    wire::Seq generate(const FourTuple& tuple, std::uint64_t now_us) const;

private:
    SipKey secret_;
};

}  // namespace tcpp::tcp
