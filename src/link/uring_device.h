#pragma once
// A TUN or TAP device driven through io_uring, so that many packets cross the kernel boundary in one system
// call. A TUN descriptor gives one packet per read() and takes one per write(), and has no recvmmsg(); with
// io_uring, `read_slots` reads stay posted on it (each into a buffer of its own) and every write the stack
// makes in a round is queued, and one io_uring_enter() then submits all the writes and re-posts all the
// reads consumed. The event loop waits on the ring's descriptor, which is readable when completions wait.
//
// Writes go in the order they were queued: each is tried at once when submitted, and a TUN write never
// blocks. A write the kernel refuses as a full queue or a bad unit would be (ENOBUFS, EAGAIN, EINVAL,
// EMSGSIZE) is a drop, counted, as on the plain device.

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "link/device.h"

namespace tcpp::link {

class UringDevice final : public Device {
public:
    static constexpr unsigned default_read_slots = 32;
    static constexpr unsigned default_write_slots = 128;

    // Takes over `device`'s descriptor (a TUN or TAP device from open_tun(); it must stay alive, and is
    // kept here). Fails with the system's error when io_uring is not available (ENOSYS, EPERM in some
    // sandboxes).
    static Expected<std::unique_ptr<UringDevice>, std::error_code> create(std::unique_ptr<Device> device,
                                                                         unsigned read_slots = default_read_slots,
                                                                         unsigned write_slots = default_write_slots);
    ~UringDevice() override;
    UringDevice(const UringDevice&) = delete;
    UringDevice& operator=(const UringDevice&) = delete;

    const std::string& name() const override { return device_->name(); }
    Framing framing() const override { return device_->framing(); }
    std::size_t max_unit() const override { return device_->max_unit(); }
    int fd() const override { return ring_.ring_fd; }
    Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) override;
    std::error_code send(wire::Bytes unit) override;
    std::error_code flush() override;

    // System calls made (io_uring_enter), and the units they carried: the batching, measured.
    std::uint64_t system_calls() const { return system_calls_; }

private:
    UringDevice(std::unique_ptr<Device> device, unsigned read_slots, unsigned write_slots);
    void post_read(unsigned slot);
    std::error_code submit(unsigned wait_for = 0);
    std::error_code take_completions();

    std::unique_ptr<Device> device_;
    io_uring ring_{};
    bool ring_ready_ = false;
    std::size_t unit_size_;
    std::vector<std::byte> read_buffers_;   // read_slots units
    std::vector<std::byte> write_buffers_;  // write_slots units
    std::vector<std::uint32_t> read_sizes_;  // per read slot: the size of a completed read
    std::vector<unsigned> ready_reads_;      // slots whose reads completed, oldest first
    std::size_t ready_from_ = 0;
    std::vector<unsigned> free_writes_;      // write slots not in flight
    unsigned queued_ = 0;                    // SQEs prepared since the last submit
    unsigned reads_posted_ = 0;              // reads prepared or submitted, not yet completed
    std::size_t write_slots_;
    std::error_code failure_;                // a read or write failed for good (the device went away)
    std::uint64_t system_calls_ = 0;
};

}  // namespace tcpp::link
