#include "wire/parse_error.h"

#include <string>

namespace tcpp::wire {

std::string_view to_string(ParseError error) {
    switch (error) {
    case ParseError::truncated: return "truncated";
    case ParseError::bad_version: return "bad version";
    case ParseError::bad_ihl: return "bad IHL";
    case ParseError::total_length_mismatch: return "total length mismatch";
    case ParseError::bad_checksum: return "bad checksum";
    case ParseError::bad_data_offset: return "bad data offset";
    case ParseError::bad_option_length: return "bad option length";
    case ParseError::option_past_header: return "option past header";
    case ParseError::unsupported: return "unsupported";
    }
    return "unknown parse error";
}

namespace {

class ParseCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "tcpp.wire"; }
    std::string message(int value) const override {
        return std::string{to_string(static_cast<ParseError>(value))};
    }
};

}  // namespace

const std::error_category& parse_category() {
    static const ParseCategory category;
    return category;
}

std::error_code make_error_code(ParseError error) { return {static_cast<int>(error), parse_category()}; }

}  // namespace tcpp::wire
