#pragma once
// People's data in audit payloads. A request's personal fields (Route::personal_fields: an
// email, a display name, a token's name) are kept in the record's details sealed under the
// person's own key (secrets::PersonalData), bound to the record and the field's place in the
// details, with the person named beside them ("data_subject": {"tenant_id", "id"}). Erasing
// the person makes them unreadable in every copy of the trail, while the record, its leaf and
// the tree stay exactly as they were. Without a person, or without the key store, a field is
// kept as "[REDACTED]".
// Reveal opens a record's sealed fields for the people allowed to read the record: served
// beside the record ("revealed", outside the leaf), never in exports.
// Thread-safety: functions of their arguments; PersonalData is thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "http/context.h"
#include "modules/secrets/personal_data.h"
#include "nlohmann/json.hpp"

namespace tf::audit {

//! Replaces the `fields` of details["body"] and details["query"] by their sealed values (or
//! "[REDACTED]"), and names the subject in details["data_subject"] when any was sealed.
void SealPersonalFields(nlohmann::json& details, const std::vector<std::string>& fields,
                        const std::optional<http::RequestContext::DataSubject>& subject, const std::string& record_id,
                        secrets::PersonalData* personal);

//! {"body.email": "ada@example.com", ...} for the sealed fields of record `record_id`'s
//! `details` (as served, parsed) that open, "[erased]" for an erased person's; empty when it
//! has none.
nlohmann::json RevealPersonalFields(const nlohmann::json& details, std::string_view record_id,
                                    secrets::PersonalData& personal);

}  // namespace tf::audit
