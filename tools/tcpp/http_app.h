#pragma once
// `tcpp serve --app http`: a small HTTP/1.1 origin server (RFC 9112 message syntax, RFC 9110 semantics),
// one ServerSession a connection. Sans-I/O like the stack: it takes received bytes and the time, and hands
// back the bytes to send; serve_command.cpp moves them between it and the Connection, so everything here
// is tested without a network (tests/unit/http_app_test.cpp).
//
// What it serves:
//   GET /bytes/N   200, N bytes (0 <= N < 2^63) of the chargen stream (RFC 864, as `--app chargen` sends
//                  it) cut at N: line n is the 72 printable ASCII characters from the (n mod 95)-th on,
//                  round the end, then CR LF. Generated as it is sent, from any offset: a session holds
//                  the same few KiB whatever N is.
//   GET /          200, a short text saying so.
//   HEAD           the same headers, no body.
// Errors: 400 for a malformed request line or header field (then close), 404 for any other path, 405
// for the methods RFC 9110 defines other than GET and HEAD, 501 for methods it does not know and for a
// request with Transfer-Encoding (then close: its body cannot be framed), 505 for an HTTP major version
// other than 1 (then close), 414 or 431 when the request line or the whole header section exceeds
// max_header_bytes (then close), 408 when a request is left half sent for the idle timeout (then close).
// A request body (Content-Length) is read and discarded, whatever the method; with `Expect:
// 100-continue` it is not waited for: the response says Connection: close instead.
// Persistence (RFC 9112 9.3): HTTP/1.1 keeps the connection unless `Connection: close`; HTTP/1.0 closes
// unless `Connection: keep-alive`. Pipelined requests are answered in order. A connection with nothing
// to answer and nothing received for idle_timeout_us is closed by the server.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tcpp::tool::http {

// The /bytes/N body repeats every 95 lines of 74 bytes.
inline constexpr std::size_t body_period = 95 * 74;
// Writes bytes [offset, offset + out.size()) of the /bytes/N body into out.
void fill_body(std::uint64_t offset, std::span<std::byte> out);

// The Date field's value (RFC 9110 5.6.7, IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"), rewritten only
// when the second changes. One for the whole server; every session reads it.
class HttpDate {
public:
    void update(std::int64_t unix_seconds);
    std::string_view text() const { return {text_.data(), text_.size()}; }

private:
    std::int64_t seconds_ = -1;
    std::array<char, 29> text_{};
};

// What a server's sessions answered, summed over all of them.
struct ServerStats {
    std::uint64_t responses = 0;
    std::uint64_t successful = 0;    // 2xx
    std::uint64_t client_errors = 0; // 4xx
    std::uint64_t server_errors = 0; // 5xx
};

struct ServerConfig {
    std::size_t max_header_bytes = 8 * 1024;  // request line and header fields, line ends included
    std::uint64_t idle_timeout_us = 5'000'000;
    // A response the client stops reading: after this long with nothing sent (or received) while output
    // waits, the connection is given up (nginx's send_timeout, 60 s); else a client that never reads would
    // hold its session, and the connection's zero-window probes, for ever.
    std::uint64_t send_timeout_us = 60'000'000;
    // After our last response on a connection we close (our FIN) and read on for at most this long, so
    // that the peer's late bytes do not turn the close into a reset (RFC 9112 9.6) that could destroy the
    // response before the peer has read it.
    std::uint64_t linger_us = 5'000'000;
    std::size_t output_bytes = 16 * 1024;  // response bytes made ready at once
    const HttpDate* date = nullptr;        // none: no Date field (a server without a clock, RFC 9110 6.6.1)
    ServerStats* stats = nullptr;
};

class ServerSession {
public:
    explicit ServerSession(const ServerConfig& config, std::uint64_t now_us = 0);

    // How many received bytes the session takes now: what is left of max_header_bytes for requests not
    // yet answered (0: read no more until output is taken), or any number once it is finished.
    std::size_t receive_room() const;
    // Bytes from the peer, at most receive_room(). After finished() they are dropped.
    void receive(std::span<const std::byte> bytes, std::uint64_t now_us);
    // The peer's end of stream: the requests already complete are answered, then the session finishes.
    void receive_end();
    // The next response bytes, in the order of the requests; empty when nothing is due now.
    std::span<const std::byte> output();
    // `count` bytes of output() were sent.
    void sent(std::size_t count, std::uint64_t now_us);
    // Runs the idle timeout; true when it acted (a 408 response is due, or the session finished).
    bool poll(std::uint64_t now_us);

    // Everything this connection will get has been sent: close our side (after output() came back empty).
    bool finished() const;
    // Finished, and the peer has ended its stream too or had linger_us (from the first call that saw the
    // session finished) to: the connection can be let go.
    bool linger_over(std::uint64_t now_us);
    // Output waits and nothing has moved for send_timeout_us: give the connection up (an RST).
    bool stalled(std::uint64_t now_us) const;

private:
    enum class Body { none, text, pattern };
    // The response being written out.
    struct Response {
        bool active = false;
        std::string head;
        std::size_t head_from = 0;
        Body body = Body::none;
        std::string text;
        std::uint64_t body_length = 0;
        std::uint64_t body_from = 0;
        bool close_after = false;
    };

    bool next_request();
    std::size_t find_head_end();
    void answer(std::string_view head);
    struct Reply {
        int status = 200;
        bool keep_alive = false;
        bool say_keep_alive = false;  // an HTTP/1.0 client asked for it: say it is granted
        bool head_only = false;       // HEAD: the headers alone
    };
    void respond(const Reply& reply, Body body, std::uint64_t length, std::string_view text);
    void respond_error(int status, bool keep_alive, bool head_only);
    void fill();
    std::size_t unparsed() const { return input_.size() - input_from_; }

    ServerConfig config_;
    std::vector<char> input_;       // received, not yet parsed or discarded, from input_from_
    std::size_t input_from_ = 0;
    std::size_t scanned_ = 0;       // how far past input_from_ no end of header section was found
    std::uint64_t discard_ = 0;     // request body bytes still to be read and dropped
    std::vector<std::byte> output_; // ready to send, from output_from_
    std::size_t output_from_ = 0;
    Response response_;
    bool end_of_input_ = false;
    bool closing_ = false;          // no more requests are answered
    std::uint64_t last_activity_us_ = 0;
    std::optional<std::uint64_t> finished_at_us_;
};

}  // namespace tcpp::tool::http
