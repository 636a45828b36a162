#include "ip/fragmentation.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tcpp::ip {

std::size_t emit_fragment(const wire::Ipv4Header& whole, std::span<const wire::Bytes> payload, std::size_t offset,
                          std::size_t length, wire::MutableBytes out) {
    assert(offset % 8 == 0 && offset + length <= whole.payload_length);
    assert(out.size() >= wire::Ipv4Header::size() + length);
    wire::Ipv4Header header = whole;
    header.dont_fragment = false;
    header.more_fragments = offset + length < whole.payload_length;
    header.fragment_offset = static_cast<std::uint16_t>(offset);
    header.payload_length = static_cast<std::uint16_t>(length);
    header.emit(out);

    // The bytes [offset, offset + length) of the pieces taken as one run.
    std::byte* to = out.data() + wire::Ipv4Header::size();
    std::size_t skip = offset;
    std::size_t left = length;
    for (const wire::Bytes& piece : payload) {
        if (left == 0) break;
        if (skip >= piece.size()) {
            skip -= piece.size();
            continue;
        }
        const std::size_t n = std::min(left, piece.size() - skip);
        std::memcpy(to, piece.data() + skip, n);
        to += n;
        left -= n;
        skip = 0;
    }
    assert(left == 0);
    return wire::Ipv4Header::size() + length;
}

}  // namespace tcpp::ip
