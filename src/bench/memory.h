#pragma once
// The process's memory, as a benchmark of connection state sees it.

#include <cstdint>

namespace tcpp::bench {

// Resident set size (/proc/self/statm), in bytes; 0 if it cannot be read.
std::uint64_t resident_bytes();
// Bytes the allocator has handed out and not had back (glibc mallinfo2: uordblks + hblkhd).
std::uint64_t heap_in_use_bytes();
// Gives free heap pages back to the system (glibc malloc_trim), so that RSS counts what is in use.
void release_free_memory();

}  // namespace tcpp::bench
