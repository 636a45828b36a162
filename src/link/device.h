#pragma once
// A link device: where a stack's packets leave the process and arrive from outside. One small interface,
// so that the event loop, the impaired-link and capture decorators and the tests need not know which kind
// of device is underneath: a TUN device (IPv4 packets), and later a TAP device (Ethernet frames).
//
// Devices are non-blocking: receive() answers at once, with nothing when nothing is waiting, and the
// event loop waits for the device's file descriptor to become readable.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "common/expected.h"
#include "wire/bytes.h"

namespace tcpp::link {

// What one unit on the device is.
enum class Framing : std::uint8_t {
    ip,        // an IPv4 packet (TUN)
    ethernet,  // an Ethernet frame (TAP)
};

class Device {
public:
    virtual ~Device() = default;

    virtual const std::string& name() const = 0;
    virtual Framing framing() const = 0;
    // The largest unit the device carries (its MTU, plus the Ethernet header for a TAP device).
    virtual std::size_t max_unit() const = 0;
    // The descriptor to wait on for readability; -1 if the device has none (a test double).
    virtual int fd() const = 0;

    // Takes the next waiting unit into `buffer` (at least max_unit() bytes) and returns its size; 0 when
    // nothing is waiting. An error is the system's (errno), never EAGAIN.
    virtual Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) = 0;
    // Hands one unit to the device. A full device queue (ENOBUFS, EAGAIN), or a unit the system refuses
    // (EINVAL, EMSGSIZE), drops it, as a congested or noisy link would, and counts it in send_drops();
    // other errors (the device gone) are returned.
    virtual std::error_code send(wire::Bytes unit) = 0;
    // Hands the device what send() queued, for a device that batches (io_uring): the event loop calls it
    // after each batch of input it took and at the end of each round. A plain device sends at once.
    virtual std::error_code flush() { return {}; }
    // For a device that holds units back (a delaying decorator): the monotonic instant it next has work,
    // and the call that does it. A plain device has none.
    virtual std::optional<std::uint64_t> next_deadline() const { return std::nullopt; }
    virtual std::error_code poll(std::uint64_t now_us) {
        (void)now_us;
        return {};
    }

    // Units sent and received, and those the device's queue had no room for.
    std::uint64_t units_received() const { return units_received_; }
    std::uint64_t units_sent() const { return units_sent_; }
    std::uint64_t send_drops() const { return send_drops_; }

protected:
    std::uint64_t units_received_ = 0;
    std::uint64_t units_sent_ = 0;
    std::uint64_t send_drops_ = 0;
};

// A TUN (Framing::ip) or TAP (Framing::ethernet) device of this name: attached if it exists (made with
// `ip tuntap add`, perhaps, by an administrator), created otherwise, which needs CAP_NET_ADMIN. The
// error's message says what is missing: the tun module, the privilege, a name the kernel refuses.
Expected<std::unique_ptr<Device>, std::error_code> open_tun(const std::string& name, Framing framing);

// A one-line explanation of an open_tun() error, naming the device and what to do.
std::string describe_open_error(const std::string& name, std::error_code error);

}  // namespace tcpp::link
