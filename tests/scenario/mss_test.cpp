// The MSS option (RFC 9293 3.7.1, RFC 6691): announced in SYN and SYN,ACK (the MTU less 40 bytes), and
// honoured: no segment the stack sends carries more than min(the peer's MSS, ours) bytes, and 536 when the
// peer announced none.

#include <gtest/gtest.h>

#include "segment_script.h"

namespace tcpp {
namespace {

using testing::OpenOptions;
using testing::Opened;
using testing::Seg;
using testing::SegmentScript;

// `size` bytes of text that say where they are: "0123456789012...".
std::string text_of(std::size_t size) {
    std::string text(size, '0');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('0' + i % 10);
    return text;
}

// Sends `size` bytes and expects them back in segments of `mss` bytes at most, PSH on the last.
void expect_segmented(SegmentScript& t, Opened& o, std::size_t size, std::size_t mss) {
    std::string text = text_of(size);
    ASSERT_EQ(*o.connection.send(wire::as_bytes(text.data(), text.size())), size);
    for (std::size_t offset = 0; offset < size; offset += mss) {
        const std::size_t length = std::min(mss, size - offset);
        Seg expected = Seg{}.seq(o.snd_nxt + static_cast<std::uint32_t>(offset)).ack(o.rcv_nxt);
        if (offset + length == size) expected.psh();
        t.expect(expected.payload(text.substr(offset, length)));
    }
    t.expect_nothing();
    o.snd_nxt += static_cast<std::uint32_t>(size);
}

TEST(Mss, Syn_AnnouncesTheMtuLess40) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port}));
    t.expect(Seg{}.syn().mss(1460));
}

TEST(Mss, SynAck_AnnouncesTheMtuLess40) {
    SegmentScript t;
    ASSERT_TRUE(t.stack.listen({{}, 80}, 8));
    t.inject(Seg{}.syn().seq(1).mss(500));
    t.expect(Seg{}.syn().ack(2).mss(1460));  // ours, whatever the peer's
}

TEST(Mss, ConfiguredMss_IsAnnounced) {
    StackConfig config = SegmentScript::default_config();
    config.tcp.mss = 1000;
    SegmentScript t{config};
    ASSERT_TRUE(t.stack.connect({SegmentScript::peer_address, SegmentScript::peer_port}));
    t.expect(Seg{}.syn().mss(1000));
}

TEST(Mss, PassivePeersMss_LimitsEverySegment) {
    SegmentScript t;
    OpenOptions options;
    options.peer_mss = 100;
    Opened o = t.open_server(options);
    expect_segmented(t, o, 250, 100);
}

TEST(Mss, ActivePeersMss_FromTheSynAck_LimitsEverySegment) {
    SegmentScript t;
    OpenOptions options;
    options.peer_mss = 700;
    Opened o = t.open_client(options);
    expect_segmented(t, o, 1500, 700);
}

TEST(Mss, PeerWithoutMssOption_GetsSegmentsOf536) {
    SegmentScript t;
    OpenOptions options;
    options.peer_mss = std::nullopt;
    Opened o = t.open_server(options);
    expect_segmented(t, o, 1200, 536);
}

TEST(Mss, PeerMssAboveOurs_OurMtuStillLimits) {
    SegmentScript t;
    OpenOptions options;
    options.peer_mss = 9000;
    Opened o = t.open_server(options);
    expect_segmented(t, o, 3000, 1460);
}

TEST(Mss, RetransmissionsRespectTheMssToo) {
    SegmentScript t;
    OpenOptions options;
    options.peer_mss = 100;
    Opened o = t.open_server(options);
    const std::uint32_t start = o.snd_nxt;
    expect_segmented(t, o, 150, 100);
    // RTO: 200 ms (a zero RTT sample, held at the minimum); only the first segment goes again.
    t.expect_after(200'000, Seg{}.psh().seq(start).ack(o.rcv_nxt).payload(text_of(100)));
}

}  // namespace
}  // namespace tcpp
