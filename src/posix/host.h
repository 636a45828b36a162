#pragma once
// The C++ side of include/tcpp/posix.h: a host over a stack with settings of the caller's choosing.

#include "tcpp/posix.h"
#include "tcpp/stack.h"

// A host over a stack made with `config` (its address, TCP settings and the defaults of its sockets).
tcpp_host* tcpp_host_create_with(const tcpp::StackConfig& config);
