#include "modules/console/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto.h"
#include "core/strings.h"

namespace tf::console {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxTotalBytes = 64u << 20;

struct TypeRow {
  std::string_view extension;
  std::string_view type;
};
constexpr TypeRow kTypes[] = {
    {".html", "text/html; charset=utf-8"},      {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},              {".map", "application/json"},
    {".svg", "image/svg+xml"},                  {".png", "image/png"},
    {".ico", "image/x-icon"},                   {".webp", "image/webp"},
    {".woff2", "font/woff2"},                   {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
};

bool HasExtension(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.find('.') != std::string_view::npos;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view name) {
  for (const TypeRow& row : kTypes) {
    if (name.size() >= row.extension.size() && name.substr(name.size() - row.extension.size()) == row.extension) {
      return row.type;
    }
  }
  return "application/octet-stream";
}

absl::StatusOr<StaticFiles> StaticFiles::Load(const std::string& dir) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(dir, ec);
  if (ec || !fs::is_regular_file(root / "index.html", ec)) {
    return absl::NotFoundError(StrCat("no web console in '", dir, "' (index.html missing; `make` builds web/dist)"));
  }
  StaticFiles out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string relative = fs::relative(it->path(), root, ec).generic_string();
    if (ec || relative.empty() || relative.rfind("..", 0) == 0) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    File f;
    f.body = body.str();
    out.total_bytes_ += f.body.size();
    if (out.total_bytes_ > kMaxTotalBytes) {
      return absl::ResourceExhaustedError(StrCat("the web console in '", dir, "' is larger than 64 MiB"));
    }
    f.content_type = std::string(ContentTypeFor(relative));
    f.etag = StrCat("\"", crypto::Sha256Hex(f.body).substr(0, 32), "\"");
    f.immutable = relative.rfind("assets/", 0) == 0;
    out.files_.emplace(StrCat("/", relative), std::move(f));
  }
  if (ec) return absl::UnavailableError(StrCat("reading the web console in '", dir, "': ", ec.message()));
  return out;
}

http::Response StaticFiles::Answer(const File& file, std::string_view if_none_match) const {
  http::Response r;
  r.headers.Set("ETag", file.etag);
  r.headers.Set("Cache-Control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (!if_none_match.empty() && if_none_match.find(file.etag) != std::string_view::npos) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.headers.Set("Content-Type", file.content_type);
  r.body = file.body;
  return r;
}

absl::StatusOr<http::Response> StaticFiles::Serve(std::string_view path, std::string_view if_none_match) const {
  if (path == "/") path = "/index.html";
  if (auto it = files_.find(path); it != files_.end()) return Answer(it->second, if_none_match);
  if (!HasExtension(path)) return Answer(files_.at("/index.html"), if_none_match);
  return absl::NotFoundError("no such file in the web console");
}

}  // namespace tf::console
