#include "core/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/strings.h"

namespace tf {

absl::StatusOr<std::optional<std::string>> ReadOwnerOnlyFile(const std::string& path,
                                                             std::string_view setting) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return absl::UnavailableError(StrCat(setting, ": cannot read ", path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        StrCat(setting, ": ", path, " is readable by group or others; chmod 600 it"));
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0)
    return absl::UnavailableError(StrCat(setting, ": cannot read ", path, ": ", std::strerror(errno)));
  return text;
}

absl::Status WriteOwnerOnlyFile(const std::string& path, std::string_view contents, std::string_view setting,
                                bool create_only) {
  // A temporary file of this writer's own (mkstemp: 0600, a fresh name), so two processes
  // writing at once never share one before it is renamed or linked.
  std::string temp = path + ".XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(StrCat(setting, ": cannot create a file beside ", path, ": ", std::strerror(errno)));
  }
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (ok) {
    // link() refuses an existing target, so create_only never replaces a file.
    ok = create_only ? ::link(temp.c_str(), path.c_str()) == 0 : ::rename(temp.c_str(), path.c_str()) == 0;
    if (!ok && create_only && errno == EEXIST) {
      ::unlink(temp.c_str());
      return absl::AlreadyExistsError(StrCat(setting, ": ", path, " already exists"));
    }
  }
  int saved = errno;
  if (create_only || !ok) ::unlink(temp.c_str());
  if (!ok)
    return absl::UnavailableError(StrCat(setting, ": cannot write ", path, ": ", std::strerror(saved)));
  // The new name is durable only once its directory is.
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace tf
