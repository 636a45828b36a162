// The http application of `tcpp serve` (tools/tcpp/http_app.h) without a network: requests in as bytes,
// split anywhere; responses out as bytes, parsed back here and checked field by field and byte by byte.

#include "http_app.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tcpp::tool::http {
namespace {

// The /bytes/N body as the README states it, computed the slow way: chargen line n is the 72 printable
// characters from the (n mod 95)-th on, round the end, then CR LF.
std::string chargen_prefix(std::uint64_t from, std::size_t count) {
    std::string out;
    for (std::uint64_t k = from; k < from + count; ++k) {
        const std::uint64_t line = k / 74, column = k % 74;
        out += column < 72 ? static_cast<char>(' ' + (line + column) % 95) : column == 72 ? '\r' : '\n';
    }
    return out;
}

void feed(ServerSession& s, std::string_view bytes, std::uint64_t now_us = 0) {
    s.receive(std::span{reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, now_us);
}

// Everything the session has to send now, taken in the chunks it offers.
std::string drain(ServerSession& s, std::size_t limit = 64 << 20, std::uint64_t now_us = 0) {
    std::string out;
    for (auto bytes = s.output(); !bytes.empty() && out.size() < limit; bytes = s.output()) {
        out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        s.sent(bytes.size(), now_us);
    }
    return out;
}

struct Response {
    int status = 0;
    std::map<std::string, std::string> fields;  // names in lower case
    std::string body;
};

// Splits a byte stream of responses; `head_only[i]` says that the i-th answers a HEAD (no body).
std::vector<Response> parse(std::string_view stream, const std::vector<bool>& head_only = {}) {
    std::vector<Response> responses;
    while (!stream.empty()) {
        Response r;
        const std::size_t end = stream.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            ADD_FAILURE() << "a response head without its end: " << stream;
            break;
        }
        std::string_view head = stream.substr(0, end + 2);
        stream.remove_prefix(end + 4);
        const std::size_t line_end = head.find("\r\n");
        const std::string_view status_line = head.substr(0, line_end);
        EXPECT_EQ(status_line.substr(0, 9), "HTTP/1.1 ");
        r.status = std::stoi(std::string{status_line.substr(9, 3)});
        head.remove_prefix(line_end + 2);
        while (!head.empty()) {
            const std::size_t eol = head.find("\r\n");
            const std::string_view line = head.substr(0, eol);
            const std::size_t colon = line.find(": ");
            std::string name{line.substr(0, colon)};
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.fields[name] = std::string{line.substr(colon + 2)};
            head.remove_prefix(eol + 2);
        }
        const bool no_body = responses.size() < head_only.size() && head_only[responses.size()];
        const std::size_t length = no_body ? 0 : std::stoull(r.fields.at("content-length"));
        EXPECT_LE(length, stream.size());
        r.body = std::string{stream.substr(0, length)};
        stream.remove_prefix(std::min(length, stream.size()));
        responses.push_back(std::move(r));
    }
    return responses;
}

// One request alone on a fresh session: its response(s), and whether the session then finished.
struct Exchange {
    std::vector<Response> responses;
    bool finished = false;
};
Exchange exchange(std::string_view requests, const std::vector<bool>& head_only = {}) {
    ServerSession s{ServerConfig{}};
    feed(s, requests);
    Exchange e;
    e.responses = parse(drain(s), head_only);
    e.finished = s.finished();
    return e;
}

TEST(HttpApp, GetBytes_AnswersExactlyNBytesOfChargenLines) {
    Exchange e = exchange("GET /bytes/1000 HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n");
    ASSERT_EQ(e.responses.size(), 1u);
    const Response& r = e.responses[0];
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.fields.at("content-length"), "1000");
    EXPECT_EQ(r.fields.at("content-type"), "application/octet-stream");
    EXPECT_EQ(r.fields.count("connection"), 0u);  // HTTP/1.1: persistent without saying so
    EXPECT_EQ(r.body, chargen_prefix(0, 1000));
    EXPECT_FALSE(e.finished);
}

TEST(HttpApp, FillBody_MatchesTheLinesFromAnyOffset) {
    for (std::uint64_t offset : {0ull, 1ull, 71ull, 72ull, 73ull, 7029ull, 7030ull, 123456789ull, (1ull << 40) - 3}) {
        std::string got(10000, '\0');
        fill_body(offset, std::span{reinterpret_cast<std::byte*>(got.data()), got.size()});
        EXPECT_EQ(got, chargen_prefix(offset, got.size())) << offset;
    }
}

TEST(HttpApp, Head_TheSameHeadersWithoutTheBody) {
    Exchange e = exchange("HEAD /bytes/5000 HTTP/1.1\r\nHost: h\r\n\r\n", {true});
    ASSERT_EQ(e.responses.size(), 1u);
    EXPECT_EQ(e.responses[0].status, 200);
    EXPECT_EQ(e.responses[0].fields.at("content-length"), "5000");
    EXPECT_EQ(e.responses[0].body, "");
}

TEST(HttpApp, Root_ListsWhatIsServed) {
    Exchange e = exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(e.responses.size(), 1u);
    EXPECT_EQ(e.responses[0].status, 200);
    EXPECT_NE(e.responses[0].body.find("/bytes/N"), std::string::npos);
    EXPECT_EQ(e.responses[0].fields.at("content-type"), "text/plain; charset=utf-8");
}

TEST(HttpApp, DateField_IsImfFixdate) {
    HttpDate date;
    date.update(784111777);  // RFC 9110 5.6.7's example
    EXPECT_EQ(date.text(), "Sun, 06 Nov 1994 08:49:37 GMT");
    ServerConfig config;
    config.date = &date;
    ServerSession s{config};
    feed(s, "GET /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n");
    auto responses = parse(drain(s));
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].fields.at("date"), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpApp, Pipelined_AnsweredInOrder) {
    Exchange e = exchange(
        "GET /bytes/10 HTTP/1.1\r\nHost: h\r\n\r\n"
        "HEAD /bytes/20 HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /nothing HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /bytes/30?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
        {false, true, false, false});
    ASSERT_EQ(e.responses.size(), 4u);
    EXPECT_EQ(e.responses[0].body, chargen_prefix(0, 10));
    EXPECT_EQ(e.responses[1].fields.at("content-length"), "20");
    EXPECT_EQ(e.responses[2].status, 404);
    EXPECT_EQ(e.responses[3].body, chargen_prefix(0, 30));
    EXPECT_FALSE(e.finished);
}

// The same requests, however TCP cuts them, give the same bytes out.
TEST(HttpApp, SplitAtAnyByte_SameResponses) {
    const std::string requests =
        "\r\nGET /bytes/100 HTTP/1.1\r\nHost: h\r\nUser-Agent: test\r\n\r\n"
        "GET /bytes/7 HTTP/1.1\nHost: h\n\n"                                   // bare LF line ends
        "GET /bytes/3 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"  // a body, dropped
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab"
        "GET http://h/bytes/4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        "GET /bytes/5 HTTP/1.1\r\nHost: h\r\n\r\n";  // after close: never answered
    ServerSession whole{ServerConfig{}};
    feed(whole, requests);
    whole.receive_end();
    const std::string expected = drain(whole);
    ASSERT_TRUE(whole.finished());
    const auto responses = parse(expected);
    ASSERT_EQ(responses.size(), 5u);
    EXPECT_EQ(responses[2].body, chargen_prefix(0, 3));
    EXPECT_EQ(responses[3].status, 405);
    EXPECT_EQ(responses[3].fields.at("allow"), "GET, HEAD");
    EXPECT_EQ(responses[4].body, chargen_prefix(0, 4));
    EXPECT_EQ(responses[4].fields.at("connection"), "close");

    for (std::size_t cut = 0; cut <= requests.size(); ++cut) {
        ServerSession s{ServerConfig{}};
        std::string got;
        feed(s, std::string_view{requests}.substr(0, cut));
        got += drain(s);
        feed(s, std::string_view{requests}.substr(cut));
        got += drain(s);
        s.receive_end();
        got += drain(s);
        EXPECT_EQ(got, expected) << "cut at " << cut;
        EXPECT_TRUE(s.finished());
    }
    ServerSession bytewise{ServerConfig{}};
    std::string got;
    for (char c : requests) {
        feed(bytewise, std::string_view{&c, 1});
        got += drain(bytewise);
    }
    EXPECT_EQ(got, expected);
}

TEST(HttpApp, Http11_ConnectionClose_FinishesAfterTheResponse) {
    ServerSession s{ServerConfig{}};
    feed(s, "GET /bytes/10 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    EXPECT_FALSE(s.finished());
    auto out = s.output();
    ASSERT_FALSE(out.empty());
    s.sent(out.size() - 1, 0);
    EXPECT_FALSE(s.finished());  // one byte still to go
    s.sent(1, 0);
    EXPECT_TRUE(s.output().empty());
    EXPECT_TRUE(s.finished());
    EXPECT_FALSE(s.linger_over(1000));           // read on for linger_us, or until the peer's end
    EXPECT_TRUE(s.linger_over(1000 + 5'000'000));
}

TEST(HttpApp, Http10_ClosesUnlessKeepAliveIsAsked) {
    Exchange plain = exchange("GET /bytes/1 HTTP/1.0\r\n\r\n");  // no Host needed in 1.0
    ASSERT_EQ(plain.responses.size(), 1u);
    EXPECT_EQ(plain.responses[0].fields.at("connection"), "close");
    EXPECT_TRUE(plain.finished);
    Exchange kept = exchange("GET /bytes/1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    ASSERT_EQ(kept.responses.size(), 1u);
    EXPECT_EQ(kept.responses[0].fields.at("connection"), "keep-alive");
    EXPECT_FALSE(kept.finished);
}

TEST(HttpApp, MalformedRequests_400ThenClose) {
    for (const char* request : {
             "GET /bytes/1\r\n\r\n",                                     // no version
             "GET  /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n",                // two spaces
             "GET /bytes/1 http/1.1\r\nHost: h\r\n\r\n",                 // the name is case-sensitive
             "GET /bytes/1 HTTP/1.10\r\nHost: h\r\n\r\n",
             "G(T /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n",                 // not a token
             "GET bytes HTTP/1.1\r\nHost: h\r\n\r\n",                    // no form of request-target
             "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\nHost : h\r\n\r\n",                // space before the colon
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n folded\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",      // a bare CR
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\n\r\n",                            // 1.1 without Host
             "GET /bytes/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
             "GET /bytes/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
         }) {
        Exchange e = exchange(std::string{request} + "GET /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n");
        ASSERT_EQ(e.responses.size(), 1u) << request;  // and the request after it is not answered
        EXPECT_EQ(e.responses[0].status, 400) << request;
        EXPECT_EQ(e.responses[0].fields.at("connection"), "close") << request;
        EXPECT_TRUE(e.finished) << request;
    }
}

TEST(HttpApp, OtherMethodsAndVersions) {
    Exchange post = exchange("DELETE /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(post.responses.size(), 2u);
    EXPECT_EQ(post.responses[0].status, 405);  // and the connection goes on
    EXPECT_EQ(post.responses[1].status, 200);
    Exchange brew = exchange("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(brew.responses.size(), 1u);
    EXPECT_EQ(brew.responses[0].status, 501);
    EXPECT_FALSE(brew.finished);
    Exchange chunked = exchange("GET /bytes/1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    ASSERT_EQ(chunked.responses.size(), 1u);
    EXPECT_EQ(chunked.responses[0].status, 501);  // a body it does not decode: it cannot go on
    EXPECT_TRUE(chunked.finished);
    Exchange two = exchange("GET /bytes/1 HTTP/2.0\r\nHost: h\r\n\r\n");
    ASSERT_EQ(two.responses.size(), 1u);
    EXPECT_EQ(two.responses[0].status, 505);
    EXPECT_TRUE(two.finished);
    Exchange minor = exchange("GET /bytes/2 HTTP/1.7\r\nHost: h\r\n\r\n");  // a later 1.x is 1.1 to us
    ASSERT_EQ(minor.responses.size(), 1u);
    EXPECT_EQ(minor.responses[0].status, 200);
}

TEST(HttpApp, Paths_NotFoundAndTheLimitsOfN) {
    for (const char* path : {"/bytes/", "/bytes/-1", "/bytes/1x", "/bytes/9223372036854775808", "/bytes", "/x"}) {
        Exchange e = exchange(std::string{"GET "} + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
        ASSERT_EQ(e.responses.size(), 1u) << path;
        EXPECT_EQ(e.responses[0].status, 404) << path;
        EXPECT_FALSE(e.finished) << path;
    }
    Exchange largest = exchange("HEAD /bytes/9223372036854775807 HTTP/1.1\r\nHost: h\r\n\r\n", {true});
    ASSERT_EQ(largest.responses.size(), 1u);
    EXPECT_EQ(largest.responses[0].fields.at("content-length"), "9223372036854775807");
}

// 2^40 bytes are generated as they are taken: the session never holds more than output_bytes of them.
TEST(HttpApp, HugeBody_StreamedInBoundedChunks) {
    ServerConfig config;
    ServerSession s{config};
    feed(s, "GET /bytes/1099511627776 HTTP/1.1\r\nHost: h\r\n\r\n");
    auto first = s.output();
    ASSERT_EQ(first.size(), config.output_bytes);
    const std::string head{reinterpret_cast<const char*>(first.data()), first.size()};
    EXPECT_NE(head.find("Content-Length: 1099511627776\r\n"), std::string::npos);
    const std::size_t body_start = head.find("\r\n\r\n") + 4;
    std::uint64_t offset = first.size() - body_start;
    EXPECT_EQ(head.substr(body_start), chargen_prefix(0, offset));
    s.sent(first.size(), 0);
    for (int i = 0; i < 1000; ++i) {
        auto chunk = s.output();
        ASSERT_EQ(chunk.size(), config.output_bytes);
        if (i == 999) {
            EXPECT_EQ(std::string(reinterpret_cast<const char*>(chunk.data()), chunk.size()),
                      chargen_prefix(offset, chunk.size()));
        }
        offset += chunk.size();
        s.sent(chunk.size(), 0);
    }
    EXPECT_FALSE(s.finished());
}

TEST(HttpApp, HeaderSectionOverTheBound_431AndNeverMoreHeld) {
    ServerSession s{ServerConfig{}};
    feed(s, "GET /bytes/1 HTTP/1.1\r\nHost: h\r\n");
    const std::string field = "X-Filler: " + std::string(90, 'a') + "\r\n";
    for (int i = 0; i < 200; ++i) {  // 20 KB of fields offered; no more than the bound is taken
        const std::size_t room = s.receive_room();
        if (room == 0) break;
        feed(s, std::string_view{field}.substr(0, std::min(room, field.size())));
        EXPECT_LE(room, ServerConfig{}.max_header_bytes);
    }
    const auto responses = parse(drain(s));
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 431);
    EXPECT_TRUE(s.finished());

    ServerSession line{ServerConfig{}};
    feed(line, "GET /" + std::string(9000, 'a'));
    const auto long_line = parse(drain(line));
    ASSERT_EQ(long_line.size(), 1u);
    EXPECT_EQ(long_line[0].status, 414);
}

TEST(HttpApp, BodyWithExpectContinue_AnsweredAtOnceAndClosed) {
    Exchange e = exchange("GET /bytes/2 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
    ASSERT_EQ(e.responses.size(), 1u);
    EXPECT_EQ(e.responses[0].status, 200);
    EXPECT_EQ(e.responses[0].fields.at("connection"), "close");
    EXPECT_TRUE(e.finished);
}

// While a response is held back (the peer does not read it), pipelined requests fill the input only up to
// the bound; then the session takes nothing more, and TCP's window holds the rest.
TEST(HttpApp, Backpressure_InputBoundedWhileAResponseWaits) {
    ServerSession s{ServerConfig{}};
    feed(s, "GET /bytes/100000000 HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_FALSE(s.output().empty());
    const std::string request = "GET /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n";
    std::size_t taken = 0;
    for (int i = 0; i < 1000 && s.receive_room() > 0; ++i) {
        const std::size_t n = std::min(s.receive_room(), request.size());
        feed(s, std::string_view{request}.substr(0, n));
        taken += n;
        (void)s.output();
    }
    EXPECT_EQ(s.receive_room(), 0u);
    EXPECT_EQ(taken, ServerConfig{}.max_header_bytes);
}

TEST(HttpApp, IdleTimeout_ClosesAKeepAliveConnection_408ForAHalfRequest) {
    ServerConfig config;
    ServerSession idle{config, 1000};
    feed(idle, "GET /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n", 1000);
    drain(idle, 1 << 20, 1000);
    EXPECT_FALSE(idle.poll(1000 + config.idle_timeout_us - 1));
    EXPECT_FALSE(idle.finished());
    EXPECT_TRUE(idle.poll(1000 + config.idle_timeout_us));
    EXPECT_TRUE(idle.output().empty());  // closed without a word
    EXPECT_TRUE(idle.finished());

    ServerSession half{config, 0};
    feed(half, "GET /bytes/1 HTTP/1.1\r\nHo", 0);
    EXPECT_TRUE(drain(half).empty());
    EXPECT_TRUE(half.poll(config.idle_timeout_us));
    const auto responses = parse(drain(half));
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 408);
    EXPECT_TRUE(half.finished());
}

TEST(HttpApp, SendTimeout_AClientThatStopsReadingIsGivenUp) {
    ServerConfig config;
    ServerSession s{config, 0};
    feed(s, "GET /bytes/9000000000000000000 HTTP/1.1\r\nHost: h\r\n\r\n", 0);
    auto first = s.output();
    ASSERT_FALSE(first.empty());
    s.sent(1000, 10);  // some of it went; then the client's window stays shut
    EXPECT_FALSE(s.stalled(10 + config.send_timeout_us - 1));
    EXPECT_FALSE(s.poll(10 + config.send_timeout_us));  // not idle: output waits
    EXPECT_TRUE(s.stalled(10 + config.send_timeout_us));
    // A connection with nothing to send is never stalled, however long it is quiet.
    ServerSession quiet{config, 0};
    EXPECT_FALSE(quiet.stalled(10 * config.send_timeout_us));
}

TEST(HttpApp, EndOfStream_AnswersWhatIsCompleteThenFinishes) {
    ServerSession s{ServerConfig{}};
    feed(s, "GET /bytes/3 HTTP/1.1\r\nHost: h\r\n\r\nGET /bytes/4 HTTP/1.1\r\nHo");
    s.receive_end();
    const auto responses = parse(drain(s));
    ASSERT_EQ(responses.size(), 1u);  // the half request is not answered
    EXPECT_TRUE(s.finished());
    EXPECT_TRUE(s.linger_over(0));  // the peer has ended: nothing to wait for
}

TEST(HttpApp, StatsCountEveryResponse) {
    ServerStats stats;
    ServerConfig config;
    config.stats = &stats;
    ServerSession s{config};
    feed(s, "GET /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /no HTTP/1.1\r\nHost: h\r\n\r\nBREW / HTTP/1.1\r\nHost: h\r\n\r\n");
    drain(s);
    EXPECT_EQ(stats.responses, 3u);
    EXPECT_EQ(stats.successful, 1u);
    EXPECT_EQ(stats.client_errors, 1u);
    EXPECT_EQ(stats.server_errors, 1u);
}

// Any bytes at all, in any pieces: no crash (the sanitizer build checks every access), no more input held
// than the bound, and every response whole.
TEST(HttpApp, RandomInput_NeverMoreThanTheBoundAndWellFormed) {
    std::mt19937 random{20261124};
    static constexpr char letters[] = "GET /bytes/0123456789 HTTP/1.\r\n:Host,Content-Length:Connection: close\x00\x7f\xff";
    const std::string alphabet{letters, sizeof letters - 1};
    for (int run = 0; run < 300; ++run) {
        ServerSession s{ServerConfig{}};
        std::string out;
        for (int piece = 0; piece < 50 && !s.finished(); ++piece) {
            std::string bytes(random() % 400, '\0');
            for (char& c : bytes) {
                c = random() % 4 == 0 ? static_cast<char>(random()) : alphabet[random() % alphabet.size()];
            }
            if (random() % 3 == 0) bytes = "GET /bytes/" + std::to_string(random() % 100) + " HTTP/1.1\r\nHost: h\r\n\r\n";
            feed(s, std::string_view{bytes}.substr(0, std::min(bytes.size(), s.receive_room())));
            out += drain(s, 1 << 20);
        }
        s.receive_end();
        out += drain(s, 1 << 20);
        EXPECT_TRUE(s.finished());
        for (const Response& r : parse(out)) EXPECT_GE(r.status, 200);
    }
}

}  // namespace
}  // namespace tcpp::tool::http
