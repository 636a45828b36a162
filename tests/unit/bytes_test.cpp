// Network-order loads and stores: the only way packet code touches multi-byte fields.

#include "wire/bytes.h"

#include <array>

#include <gtest/gtest.h>

#include "test_bytes.h"
#include "test_random.h"

namespace tcpp::wire {
namespace {

using test::hex;
using test::to_hex;

TEST(Bytes, LoadBe16_MostSignificantByteFirst) {
    auto bytes = hex("12 34 ff 01");
    EXPECT_EQ(load_be16(bytes.data()), 0x1234u);
    EXPECT_EQ(load_be16(bytes.data() + 2), 0xff01u);
    EXPECT_EQ(load_u8(bytes.data() + 2), 0xffu);
}

TEST(Bytes, LoadBe32_MostSignificantByteFirst) {
    auto bytes = hex("de ad be ef 80 00 00 01");
    EXPECT_EQ(load_be32(bytes.data()), 0xdeadbeefu);
    EXPECT_EQ(load_be32(bytes.data() + 4), 0x80000001u);
    EXPECT_EQ(load_be32(bytes.data() + 1), 0xadbeef80u);  // unaligned
}

TEST(Bytes, StoreBe_WritesNetworkOrderAndNothingElse) {
    test::ByteVector out(8, std::byte{0xaa});
    store_be16(out.data() + 1, 0x0102);
    store_be32(out.data() + 3, 0x03040506);
    store_u8(out.data() + 7, 0x07);
    EXPECT_EQ(to_hex(test::view(out)), "aa 01 02 03 04 05 06 07");
}

TEST(Bytes, LoadOfStore_IsIdentity) {
    test::TestRandom random{7};
    std::array<std::byte, 5> buffer{};
    for (int i = 0; i < 2000; ++i) {
        std::uint32_t value = random.u32();
        std::size_t offset = random.below(2);
        store_be32(buffer.data() + offset, value);
        EXPECT_EQ(load_be32(buffer.data() + offset), value);
        store_be16(buffer.data() + offset, static_cast<std::uint16_t>(value));
        EXPECT_EQ(load_be16(buffer.data() + offset), static_cast<std::uint16_t>(value));
    }
}

TEST(Bytes, LoadsAndStores_AreConstexpr) {
    constexpr auto round_trip = [] {
        std::array<std::byte, 4> buffer{};
        store_be32(buffer.data(), 0x0a0b0c0d);
        return load_be32(buffer.data()) == 0x0a0b0c0d && load_be16(buffer.data() + 2) == 0x0c0d;
    };
    static_assert(round_trip());
}

TEST(Bytes, AsBytes_ViewsTheGivenRange) {
    const char text[] = "abc";
    Bytes bytes = as_bytes(text, 3);
    ASSERT_EQ(bytes.size(), 3u);
    EXPECT_EQ(static_cast<const void*>(bytes.data()), static_cast<const void*>(text));
    EXPECT_EQ(to_hex(bytes), "61 62 63");
}

}  // namespace
}  // namespace tcpp::wire
