#include "modules/security/security_types.h"

#include <utility>

namespace tf::security {

namespace {

constexpr std::pair<std::string_view, std::string_view> kEventTransitions[] = {
    {kOpen, kInvestigating},          {kInvestigating, kResolved}, {kInvestigating, kFalsePositive},
    {kResolved, kOpen},               {kFalsePositive, kOpen},
};

}  // namespace

bool EventTransitionAllowed(std::string_view from, std::string_view to) {
  for (const auto& [a, b] : kEventTransitions) {
    if (a == from && b == to) return true;
  }
  return false;
}

std::vector<std::string> EventTransitionsFrom(std::string_view from) {
  std::vector<std::string> out;
  for (const auto& [a, b] : kEventTransitions) {
    if (a == from) out.emplace_back(b);
  }
  return out;
}

bool IsUnresolved(std::string_view status) { return status == kOpen || status == kInvestigating; }

}  // namespace tf::security
