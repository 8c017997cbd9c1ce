// Tests of audit export bundles: what ExportEncoder writes verifies offline with VerifyBundle
// and the public key alone, in json and jsonl, and every way of editing a bundle (a field
// changed, a record dropped, repeated, reordered or added, the end cut off, the checkpoint or
// manifest re-signed with another key or edited) is reported, in exports of the whole trail and
// in filtered ones. CSV cells are quoted as RFC 4180 says and defused for spreadsheets.

#include <gtest/gtest.h>

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/crypto.h"
#include "core/merkle.h"
#include "core/signed_note.h"
#include "modules/audit/audit_export.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/bundle_verifier.h"
#include "modules/audit/tree_builder.h"

namespace tf::audit {
namespace {

using Kind = TrailProblem::Kind;
using nlohmann::json;

constexpr char kOrigin[] = "bundle.test/log";

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    for (int i = 0; i < 25; ++i) {
      AuditRecord r;
      r.leaf_index = i;
      r.id = "0190f000-0000-7000-8000-0000000000" + std::to_string(10 + i);
      r.tenant_id = i % 2 == 0 ? "tenant-even" : "tenant-odd";
      r.time = 1'780'000'000'000'000 + i;
      r.kind = "request";
      r.actor_type = "user";
      r.action = "READ";
      r.method = "GET";
      r.path = i == 3 ? "=HYPERLINK(\"http://evil.example\",\"click\")" : "/api/things/" + std::to_string(i);
      r.status = 200;
      r.outcome = "success";
      SetDetails(r, {{"query", {{"n", i}}}});
      records_.push_back(r);
      tree_.Append(merkle::LeafHash(LeafBytes(r).value()));
    }
    merkle::Hash root = tree_.Root();
    checkpoint_ = {25, merkle::ToHex(root), 1'780'000'001'000'000, "00000000",
                   signer_.Sign(CheckpointBody(kOrigin, 25, root, 1'780'000'001'000'000))};
  }

  //! The bundle of the records `filter` selects (tenant only, here).
  std::string Export(ExportFormat format, const RecordFilter& filter = {}) {
    ExportEncoder encoder(format, checkpoint_, filter, 1'780'000'002'000'000, signer_);
    std::string out = encoder.Begin();
    for (const AuditRecord& r : records_) {
      if (filter.tenant_id && r.tenant_id != filter.tenant_id) continue;
      RecordWithProof item{r, LeafBytes(r).value(), std::nullopt,
                           merkle::InclusionProof(static_cast<uint64_t>(r.leaf_index), 25, tree_).value()};
      out += encoder.Add(item).value();
    }
    return out + encoder.End();
  }

  BundleReport Verify(const std::string& bundle, BundleFormat format = BundleFormat::kJsonl,
                      const note::Verifier* key = nullptr) {
    std::istringstream in(bundle);
    return VerifyBundle(in, format, key ? *key : signer_.verifier());
  }

  //! A jsonl bundle's lines, edited by `edit`, joined again.
  static std::string EditLines(const std::string& bundle, const std::function<void(std::vector<std::string>&)>& edit) {
    std::vector<std::string> lines = absl::StrSplit(bundle, '\n', absl::SkipEmpty());
    edit(lines);
    return absl::StrJoin(lines, "\n") + "\n";
  }

  note::Signer signer_ = note::Signer::Generate(kOrigin).value();
  std::vector<AuditRecord> records_;
  merkle::MemoryTree tree_;
  Checkpoint checkpoint_;
};

void ExpectProblem(const BundleReport& report, Kind kind, const std::string& text) {
  ASSERT_TRUE(report.problem.has_value()) << "no problem found; expected " << KindName(kind);
  EXPECT_EQ(report.problem->kind, kind) << report.problem->message;
  EXPECT_TRUE(absl::StrContains(report.problem->message, text)) << report.problem->message;
}

TEST_F(BundleTest, AnIntactBundleVerifiesInBothFormats) {
  BundleReport jsonl = Verify(Export(ExportFormat::kJsonl));
  EXPECT_TRUE(jsonl.ok()) << jsonl.problem->message;
  EXPECT_EQ(jsonl.records, 25);
  EXPECT_EQ(jsonl.tree_size, 25);
  EXPECT_EQ(jsonl.filter, "{}");

  std::string json_bundle = Export(ExportFormat::kJson);
  json parsed = json::parse(json_bundle);  // one valid JSON document
  EXPECT_EQ(parsed["records"].size(), 25u);
  EXPECT_EQ(parsed["manifest"]["records"], 25);
  BundleReport whole = Verify(json_bundle, BundleFormat::kJson);
  EXPECT_TRUE(whole.ok()) << whole.problem->message;
  EXPECT_EQ(whole.records, 25);

  RecordFilter odd;
  odd.tenant_id = "tenant-odd";
  BundleReport filtered = Verify(Export(ExportFormat::kJson, odd), BundleFormat::kJson);
  EXPECT_TRUE(filtered.ok()) << filtered.problem->message;
  EXPECT_EQ(filtered.records, 12);
  EXPECT_EQ(filtered.filter, R"({"tenant_id":"tenant-odd"})");
}

TEST_F(BundleTest, AChangedFieldIsReportedAtItsRecord) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    json item = json::parse(lines[6]);  // leaf index 5
    item["record"]["status"] = 404;
    lines[6] = item.dump();
  });
  BundleReport report = Verify(bundle);
  ExpectProblem(report, Kind::kModified, "at leaf index 5 was modified");
  EXPECT_EQ(report.problem->leaf_index, 5);
  EXPECT_EQ(report.records, 5);
}

TEST_F(BundleTest, AChangedRecordWithItsLeafRecomputedFailsItsProof) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    json item = json::parse(lines[3]);
    item["record"]["outcome"] = "denied";
    item["leaf"] = crypto::Base64Encode(LeafOfServed(item["record"]).value());
    lines[3] = item.dump();
  });
  ExpectProblem(Verify(bundle), Kind::kModified, "inclusion proof does not lead to the checkpoint's root");
}

TEST_F(BundleTest, ChangedDetailsAreFoundThroughTheirHash) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    json item = json::parse(lines[2]);
    item["record"]["details"]["query"]["n"] = 99;
    lines[2] = item.dump();
  });
  ExpectProblem(Verify(bundle), Kind::kModified, "details do not give its details_sha256");
}

TEST_F(BundleTest, PrunedDetailsStillVerify) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    json item = json::parse(lines[2]);
    item["record"]["details"] = nullptr;
    item["record"]["pruned_at"] = "2026-12-01T00:00:00.000000Z";
    lines[2] = item.dump();
  });
  BundleReport report = Verify(bundle);
  EXPECT_TRUE(report.ok()) << report.problem->message;
}

TEST_F(BundleTest, ADroppedRecordIsFoundInWholeAndFilteredExports) {
  auto drop = [](std::vector<std::string>& lines) { lines.erase(lines.begin() + 4); };
  BundleReport whole = Verify(EditLines(Export(ExportFormat::kJsonl), drop));
  ExpectProblem(whole, Kind::kDeleted, "leaf index 3 is missing");
  EXPECT_EQ(whole.problem->leaf_index, 3);

  RecordFilter even;
  even.tenant_id = "tenant-even";
  ExpectProblem(Verify(EditLines(Export(ExportFormat::kJsonl, even), drop)), Kind::kDeleted,
                "the manifest lists 13 records but the bundle holds 12");
}

TEST_F(BundleTest, ARepeatedRecordIsAnInsertion) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    lines.insert(lines.begin() + 5, lines[4]);
  });
  ExpectProblem(Verify(bundle), Kind::kInserted, "leaf index 3 appears twice");
}

TEST_F(BundleTest, SwappedRecordsAreReordered) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    std::swap(lines[8], lines[9]);
  });
  ExpectProblem(Verify(bundle), Kind::kReordered, "comes after leaf index 8");
}

TEST_F(BundleTest, ARecordFromBeyondTheCheckpointIsAnInsertion) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    json item = json::parse(lines[25]);
    item["record"]["leaf_index"] = 25;
    lines.insert(lines.end() - 1, item.dump());
  });
  ExpectProblem(Verify(bundle), Kind::kInserted, "beyond the checkpoint's 25 records");
}

TEST_F(BundleTest, ABundleCutShortIsReported) {
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    lines.pop_back();  // the manifest
  });
  ExpectProblem(Verify(bundle), Kind::kDeleted, "cut short");
  std::string json_bundle = Export(ExportFormat::kJson);
  ExpectProblem(Verify(json_bundle.substr(0, json_bundle.size() / 2), BundleFormat::kJson), Kind::kMalformed,
                "not valid JSON");
}

TEST_F(BundleTest, AnotherKeyOrAnEditedCheckpointOrManifestIsRefused) {
  note::Signer other = note::Signer::Generate(kOrigin).value();
  ExpectProblem(Verify(Export(ExportFormat::kJsonl), BundleFormat::kJsonl, &other.verifier()), Kind::kCheckpoint,
                "signature does not verify");

  std::string root_edited = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    json header = json::parse(lines[0]);
    header["checkpoint"]["root_hash"] = std::string(64, 'a');
    lines[0] = header.dump();
  });
  ExpectProblem(Verify(root_edited), Kind::kCheckpoint, "is not what its note signs");

  std::string manifest_edited = EditLines(Export(ExportFormat::kJsonl), [&](std::vector<std::string>& lines) {
    json m = json::parse(lines.back());
    std::string text = note::Open(m["manifest"]["note"].get<std::string>(), signer_.verifier()).value();
    absl::StrReplaceAll({{"records 25", "records 24"}}, &text);
    m["manifest"]["note"] = other.Sign(text);
    lines.back() = m.dump();
  });
  ExpectProblem(Verify(manifest_edited), Kind::kCheckpoint, "manifest's signature does not verify");
}

TEST_F(BundleTest, AFilterClaimedAfterTheFactIsRefused) {
  // Claiming that a whole-trail export was filtered, to hide a dropped record, breaks the
  // manifest, which signed the filter.
  std::string bundle = EditLines(Export(ExportFormat::kJsonl), [](std::vector<std::string>& lines) {
    json header = json::parse(lines[0]);
    header["filter"] = {{"tenant_id", "tenant-even"}};
    lines[0] = header.dump();
    lines.erase(lines.begin() + 2);
  });
  ExpectProblem(Verify(bundle), Kind::kCheckpoint, "signed for another checkpoint or filter");
}

TEST_F(BundleTest, GarbageIsMalformedNotACrash) {
  for (const std::string& text : {std::string(""), std::string("not json\n"), std::string("{}\n"),
                                  std::string("[1,2,3]\n"), std::string("{\"record\":{}}\n")}) {
    BundleReport report = Verify(text);
    EXPECT_FALSE(report.ok()) << text;
    report = Verify(text, BundleFormat::kJson);
    EXPECT_FALSE(report.ok()) << text;
  }
}

TEST_F(BundleTest, CsvQuotesCellsAndDefusesFormulas) {
  std::string csv = Export(ExportFormat::kCsv);
  std::vector<std::string> rows = absl::StrSplit(csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 26u);
  EXPECT_TRUE(absl::StartsWith(rows[0], "leaf_index,id,time,tenant_id,"));
  EXPECT_TRUE(absl::EndsWith(rows[0], ",leaf,tree_size,proof"));
  // Leaf index 3's path would run as a formula: it is prefixed with ' and quoted (it holds
  // commas and quotes, which are doubled).
  EXPECT_TRUE(absl::StrContains(rows[4], R"csv(,"'=HYPERLINK(""http://evil.example"",""click"")",)csv")) << rows[4];
  EXPECT_TRUE(absl::StrContains(rows[1], ",/api/things/0,")) << rows[1];
  EXPECT_TRUE(absl::StrContains(rows[1], "," + crypto::Base64Encode(LeafBytes(records_[0]).value()) + ",25,"));
}

TEST(ManifestTest, TextRoundTripsAndMalformedTextIsRefused) {
  Manifest m{"o.example/log", 100, 7, std::string(64, 'b'), R"({"tenant_id":"t"})", 1'780'000'000'000'000};
  absl::StatusOr<Manifest> back = Manifest::Parse(m.Text());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Text(), m.Text());
  EXPECT_EQ(back->records, 7);
  EXPECT_FALSE(Manifest::Parse("trust-fabric audit export\n").ok());
  std::string text = m.Text();
  absl::StrReplaceAll({{"records 7", "records 700"}}, &text);
  EXPECT_FALSE(Manifest::Parse(text).ok());  // more records than the tree has
}

}  // namespace
}  // namespace tf::audit
