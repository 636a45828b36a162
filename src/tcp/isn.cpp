#include "tcp/isn.h"

#include <array>

namespace tcpp::tcp {

wire::Seq IsnGenerator::generate(const FourTuple& tuple, std::uint64_t now_us) const {
    std::array<std::byte, 12> message{};
    wire::store_be32(message.data(), tuple.local.address.value());
    wire::store_be16(message.data() + 4, tuple.local.port);
    wire::store_be32(message.data() + 6, tuple.remote.address.value());
    wire::store_be16(message.data() + 10, tuple.remote.port);
    auto f = static_cast<std::uint32_t>(siphash24(secret_, message));
    auto m = static_cast<std::uint32_t>(now_us / 4);
    return wire::Seq{m + f};
}

}  // namespace tcpp::tcp
