// The io_uring device over a SOCK_SEQPACKET socket pair, which keeps message boundaries as a TUN descriptor
// keeps packets: units in arrive whole and in order, units out leave whole and in order, many per system
// call, and a full batch of writes waits for room rather than losing any.

#include "link/uring_device.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace tcpp::link {
namespace {

// One end of a socket pair, as a Device (only its descriptor is used by the io_uring device).
class SocketEnd final : public Device {
public:
    explicit SocketEnd(int fd) : fd_(fd) {}
    ~SocketEnd() override { ::close(fd_); }
    const std::string& name() const override { return name_; }
    Framing framing() const override { return Framing::ip; }
    std::size_t max_unit() const override { return 1500; }
    int fd() const override { return fd_; }
    Expected<std::size_t, std::error_code> receive(wire::MutableBytes) override { return std::size_t{0}; }
    std::error_code send(wire::Bytes) override { return {}; }

private:
    int fd_;
    std::string name_ = "seqpacket";
};

std::vector<std::byte> unit(std::uint32_t n, std::size_t size) {
    std::vector<std::byte> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>((n * 31 + i) & 0xff);
    return bytes;
}

class UringDeviceTest : public ::testing::Test {
protected:
    void SetUp() override {
        int fds[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
        peer_ = fds[1];
        auto device = UringDevice::create(std::make_unique<SocketEnd>(fds[0]), 8, 4);
        if (!device) GTEST_SKIP() << "io_uring is not available here: " << device.error().message();
        device_ = std::move(*device);
    }
    void TearDown() override { ::close(peer_); }

    // Receives until `count` units came or nothing more does.
    std::vector<std::vector<std::byte>> receive_all(std::size_t count) {
        std::vector<std::vector<std::byte>> got;
        std::vector<std::byte> buffer(1500);
        for (int tries = 0; tries < 1000 && got.size() < count; ++tries) {
            auto size = device_->receive(buffer);
            EXPECT_TRUE(size);
            if (!size) break;
            if (*size == 0) {
                usleep(1000);  // the kernel completes the posted reads as the units arrive
                continue;
            }
            got.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*size));
        }
        return got;
    }

    int peer_ = -1;
    std::unique_ptr<UringDevice> device_;
};

TEST_F(UringDeviceTest, UnitsInArriveWholeAndInOrderMoreThanTheReadsPosted) {
    constexpr std::uint32_t count = 50;  // more than the 8 reads posted: they are posted again as used
    for (std::uint32_t n = 0; n < count; ++n) {
        const auto u = unit(n, 40 + n * 29);
        ASSERT_EQ(::write(peer_, u.data(), u.size()), static_cast<ssize_t>(u.size()));
    }
    const auto got = receive_all(count);
    ASSERT_EQ(got.size(), count);
    for (std::uint32_t n = 0; n < count; ++n) EXPECT_EQ(got[n], unit(n, 40 + n * 29)) << n;
    EXPECT_EQ(device_->units_received(), count);
    EXPECT_LT(device_->system_calls(), count);  // batched
}

TEST_F(UringDeviceTest, UnitsOutLeaveWholeAndInOrderPastAFullBatchOfWrites) {
    constexpr std::uint32_t count = 30;  // more than the 4 write slots: a full batch waits for room
    for (std::uint32_t n = 0; n < count; ++n) ASSERT_FALSE(device_->send(unit(n, 60 + n)));
    ASSERT_FALSE(device_->flush());
    std::vector<std::byte> buffer(1500);
    for (std::uint32_t n = 0; n < count; ++n) {
        const ssize_t size = ::read(peer_, buffer.data(), buffer.size());
        ASSERT_EQ(size, static_cast<ssize_t>(60 + n));
        EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + size, unit(n, 60 + n).begin())) << n;
    }
    ASSERT_EQ(device_->receive(buffer).value_or(99), 0u);  // takes the write completions
    EXPECT_EQ(device_->units_sent() + device_->send_drops(), count);
    EXPECT_EQ(device_->send_drops(), 0u);
}

TEST_F(UringDeviceTest, APeerThatWentAwayIsAnErrorNotABusyLoop) {
    ::close(peer_);
    peer_ = ::dup(1);  // something for TearDown to close
    std::vector<std::byte> buffer(1500);
    std::error_code error;
    for (int tries = 0; tries < 1000 && !error; ++tries) {
        auto size = device_->receive(buffer);
        if (!size) error = size.error();
        else if (*size == 0) usleep(1000);
    }
    EXPECT_EQ(error, std::make_error_code(std::errc::no_such_device));
    EXPECT_EQ(device_->send(unit(1, 100)), std::make_error_code(std::errc::no_such_device));
}

}  // namespace
}  // namespace tcpp::link
