#pragma once
// QR codes as standalone SVG images (libqrencode), for authenticator enrolment: the console
// shows the image inline, so no external request and no script is involved.
// Thread-safety: safe from any thread.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tf {

//! An SVG of `text` as a QR code (error correction level M, 4-module quiet zone), drawn as one
//! path of dark modules on a white square; InvalidArgument when `text` does not fit.
absl::StatusOr<std::string> QrSvg(std::string_view text);

}  // namespace tf
