#include "transfer_harness.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tcpp::testing {

// ---------------------------------------------------------------------------------------------------------
// The pattern

// A 64-bit finaliser (the splitmix64 constants): every input bit reaches every output bit.
std::uint64_t PatternStream::word(std::uint64_t index) const {
    std::uint64_t z = key_ + index * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void PatternStream::fill(std::uint64_t offset, wire::MutableBytes out) const {
    std::size_t i = 0;
    while (i < out.size()) {
        const std::uint64_t position = offset + i;
        const std::uint64_t w = word(position / 8);
        for (unsigned b = static_cast<unsigned>(position % 8); b < 8 && i < out.size(); ++b, ++i) {
            out[i] = static_cast<std::byte>(w >> (8 * b));
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// One side's application

StreamSide::StreamSide(std::uint64_t send_key, std::uint64_t total, std::uint64_t receive_key)
    : send_total(total), send_pattern_(send_key), receive_pattern_(receive_key), read_buffer_(64 * KiB) {}

void StreamSide::pump() {
    if (closed || !connection.valid()) return;
    if (std::error_code failed = connection.error()) {
        error = failed;
        connection.close();
        closed = true;
        finish_hashes();
        return;
    }
    observe();
    write();
    if (reading) read();
    shut_down_when_written();
    if (end_of_stream && shut_down && !error) {
        if (auto info = connection.info()) last_info = *info;
        connection.close();
        closed = true;
        finish_hashes();
    }
}

void StreamSide::observe() {
    auto info = connection.info();
    if (!info) return;
    if (!established_info && info->state == State::established) established_info = *info;
    // Any synchronized state: a sender whose data all fits in its buffer shuts down (FIN_WAIT_1) long
    // before the windows of the transfer come back.
    const State state = info->state;
    if (state != State::closed && state != State::listen && state != State::syn_sent && state != State::syn_received) {
        max_snd_wnd = std::max(max_snd_wnd, info->snd_wnd);
        if (info->snd_wnd == 0 && info->send_queue > 0) saw_zero_snd_wnd = true;
    }
    last_info = *info;
}

void StreamSide::write() {
    while (queued < send_total) {
        if (staged_used_ == staged_.size()) {
            staged_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(64 * KiB, send_total - queued)));
            send_pattern_.fill(queued, staged_);
            staged_used_ = 0;
        }
        const wire::Bytes rest = wire::Bytes{staged_}.subspan(staged_used_);
        auto taken = connection.send(rest);
        if (!taken || *taken == 0) break;  // the send buffer is full (EAGAIN), or not yet open
        sent_hash_.update(rest.first(*taken));
        staged_used_ += *taken;
        queued += *taken;
        if (*taken < rest.size()) break;
    }
}

void StreamSide::shut_down_when_written() {
    // The receiver of a one-way transfer closes only after the sender's end of stream: the passive close.
    const State state = connection.state();
    if (state != State::established && state != State::close_wait) return;
    if (queued == send_total && !shut_down && (send_total > 0 || end_of_stream)) {
        if (std::error_code failed = connection.shutdown()) error = failed;
        shut_down = true;
    }
}

void StreamSide::read() {
    for (;;) {
        auto n = connection.receive(read_buffer_);
        if (!n) return;  // EAGAIN, or an error the next pump records
        if (*n == 0) {
            end_of_stream = true;
            return;
        }
        const wire::Bytes got = wire::Bytes{read_buffer_}.first(*n);
        expected_.resize(*n);
        receive_pattern_.fill(received, expected_);
        if (!first_mismatch && std::memcmp(got.data(), expected_.data(), *n) != 0) {
            std::size_t at = 0;
            while (got[at] == expected_[at]) ++at;
            first_mismatch = received + at;
        }
        received_hash_.update(got);
        received += *n;
    }
}

void StreamSide::finish_hashes() {
    if (hashes_done_) return;
    hashes_done_ = true;
    sent_digest = sent_hash_.finish();
    received_digest = received_hash_.finish();
}

// ---------------------------------------------------------------------------------------------------------
// States

void StateLog::record(const TraceEvent& event) {
    if (event.type != TraceEvent::Type::state || !event.remote) return;
    entries_.emplace_back(std::string{event.node}, event.to);
}

std::string StateLog::states(const std::string& node) const {
    std::string out;
    for (const auto& [name, state] : entries_) {
        if (name != node) continue;
        if (!out.empty()) out += ' ';
        out += tcp::to_string(state);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// The run

namespace {

StackConfig stack_config(Ipv4Address address, const char* name, std::uint64_t seed, std::uint64_t tag,
                         const SideConfig& side) {
    StackConfig config;
    config.address = address;
    config.name = name;
    config.secret = tcp::SipKey{seed, tag};  // the same seed, the same run
    config.tcp.window_scaling = side.window_scaling;
    config.tcp.max_receive_buffer = side.max_receive_buffer;
    config.tcp.delayed_ack_us = side.delayed_ack_us;
    config.tcp.retries = side.retries;
    config.tcp.segmentation_offload = side.segmentation_offload;
    config.tcp.defaults.send_buffer = side.send_buffer;
    config.tcp.defaults.receive_buffer = side.receive_buffer;
    return config;
}

constexpr std::uint64_t client_stream_key = 0x636c69656e742d3eull;
constexpr std::uint64_t server_stream_key = 0x3c2d736572766572ull;

TransferSpec with_step_budget(TransferSpec spec) {
    if (spec.max_steps == 0) spec.max_steps = 2'000'000 + 50 * ((spec.client_sends + spec.server_sends) / 536);
    return spec;
}

}  // namespace

TransferRun::TransferRun(const TransferSpec& given)
    : spec(with_step_budget(given)),
      network(spec.seed, spec.client_to_server),
      client(network.add_node(stack_config(client_address, "client", spec.seed, 1, spec.client))),
      server(network.add_node(stack_config(server_address, "server", spec.seed, 2, spec.server))),
      client_side(client_stream_key, spec.client_sends, server_stream_key),
      server_side(server_stream_key, spec.server_sends, client_stream_key) {
    network.set_link(client_address, server_address, spec.client_to_server);
    network.set_link(server_address, client_address, spec.server_to_client);
    client.set_trace(&states);
    server.set_trace(&states);
    auto listening = server.listen({Ipv4Address{}, port}, 8);
    EXPECT_TRUE(listening) << "listen: " << listening.error().message();
    if (listening) listener = *listening;
    auto connected = client.connect({server_address, port});
    EXPECT_TRUE(connected) << "connect: " << connected.error().message();
    if (connected) client_side.connection = *connected;
}

void TransferRun::pump() {
    client_side.pump();
    if (!server_side.connection.valid() && !server_side.closed && listener.valid()) {
        if (auto accepted = listener.accept()) {
            server_side.connection = *accepted;
            listener.close();  // one connection is all this run takes
        }
    }
    server_side.pump();
}

bool TransferRun::run_until(const std::function<bool()>& done, std::uint64_t deadline_us) {
    if (out_of_steps) return false;
    const bool finished = network.run_until(
        [&] {
            pump();
            if (done()) return true;
            if (++steps > spec.max_steps) out_of_steps = true;
            return out_of_steps;
        },
        deadline_us);
    return finished && !out_of_steps;
}

bool TransferRun::transfer() {
    return run_until([&] { return client_side.closed && server_side.closed; }, spec.max_virtual_us);
}

bool TransferRun::run_for(std::uint64_t duration_us) {
    run_for(duration_us, [] { return false; });
    return !out_of_steps;
}

bool TransferRun::run_for(std::uint64_t duration_us, const std::function<bool()>& done) {
    const std::uint64_t end = network.now_us() + duration_us;
    if (run_until(done, end)) return true;
    if (out_of_steps) return false;
    network.run_until(end);  // nothing is left to happen before `end`: this only moves the clock
    pump();
    return done();
}

bool TransferRun::drain() {
    return run_until(
        [&] {
            return client.connection_count() == 0 && client.time_wait_count() == 0 &&
                   server.connection_count() == 0 && server.time_wait_count() == 0;
        },
        network.now_us() + 600'000'000);
}

std::string describe(const tcp::ConnectionInfo& i) {
    return fmt::format(
        "state {} snd_mss {} snd_wnd {} rcv_wnd {} wscale snd {} rcv {} (scaling {}, ts {}, sack {}) srtt {} us "
        "rttvar {} us rto {} us retransmits {} backoff {} total_retransmits {} bytes_sent {} bytes_acked {} "
        "bytes_received {} unacked {} send_queue {} receive_queue {} ooo_ranges {}",
        tcp::to_string(i.state), i.snd_mss, i.snd_wnd, i.rcv_wnd, i.snd_wscale, i.rcv_wscale, i.window_scaling,
        i.timestamps, i.sack, i.srtt_us, i.rttvar_us, i.rto_us, i.retransmits, i.backoff, i.total_retransmits,
        i.bytes_sent, i.bytes_acked, i.bytes_received, i.unacked, i.send_queue, i.receive_queue,
        i.out_of_order_ranges);
}

std::string describe(const tcp::Counters& c) {
    return fmt::format(
        "InSegs {} OutSegs {} RetransSegs {} InErrs {} InCsumErrors {} OutRsts {} TCPTimeouts {} "
        "TCPRenoRecovery {} TCPWinProbe {} TCPOFOQueue {} TCPOFODrop {} PAWSEstab {} TCPACKSkippedSeq {} "
        "TCPAbortOnTimeout {} EstabResets {} CurrEstab {}",
        c.InSegs, c.OutSegs, c.RetransSegs, c.InErrs, c.InCsumErrors, c.OutRsts, c.TCPTimeouts,
        c.TCPRenoRecovery, c.TCPWinProbe, c.TCPOFOQueue, c.TCPOFODrop, c.PAWSEstab, c.TCPACKSkippedSeq,
        c.TCPAbortOnTimeout, c.EstabResets, c.CurrEstab);
}

std::string TransferRun::describe() const {
    std::string out = fmt::format("at {} us of virtual time, {} steps{}, {} packets sent, {} lost\n",
                                  network.now_us(), steps, out_of_steps ? " (step budget spent)" : "",
                                  network.packets_sent(), network.packets_lost());
    auto side = [&](const char* name, const StreamSide& s, const Stack& stack) {
        out += fmt::format("{}: queued {}/{} shut_down {} received {} end_of_stream {} closed {} error '{}'",
                           name, s.queued, s.send_total, s.shut_down, s.received, s.end_of_stream, s.closed,
                           s.error.message());
        if (s.first_mismatch) out += fmt::format(" FIRST MISMATCH at byte {}", *s.first_mismatch);
        out += fmt::format("\n  states: {}\n", states.states(std::string{stack.config().name}));
        if (s.connection.valid()) {
            out += fmt::format("  handle: state {} error '{}'\n", tcp::to_string(s.connection.state()),
                               s.connection.error().message());
        }
        if (s.last_info) out += "  last info: " + testing::describe(*s.last_info) + "\n";
        out += fmt::format("  stack: {} connections, {} TIME_WAIT; {}\n", stack.connection_count(),
                           stack.time_wait_count(), testing::describe(stack.counters()));
    };
    side("client", client_side, client);
    side("server", server_side, server);
    return out;
}

}  // namespace tcpp::testing
