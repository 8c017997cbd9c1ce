#pragma once
// The audit module: the trail's writer (AuditLog, handed to other modules and the audit
// middleware through ModuleContext), the /api/audit routes, the periodic tree build and
// checkpointing, the hourly pruning by each tenant's retention policy, and its health check. Registered first, so every later module can record.
// Thread-safety: see Module.

#include <memory>
#include <optional>

#include "modules/audit/audit_log.h"
#include "modules/audit/audit_service.h"
#include "modules/audit/retention.h"
#include "modules/audit/tree_builder.h"
#include "modules/module.h"

namespace tf::audit {

class AuditModule final : public Module {
 public:
  std::string_view name() const override { return "audit"; }
  absl::Status Register(ModuleContext& context) override;

 private:
  std::optional<note::Signer> signer_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<AuditService> service_;
  std::unique_ptr<TreeBuilder> builder_;
  std::unique_ptr<RetentionService> retention_;
};

}  // namespace tf::audit
