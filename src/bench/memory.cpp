#include "bench/memory.h"

#include <cstdio>

#include <malloc.h>
#include <unistd.h>

namespace tcpp::bench {

std::uint64_t resident_bytes() {
    std::FILE* file = std::fopen("/proc/self/statm", "r");
    if (!file) return 0;
    unsigned long long size = 0, resident = 0;
    int fields = std::fscanf(file, "%llu %llu", &size, &resident);
    std::fclose(file);
    if (fields != 2) return 0;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t heap_in_use_bytes() {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

void release_free_memory() { malloc_trim(0); }

}  // namespace tcpp::bench
