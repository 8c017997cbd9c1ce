// libFuzzer target for the detection rule file and the working-hours object: arbitrary bytes
// as a rule file (through yaml-cpp and the rule checks), and as JSON working hours. A parsed
// rule set must match a record without fault. Any crash, leak, uncaught exception or
// undefined behaviour is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modules/security/detection_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto rules = tf::security::ParseRules(input);
  if (rules.ok()) {
    tf::audit::AuditRecord r;
    r.kind = "event";
    r.event_type = "login_failed";
    r.status = 401;
    r.details = std::string(input.substr(0, 256));
    for (const auto& rule : *rules) {
      tf::security::RecordMatcher matcher(r);
      (void)matcher.Matches(rule.match);
      for (const auto& field : rule.group_by) (void)tf::security::RecordField(r, field);
    }
  }
  nlohmann::json hours = nlohmann::json::parse(input, nullptr, false);
  if (!hours.is_discarded()) {
    auto h = tf::security::ParseWorkingHours(hours);
    if (h.ok()) (void)h->Contains(static_cast<int64_t>(size) * 3'600'000'000LL);
  }
  (void)tf::security::ParseWindow(input);
  return 0;
}
