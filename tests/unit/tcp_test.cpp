// TCP segments (RFC 9293 section 3.1): the validated view, the checksum with its pseudo-header and the
// offload case Linux captures show, and emit/parse as inverses.

#include "wire/tcp.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "test_bytes.h"
#include "test_random.h"

namespace tcpp::wire {
namespace {

using test::ByteVector;
using test::fails_with;
using test::hex;
using test::join;
using test::succeeds;
using test::TestRandom;
using test::to_hex;
using test::view;
using test::within;

const Ipv4Address client{10, 99, 0, 1};
const Ipv4Address server{10, 99, 0, 2};

// A SYN as Linux sent it (from the reference captures): 10.99.0.1:42216 -> 10.99.0.2:5555, the checksum
// field holding the pseudo-header sum only (offload); the full checksum would be b454.
const ByteVector linux_syn_ip = hex("45 00 00 3c 0e 8c 40 00 40 06 17 68 0a 63 00 01 0a 63 00 02");
const ByteVector linux_syn = hex("a4 e8 15 b3 e6 fd 8f 97 00 00 00 00 a0 02 fa f0 14 f7 00 00 "
                                 "02 04 05 b4 04 02 08 0a fb 5d 57 60 00 00 00 00 01 03 03 0a");

// "hello" with PSH+ACK and timestamps, also offloaded; the full checksum would be 9bf2.
const ByteVector linux_hello = hex("a4 e8 15 b3 e6 fd 8f 98 ff d2 0d f8 80 18 00 3f 14 f4 00 00 "
                                   "01 01 08 0a fb 5d 57 60 d8 d2 17 56 68 65 6c 6c 6f");

// A minimal 20-byte ACK, 1234 -> 80, checksum not filled in.
const ByteVector bare_ack = hex("04 d2 00 50 00 00 00 01 00 00 00 02 50 10 ff ff 00 00 00 00");

ByteVector with_byte(ByteVector bytes, std::size_t offset, std::uint8_t value) {
    bytes[offset] = std::byte{value};
    return bytes;
}

// An IPv4 packet around `tcp`, from client to server.
ByteVector ipv4_around(const ByteVector& tcp, std::uint8_t protocol = ip_protocol::tcp, bool more_fragments = false,
                       std::uint16_t fragment_offset = 0) {
    Ipv4Header header;
    header.protocol = protocol;
    header.source = client;
    header.destination = server;
    header.more_fragments = more_fragments;
    header.fragment_offset = fragment_offset;
    header.payload_length = static_cast<std::uint16_t>(tcp.size());
    ByteVector packet(Ipv4Header::size());
    header.emit(test::mutable_view(packet));
    return join({packet, tcp});
}

// Emits `segment` into a buffer of exactly its size.
ByteVector emitted(const TcpSegment& segment, ChecksumMode mode = ChecksumMode::full) {
    ByteVector out(segment.size());
    segment.emit(test::mutable_view(out), client, server, mode);
    return out;
}

TcpOptions random_options(TestRandom& random) {
    TcpOptions options;
    if (random.coin()) options.mss = random.u16();
    if (random.coin()) options.window_scale = random.u8();
    options.sack_permitted = random.coin();
    if (random.coin()) options.timestamps = TcpTimestamps{random.u32(), random.u32()};
    std::size_t blocks = random.below(5);
    for (std::size_t i = 0; i < blocks; ++i) options.add_sack_block({Seq{random.u32()}, Seq{random.u32()}});
    options.sack_block_count = static_cast<std::uint8_t>(options.sack_blocks_that_fit());  // what survives emit
    return options;
}

TEST(TcpView, Parse_LinuxSyn_ReadsEveryField) {
    auto segment = TcpView::parse(view(linux_syn));
    ASSERT_TRUE(succeeds(segment));
    EXPECT_EQ(segment->source_port(), 42216u);
    EXPECT_EQ(segment->destination_port(), 5555u);
    EXPECT_EQ(segment->seq(), Seq{0xe6fd8f97});
    EXPECT_EQ(segment->ack(), Seq{0});
    EXPECT_EQ(segment->header_length(), 40u);
    EXPECT_EQ(segment->flags(), TcpFlags{TcpFlags::syn});
    EXPECT_EQ(segment->window(), 64240u);
    EXPECT_EQ(segment->checksum(), 0x14f7u);
    EXPECT_EQ(segment->urgent_pointer(), 0u);
    EXPECT_EQ(to_hex(segment->options()), "02 04 05 b4 04 02 08 0a fb 5d 57 60 00 00 00 00 01 03 03 0a");
    EXPECT_TRUE(segment->payload().empty());
    EXPECT_EQ(segment->sequence_length(), 1u);
}

TEST(TcpView, Parse_LinuxDataSegment_HasPayloadAfterTheOptions) {
    auto segment = TcpView::parse(view(linux_hello));
    ASSERT_TRUE(succeeds(segment));
    EXPECT_EQ(segment->header_length(), 32u);
    EXPECT_TRUE(segment->flags().ack_set());
    EXPECT_TRUE(segment->flags().psh_set());
    EXPECT_FALSE(segment->flags().syn_set());
    EXPECT_EQ(to_hex(segment->payload()), "68 65 6c 6c 6f");
    EXPECT_EQ(segment->payload().data(), linux_hello.data() + 32);
    EXPECT_EQ(segment->sequence_length(), 5u);
}

TEST(TcpView, OffloadedLinuxSegments_AreOffloadPendingWithTheKnownFullChecksum) {
    auto syn = TcpView::parse(view(linux_syn));
    ASSERT_TRUE(succeeds(syn));
    EXPECT_EQ(syn->checksum_status(client, server), ChecksumStatus::offload_pending);
    EXPECT_EQ(syn->expected_checksum(client, server), 0xb454u);
    auto hello = TcpView::parse(view(linux_hello));
    ASSERT_TRUE(succeeds(hello));
    EXPECT_EQ(hello->checksum_status(client, server), ChecksumStatus::offload_pending);
    EXPECT_EQ(hello->expected_checksum(client, server), 0x9bf2u);
}

TEST(TcpView, ChecksumStatus_ValidOffloadPendingOrBad) {
    ByteVector completed = linux_syn;
    store_be16(completed.data() + 16, 0xb454);
    EXPECT_EQ(TcpView::parse(view(completed))->checksum_status(client, server), ChecksumStatus::valid);
    EXPECT_EQ(TcpView::parse(view(completed))->checksum_status(server, client), ChecksumStatus::valid);  // commutes
    EXPECT_EQ(TcpView::parse(view(completed))->checksum_status(client, Ipv4Address{10, 99, 0, 3}),
              ChecksumStatus::bad);
    ByteVector corrupt = with_byte(completed, 30, 0x00);
    EXPECT_EQ(TcpView::parse(view(corrupt))->checksum_status(client, server), ChecksumStatus::bad);
    // The pseudo-header sum of other addresses is not this segment's: bad, not offload pending.
    EXPECT_EQ(TcpView::parse(view(linux_syn))->checksum_status(client, Ipv4Address{10, 99, 0, 3}),
              ChecksumStatus::bad);
}

TEST(TcpView, FewerThanTwentyBytes_IsTruncated) {
    for (std::size_t size = 0; size < TcpView::min_header_size; ++size) {
        ByteVector prefix(bare_ack.begin(), bare_ack.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_TRUE(fails_with(TcpView::parse(view(prefix)), ParseError::truncated)) << size;
        EXPECT_TRUE(fails_with(TcpSegment::parse(view(prefix)), ParseError::truncated)) << size;
    }
}

TEST(TcpView, DataOffsetBelowFive_IsBadDataOffset) {
    for (std::uint8_t offset = 0; offset < 5; ++offset) {
        ByteVector segment = with_byte(bare_ack, 12, static_cast<std::uint8_t>(offset << 4));
        EXPECT_TRUE(fails_with(TcpView::parse(view(segment)), ParseError::bad_data_offset)) << int{offset};
    }
}

TEST(TcpView, DataOffsetPastTheSegment_IsBadDataOffset) {
    EXPECT_TRUE(fails_with(TcpView::parse(view(with_byte(bare_ack, 12, 0x60))), ParseError::bad_data_offset));
    ByteVector short_syn(linux_syn.begin(), linux_syn.end() - 1);
    EXPECT_TRUE(fails_with(TcpView::parse(view(short_syn)), ParseError::bad_data_offset));
    ByteVector longest = join({with_byte(bare_ack, 12, 0xf0), ByteVector(40, std::byte{1})});
    EXPECT_TRUE(succeeds(TcpView::parse(view(longest))));
    longest.pop_back();
    EXPECT_TRUE(fails_with(TcpView::parse(view(longest)), ParseError::bad_data_offset));
}

TEST(TcpView, OptionLengthZeroOrOne_IsBadOptionLength) {
    for (const char* options : {"02 00 05 b4", "02 01 05 b4", "01 01 08 01", "fd 00 00 00"}) {
        ByteVector segment = join({with_byte(bare_ack, 12, 0x60), hex(options)});
        EXPECT_TRUE(fails_with(TcpView::parse(view(segment)), ParseError::bad_option_length)) << options;
        EXPECT_TRUE(fails_with(TcpSegment::parse(view(segment)), ParseError::bad_option_length)) << options;
    }
}

TEST(TcpView, OptionRunningPastTheHeader_IsOptionPastHeader) {
    // The timestamps option claims 10 bytes in a 4-byte area; the payload that follows must not count.
    ByteVector segment = join({with_byte(bare_ack, 12, 0x60), hex("08 0a 00 00 00 00 00 01 00 00 00 02")});
    EXPECT_TRUE(fails_with(TcpView::parse(view(segment)), ParseError::option_past_header));
    EXPECT_TRUE(fails_with(TcpSegment::parse(view(segment)), ParseError::option_past_header));
}

TEST(TcpView, KindWithoutLengthAtTheEndOfTheHeader_IsOptionPastHeader) {
    ByteVector segment = join({with_byte(bare_ack, 12, 0x60), hex("01 01 01 02"), hex("04 00")});
    EXPECT_TRUE(fails_with(TcpView::parse(view(segment)), ParseError::option_past_header));
}

TEST(TcpView, EndOfListThenPadding_Parses) {
    ByteVector segment = join({with_byte(bare_ack, 12, 0x70), hex("02 04 05 b4 00 ff ff ff")});
    auto parsed = TcpSegment::parse(view(segment));
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_EQ(parsed->options.mss, 1460);
}

TEST(TcpView, ParseFromIpv4_ValidChecksum_Parses) {
    ByteVector segment = linux_syn;
    store_be16(segment.data() + 16, 0xb454);
    ByteVector packet = ipv4_around(segment);
    auto ip = Ipv4View::parse(view(packet));
    ASSERT_TRUE(succeeds(ip));
    auto tcp = TcpView::parse(*ip);
    ASSERT_TRUE(succeeds(tcp));
    EXPECT_EQ(tcp->bytes().data(), packet.data() + 20);
    EXPECT_EQ(tcp->bytes().size(), segment.size());
}

TEST(TcpView, ParseFromIpv4_BadChecksum_IsBadChecksum) {
    ByteVector segment = linux_syn;
    store_be16(segment.data() + 16, 0xb455);
    ByteVector packet = ipv4_around(segment);
    auto ip = Ipv4View::parse(view(packet));
    ASSERT_TRUE(succeeds(ip));
    EXPECT_TRUE(fails_with(TcpView::parse(*ip), ParseError::bad_checksum));
    EXPECT_TRUE(succeeds(TcpView::parse(*ip, ChecksumCheck::skip)));
}

TEST(TcpView, ParseFromIpv4_OffloadPendingChecksum_FailsVerification) {
    // Verification accepts only a complete checksum; a capture of outgoing packets must skip it.
    ByteVector packet = join({linux_syn_ip, linux_syn});  // the packet exactly as captured
    auto ip = Ipv4View::parse(view(packet));
    ASSERT_TRUE(succeeds(ip));
    EXPECT_TRUE(fails_with(TcpView::parse(*ip), ParseError::bad_checksum));
    EXPECT_TRUE(succeeds(TcpView::parse(*ip, ChecksumCheck::skip)));
}

TEST(TcpView, ParseFromIpv4_NotTcp_IsUnsupported) {
    for (std::uint8_t protocol : {ip_protocol::udp, ip_protocol::icmp, std::uint8_t{0}}) {
        ByteVector packet = ipv4_around(linux_syn, protocol);
        auto ip = Ipv4View::parse(view(packet));
        ASSERT_TRUE(succeeds(ip));
        EXPECT_TRUE(fails_with(TcpView::parse(*ip, ChecksumCheck::skip), ParseError::unsupported)) << int{protocol};
    }
}

TEST(TcpView, ParseFromIpv4_Fragment_IsUnsupported) {
    for (auto [more, offset] : {std::pair{true, 0}, std::pair{false, 8}, std::pair{true, 1480}}) {
        ByteVector packet = ipv4_around(linux_syn, ip_protocol::tcp, more, static_cast<std::uint16_t>(offset));
        auto ip = Ipv4View::parse(view(packet));
        ASSERT_TRUE(succeeds(ip));
        EXPECT_TRUE(fails_with(TcpView::parse(*ip, ChecksumCheck::skip), ParseError::unsupported)) << offset;
    }
}

TEST(TcpView, ParseFromIpv4_TruncatedSegment_IsTruncated) {
    ByteVector packet = ipv4_around(ByteVector(bare_ack.begin(), bare_ack.begin() + 12));
    auto ip = Ipv4View::parse(view(packet));
    ASSERT_TRUE(succeeds(ip));
    EXPECT_TRUE(fails_with(TcpView::parse(*ip), ParseError::truncated));
}

TEST(TcpView, EveryPrefix_FailsCleanlyOrStaysInsideTheBuffer) {
    for (const ByteVector* whole : {&linux_syn, &linux_hello}) {
        for (std::size_t size = 0; size <= whole->size(); ++size) {
            ByteVector prefix(whole->begin(), whole->begin() + static_cast<std::ptrdiff_t>(size));
            auto segment = TcpView::parse(view(prefix));
            if (!segment) {
                EXPECT_TRUE(segment.error() == ParseError::truncated || segment.error() == ParseError::bad_data_offset)
                    << size << ": " << to_string(segment.error());
                continue;
            }
            EXPECT_GE(size, segment->header_length());
            EXPECT_TRUE(within(segment->options(), view(prefix)));
            EXPECT_TRUE(within(segment->payload(), view(prefix)));
            auto values = TcpSegment::parse(view(prefix));
            ASSERT_TRUE(succeeds(values));
            EXPECT_TRUE(within(values->payload, view(prefix)));
            segment->checksum_status(client, server);  // reads the whole segment: a sanitizer checks the bounds
        }
    }
}

TEST(TcpView, RandomBytes_ParseOnlyIntoConsistentViews) {
    TestRandom random{0x7c7};
    for (int i = 0; i < 5000; ++i) {
        ByteVector bytes = random.bytes(random.below(72));
        if (bytes.size() > 12 && random.coin()) bytes[12] = std::byte{static_cast<std::uint8_t>(random.below(16) << 4)};
        if (bytes.size() > 24 && random.coin()) bytes[20] = std::byte{static_cast<std::uint8_t>(random.below(10))};
        auto segment = TcpSegment::parse(view(bytes));
        if (!segment) continue;
        auto tcp = TcpView::parse(view(bytes));
        ASSERT_TRUE(succeeds(tcp));
        ASSERT_GE(tcp->header_length(), 20u);
        ASSERT_LE(tcp->header_length(), bytes.size());
        ASSERT_TRUE(within(tcp->options(), view(bytes)));
        ASSERT_TRUE(within(segment->payload, view(bytes)));
        ASSERT_LE(segment->options.size(), tcp_option::max_space);
    }
}

TEST(TcpSegment, ReEmitOfLinuxSegments_IsByteForByteWithOffloadOrTheFullChecksum) {
    for (const ByteVector* original : {&linux_syn, &linux_hello}) {
        auto segment = TcpSegment::parse(view(*original));
        ASSERT_TRUE(succeeds(segment));
        EXPECT_EQ(to_hex(view(emitted(*segment, ChecksumMode::offload))), to_hex(view(*original)));
        ByteVector full = emitted(*segment, ChecksumMode::full);
        ByteVector expected = *original;
        store_be16(expected.data() + 16, original == &linux_syn ? 0xb454 : 0x9bf2);
        EXPECT_EQ(to_hex(view(full)), to_hex(view(expected)));
    }
}

TEST(TcpSegment, SequenceLength_CountsPayloadSynAndFin) {
    ByteVector payload(7);
    TcpSegment segment;
    EXPECT_EQ(segment.sequence_length(), 0u);
    segment.flags.bits = TcpFlags::syn;
    EXPECT_EQ(segment.sequence_length(), 1u);
    segment.flags.bits = TcpFlags::syn | TcpFlags::fin;
    EXPECT_EQ(segment.sequence_length(), 2u);
    segment.flags.bits = TcpFlags::fin | TcpFlags::ack | TcpFlags::rst | TcpFlags::psh;
    segment.payload = view(payload);
    EXPECT_EQ(segment.sequence_length(), 8u);
    ByteVector bytes = emitted(segment);
    EXPECT_EQ(TcpView::parse(view(bytes))->sequence_length(), 8u);
}

TEST(TcpSegment, SizeAndDataOffset_CoverTheOptions) {
    TcpSegment segment;
    EXPECT_EQ(segment.header_size(), 20u);
    segment.options.mss = 1460;
    segment.options.timestamps = TcpTimestamps{1, 2};
    ByteVector payload(3);
    segment.payload = view(payload);
    EXPECT_EQ(segment.header_size(), 36u);
    EXPECT_EQ(segment.size(), 39u);
    ByteVector bytes = emitted(segment);
    EXPECT_EQ(std::to_integer<int>(bytes[12]), 0x90);  // 9 words, reserved bits clear
}

// Every header field and the options at random; no payload.
TcpSegment random_segment(TestRandom& random) {
    TcpSegment segment;
    segment.source_port = random.u16();
    segment.destination_port = random.u16();
    segment.seq = Seq{random.u32()};
    segment.ack = Seq{random.u32()};
    segment.flags.bits = random.u8();
    segment.window = random.u16();
    segment.urgent_pointer = random.u16();
    segment.options = random_options(random);
    return segment;
}

TEST(TcpSegment, ParseOfEmit_IsIdentityWithTheChecksumOfTheMode) {
    TestRandom random{0x5e9};
    for (int i = 0; i < 3000; ++i) {
        ByteVector payload = random.bytes(random.below(i % 50 == 0 ? 1500 : 60));
        TcpSegment segment = random_segment(random);
        segment.payload = view(payload);
        Ipv4Address source{random.u32()};
        Ipv4Address destination{random.u32()};
        ChecksumMode mode = random.coin() ? ChecksumMode::full : ChecksumMode::offload;

        ByteVector out = random.bytes(segment.size() + random.below(8));  // garbage around is overwritten/ignored
        segment.emit(test::mutable_view(out), source, destination, mode);
        Bytes bytes{out.data(), segment.size()};
        auto parsed = TcpView::parse(bytes);
        ASSERT_TRUE(succeeds(parsed)) << "case " << i;
        ASSERT_EQ(parsed->checksum_status(source, destination),
                  mode == ChecksumMode::full ? ChecksumStatus::valid : ChecksumStatus::offload_pending)
            << "case " << i;
        if (mode == ChecksumMode::full) {
            ASSERT_EQ(parsed->expected_checksum(source, destination), parsed->checksum()) << "case " << i;
        }
        ASSERT_TRUE(TcpSegment::from(*parsed) == segment) << "case " << i;
    }
}

TEST(TcpSegment, Emit_PayloadAlreadyInPlace_IsNotCopied) {
    TcpSegment segment;
    segment.flags.bits = TcpFlags::ack | TcpFlags::psh;
    segment.options.timestamps = TcpTimestamps{5, 6};
    ByteVector out(segment.header_size() + 5);
    std::copy_n(linux_hello.end() - 5, 5, out.begin() + static_cast<std::ptrdiff_t>(segment.header_size()));
    segment.payload = Bytes{out.data() + segment.header_size(), 5};
    segment.emit(test::mutable_view(out), client, server);
    auto parsed = TcpView::parse(view(out));
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_EQ(to_hex(parsed->payload()), "68 65 6c 6c 6f");
    EXPECT_EQ(parsed->checksum_status(client, server), ChecksumStatus::valid);
}

TEST(TcpSegment, EmitWithPayloadSum_IsByteForByteWhatEmitWrites) {
    // The send path copies the payload into place and sums it in one pass, then emits around it.
    TestRandom random{0x5a5a};
    for (int i = 0; i < 2000; ++i) {
        ByteVector payload = random.bytes(random.below(i % 4 == 0 ? 1461 : 200));
        TcpSegment segment = random_segment(random);
        Ipv4Address source{random.u32()};
        Ipv4Address destination{random.u32()};

        ByteVector expected(segment.header_size() + payload.size());
        segment.payload = view(payload);
        segment.emit(test::mutable_view(expected), source, destination);

        ByteVector out = random.bytes(expected.size());
        MutableBytes in_place{out.data() + segment.header_size(), payload.size()};
        ChecksumAccumulator payload_sum;
        // In two chunks, the first of any length: a send ring that wraps.
        const std::size_t first = random.below(payload.size() + 1);
        payload_sum.add_copy(in_place.first(first), view(payload).first(first));
        payload_sum.add_copy(in_place.subspan(first), view(payload).subspan(first));
        segment.payload = in_place;
        segment.emit_with_payload_sum(test::mutable_view(out), source, destination, payload_sum);
        ASSERT_EQ(out, expected) << "case " << i;
    }
}

TEST(TcpSegment, Emit_PayloadOverlappingTheHeader_IsMovedIntact) {
    // The payload sits at the start of the buffer the segment is built in: it must be moved out of the way
    // before the header is written over it.
    ByteVector out = join({hex("68 65 6c 6c 6f 20 77 6f 72 6c 64"), ByteVector(40)});
    TcpSegment segment;
    segment.flags.bits = TcpFlags::ack;
    segment.options.mss = 1460;
    segment.payload = Bytes{out.data(), 11};
    segment.emit(test::mutable_view(out), client, server);
    auto parsed = TcpView::parse(Bytes{out.data(), 35});
    ASSERT_TRUE(succeeds(parsed));
    EXPECT_EQ(to_hex(parsed->payload()), "68 65 6c 6c 6f 20 77 6f 72 6c 64");
    EXPECT_EQ(parsed->checksum_status(client, server), ChecksumStatus::valid);
}

TEST(TcpSegment, Equality_ComparesPayloadBytesNotAddresses) {
    ByteVector a = hex("01 02 03");
    ByteVector b = hex("01 02 03");
    TcpSegment x;
    TcpSegment y;
    x.payload = view(a);
    y.payload = view(b);
    EXPECT_TRUE(x == y);
    b[2] = std::byte{4};
    EXPECT_FALSE(x == y);
    y.payload = view(a);
    y.window = 1;
    EXPECT_FALSE(x == y);
    y.window = 0;
    y.options.sack_permitted = true;
    EXPECT_FALSE(x == y);
}

TEST(TcpFlags, Accessors_ReadTheirBits) {
    TcpFlags flags{TcpFlags::syn | TcpFlags::ack};
    EXPECT_TRUE(flags.syn_set());
    EXPECT_TRUE(flags.ack_set());
    EXPECT_FALSE(flags.fin_set());
    EXPECT_FALSE(flags.rst_set());
    EXPECT_FALSE(flags.psh_set());
    EXPECT_FALSE(flags.urg_set());
    EXPECT_TRUE(flags.has(TcpFlags::syn));
    EXPECT_FALSE(flags.has(TcpFlags::ece));
    EXPECT_TRUE(TcpFlags{0xff}.has(TcpFlags::cwr));
    EXPECT_EQ(TcpFlags{0x12}, flags);
}

// The TCP checksum the slow, obvious way: pseudo-header and segment as big-endian 16-bit words, an odd last
// byte padded with zero, carries folded back after every addition. The reference for the unrolled paths.
std::uint16_t plain_tcp_sum(Ipv4Address source, Ipv4Address destination, Bytes segment) {
    std::uint32_t sum = 0;
    auto add = [&sum](std::uint32_t word) {
        sum += word;
        sum = (sum & 0xffff) + (sum >> 16);
    };
    add(source.value() >> 16);
    add(source.value() & 0xffff);
    add(destination.value() >> 16);
    add(destination.value() & 0xffff);
    add(ip_protocol::tcp);
    add(static_cast<std::uint32_t>(segment.size()));
    for (std::size_t i = 0; i < segment.size(); i += 2) {
        add(std::to_integer<std::uint32_t>(segment[i]) << 8 |
            (i + 1 < segment.size() ? std::to_integer<std::uint32_t>(segment[i + 1]) : 0));
    }
    return static_cast<std::uint16_t>(sum);
}

// All ones, or random with every fourth case all-ones runs: the carry-heavy data the unrolled sums must get right.
ByteVector carry_heavy(TestRandom& random, std::size_t size, int i) {
    ByteVector data = random.bytes(size);
    if (i % 3 == 0) std::fill(data.begin(), data.end(), std::byte{0xff});
    if (i % 3 == 1) {
        for (std::size_t k = 0; k < size; ++k) {
            if (random.below(4) != 0) data[k] = std::byte{0xff};
        }
    }
    return data;
}

TEST(TcpView, ParseVerify_AgreesWithThePlainSum_ForEveryHeaderSize) {
    // Headers of 20 to 60 bytes (options of NOPs after random fixed fields: the unrolled 20, 32 and 40 and
    // the general loop), payloads of odd and even length, carry-heavy bytes; checksums right or off by one bit.
    TestRandom random{0xc4ec};
    for (int i = 0; i < 6000; ++i) {
        const std::size_t header = 20 + 4 * random.below(11);
        ByteVector segment = carry_heavy(random, header + random.below(i % 10 == 0 ? 1500 : 70), i);
        store_u8(segment.data() + 12, static_cast<std::uint8_t>(header / 4 << 4));
        std::fill(segment.begin() + 20, segment.begin() + static_cast<std::ptrdiff_t>(header), std::byte{tcp_option::nop});
        const Ipv4Address source{i % 3 == 0 ? 0xffffffffu : random.u32()};
        const Ipv4Address destination{random.u32()};
        store_be16(segment.data() + 16, 0);
        store_be16(segment.data() + 16, static_cast<std::uint16_t>(~plain_tcp_sum(source, destination, view(segment))));
        if (random.coin()) {
            // Not the data offset nor the options: only the checksum is under test.
            std::size_t at = random.below(segment.size());
            if (at >= 20 && at < header) at %= 20;
            if (at == 12) at = 13;
            segment[at] ^= std::byte{static_cast<std::uint8_t>(1u << random.below(8))};
        }
        const bool valid = plain_tcp_sum(source, destination, view(segment)) == 0xffff;

        Ipv4Header ip;
        ip.protocol = ip_protocol::tcp;
        ip.source = source;
        ip.destination = destination;
        ip.payload_length = static_cast<std::uint16_t>(segment.size());
        ByteVector packet(Ipv4Header::size());
        ip.emit(test::mutable_view(packet));
        packet = join({packet, segment});
        auto parsed_ip = Ipv4View::parse(view(packet));
        ASSERT_TRUE(succeeds(parsed_ip));
        auto verified = TcpView::parse(*parsed_ip, ChecksumCheck::verify);
        ASSERT_EQ(verified.has_value(), valid) << "case " << i;
        if (!valid) {
            ASSERT_EQ(verified.error(), ParseError::bad_checksum) << "case " << i;
        }
        auto skipped = TcpView::parse(*parsed_ip, ChecksumCheck::skip);
        ASSERT_TRUE(succeeds(skipped));
        ASSERT_EQ(skipped->checksum_status(source, destination) == ChecksumStatus::valid, valid) << "case " << i;
        ASSERT_EQ(skipped->expected_checksum(source, destination),
                  static_cast<std::uint16_t>(~plain_tcp_sum(source, destination,
                                                            view(with_byte(with_byte(segment, 16, 0), 17, 0)))))
            << "case " << i;
    }
}

TEST(TcpSegment, EmitChecksums_EqualThePlainSum) {
    // Both emit paths, every option combination's header size, odd payloads and all-ones fields.
    TestRandom random{0xe5e5};
    for (int i = 0; i < 3000; ++i) {
        const ByteVector payload = carry_heavy(random, random.below(i % 10 == 0 ? 1500 : 70), i);
        TcpSegment segment = random_segment(random);
        if (i % 3 == 0) {
            segment.source_port = segment.destination_port = segment.window = segment.urgent_pointer = 0xffff;
            segment.seq = segment.ack = Seq{0xffffffff};
            segment.flags.bits = 0xff;
        }
        segment.payload = view(payload);
        const Ipv4Address source{i % 3 == 0 ? 0xffffffffu : random.u32()};
        const Ipv4Address destination{random.u32()};
        ByteVector out(segment.size());
        segment.emit(test::mutable_view(out), source, destination);
        ASSERT_EQ(plain_tcp_sum(source, destination, view(out)), 0xffffu) << "case " << i;

        ByteVector in_place(segment.size());
        ChecksumAccumulator payload_sum;
        payload_sum.add_copy(MutableBytes{in_place.data() + segment.header_size(), payload.size()}, view(payload));
        segment.payload = Bytes{in_place.data() + segment.header_size(), payload.size()};
        segment.emit_with_payload_sum(test::mutable_view(in_place), source, destination, payload_sum);
        ASSERT_EQ(in_place, out) << "case " << i;
    }
}

}  // namespace
}  // namespace tcpp::wire
