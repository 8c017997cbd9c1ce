#pragma once
// The web console's built files (web/dist), read into memory once at start-up and served
// from there: nothing on disk is opened per request, so no request path can reach a file
// outside the folder. Content types come from the extension; files under assets/ carry a
// content hash in their names and are cached for a year, everything else is revalidated with
// its ETag.
// Thread-safety: immutable after Load; Serve is safe from any thread.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "http/message.h"

namespace tf::console {

class StaticFiles {
 public:
  //! Reads every regular file under `dir` (at most 64 MiB in all); NotFound when `dir` has no
  //! index.html.
  static absl::StatusOr<StaticFiles> Load(const std::string& dir);

  //! The file at `path` ("/assets/app-1a2b.js"), or index.html for a path without an extension
  //! (a client-side route such as "/account"); NotFound for a missing file with an extension.
  //! Answers 304 when `if_none_match` names the current ETag.
  absl::StatusOr<http::Response> Serve(std::string_view path, std::string_view if_none_match) const;

  size_t file_count() const { return files_.size(); }
  size_t total_bytes() const { return total_bytes_; }

 private:
  struct File {
    std::string body;
    std::string content_type;
    std::string etag;
    bool immutable = false;
  };
  http::Response Answer(const File& file, std::string_view if_none_match) const;

  std::map<std::string, File, std::less<>> files_;  //!< keyed by URL path ("/index.html")
  size_t total_bytes_ = 0;
};

//! The Content-Type for a file name's extension (application/octet-stream when unknown).
std::string_view ContentTypeFor(std::string_view name);

}  // namespace tf::console
