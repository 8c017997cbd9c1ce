#pragma once
// What an operator needs to know of a PEM certificate file: whom it names and when it expires.
// Thread-safety: stateless.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace tf {

struct CertificateInfo {
  std::string subject;  //!< one line, RFC 2253 ("CN=trust.example.com,O=Acme")
  std::string issuer;
  int64_t not_before = 0;  //!< microseconds since the epoch
  int64_t not_after = 0;
};

//! The first certificate in the PEM file at `path`; NotFound when the file cannot be read,
//! InvalidArgument when it holds no PEM certificate.
absl::StatusOr<CertificateInfo> ReadCertificateFile(const std::string& path);

}  // namespace tf
