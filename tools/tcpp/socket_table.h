#pragma once
// A stack's listeners, connections and TIME_WAIT entries as `ss -tan -o` prints them.

#include <cstdint>
#include <string>

#include "tcpp/stack.h"

namespace tcpp::tool {

// One line a socket, under a header: state, Recv-Q, Send-Q, local and peer endpoints, and the timer that
// runs with the time left (from now_us, on the stack's clock).
std::string socket_table(const Stack& stack, std::uint64_t now_us);

}  // namespace tcpp::tool
