#pragma once
// W3C Trace Context `traceparent`: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>.
// An invalid header is ignored and a new trace started; all-zero ids are invalid.
// Thread-safety: stateless.

#include <optional>
#include <string>
#include <string_view>

#include "core/rng.h"

namespace tf::http {

struct TraceContext {
  std::string trace_id;   //!< 32 lower-case hex
  std::string parent_id;  //!< the caller's span id (16 hex), empty when we started the trace
  std::string span_id;    //!< our span id (16 hex)
  uint8_t flags = 0;

  //! The header to send downstream and back: 00-trace_id-span_id-flags.
  std::string ToTraceparent() const;
};

std::optional<TraceContext> ParseTraceparent(std::string_view header);
//! Continues the incoming trace when `header` is valid, else starts a new one.
TraceContext ContinueOrStartTrace(std::optional<std::string_view> header, Rng& rng);

}  // namespace tf::http
