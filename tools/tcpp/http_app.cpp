#include "http_app.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>

#include <fmt/format.h>

namespace tcpp::tool::http {
namespace {

// One period of the /bytes/N body: 95 chargen lines (RFC 864), after which the lines repeat.
constexpr std::array<std::byte, body_period> body_pattern = [] {
    std::array<std::byte, body_period> pattern{};
    for (std::size_t line = 0; line < 95; ++line) {
        for (std::size_t i = 0; i < 72; ++i) pattern[line * 74 + i] = static_cast<std::byte>(' ' + (line + i) % 95);
        pattern[line * 74 + 72] = std::byte{'\r'};
        pattern[line * 74 + 73] = std::byte{'\n'};
    }
    return pattern;
}();

// RFC 9110 5.6.2: the characters of a token (a method, a field name).
bool is_token_char(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

// Optional whitespace (SP, HTAB) trimmed from both ends.
std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// A decimal number of at most 2^63 - 1, digits only (Content-Length, the N of /bytes/N).
std::optional<std::uint64_t> parse_count(std::string_view digits) {
    if (digits.empty() || digits.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return value;
}

// Splits off the next line of a header section: LF ends a line, and a CR just before it is dropped (RFC
// 9112 2.2 lets a recipient take a bare LF as the end of a line).
std::string_view next_line(std::string_view& rest) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

const char* reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    }
    return "Unknown";
}

constexpr std::string_view index_text =
    "tcpp http server\n"
    "GET /bytes/N   N bytes (0 <= N < 2^63) of chargen lines (RFC 864: 72 characters, CR LF)\n"
    "HEAD           the same headers, no body\n";

}  // namespace

void fill_body(std::uint64_t offset, std::span<std::byte> out) {
    std::size_t at = static_cast<std::size_t>(offset % body_period);
    while (!out.empty()) {
        const std::size_t n = std::min(out.size(), body_period - at);
        std::memcpy(out.data(), body_pattern.data() + at, n);
        out = out.subspan(n);
        at = 0;
    }
}

void HttpDate::update(std::int64_t unix_seconds) {
    if (unix_seconds == seconds_) return;
    seconds_ = unix_seconds;
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const time_t t = static_cast<time_t>(unix_seconds);
    tm utc{};
    gmtime_r(&t, &utc);
    fmt::format_to_n(text_.data(), text_.size(), "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", days[utc.tm_wday],
                     utc.tm_mday, months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

ServerSession::ServerSession(const ServerConfig& config, std::uint64_t now_us)
    : config_(config), last_activity_us_(now_us) {}

std::size_t ServerSession::receive_room() const {
    if (closing_) return std::numeric_limits<std::size_t>::max();  // dropped as it comes
    return config_.max_header_bytes - std::min(unparsed(), config_.max_header_bytes);
}

void ServerSession::receive(std::span<const std::byte> bytes, std::uint64_t now_us) {
    if (bytes.empty()) return;
    last_activity_us_ = now_us;
    if (closing_) return;
    if (input_from_ > 0) {  // what was parsed goes; the rest (a few KiB at most) moves to the front
        input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(input_from_));
        input_from_ = 0;
    }
    const char* data = reinterpret_cast<const char*>(bytes.data());
    input_.insert(input_.end(), data, data + std::min(bytes.size(), receive_room()));
}

void ServerSession::receive_end() { end_of_input_ = true; }

std::span<const std::byte> ServerSession::output() {
    if (output_from_ == output_.size()) {
        output_.clear();
        output_from_ = 0;
        fill();
    }
    return std::span<const std::byte>{output_}.subspan(output_from_);
}

void ServerSession::sent(std::size_t count, std::uint64_t now_us) {
    output_from_ += std::min(count, output_.size() - output_from_);
    if (count > 0) last_activity_us_ = now_us;
}

bool ServerSession::stalled(std::uint64_t now_us) const {
    const bool waiting = response_.active || output_from_ != output_.size();
    return waiting && now_us - last_activity_us_ >= config_.send_timeout_us;
}

bool ServerSession::poll(std::uint64_t now_us) {
    if (closing_ || response_.active || output_from_ != output_.size()) return false;
    if (now_us - last_activity_us_ < config_.idle_timeout_us) return false;
    // Idle for the timeout. A request begun and not finished is told why the connection goes (RFC 9110
    // 15.5.9); an idle keep-alive connection is just closed.
    if (unparsed() > 0 || discard_ > 0) {
        respond_error(408, false, false);
    } else {
        closing_ = true;
    }
    return true;
}

bool ServerSession::finished() const { return closing_ && !response_.active && output_from_ == output_.size(); }

bool ServerSession::linger_over(std::uint64_t now_us) {
    if (!finished()) return false;
    if (!finished_at_us_) finished_at_us_ = now_us;
    return end_of_input_ || now_us - *finished_at_us_ >= config_.linger_us;
}

// Appends to output_ what fits of the response being written, and of the ones after it, up to output_bytes.
void ServerSession::fill() {
    output_.reserve(config_.output_bytes);
    for (;;) {
        if (response_.active) {
            Response& r = response_;
            std::size_t room = config_.output_bytes - output_.size();
            const std::size_t head = std::min(room, r.head.size() - r.head_from);
            const auto* head_bytes = reinterpret_cast<const std::byte*>(r.head.data() + r.head_from);
            output_.insert(output_.end(), head_bytes, head_bytes + head);
            r.head_from += head;
            room -= head;
            const std::size_t body = static_cast<std::size_t>(std::min<std::uint64_t>(room, r.body_length - r.body_from));
            if (r.body == Body::text) {
                const auto* text = reinterpret_cast<const std::byte*>(r.text.data() + r.body_from);
                output_.insert(output_.end(), text, text + body);
            } else if (r.body == Body::pattern) {
                const std::size_t at = output_.size();
                output_.resize(at + body);
                fill_body(r.body_from, std::span<std::byte>{output_}.subspan(at));
            }
            r.body_from += body;
            if (r.head_from < r.head.size() || r.body_from < r.body_length) return;  // output_ is full
            r.active = false;
            continue;
        }
        if (closing_ || !next_request()) return;
    }
}

// Takes the next request from the input and makes its response. False when the input holds no whole
// request yet.
bool ServerSession::next_request() {
    if (discard_ > 0) {  // the rest of the last request's body
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(discard_, unparsed()));
        input_from_ += n;
        discard_ -= n;
        if (discard_ > 0) {
            if (end_of_input_) closing_ = true;
            return false;
        }
    }
    // Empty lines before a request line are ignored (RFC 9112 2.2).
    while (unparsed() > 0) {
        const char c = input_[input_from_];
        if (c == '\n') {
            ++input_from_;
        } else if (c == '\r' && unparsed() >= 2 && input_[input_from_ + 1] == '\n') {
            input_from_ += 2;
        } else {
            break;
        }
        scanned_ = 0;
    }
    const std::size_t length = find_head_end();
    if (length == 0) {
        if (unparsed() >= config_.max_header_bytes) {
            // The bound reached with no end of the header section in it: 414 while the request line
            // itself has not ended, 431 after.
            const bool in_request_line = std::memchr(input_.data() + input_from_, '\n', unparsed()) == nullptr;
            respond_error(in_request_line ? 414 : 431, false, false);
            return true;
        }
        if (end_of_input_) closing_ = true;  // a request cut short by the peer's end: nothing to answer
        return false;
    }
    const std::string_view head{input_.data() + input_from_, length};
    input_from_ += length;
    scanned_ = 0;
    answer(head);
    return true;
}

// The length of the header section at the front of the input (request line, fields, and the empty line
// that ends them), or 0 when it has not all arrived.
std::size_t ServerSession::find_head_end() {
    const char* begin = input_.data() + input_from_;
    const std::size_t size = unparsed();
    for (std::size_t i = scanned_; i < size;) {
        const void* found = std::memchr(begin + i, '\n', size - i);
        if (!found) break;
        const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(found) - begin);
        if (lf + 1 < size && begin[lf + 1] == '\n') return lf + 2;
        if (lf + 2 < size && begin[lf + 1] == '\r' && begin[lf + 2] == '\n') return lf + 3;
        i = lf + 1;
    }
    // An end not yet seen starts at most two bytes from the end (LF, CR): look again from there.
    scanned_ = size >= 2 ? size - 2 : 0;
    return 0;
}

void ServerSession::answer(std::string_view head) {
    std::string_view rest = head;
    const std::string_view request_line = next_line(rest);
    // request-line = method SP request-target SP HTTP-version (RFC 9112 3)
    const std::size_t first = request_line.find(' ');
    const std::size_t second = first == std::string_view::npos ? first : request_line.find(' ', first + 1);
    if (second == std::string_view::npos) return respond_error(400, false, false);
    const std::string_view method = request_line.substr(0, first);
    const std::string_view target = request_line.substr(first + 1, second - first - 1);
    const std::string_view version = request_line.substr(second + 1);
    const bool head_only = method == "HEAD";
    if (!is_token(method) || target.empty() ||
        !std::all_of(target.begin(), target.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
        return respond_error(400, false, false);
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9') {
        return respond_error(400, false, false);
    }
    if (version[5] != '1') return respond_error(505, false, head_only);
    const bool http_1_0 = version[7] == '0';

    // Header fields (RFC 9112 5): name ":" OWS value OWS, the name a token with no whitespace before the
    // colon, no line folding (obs-fold is refused with 400, as 5.2 allows), no control characters.
    int hosts = 0;
    std::optional<std::uint64_t> content_length;
    bool transfer_encoding = false, close_asked = false, keep_alive_asked = false, expect_continue = false;
    for (std::string_view line = next_line(rest); !line.empty(); line = next_line(rest)) {
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
            return respond_error(400, false, false);
        }
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trimmed(line.substr(colon + 1));
        if (!std::all_of(value.begin(), value.end(),
                         [](char c) { return c == '\t' || (static_cast<unsigned char>(c) >= ' ' && c != 0x7f); })) {
            return respond_error(400, false, false);  // a control character, a bare CR among them
        }
        if (equals_ignoring_case(name, "host")) {
            ++hosts;
        } else if (equals_ignoring_case(name, "content-length")) {
            // A list of one repeated value is one value (RFC 9110 8.6); anything else is an error.
            std::string_view list = value;
            do {
                const std::size_t comma = list.find(',');
                const auto length = parse_count(trimmed(list.substr(0, comma)));
                if (!length || (content_length && *content_length != *length)) return respond_error(400, false, false);
                content_length = length;
                list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
            } while (!list.empty());
        } else if (equals_ignoring_case(name, "transfer-encoding")) {
            transfer_encoding = true;
        } else if (equals_ignoring_case(name, "connection")) {
            std::string_view list = value;
            while (!list.empty()) {
                const std::size_t comma = list.find(',');
                const std::string_view option = trimmed(list.substr(0, comma));
                close_asked = close_asked || equals_ignoring_case(option, "close");
                keep_alive_asked = keep_alive_asked || equals_ignoring_case(option, "keep-alive");
                list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
            }
        } else if (equals_ignoring_case(name, "expect")) {
            expect_continue = equals_ignoring_case(value, "100-continue");
        }
    }
    // RFC 9112 3.2: a request with no Host (HTTP/1.1) or more than one gets 400. 6.3: Transfer-Encoding
    // with Content-Length is an attack or an error (400, then close); Transfer-Encoding alone is a body
    // this server does not decode (501, RFC 9112 6.1), and since it cannot find the body's end, it closes.
    if (hosts > 1 || (hosts == 0 && !http_1_0)) return respond_error(400, false, head_only);
    if (transfer_encoding) return respond_error(content_length ? 400 : 501, false, head_only);
    Reply reply;
    reply.head_only = head_only;
    reply.keep_alive = !close_asked && (!http_1_0 || keep_alive_asked);
    reply.say_keep_alive = http_1_0 && reply.keep_alive;
    if (content_length && *content_length > 0) {
        // A body is read and dropped, after the response; unless the client waits for 100 (Continue)
        // before it sends it: then the response goes at once and the connection is closed instead.
        if (expect_continue) reply.keep_alive = reply.say_keep_alive = false;
        discard_ = *content_length;
    }

    if (method != "GET" && method != "HEAD") {
        // The other methods of RFC 9110 9.3 exist but are not allowed here; any other is not known.
        static constexpr std::string_view known[] = {"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
        const bool is_known = std::find(std::begin(known), std::end(known), method) != std::end(known);
        return respond_error(is_known ? 405 : 501, reply.keep_alive, false);
    }
    // The path: origin-form, or absolute-form (RFC 9112 3.2.2: its authority, not Host, names the server),
    // without the query.
    std::string_view path = target;
    for (std::string_view scheme : {std::string_view{"http://"}, std::string_view{"https://"}}) {
        if (path.size() >= scheme.size() && equals_ignoring_case(path.substr(0, scheme.size()), scheme)) {
            path.remove_prefix(scheme.size());
            const std::size_t slash = path.find_first_of("/?");
            path = slash == std::string_view::npos || path[slash] == '?' ? "/" : path.substr(slash);
        }
    }
    if (path.front() != '/') return respond_error(400, false, head_only);
    path = path.substr(0, path.find('?'));
    if (path == "/") return respond(reply, Body::text, index_text.size(), index_text);
    constexpr std::string_view bytes_prefix = "/bytes/";
    if (path.substr(0, bytes_prefix.size()) == bytes_prefix) {
        if (auto count = parse_count(path.substr(bytes_prefix.size()))) return respond(reply, Body::pattern, *count, {});
    }
    respond_error(404, reply.keep_alive, head_only);
}

void ServerSession::respond_error(int status, bool keep_alive, bool head_only) {
    const std::string text = fmt::format("{} {}\n", status, reason(status));
    Reply reply;
    reply.status = status;
    reply.keep_alive = keep_alive;
    reply.head_only = head_only;
    respond(reply, Body::text, text.size(), text);
}

void ServerSession::respond(const Reply& reply, Body body, std::uint64_t length, std::string_view text) {
    Response& r = response_;
    r.active = true;
    r.head.clear();
    r.head_from = 0;
    auto out = std::back_inserter(r.head);
    fmt::format_to(out, "HTTP/1.1 {} {}\r\nServer: tcpp\r\n", reply.status, reason(reply.status));
    if (config_.date) fmt::format_to(out, "Date: {}\r\n", config_.date->text());
    fmt::format_to(out, "Content-Type: {}\r\nContent-Length: {}\r\n",
                   body == Body::pattern ? "application/octet-stream" : "text/plain; charset=utf-8", length);
    if (reply.status == 405) r.head += "Allow: GET, HEAD\r\n";
    if (!reply.keep_alive) {
        r.head += "Connection: close\r\n";
    } else if (reply.say_keep_alive) {
        r.head += "Connection: keep-alive\r\n";
    }
    r.head += "\r\n";
    r.body = reply.head_only ? Body::none : body;
    r.body_length = reply.head_only ? 0 : length;
    r.body_from = 0;
    r.text.assign(r.body == Body::text ? text : std::string_view{});
    if (!reply.keep_alive) closing_ = true;  // nothing after this response is answered (RFC 9112 9.6)
    if (ServerStats* stats = config_.stats) {
        ++stats->responses;
        ++(reply.status < 300 ? stats->successful : reply.status < 500 ? stats->client_errors : stats->server_errors);
    }
}

}  // namespace tcpp::tool::http
