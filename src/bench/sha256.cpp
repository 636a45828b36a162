#include "bench/sha256.h"

#include <stdexcept>

#include <openssl/evp.h>

namespace tcpp::bench {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
    if (!context_ || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(context_);
        throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::update(wire::Bytes data) {
    if (EVP_DigestUpdate(context_, data.data(), data.size()) != 1) throw std::runtime_error("EVP_DigestUpdate failed");
}

Sha256::Digest Sha256::finish() {
    Digest digest{};
    unsigned length = 0;
    if (EVP_DigestFinal_ex(context_, digest.data(), &length) != 1 || length != digest.size()) {
        throw std::runtime_error("EVP_DigestFinal_ex failed");
    }
    return digest;
}

std::string Sha256::hex(const Digest& digest) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    for (std::uint8_t byte : digest) {
        text += digits[byte >> 4];
        text += digits[byte & 15];
    }
    return text;
}

}  // namespace tcpp::bench
