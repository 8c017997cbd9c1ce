#include "core/qr_svg.h"

#include <qrencode.h>

#include <memory>

#include "core/strings.h"

namespace tf {

namespace {
constexpr int kQuietZone = 4;
constexpr size_t kMaxText = 2048;
}  // namespace

absl::StatusOr<std::string> QrSvg(std::string_view text) {
  if (text.size() > kMaxText) return absl::InvalidArgumentError("text too long for a QR code");
  std::string owned(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString8bit(owned.c_str(), /*version=*/0, QR_ECLEVEL_M), &QRcode_free);
  if (!code) return absl::InvalidArgumentError("the text cannot be encoded as a QR code");
  int width = code->width;
  int size = width + 2 * kQuietZone;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      // Bit 0 of each module byte is "dark" (qrencode.h).
      if (code->data[y * width + x] & 1) StrAppend(&path, "M", x + kQuietZone, ",", y + kQuietZone, "h1v1h-1z");
    }
  }
  return StrCat(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )", size, " ", size,
                R"(" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width=")", size,
                R"(" height=")", size, R"(" fill="#fff"/><path fill="#000" d=")", path, R"("/></svg>)");
}

}  // namespace tf
