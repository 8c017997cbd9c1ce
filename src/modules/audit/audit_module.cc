#include "modules/audit/audit_module.h"

#include "absl/strings/str_format.h"
#include "core/crypto.h"
#include "core/status.h"
#include "modules/audit/audit_routes.h"
#include "modules/audit/signing_key.h"

namespace tf::audit {

absl::Status AuditModule::Register(ModuleContext& context) {
  const AuditConfig& config = context.config.audit;
  TF_ASSIGN_OR_RETURN(note::Signer signer, LoadOrCreateSigningKey(SigningKeyFile(context.config), config.origin));
  signer_.emplace(std::move(signer));
  const note::Verifier& v = signer_->verifier();
  AuditRepo repo;
  TF_RETURN_IF_ERROR(context.db.InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return repo.InsertKeyIfAbsent(tx, {absl::StrFormat("%08x", v.key_id()), v.name(), crypto::Base64Encode(v.public_key()),
                                       v.KeyString(), context.clock.NowMicros()});
  }));

  log_ = std::make_unique<AuditLog>(context.db, context.clock, context.metrics);
  service_ = std::make_unique<AuditService>(context.db, context.clock, *signer_);
  CheckpointPolicy policy{config.origin, config.checkpoint_every_records,
                          std::chrono::milliseconds(config.checkpoint_interval_ms)};
  builder_ = std::make_unique<TreeBuilder>(context.db, context.clock, *signer_, policy, context.metrics,
                                           &log_->leaf_feed());
  retention_ = std::make_unique<RetentionService>(context.db, context.clock, *log_, context.metrics);
  RegisterAuditRoutes(context.router, *service_, *retention_, *log_, context.clock, context.personal_data);
  context.audit = log_.get();
  TF_RETURN_IF_ERROR(context.scheduler.Every("audit.build_tree", std::chrono::seconds(1),
                                             [this]() -> absl::Status { return builder_->Run().status(); }));
  return context.scheduler.Every("audit.prune", std::chrono::hours(1),
                                 [this]() -> absl::Status { return retention_->PruneAll().status(); });
}

}  // namespace tf::audit
