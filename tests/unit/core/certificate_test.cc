// Reading a PEM certificate's subject, issuer and validity, from a certificate openssl made.
#include "core/certificate.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace tf {
namespace {

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/tf-cert-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CertificateTest, NamesTheSubjectAndTheValidity) {
  std::string cert = dir_ + "/cert.pem";
  std::string cmd = "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 "
                    "-subj /O=Acme/CN=trust.example -keyout " + dir_ + "/key.pem -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  absl::StatusOr<CertificateInfo> info = ReadCertificateFile(cert);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->subject, "CN=trust.example,O=Acme");
  EXPECT_EQ(info->issuer, info->subject) << "self-signed";
  EXPECT_EQ(info->not_after - info->not_before, int64_t{30} * 86400 * 1'000'000);
  int64_t now = static_cast<int64_t>(::time(nullptr)) * 1'000'000;
  EXPECT_LE(info->not_before, now);
  EXPECT_GT(info->not_after, now);
}

TEST_F(CertificateTest, AMissingFileOrOneWithoutACertificateIsRefused) {
  EXPECT_EQ(ReadCertificateFile(dir_ + "/none.pem").status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir_ + "/junk.pem") << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(ReadCertificateFile(dir_ + "/junk.pem").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tf
