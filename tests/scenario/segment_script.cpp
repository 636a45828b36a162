#include "segment_script.h"

#include <fmt/format.h>

namespace tcpp::testing {

std::string describe(const wire::TcpSegment& segment) {
    std::string flags;
    auto add = [&](std::uint8_t flag, const char* name) {
        if (segment.flags.has(flag)) flags += flags.empty() ? name : fmt::format(",{}", name);
    };
    add(wire::TcpFlags::syn, "SYN");
    add(wire::TcpFlags::ack, "ACK");
    add(wire::TcpFlags::fin, "FIN");
    add(wire::TcpFlags::rst, "RST");
    add(wire::TcpFlags::psh, "PSH");
    add(wire::TcpFlags::urg, "URG");
    std::string text = fmt::format("{}>{} [{}] seq {} ack {} win {} len {}", segment.source_port,
                                   segment.destination_port, flags, segment.seq.raw(), segment.ack.raw(),
                                   segment.window, segment.payload.size());
    if (segment.options.mss) text += fmt::format(" mss {}", *segment.options.mss);
    if (segment.options.window_scale) text += fmt::format(" wscale {}", *segment.options.window_scale);
    if (segment.options.sack_permitted) text += " sackOK";
    if (segment.options.timestamps) {
        text += fmt::format(" TS {} {}", segment.options.timestamps->value, segment.options.timestamps->echo_reply);
    }
    for (std::size_t i = 0; i < segment.options.sack_block_count; ++i) {
        text += fmt::format(" sack {}-{}", segment.options.sack_blocks[i].left.raw(), segment.options.sack_blocks[i].right.raw());
    }
    return text;
}

StackConfig SegmentScript::default_config() {
    StackConfig config;
    config.address = local_address;
    config.name = "tcpp";
    // The rule tests see every segment acknowledged at once and every small segment sent at once; the
    // delayed-ACK and Nagle tests turn these back on.
    config.tcp.delayed_ack_us = 0;
    config.tcp.defaults.nodelay = true;
    return config;
}

SegmentScript::SegmentScript(StackConfig config) : stack(std::move(config)) {
    stack.set_trace(&recorder);
    stack.poll(now_);
}

Opened SegmentScript::open_server(const OpenOptions& options) {
    Opened opened;
    ListenOptions listen_options;
    listen_options.connection = options.connection;
    auto listener = stack.listen({{}, local_port}, options.backlog, listen_options);
    EXPECT_TRUE(listener) << "listen";
    if (!listener) return opened;
    opened.listener = *listener;
    opened.peer_iss = options.peer_iss;
    Seg syn = Seg{}.syn().seq(options.peer_iss).window(options.peer_window);
    if (options.peer_mss) syn.mss(*options.peer_mss);
    if (options.peer_sack_permitted) syn.sack_ok();
    inject(syn);
    wire::TcpSegment synack = expect(Seg{}.syn().ack(options.peer_iss + 1).mss(1460));
    EXPECT_EQ(synack.options.sack_permitted, options.peer_sack_permitted);
    opened.iss = synack.seq.raw();
    opened.snd_nxt = opened.iss + 1;
    opened.rcv_nxt = options.peer_iss + 1;
    advance(options.rtt_us);
    inject(Seg{}.seq(opened.rcv_nxt).ack(opened.snd_nxt).window(options.peer_window));
    expect_nothing();
    auto accepted = opened.listener->accept();
    EXPECT_TRUE(accepted) << "accept";
    if (!accepted) return opened;
    opened.connection = *accepted;
    EXPECT_EQ(opened.connection.state(), State::established);
    return opened;
}

Opened SegmentScript::open_client(const OpenOptions& options) {
    Opened opened;
    local_port = client_port;
    auto connected = stack.connect({peer_address, peer_port}, Endpoint{{}, client_port}, &options.connection);
    EXPECT_TRUE(connected) << "connect";
    if (!connected) return opened;
    opened.connection = *connected;
    opened.peer_iss = options.peer_iss;
    wire::TcpSegment syn = expect(Seg{}.syn().mss(1460).window(65535));
    EXPECT_EQ(opened.connection.state(), State::syn_sent);
    opened.iss = syn.seq.raw();
    opened.snd_nxt = opened.iss + 1;
    opened.rcv_nxt = options.peer_iss + 1;
    advance(options.rtt_us);
    Seg synack = Seg{}.syn().seq(options.peer_iss).ack(opened.snd_nxt).window(options.peer_window);
    if (options.peer_mss) synack.mss(*options.peer_mss);
    inject(synack);
    expect(Seg{}.seq(opened.snd_nxt).ack(opened.rcv_nxt));
    expect_nothing();
    EXPECT_EQ(opened.connection.state(), State::established);
    return opened;
}

Opened SegmentScript::open_in_state(State state, const OpenOptions& options) {
    if (state == State::syn_received) {
        Opened opened;
        ListenOptions listen_options;
        listen_options.connection = options.connection;
        auto listener = stack.listen({{}, local_port}, options.backlog, listen_options);
        EXPECT_TRUE(listener) << "listen";
        if (!listener) return opened;
        opened.listener = *listener;
        opened.peer_iss = options.peer_iss;
        inject(Seg{}.syn().seq(options.peer_iss).window(options.peer_window).mss(1460));
        wire::TcpSegment synack = expect(Seg{}.syn().ack(options.peer_iss + 1).mss(1460));
        opened.iss = synack.seq.raw();
        opened.snd_nxt = opened.iss + 1;
        opened.rcv_nxt = options.peer_iss + 1;
        return opened;
    }
    Opened o = open_server(options);
    auto our_fin = [&] {
        EXPECT_FALSE(o.connection.shutdown());
        expect(Seg{}.fin().seq(o.snd_nxt).ack(o.rcv_nxt));
        o.snd_nxt += 1;
    };
    auto their_fin = [&](std::uint32_t ack) {
        inject(Seg{}.fin().seq(o.rcv_nxt).ack(ack));
        o.rcv_nxt += 1;
        expect(Seg{}.seq(o.snd_nxt).ack(o.rcv_nxt));
    };
    switch (state) {
    case State::established: break;
    case State::fin_wait_1: our_fin(); break;
    case State::fin_wait_2:
        our_fin();
        inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
        break;
    case State::closing:
        our_fin();
        their_fin(o.snd_nxt - 1);  // their FIN crossed ours: it does not acknowledge it
        break;
    case State::time_wait:
        our_fin();
        inject(Seg{}.seq(o.rcv_nxt).ack(o.snd_nxt));
        their_fin(o.snd_nxt);
        break;
    case State::close_wait: their_fin(o.snd_nxt); break;
    case State::last_ack:
        their_fin(o.snd_nxt);
        our_fin();
        break;
    default: ADD_FAILURE() << "open_in_state: no fixture for " << tcp::to_string(state); break;
    }
    expect_nothing();
    EXPECT_EQ(o.connection.state(), state) << "open_in_state";
    return o;
}

void SegmentScript::inject(const Seg& spec) {
    wire::TcpSegment segment;
    segment.source_port = spec.source_port.value_or(peer_port);
    segment.destination_port = spec.destination_port.value_or(local_port);
    segment.seq = wire::Seq{spec.seq_value.value_or(0)};
    segment.ack = wire::Seq{spec.ack_value.value_or(0)};
    segment.flags.bits = spec.flags;
    segment.window = spec.window_value.value_or(65535);
    if (spec.mss_value) segment.options.mss = spec.mss_value;
    segment.options.window_scale = spec.wscale_value;
    segment.options.timestamps = spec.ts_value;
    segment.options.sack_permitted = spec.sack_ok_value;
    for (const auto& block : spec.sack_value) segment.options.add_sack_block(block);
    segment.payload = wire::as_bytes(spec.payload_value.data(), spec.payload_value.size());
    inject_packet(wire::ipv4_tcp_packet(segment, peer_address, local_address));
}

void SegmentScript::inject_packet(wire::Bytes packet) {
    collect();
    stack.receive(packet, now_);
    collect();
}

void SegmentScript::collect() {
    while (auto packet = stack.next_output()) sent_.emplace_back(packet->begin(), packet->end());
}

wire::TcpSegment SegmentScript::expect(const Seg& expected, const char* file, int line) {
    ::testing::ScopedTrace trace(file, line, "expected segment");
    collect();
    if (sent_.empty()) {
        ADD_FAILURE() << "the stack sent nothing";
        return {};
    }
    static thread_local std::vector<std::byte> keep;
    keep = std::move(sent_.front());
    sent_.pop_front();
    auto ip = wire::Ipv4View::parse(keep);
    EXPECT_TRUE(ip) << "the stack sent a malformed IPv4 packet";
    if (!ip) return {};
    EXPECT_EQ(ip->source(), local_address);
    EXPECT_EQ(ip->destination(), peer_address);
    EXPECT_TRUE(ip->dont_fragment());
    auto view = wire::TcpView::parse(*ip, wire::ChecksumCheck::verify);
    EXPECT_TRUE(view) << "the stack sent a malformed or badly checksummed segment";
    if (!view) return {};
    wire::TcpSegment got = wire::TcpSegment::from(*view);
    std::string text = describe(got);
    EXPECT_EQ(got.flags.bits, expected.flags) << "flags of: " << text;
    if (expected.seq_value) {
        EXPECT_EQ(got.seq.raw(), *expected.seq_value) << "seq of: " << text;
    }
    if (expected.ack_value) {
        EXPECT_EQ(got.ack.raw(), *expected.ack_value) << "ack of: " << text;
    }
    if (expected.window_value) {
        EXPECT_EQ(got.window, *expected.window_value) << "window of: " << text;
    }
    if (expected.check_options) {
        wire::TcpOptions want;
        want.mss = expected.mss_value;
        want.window_scale = expected.wscale_value;
        want.timestamps = expected.ts_value;
        want.sack_permitted = expected.sack_ok_value;
        for (const auto& block : expected.sack_value) want.add_sack_block(block);
        if (expected.ts_any_value && got.options.timestamps) want.timestamps->value = got.options.timestamps->value;
        EXPECT_TRUE(got.options == want) << "options of: " << text;
    }
    if (expected.mss_value) {
        EXPECT_EQ(got.options.mss, expected.mss_value) << "mss of: " << text;
    }
    if (expected.source_port) {
        EXPECT_EQ(got.source_port, *expected.source_port) << text;
    }
    if (expected.destination_port) {
        EXPECT_EQ(got.destination_port, *expected.destination_port) << text;
    }
    last_payload.assign(reinterpret_cast<const char*>(got.payload.data()), got.payload.size());
    EXPECT_EQ(last_payload, expected.payload_value) << "payload of: " << text;
    return got;
}

void SegmentScript::expect_nothing(const char* file, int line) {
    ::testing::ScopedTrace trace(file, line, "expected no segment");
    collect();
    if (!sent_.empty()) {
        auto ip = wire::Ipv4View::parse(sent_.front());
        auto view = wire::TcpView::parse(*ip, wire::ChecksumCheck::skip);
        ADD_FAILURE() << "the stack sent " << sent_.size() << " segment(s), the first: "
                      << describe(wire::TcpSegment::from(*view));
    }
}

void SegmentScript::advance(std::uint64_t duration_us) {
    collect();
    std::uint64_t until = now_ + duration_us;
    while (auto deadline = stack.next_deadline()) {
        if (*deadline > until) break;
        now_ = std::max(now_, *deadline);
        stack.poll(now_);
        collect();
    }
    now_ = until;
    stack.poll(now_);
    collect();
}

wire::TcpSegment SegmentScript::expect_after(std::uint64_t delay_us, const Seg& expected, const char* file, int line) {
    ::testing::ScopedTrace trace(file, line, "expected a segment after a delay");
    if (delay_us > 0) {
        advance(delay_us - 1);
        expect_nothing(file, line);
    }
    advance(delay_us > 0 ? 1 : 0);
    return expect(expected, file, line);
}

void SegmentScript::advance_to_next_deadline() {
    collect();
    if (auto deadline = stack.next_deadline()) {
        now_ = std::max(now_, *deadline);
        stack.poll(now_);
    }
    collect();
}

}  // namespace tcpp::testing
