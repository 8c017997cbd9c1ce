#include "core/signed_note.h"

#include "core/crypto.h"
#include "gtest/gtest.h"

namespace tf::note {
namespace {

// The example of golang.org/x/mod/sumdb/note (also used by C2SP signed-note implementations):
// Ed25519 is deterministic, so signing the text with this key must give the published note.
constexpr std::string_view kGoSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kGoVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kGoText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kGoNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

TEST(SignedNoteTest, SigningReproducesGoSumdbNoteExample) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  Signer signer = Signer::FromKeyString(kGoSignerKey).value();
  EXPECT_EQ(signer.verifier().KeyString(), kGoVerifierKey);
  EXPECT_EQ(signer.KeyString(), kGoSignerKey);
  EXPECT_EQ(signer.verifier().key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer.Sign(kGoText), kGoNote);
}

TEST(SignedNoteTest, OpensTheGoNoteAndRefusesTamperedOnes) {
  Verifier verifier = Verifier::FromKeyString(kGoVerifierKey).value();
  EXPECT_EQ(Open(kGoNote, verifier).value(), kGoText);

  std::string tampered(kGoNote);
  tampered.replace(tampered.find("cryptography"), 12, "cryptographY");
  EXPECT_EQ(Open(tampered, verifier).status().code(), absl::StatusCode::kUnauthenticated);

  Signer other = Signer::Generate("PeterNeumann").value();
  EXPECT_EQ(Open(other.Sign(kGoText), verifier).status().code(), absl::StatusCode::kUnauthenticated)
      << "same name, another key";
  EXPECT_FALSE(Open(kGoText, verifier).ok()) << "no signature block";
  EXPECT_FALSE(Open(std::string(kGoText) + "\n", verifier).ok()) << "a blank line and no signature (found by fuzzing)";
  EXPECT_FALSE(Open("\n\n", verifier).ok());
  EXPECT_FALSE(Open(std::string(kGoNote).substr(0, kGoNote.size() - 1), verifier).ok()) << "no final newline";
}

TEST(SignedNoteTest, KeysRoundTripAndBadKeysAreRefused) {
  Signer signer = Signer::Generate("trust-fabric.test/audit").value();
  Signer again = Signer::FromKeyString(signer.KeyString()).value();
  EXPECT_EQ(again.verifier().KeyString(), signer.verifier().KeyString());
  Verifier verifier = Verifier::FromKeyString(signer.verifier().KeyString()).value();
  EXPECT_EQ(Open(again.Sign("a\n"), verifier).value(), "a\n");

  EXPECT_FALSE(Verifier::FromKeyString("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok())
      << "wrong key ID";
  EXPECT_FALSE(Verifier::FromKeyString("PeterNeumann+c74f20a3+AhpcMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  EXPECT_FALSE(Verifier::FromKeyString("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  EXPECT_FALSE(Signer::FromKeyString(kGoVerifierKey).ok());
  EXPECT_FALSE(Signer::Generate("has space").ok());
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_TRUE(IsValidKeyName("example.com/log"));
}

}  // namespace
}  // namespace tf::note
