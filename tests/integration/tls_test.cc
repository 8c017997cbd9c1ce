// HTTPS from a certificate/key pair: trustd serves TLS, refuses plain HTTP on that port,
// marks session cookies Secure, and reports the certificate in the encryption status.
#include <gtest/gtest.h>

#include "support/trustd_process.h"

namespace tf::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CommandResult made = RunCommand(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", certs_.path() + "/key.pem", "-out",
         certs_.path() + "/cert.pem"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  TempDir certs_;
};

TEST_F(TlsTest, ServesHttpsAndSecureCookies) {
  TrustdProcess server({{}, {{"TRUST_SERVER_TLS_CERT_FILE", certs_.path() + "/cert.pem"},
                             {"TRUST_SERVER_TLS_KEY_FILE", certs_.path() + "/key.pem"}}});
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  ASSERT_EQ(server.Bootstrap("tls-admin@example.com", "correct-Horse-7-battery").exit_code, 0);
  std::string base = "https://127.0.0.1:" + std::to_string(server.port());

  CommandResult health = RunCommand({"/usr/bin/curl", "-sk", "--cacert", certs_.path() + "/cert.pem",
                                     base + "/health"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "{\"status\":\"ok\"}");

  CommandResult login = RunCommand({"/usr/bin/curl", "-sk", "-D", "-", base + "/api/auth/login", "-H",
                                    "Content-Type: application/json", "-d",
                                    R"({"email":"tls-admin@example.com","password":"correct-Horse-7-battery"})"});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_NE(login.out.find("tf_session="), std::string::npos) << login.out;
  EXPECT_NE(login.out.find("HttpOnly; Secure"), std::string::npos) << login.out;

  size_t at = login.out.find("\"token\":\"");
  ASSERT_NE(at, std::string::npos) << login.out;
  std::string token = login.out.substr(at + 9, login.out.find('"', at + 9) - at - 9);
  CommandResult status = RunCommand({"/usr/bin/curl", "-sk", base + "/api/security/encryption-status", "-H",
                                     "Authorization: Bearer " + token});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  nlohmann::json in_transit = nlohmann::json::parse(status.out)["in_transit"];
  EXPECT_EQ(in_transit["tls"], true) << status.out;
  EXPECT_EQ(in_transit["certificate"]["subject"], "CN=127.0.0.1") << status.out;
  EXPECT_EQ(in_transit["certificate"]["days_left"], 0) << "a one-day certificate: " << status.out;
  EXPECT_EQ(in_transit["certificate"]["expired"], false);

  // Plain HTTP to the TLS port gets no HTTP answer.
  HttpResult plain = server.client().SendRaw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 2000);
  EXPECT_EQ(plain.status, 0);
  // The server is still healthy afterwards.
  EXPECT_EQ(RunCommand({"/usr/bin/curl", "-sk", base + "/health"}).out, "{\"status\":\"ok\"}");
}

TEST_F(TlsTest, UnreadableCertificateRefusesToStart) {
  TrustdProcess server({{}, {{"TRUST_SERVER_TLS_CERT_FILE", certs_.path() + "/missing.pem"},
                             {"TRUST_SERVER_TLS_KEY_FILE", certs_.path() + "/key.pem"}}});
  std::string error;
  EXPECT_FALSE(server.Start(&error));
  EXPECT_NE(error.find("TLS"), std::string::npos) << error;
}

}  // namespace
}  // namespace tf::testing
