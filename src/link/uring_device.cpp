#include "link/uring_device.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace tcpp::link {

namespace {

// The user data of a completion: which kind of operation, and its slot.
constexpr std::uint64_t write_tag = std::uint64_t{1} << 32;
constexpr std::uint64_t cancel_tag = std::uint64_t{1} << 33;

std::error_code errno_error(int value) { return {value, std::system_category()}; }

}  // namespace

Expected<std::unique_ptr<UringDevice>, std::error_code> UringDevice::create(std::unique_ptr<Device> device,
                                                                           unsigned read_slots,
                                                                           unsigned write_slots) {
    std::unique_ptr<UringDevice> uring{new UringDevice(std::move(device), read_slots, write_slots)};
    const int result = io_uring_queue_init(read_slots + write_slots, &uring->ring_, 0);
    if (result < 0) return Unexpected{errno_error(-result)};
    uring->ring_ready_ = true;
    // Reads wait inside the kernel (io_uring polls for them) rather than failing with EAGAIN: the
    // descriptor is made blocking, and only the ring uses it now.
    const int fd = uring->device_->fd();
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return Unexpected{errno_error(errno)};
    for (unsigned slot = 0; slot < read_slots; ++slot) uring->post_read(slot);
    if (std::error_code error = uring->submit()) return Unexpected{error};
    return uring;
}

UringDevice::UringDevice(std::unique_ptr<Device> device, unsigned read_slots, unsigned write_slots)
    : device_(std::move(device)),
      unit_size_(device_->max_unit()),
      read_buffers_(std::size_t{read_slots} * unit_size_),
      write_buffers_(std::size_t{write_slots} * unit_size_),
      read_sizes_(read_slots, 0),
      write_slots_(write_slots) {
    ready_reads_.reserve(read_slots);
    free_writes_.reserve(write_slots);
    for (unsigned slot = write_slots; slot-- > 0;) free_writes_.push_back(slot);
}

UringDevice::~UringDevice() {
    if (!ring_ready_) return;
    // The reads still posted (and writes in flight) could complete after the ring is closed, into buffers
    // about to be freed: cancel them all, and wait for every completion first.
    (void)submit();
    auto in_flight = static_cast<std::size_t>(reads_posted_) + (write_slots_ - free_writes_.size());
    if (in_flight > 0) {
        if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) {
            io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
            io_uring_sqe_set_data64(sqe, cancel_tag);
            (void)io_uring_submit(&ring_);
        }
        __kernel_timespec wait{0, 100'000'000};
        for (int waits = 0; in_flight > 0 && waits < 20;) {  // 2 s at most
            io_uring_cqe* cqe = nullptr;
            if (io_uring_wait_cqe_timeout(&ring_, &cqe, &wait) < 0) {
                ++waits;
                continue;
            }
            if (io_uring_cqe_get_data64(cqe) != cancel_tag) --in_flight;
            io_uring_cqe_seen(&ring_, cqe);
        }
        if (in_flight > 0) {
            // The kernel did not give them back (no cancellation here): better to leave the buffers than
            // to free memory the kernel may still write.
            new std::vector<std::byte>(std::move(read_buffers_));
            new std::vector<std::byte>(std::move(write_buffers_));
        }
    }
    io_uring_queue_exit(&ring_);
}

void UringDevice::post_read(unsigned slot) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // never with the ring sized for every slot, but then: submit and try again
        (void)submit();
        sqe = io_uring_get_sqe(&ring_);
    }
    io_uring_prep_read(sqe, device_->fd(), read_buffers_.data() + std::size_t{slot} * unit_size_,
                       static_cast<unsigned>(unit_size_), 0);
    io_uring_sqe_set_data64(sqe, slot);
    ++queued_;
    ++reads_posted_;
}

std::error_code UringDevice::submit(unsigned wait_for) {
    if (queued_ == 0 && wait_for == 0) return {};
    for (;;) {
        const int result = wait_for > 0 ? io_uring_submit_and_wait(&ring_, wait_for) : io_uring_submit(&ring_);
        ++system_calls_;
        if (result >= 0) break;
        if (result != -EINTR && result != -EAGAIN && result != -EBUSY) return errno_error(-result);
        if (result != -EINTR) (void)take_completions();  // the completion queue is full: make room
    }
    queued_ = 0;
    return {};
}

// Takes every completion waiting: a read's packet is kept for receive(), a write's slot is free again.
std::error_code UringDevice::take_completions() {
    io_uring_cqe* cqe = nullptr;
    unsigned seen = 0;
    unsigned head = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        const int result = cqe->res;
        if (data & write_tag) {
            free_writes_.push_back(static_cast<unsigned>(data & 0xffffffffu));
            if (result >= 0) {
                ++units_sent_;
            } else if (result == -ENOBUFS || result == -EAGAIN || result == -EINVAL || result == -EMSGSIZE) {
                ++send_drops_;
            } else if (!failure_) {
                failure_ = errno_error(-result);
            }
            continue;
        }
        const auto slot = static_cast<unsigned>(data);
        --reads_posted_;
        if (result > 0) {
            read_sizes_[slot] = static_cast<std::uint32_t>(result);
            ready_reads_.push_back(slot);
        } else if (result == -EINTR || result == -EAGAIN) {
            post_read(slot);  // nothing read: post it again
        } else if (!failure_) {
            // End of file (a TUN descriptor never gives one: the other end of something else went away), or
            // the device's error. Either way it is over: posting the read again would only spin.
            failure_ = result == 0 ? std::make_error_code(std::errc::no_such_device) : errno_error(-result);
        }
    }
    io_uring_cq_advance(&ring_, seen);
    return failure_;
}

Expected<std::size_t, std::error_code> UringDevice::receive(wire::MutableBytes buffer) {
    if (ready_from_ == ready_reads_.size()) {
        ready_reads_.clear();
        ready_from_ = 0;
        if (std::error_code error = take_completions()) return Unexpected{error};
        if (ready_reads_.empty()) {
            // Nothing more has arrived: the reads consumed are posted again (and the writes queued go),
            // in one system call.
            if (std::error_code error = submit()) return Unexpected{error};
            return std::size_t{0};
        }
    }
    const unsigned slot = ready_reads_[ready_from_++];
    const std::size_t size = std::min<std::size_t>(read_sizes_[slot], buffer.size());
    std::memcpy(buffer.data(), read_buffers_.data() + std::size_t{slot} * unit_size_, size);
    ++units_received_;
    post_read(slot);  // queued: submitted with the next batch
    return size;
}

std::error_code UringDevice::send(wire::Bytes unit) {
    if (failure_) return failure_;
    if (unit.size() > unit_size_) {
        ++send_drops_;
        return {};
    }
    if (free_writes_.empty()) {
        // Every write slot is in flight: hand the kernel what is queued and wait for one to complete.
        if (std::error_code error = submit(1)) return error;
        if (std::error_code error = take_completions()) return error;
        if (free_writes_.empty()) {
            ++send_drops_;
            return {};
        }
    }
    const unsigned slot = free_writes_.back();
    free_writes_.pop_back();
    std::byte* data = write_buffers_.data() + std::size_t{slot} * unit_size_;
    std::memcpy(data, unit.data(), unit.size());
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
        if (std::error_code error = submit()) return error;
        sqe = io_uring_get_sqe(&ring_);
    }
    io_uring_prep_write(sqe, device_->fd(), data, static_cast<unsigned>(unit.size()), 0);
    io_uring_sqe_set_data64(sqe, write_tag | slot);
    ++queued_;
    return {};
}

std::error_code UringDevice::flush() {
    if (failure_) return failure_;
    return submit();
}

}  // namespace tcpp::link
