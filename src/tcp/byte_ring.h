#pragma once
// A ring of bytes with a fixed capacity: the send buffer (bytes from SND.UNA on) and the receive buffer
// (bytes up to RCV.NXT that the user has not read). Its storage is allocated when the first byte arrives
// and can be released whenever it is empty, so an idle connection need hold no buffer memory.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "wire/bytes.h"

namespace tcpp::tcp {

class ByteRing {
public:
    explicit ByteRing(std::size_t capacity = 0) : capacity_(capacity) {}

    std::size_t capacity() const { return capacity_; }
    // Changes the capacity; only while empty.
    bool set_capacity(std::size_t capacity);
    std::size_t size() const { return size_; }
    std::size_t free_space() const { return capacity_ - size_; }
    bool empty() const { return size_ == 0; }
    // Bytes of memory held for storage right now.
    std::size_t allocated() const { return storage_ ? capacity_ : 0; }

    // Appends as much of data as fits; returns how much.
    std::size_t push(wire::Bytes data);
    // Copies out.size() bytes starting `offset` bytes after the front, without consuming them.
    // offset + out.size() must not exceed size().
    void copy_out(std::size_t offset, wire::MutableBytes out) const;
    // Drops n bytes from the front (n <= size()).
    void consume(std::size_t n);
    // Writes data `gap` bytes past the end without making it part of the ring yet: out-of-order data held
    // in place until the bytes before it arrive. gap + data.size() must not exceed free_space().
    void write_ahead(std::size_t gap, wire::Bytes data);
    // Makes n bytes written ahead part of the ring (n <= free_space()).
    void commit_ahead(std::size_t n);
    // Frees the storage if the ring is empty and nothing is held ahead (the caller knows which).
    void release();

private:
    std::size_t capacity_;
    std::size_t head_ = 0;  // index of the front byte
    std::size_t size_ = 0;
    std::unique_ptr<std::byte[]> storage_;
};

}  // namespace tcpp::tcp
