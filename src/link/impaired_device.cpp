#include "link/impaired_device.h"

#include <algorithm>

namespace tcpp::link {

ImpairedDevice::ImpairedDevice(Device& inner, const Impairment& impairment)
    : inner_(inner), impairment_(impairment), random_(impairment.seed), scratch_(inner.max_unit() + 64) {}

// The choices, in a fixed order per packet (loss, corruption, duplication, reordering), so that a seed
// replays. Returns how many copies go (0: lost), each with its delay.
std::size_t ImpairedDevice::decide(std::vector<std::byte>& unit, std::uint64_t (&delays)[2]) {
    if (chance(impairment_.loss)) {
        ++lost_;
        return 0;
    }
    if (chance(impairment_.corrupt) && !unit.empty()) {
        ++corrupted_;
        const std::uint64_t bit = random_() % (unit.size() * 8);
        unit[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
    }
    std::size_t copies = 1;
    if (chance(impairment_.duplicate)) {
        ++duplicated_;
        copies = 2;
    }
    for (std::size_t i = 0; i < copies; ++i) {
        delays[i] = impairment_.delay_us;
        if (chance(impairment_.reorder)) delays[i] += impairment_.reorder_delay_us;
        if (delays[i] > 0) ++delayed_;
    }
    return copies;
}

void ImpairedDevice::hold(std::deque<Held>& queue, std::uint64_t due_us, const std::vector<std::byte>& unit) {
    if (held_in_.size() + held_out_.size() >= max_held) {
        ++lost_;  // the held queue is full: lost, as a congested link's queue would lose it
        return;
    }
    queue.push_back(Held{due_us, unit});
}

std::optional<std::uint64_t> ImpairedDevice::earliest(const std::deque<Held>& queue) {
    std::optional<std::uint64_t> first;
    for (const Held& h : queue) {
        if (!first || h.due_us < *first) first = h.due_us;
    }
    return first;
}

Expected<std::size_t, std::error_code> ImpairedDevice::receive(wire::MutableBytes buffer) {
    for (;;) {
        // What was held and is due now goes first, earliest first.
        auto due = std::min_element(held_in_.begin(), held_in_.end(),
                                    [](const Held& a, const Held& b) { return a.due_us < b.due_us; });
        if (due != held_in_.end() && due->due_us <= now_us_) {
            const std::size_t size = std::min(buffer.size(), due->unit.size());
            std::copy_n(due->unit.begin(), size, buffer.begin());
            held_in_.erase(due);
            ++units_received_;
            return size;
        }
        auto size = inner_.receive(scratch_);
        if (!size || *size == 0) return size;
        std::vector<std::byte> unit(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(*size));
        std::uint64_t delays[2] = {0, 0};
        const std::size_t copies = decide(unit, delays);
        for (std::size_t i = 0; i < copies; ++i) hold(held_in_, now_us_ + delays[i], unit);
    }
}

std::error_code ImpairedDevice::send(wire::Bytes unit) {
    std::vector<std::byte> copy(unit.begin(), unit.end());
    std::uint64_t delays[2] = {0, 0};
    const std::size_t copies = decide(copy, delays);
    for (std::size_t i = 0; i < copies; ++i) {
        if (delays[i] == 0) {
            if (std::error_code error = inner_.send(copy)) return error;
            ++units_sent_;
        } else {
            hold(held_out_, now_us_ + delays[i], copy);
        }
    }
    return {};
}

std::optional<std::uint64_t> ImpairedDevice::next_deadline() const {
    auto in = earliest(held_in_), out = earliest(held_out_);
    if (in && out) return std::min(*in, *out);
    return in ? in : out;
}

std::error_code ImpairedDevice::poll(std::uint64_t now_us) {
    now_us_ = std::max(now_us_, now_us);
    for (auto it = held_out_.begin(); it != held_out_.end();) {
        if (it->due_us > now_us_) {
            ++it;
            continue;
        }
        if (std::error_code error = inner_.send(it->unit)) return error;
        ++units_sent_;
        it = held_out_.erase(it);
    }
    return inner_.poll(now_us);
}

}  // namespace tcpp::link
