// TUN and TAP devices (Linux's /dev/net/tun), without the packet-information header (IFF_NO_PI): each read
// gives one IPv4 packet (TUN) or Ethernet frame (TAP), each write takes one.

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "link/device.h"

namespace tcpp::link {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// A descriptor closed when it goes out of scope.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

ifreq request_for(const std::string& name) {
    ifreq request{};
    std::memcpy(request.ifr_name, name.data(), name.size());  // the caller checked the length
    return request;
}

class TunDevice final : public Device {
public:
    TunDevice(Fd fd, std::string name, Framing framing, std::size_t mtu)
        : fd_(std::move(fd)), name_(std::move(name)), framing_(framing), mtu_(mtu) {}

    const std::string& name() const override { return name_; }
    Framing framing() const override { return framing_; }
    std::size_t max_unit() const override { return mtu_ + (framing_ == Framing::ethernet ? 14 : 0); }
    int fd() const override { return fd_.get(); }

    Expected<std::size_t, std::error_code> receive(wire::MutableBytes buffer) override {
        for (;;) {
            const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
            if (n > 0) {
                ++units_received_;
                return static_cast<std::size_t>(n);
            }
            if (n == 0 || errno == EAGAIN) return std::size_t{0};
            if (errno == EINTR) continue;
            return Unexpected{last_error()};
        }
    }

    std::error_code send(wire::Bytes unit) override {
        for (;;) {
            if (::write(fd_.get(), unit.data(), unit.size()) >= 0) {
                ++units_sent_;
                return {};
            }
            if (errno == EINTR) continue;
            // The device's queue is full (EAGAIN, ENOBUFS), or the kernel refused this one packet (EINVAL:
            // not IPv4 or IPv6 by its first nibble, as a corrupted packet may be; EMSGSIZE): it is lost, as
            // on a congested or noisy link, and the link goes on.
            if (errno == EAGAIN || errno == ENOBUFS || errno == EINVAL || errno == EMSGSIZE) {
                ++send_drops_;
                return {};
            }
            return last_error();
        }
    }

private:
    Fd fd_;
    std::string name_;
    Framing framing_;
    std::size_t mtu_;
};

}  // namespace

Expected<std::unique_ptr<Device>, std::error_code> open_tun(const std::string& name, Framing framing) {
    if (name.empty() || name.size() >= IFNAMSIZ || name.find_first_of("/ \t\n:") != std::string::npos) {
        return Unexpected{std::make_error_code(std::errc::invalid_argument)};
    }
    Fd fd{::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)};
    if (fd.get() < 0) return Unexpected{last_error()};
    ifreq request = request_for(name);
    request.ifr_flags = static_cast<short>((framing == Framing::ip ? IFF_TUN : IFF_TAP) | IFF_NO_PI);
    if (::ioctl(fd.get(), TUNSETIFF, &request) != 0) return Unexpected{last_error()};

    // The MTU, and the link brought up if it is down (a device just created is): best effort, since a
    // device someone else made and brought up needs no privilege to use.
    std::size_t mtu = 1500;
    Fd control{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    if (control.get() >= 0) {
        ifreq query = request_for(name);
        if (::ioctl(control.get(), SIOCGIFMTU, &query) == 0 && query.ifr_mtu > 0) {
            mtu = static_cast<std::size_t>(query.ifr_mtu);
        }
        ifreq flags = request_for(name);
        if (::ioctl(control.get(), SIOCGIFFLAGS, &flags) == 0 && (flags.ifr_flags & IFF_UP) == 0) {
            flags.ifr_flags = static_cast<short>(flags.ifr_flags | IFF_UP);
            (void)::ioctl(control.get(), SIOCSIFFLAGS, &flags);
        }
    }
    return std::unique_ptr<Device>{std::make_unique<TunDevice>(std::move(fd), name, framing, mtu)};
}

std::string describe_open_error(const std::string& name, std::error_code error) {
    const std::string what = fmt::format("cannot open device {}", name);
    switch (static_cast<std::errc>(error.value())) {
    case std::errc::no_such_file_or_directory:
    case std::errc::no_such_device:
        return fmt::format("{}: /dev/net/tun is missing (load the tun module: modprobe tun)", what);
    case std::errc::operation_not_permitted:
    case std::errc::permission_denied:
        return fmt::format("{}: creating or attaching it needs CAP_NET_ADMIN (run as root, or have an "
                           "administrator create it for you: ip tuntap add dev {} mode tun user $USER)",
                           what, name);
    case std::errc::invalid_argument:
        return fmt::format("{}: not a usable name (1 to {} characters, no '/', ':' or spaces), or a device "
                           "of that name exists and is not of this kind (TUN/TAP)",
                           what, IFNAMSIZ - 1);
    case std::errc::device_or_resource_busy:
        return fmt::format("{}: it is in use by another process", what);
    default: return fmt::format("{}: {}", what, error.message());
    }
}

}  // namespace tcpp::link
