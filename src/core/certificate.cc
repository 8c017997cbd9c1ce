#include "core/certificate.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "core/strings.h"

namespace tf {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

std::string NameLine(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> out(BIO_new(BIO_s_mem()));
  if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<int64_t> Micros(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InvalidArgumentError("the certificate has an unreadable validity time");
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000;
}

}  // namespace

absl::StatusOr<CertificateInfo> ReadCertificateFile(const std::string& path) {
  std::unique_ptr<BIO, BioFree> in(BIO_new_file(path.c_str(), "r"));
  if (!in) return absl::NotFoundError(StrCat("cannot read the certificate file ", path));
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return absl::InvalidArgumentError(StrCat(path, " holds no PEM certificate"));
  CertificateInfo info;
  info.subject = NameLine(X509_get_subject_name(cert.get()));
  info.issuer = NameLine(X509_get_issuer_name(cert.get()));
  absl::StatusOr<int64_t> not_before = Micros(X509_get0_notBefore(cert.get()));
  absl::StatusOr<int64_t> not_after = Micros(X509_get0_notAfter(cert.get()));
  if (!not_before.ok()) return not_before.status();
  if (!not_after.ok()) return not_after.status();
  info.not_before = *not_before;
  info.not_after = *not_after;
  return info;
}

}  // namespace tf
