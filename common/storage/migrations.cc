#include "common/storage/migrations.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace baton::storage {
namespace {

// Debian's Abseil has a string_view of its own.
absl::string_view Name(const Migration& m) { return absl::string_view(m.name.data(), m.name.size()); }

absl::Status Validate(const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migration ", m.version, " (", Name(m), ") does not follow version ", previous));
    }
    if (m.statements.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration ", m.version, " (", Name(m), ") has no statements"));
    }
    previous = m.version;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CurrentVersion(const Context& ctx, Connection& db) {
  absl::StatusOr<std::vector<Row>> rows =
      db.Query(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!rows.ok()) return rows.status();
  return std::get<int64_t>(rows->at(0).at(0));
}

}  // namespace

absl::Status ApplyMigrations(const Context& ctx, Database& db,
                             const std::vector<Migration>& migrations) {
  absl::Status status = Validate(migrations);
  if (!status.ok()) return status;
  status = db.Execute(ctx,
                      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                      "KEY, name TEXT NOT NULL)")
               .status();
  // Another process may have created it at the same moment.
  if (!status.ok() && status.code() != absl::StatusCode::kAlreadyExists) return status;

  const int known = migrations.empty() ? 0 : migrations.back().version;
  for (const Migration& m : migrations) {
    bool newer_schema = false;
    status = db.Transaction(ctx, [&](Connection& tx) -> absl::Status {
      absl::StatusOr<int64_t> current = CurrentVersion(ctx, tx);
      if (!current.ok()) return current.status();
      if (*current > known) {
        newer_schema = true;
        return absl::FailedPreconditionError(absl::StrCat(
            "the database schema is at version ", *current,
            ", newer than the newest this binary knows (", known, ")"));
      }
      absl::StatusOr<std::vector<Row>> done = tx.Query(
          ctx, "SELECT 1 FROM schema_migrations WHERE version = ?1", {Value(int64_t{m.version})});
      if (!done.ok()) return done.status();
      if (!done->empty()) return absl::OkStatus();
      for (std::string_view statement : m.statements) {
        absl::Status s = tx.Execute(ctx, statement, {}).status();
        if (!s.ok()) {
          return absl::Status(s.code(), absl::StrCat("migration ", m.version, " (", Name(m),
                                                     "): ", s.message()));
        }
      }
      return tx.Execute(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                        {Value(int64_t{m.version}), Value(std::string(m.name))})
          .status();
    });
    if (newer_schema) return status;
    // Lost a race with another process applying the same version: it is applied.
    if (status.code() == absl::StatusCode::kAlreadyExists) continue;
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace baton::storage
