#pragma once
// SHA-256 over a stream, with OpenSSL's libcrypto (EVP): to tell that what arrived is what was sent.

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "wire/bytes.h"

struct evp_md_ctx_st;

namespace tcpp::bench {

class Sha256 {
public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(wire::Bytes data);
    // The digest of everything updated so far; the object is then spent.
    Digest finish();

    static std::string hex(const Digest& digest);

private:
    evp_md_ctx_st* context_;
};

}  // namespace tcpp::bench
