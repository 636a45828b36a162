#pragma once
// A ring of bytes with a fixed capacity (its storage growing with what it holds, in powers of two from
// min_storage, so that a connection with a little data buffered holds a little memory): the send buffer (bytes from SND.UNA on) and the receive buffer
// (bytes up to RCV.NXT that the user has not read). Its storage is allocated when the first byte arrives
// and released when it empties (by the owner, who knows whether bytes are held ahead of it), so an idle
// connection holds no buffer memory. Storage comes from a BufferPool when one is given.

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tcp/buffer_pool.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

namespace tcpp::tcp {

class ByteRing {
public:
    explicit ByteRing(std::size_t capacity = 0, BufferPool* pool = nullptr) : pool_(pool), capacity_(capacity) {}
    ByteRing(const ByteRing&) = delete;
    ByteRing& operator=(const ByteRing&) = delete;
    ~ByteRing() { free_storage(); }

    std::size_t capacity() const { return capacity_; }
    // Changes the capacity; only while empty.
    bool set_capacity(std::size_t capacity);
    std::size_t size() const { return size_; }
    std::size_t free_space() const { return capacity_ - size_; }
    bool empty() const { return size_ == 0; }
    // Bytes of memory held for storage right now.
    std::size_t allocated() const { return storage_size_; }
    static constexpr std::size_t min_storage = 2048;
    // The storage taken when the first byte arrives into an empty ring without storage: what the ring
    // needed the last time it held storage (the power of two at or above the most it held then, at least
    // min_storage). A ring that drains and fills again and again, as in a bulk transfer, then takes what
    // it needs at once instead of growing through every power of two, copying, each time; one that
    // needed little takes little again.
    std::size_t first_storage() const { return first_storage_; }
    void set_first_storage(std::size_t bytes) { first_storage_ = static_cast<std::uint32_t>(bytes); }

    // Appends as much of data as fits; returns how much.
    std::size_t push(wire::Bytes data);
    // Copies out.size() bytes starting `offset` bytes after the front, without consuming them.
    // offset + out.size() must not exceed size().
    void copy_out(std::size_t offset, wire::MutableBytes out) const;
    // The same, adding the bytes to `sum` as they are copied (a segment's payload and its checksum).
    void copy_out(std::size_t offset, wire::MutableBytes out, wire::ChecksumAccumulator& sum) const;
    // Drops n bytes from the front (n <= size()).
    void consume(std::size_t n);
    // Writes data `gap` bytes past the end without making it part of the ring yet: out-of-order data held
    // in place until the bytes before it arrive. gap + data.size() must not exceed free_space().
    void write_ahead(std::size_t gap, wire::Bytes data);
    // Makes n bytes written ahead part of the ring (n <= free_space()).
    void commit_ahead(std::size_t n);
    // Frees the storage if the ring is empty and nothing is held ahead (the caller knows which).
    void release();
    // Drops everything held and frees the storage.
    void release_storage() {
        remember_need();
        size_ = 0;
        head_ = 0;
        free_storage();
    }

private:
    std::unique_ptr<std::byte[]> take(std::size_t size);
    // The `length` bytes held from `offset` after the front, as they lie in storage: up to the end of it,
    // then the rest from its start (empty when they do not wrap).
    std::array<wire::Bytes, 2> held(std::size_t offset, std::size_t length) const;
    // Before the storage goes back: first_storage() from the most it held.
    void remember_need();
    // Makes the storage hold at least `needed` bytes from the head (needed <= capacity).
    void reserve(std::size_t needed);
    void free_storage();

    BufferPool* pool_;
    std::unique_ptr<std::byte[]> storage_;
    std::uint32_t capacity_;
    // A position in storage_ from the head plus at most storage_size_ bytes: one compare, where `%` would
    // divide (the size need not be a power of two: it stops at the capacity).
    std::size_t wrap(std::size_t position) const {
        assert(position < 2 * std::size_t{storage_size_});
        return position >= storage_size_ ? position - storage_size_ : position;
    }

    std::uint32_t storage_size_ = 0;  // bytes of storage_, at most capacity_
    std::uint32_t head_ = 0;          // index of the front byte in storage_
    std::uint32_t size_ = 0;
    std::uint32_t first_storage_ = min_storage;
    std::uint32_t peak_ = 0;  // the most bytes held (written ahead included) since storage was taken
};

}  // namespace tcpp::tcp
