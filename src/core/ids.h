#pragma once
// UUIDv7 identifiers (RFC 9562 §5.7): 48-bit Unix milliseconds, version 7, random bits.
// Sortable by creation time, so ids double as a stable pagination key.
// Thread-safety: stateless; thread-safety is that of the Clock and Rng passed in.

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/rng.h"

namespace tf {

std::string NewUuidV7(const Clock& clock, Rng& rng);
//! True for the canonical lower-case 8-4-4-4-12 hex form of any UUID.
bool IsUuid(std::string_view s);

}  // namespace tf
