#include "modules/audit/signing_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "core/strings.h"

namespace tf::audit {

namespace {

absl::StatusOr<note::Signer> Create(const std::string& path, const std::string& name) {
  absl::StatusOr<note::Signer> signer = note::Signer::Generate(name);
  if (!signer.ok()) return absl::InvalidArgumentError(StrCat("audit.origin: ", signer.status().message()));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(StrCat("audit.signing_key_file: cannot create ", path, ": ", std::strerror(errno)));
  std::string text = signer->KeyString() + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::UnavailableError(StrCat("audit.signing_key_file: cannot write ", path));
  return signer;
}

}  // namespace

absl::StatusOr<note::Signer> LoadOrCreateSigningKey(const std::string& path, const std::string& name) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Create(path, name);
    return absl::UnavailableError(StrCat("audit.signing_key_file: cannot read ", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(StrCat("audit.signing_key_file: ", path,
                                                " is readable by group or others; chmod 600 it"));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::UnavailableError(StrCat("audit.signing_key_file: cannot read ", path));
  absl::StatusOr<note::Signer> signer = note::Signer::FromKeyString(Sv(absl::StripAsciiWhitespace(text.str())));
  if (!signer.ok()) {
    return absl::FailedPreconditionError(StrCat("audit.signing_key_file: ", path, " does not hold a note signer key"));
  }
  if (signer->name() != name) {
    return absl::FailedPreconditionError(StrCat("audit.signing_key_file: the key in ", path, " is named '",
                                                signer->name(), "' but audit.origin is '", name, "'"));
  }
  return signer;
}

}  // namespace tf::audit
