#pragma once
// Every way a packet can be malformed has a name. Parsers return Parsed<T>: a validated view or value,
// or one of these errors. They are also std::error_code values, so they travel with the stack's errors.

#include <cstdint>
#include <string_view>
#include <system_error>

#include "common/expected.h"

namespace tcpp::wire {

enum class ParseError : std::uint8_t {
    truncated = 1,           // fewer bytes than the header (or its stated length) needs
    bad_version,             // IPv4: the version field is not 4
    bad_ihl,                 // IPv4: IHL below 5 or past the bytes at hand
    total_length_mismatch,   // IPv4: total length below the header or above the bytes at hand
    bad_checksum,            // a header or segment checksum does not verify
    bad_data_offset,         // TCP: data offset below 5 or past the segment
    bad_option_length,       // TCP: an option's length byte is 0 or 1
    option_past_header,      // TCP: an option (or its length byte) runs past the header
    unsupported,             // a well-formed packet of a kind tcpp does not handle (e.g. ARP for IPv6)
};

std::string_view to_string(ParseError error);
const std::error_category& parse_category();
std::error_code make_error_code(ParseError error);

template <class T>
using Parsed = Expected<T, ParseError>;

inline Unexpected<ParseError> fail(ParseError error) { return Unexpected<ParseError>{error}; }

}  // namespace tcpp::wire

template <>
struct std::is_error_code_enum<tcpp::wire::ParseError> : std::true_type {};
