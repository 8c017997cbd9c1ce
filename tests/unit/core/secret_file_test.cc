// Tests of core/secret_file.h: owner-only files are created 0600, replaced atomically, and
// refused when group or others may read them.

#include "core/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace tf {
namespace {

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/tf-secret-file-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static int Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return static_cast<int>(st.st_mode & 0777);
  }
  std::string dir_;
};

TEST_F(SecretFileTest, CreatesOwnerOnlyAndReadsBack) {
  std::string path = dir_ + "/key";
  auto absent = ReadOwnerOnlyFile(path, "test.key_file");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(*absent);
  ASSERT_TRUE(WriteOwnerOnlyFile(path, "one\n", "test.key_file", /*create_only=*/true).ok());
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(ReadOwnerOnlyFile(path, "test.key_file").value(), "one\n");

  absl::Status again = WriteOwnerOnlyFile(path, "two\n", "test.key_file", /*create_only=*/true);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_EQ(ReadOwnerOnlyFile(path, "test.key_file").value(), "one\n") << "create_only never replaces";

  ASSERT_TRUE(WriteOwnerOnlyFile(path, "three\n", "test.key_file").ok());
  EXPECT_EQ(ReadOwnerOnlyFile(path, "test.key_file").value(), "three\n");
  EXPECT_EQ(Mode(path), 0600);
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
}

TEST_F(SecretFileTest, RefusesAFileGroupOrOthersMayRead) {
  std::string path = dir_ + "/key";
  ASSERT_TRUE(WriteOwnerOnlyFile(path, "hunter2\n", "test.key_file").ok());
  for (mode_t mode : {0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto read = ReadOwnerOnlyFile(path, "test.key_file");
    EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition) << std::oct << mode;
    EXPECT_NE(read.status().message().find("test.key_file"), std::string_view::npos) << read.status();
    EXPECT_EQ(read.status().message().find("hunter2"), std::string_view::npos) << "never the contents";
  }
}

}  // namespace
}  // namespace tf
