// ParseError: every error has a distinct name, and travels as a std::error_code.

#include "wire/parse_error.h"

#include <set>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace tcpp::wire {
namespace {

constexpr ParseError all_errors[] = {
    ParseError::truncated,       ParseError::bad_version,       ParseError::bad_ihl,
    ParseError::total_length_mismatch, ParseError::bad_checksum, ParseError::bad_data_offset,
    ParseError::bad_option_length,     ParseError::option_past_header, ParseError::unsupported,
};

TEST(ParseError, ToString_NamesEveryErrorDistinctly) {
    std::set<std::string_view> names;
    for (ParseError error : all_errors) {
        std::string_view name = to_string(error);
        EXPECT_FALSE(name.empty());
        EXPECT_NE(name, "unknown parse error");
        names.insert(name);
    }
    EXPECT_EQ(names.size(), std::size(all_errors));
    EXPECT_EQ(to_string(ParseError::truncated), "truncated");
    EXPECT_EQ(to_string(ParseError::bad_checksum), "bad checksum");
}

TEST(ParseError, ToString_OfAValueOutsideTheEnum_IsUnknown) {
    EXPECT_EQ(to_string(ParseError{}), "unknown parse error");
    EXPECT_EQ(to_string(static_cast<ParseError>(200)), "unknown parse error");
}

TEST(ParseError, ErrorCode_CarriesTheCategoryAndTheMessage) {
    for (ParseError error : all_errors) {
        std::error_code code = error;  // implicit, through is_error_code_enum
        EXPECT_TRUE(code);
        EXPECT_EQ(&code.category(), &parse_category());
        EXPECT_EQ(code.value(), static_cast<int>(error));
        EXPECT_EQ(code.message(), std::string{to_string(error)});
        EXPECT_EQ(code, make_error_code(error));
    }
    EXPECT_STREQ(parse_category().name(), "tcpp.wire");
}

TEST(ParseError, ErrorCodes_OfDifferentErrorsOrCategories_Differ) {
    std::error_code truncated = ParseError::truncated;
    EXPECT_NE(truncated, std::error_code{ParseError::unsupported});
    EXPECT_NE(truncated, std::make_error_code(std::errc::invalid_argument));
    EXPECT_NE(truncated, (std::error_code{1, std::generic_category()}));
}

TEST(ParseError, Parsed_HoldsAValueOrAnError) {
    Parsed<int> value = 42;
    ASSERT_TRUE(value);
    EXPECT_EQ(*value, 42);
    Parsed<int> error = fail(ParseError::bad_ihl);
    ASSERT_FALSE(error);
    EXPECT_EQ(error.error(), ParseError::bad_ihl);
}

}  // namespace
}  // namespace tcpp::wire
