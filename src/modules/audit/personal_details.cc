#include "modules/audit/personal_details.h"

#include "core/log.h"
#include "core/redact.h"
#include "core/strings.h"

namespace tf::audit {

namespace {

//! Where the details keep request input with personal fields.
constexpr std::string_view kPlaces[] = {"body", "query"};
constexpr std::string_view kTable = "audit_records";

//! The field's place, bound into its sealed value: "details.body.email".
std::string ColumnOf(std::string_view place, std::string_view field) { return StrCat("details.", place, ".", field); }

}  // namespace

void SealPersonalFields(nlohmann::json& details, const std::vector<std::string>& fields,
                        const std::optional<http::RequestContext::DataSubject>& subject, const std::string& record_id,
                        secrets::PersonalData* personal) {
  bool sealed_any = false;
  for (std::string_view place : kPlaces) {
    auto at = details.find(place);
    if (at == details.end() || !at->is_object()) continue;
    for (const std::string& field : fields) {
      auto value = at->find(field);
      if (value == at->end() || value->is_null()) continue;
      std::string text = value->is_string() ? value->get<std::string>() : value->dump();
      absl::StatusOr<std::string> sealed = absl::FailedPreconditionError("no person named");
      if (subject && personal != nullptr) {
        std::string column = ColumnOf(place, field);
        sealed = personal->Seal({subject->tenant_id, kTable, column, record_id}, subject->id, text);
        if (!sealed.ok()) log::Warn("personal field not sealed", {{"field", column}, {"error", sealed.status().ToString()}});
      }
      *value = sealed.ok() ? *sealed : std::string(kRedacted);
      sealed_any |= sealed.ok();
    }
  }
  if (sealed_any) details["data_subject"] = {{"tenant_id", subject->tenant_id}, {"id", subject->id}};
}

nlohmann::json RevealPersonalFields(const nlohmann::json& details, std::string_view record_id,
                                    secrets::PersonalData& personal) {
  nlohmann::json revealed = nlohmann::json::object();
  if (!details.is_object() || !details.contains("data_subject")) return revealed;
  const nlohmann::json& subject = details["data_subject"];
  if (!subject.is_object() || !subject.value("tenant_id", nlohmann::json()).is_string()) return revealed;
  std::string tenant = subject["tenant_id"];
  for (std::string_view place : kPlaces) {
    auto at = details.find(place);
    if (at == details.end() || !at->is_object()) continue;
    for (const auto& [field, value] : at->items()) {
      if (!value.is_string() || !secrets::PersonalData::IsSealed(value.get_ref<const std::string&>())) continue;
      std::string column = ColumnOf(place, field);
      absl::StatusOr<std::string> plain =
          personal.Open({tenant, kTable, column, record_id}, value.get_ref<const std::string&>());
      if (secrets::PersonalData::IsErased(plain.status())) {
        revealed[StrCat(place, ".", field)] = secrets::kErasedText;
      } else if (plain.ok()) {
        revealed[StrCat(place, ".", field)] = std::move(*plain);
      } else {
        log::Warn("sealed audit field does not open", {{"record_id", std::string(record_id)}, {"field", column},
                                                       {"error", plain.status().ToString()}});
      }
    }
  }
  return revealed;
}

}  // namespace tf::audit
