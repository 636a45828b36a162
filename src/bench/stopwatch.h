#pragma once
// Wall time for benchmarks: std::chrono::steady_clock, and a bound that every driver loop checks.

#include <chrono>

namespace tcpp::bench {

class Stopwatch {
public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

private:
    std::chrono::steady_clock::time_point start_;
};

// True once max_seconds of wall time have passed; reads the clock only every 1024th call.
class WallLimit {
public:
    explicit WallLimit(double max_seconds) : max_seconds_(max_seconds) {}
    bool exceeded() {
        if ((++calls_ & 1023) != 0) return false;
        return watch_.seconds() > max_seconds_;
    }

private:
    Stopwatch watch_;
    double max_seconds_;
    unsigned calls_ = 0;
};

}  // namespace tcpp::bench
