#pragma once
// A device that impairs what passes through it, both ways: loss, duplication, single-bit corruption,
// delay, and reordering (a packet held back so that later ones overtake it), each with a probability, from
// a seeded generator: the same seed makes the same choices for the same packets. A decorator over any
// Device, so that a real link can be made as bad as the simulated network's, and tcpp's recovery watched
// against a real peer.
//
// Delayed packets wait in the decorator (at most max_held of them; past that a packet is lost, as a full
// queue would lose it) until the event loop, which asks next_deadline(), calls poll().

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <vector>

#include "link/device.h"

namespace tcpp::link {

struct Impairment {
    double loss = 0;       // probability that a packet is lost
    double duplicate = 0;  // ... sent twice
    double corrupt = 0;    // ... has one bit flipped
    double reorder = 0;    // ... held back by reorder_delay_us
    std::uint64_t delay_us = 0;  // every packet, one way
    std::uint64_t reorder_delay_us = 5'000;
    std::uint64_t seed = 1;

    bool any() const { return loss > 0 || duplicate > 0 || corrupt > 0 || reorder > 0 || delay_us > 0; }
};

class ImpairedDevice final : public Device {
public:
    static constexpr std::size_t max_held = 10'000;

    ImpairedDevice(Device& inner, const Impairment& impairment);

    const std::string& name() const override { return inner_.name(); }
    Framing framing() const override { return inner_.framing(); }
    std::size_t max_unit() const override { return inner_.max_unit(); }
    int fd() const override { return inner_.fd(); }
    std::error_code flush() override { return inner_.flush(); }
    Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) override;
    std::error_code send(wire::Bytes unit) override;
    std::optional<std::uint64_t> next_deadline() const override;
    std::error_code poll(std::uint64_t now_us) override;

    // What the impairments did, counted per packet (a duplicate's copy is not counted again).
    std::uint64_t lost() const { return lost_; }
    std::uint64_t duplicated() const { return duplicated_; }
    std::uint64_t corrupted() const { return corrupted_; }
    std::uint64_t delayed() const { return delayed_; }

private:
    struct Held {
        std::uint64_t due_us;
        std::vector<std::byte> unit;
    };
    // What becomes of one unit: lost (none), or its copies, each with its delay (corrupted in place).
    std::size_t decide(std::vector<std::byte>& unit, std::uint64_t (&delays)[2]);
    bool chance(double p) { return p > 0 && uniform_(random_) < p; }
    void hold(std::deque<Held>& queue, std::uint64_t due_us, const std::vector<std::byte>& unit);
    static std::optional<std::uint64_t> earliest(const std::deque<Held>& queue);

    Device& inner_;
    Impairment impairment_;
    std::mt19937_64 random_;
    std::uniform_real_distribution<double> uniform_{0.0, 1.0};
    std::uint64_t now_us_ = 0;            // the time of the last poll()
    std::deque<Held> held_in_, held_out_;  // by due time only roughly: each is searched for what is due
    std::vector<std::byte> scratch_;
    std::uint64_t lost_ = 0, duplicated_ = 0, corrupted_ = 0, delayed_ = 0;
};

}  // namespace tcpp::link
