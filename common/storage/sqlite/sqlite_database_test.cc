#include "common/storage/sqlite/sqlite_database.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::storage {
namespace {

using ::testing::HasSubstr;

// Counts to a billion: far longer than any test waits.
constexpr char kLongQuery[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n";

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-", getpid(), ".db");
}

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath(::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::remove(path_.c_str());
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase("sqlite://" + path_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Execute(Long(), "CREATE TABLE stock (sku TEXT PRIMARY KEY, n INTEGER "
                                     "NOT NULL CHECK (n >= 0))")
                    .ok());
    absl::Status seeded = db_->Execute(Long(), "INSERT INTO stock VALUES ('a', 5), ('b', 7)").status();
    ASSERT_TRUE(seeded.ok()) << seeded;
  }

  // Generous and live for the whole test (the handle is kept: dropping it cancels).
  const Context& Long() const { return long_.context; }
  DerivedContext<CancelHandle> long_ = WithTimeout(Background(), absl::Seconds(30));

  int64_t StockOf(const std::string& sku) {
    absl::StatusOr<std::vector<Row>> rows =
        db_->Query(Long(), "SELECT n FROM stock WHERE sku = ?1", {Value(sku)});
    EXPECT_TRUE(rows.ok()) << rows.status();
    return std::get<int64_t>(rows->at(0).at(0));
  }

  std::string path_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteTest, QueriesAndStatementsWithParameters) {
  absl::StatusOr<int64_t> changed =
      db_->Execute(Long(), "UPDATE stock SET n = n - ?1 WHERE sku = ?2",
                   {Value(int64_t{2}), Value(std::string("a"))});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(StockOf("a"), 3);
  absl::StatusOr<std::vector<Row>> rows =
      db_->Query(Long(), "SELECT sku, n, NULL, 1.5 FROM stock ORDER BY sku");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(std::get<std::string>((*rows)[1][0]), "b");
  EXPECT_TRUE(std::holds_alternative<std::monostate>((*rows)[0][2]));
  EXPECT_EQ(std::get<double>((*rows)[0][3]), 1.5);
}

TEST_F(SqliteTest, LongQueryUnderADeadlineEndsPromptlyAndTheConnectionStaysUsable) {
  auto [ctx, cancel] = WithTimeoutCause(Background(), absl::Milliseconds(50),
                                        absl::DeadlineExceededError("the 50ms budget"));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<Row>> rows = db_->Query(ctx, kLongQuery);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(rows.status(), absl::DeadlineExceededError("the 50ms budget"));
  EXPECT_LT(took, absl::Seconds(2));  // Generous: the point is it did not count on.
  EXPECT_EQ(StockOf("a"), 5);  // The same (single, pooled) connection works right after.
}

TEST_F(SqliteTest, CancelFromAnotherThreadInterrupts) {
  auto [ctx, cancel] = WithCancelCause(Background());
  std::thread canceller([&cancel = cancel] {
    absl::SleepFor(absl::Milliseconds(30));
    cancel(absl::CancelledError("caller went away"));
  });
  absl::StatusOr<std::vector<Row>> rows = db_->Query(ctx, kLongQuery);
  canceller.join();
  EXPECT_EQ(rows.status(), absl::CancelledError("caller went away"));
  EXPECT_EQ(StockOf("b"), 7);
}

TEST_F(SqliteTest, LockHeldElsewhereFailsAtTheDeadlineNotAFixedTimeout) {
  // Another process-like holder: a raw connection with a write transaction open.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  for (absl::Duration budget : {absl::Milliseconds(100), absl::Milliseconds(400)}) {
    auto [ctx, cancel] = WithTimeout(Background(), budget);
    const absl::Time start = absl::Now();
    absl::StatusOr<int64_t> changed = db_->Execute(ctx, "UPDATE stock SET n = 0");
    const absl::Duration took = absl::Now() - start;
    EXPECT_EQ(changed.status().code(), absl::StatusCode::kDeadlineExceeded) << changed.status();
    EXPECT_GE(took, budget - absl::Milliseconds(10));
    EXPECT_LT(took, budget + absl::Seconds(1));
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(StockOf("a"), 5);
}

TEST_F(SqliteTest, TransactionCommitsOnOkAndRollsBackOnError) {
  absl::Status ok = db_->Transaction(Long(), [&](Connection& tx) {
    return tx.Execute(Long(), "UPDATE stock SET n = n - 1 WHERE sku = 'a'", {}).status();
  });
  EXPECT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(StockOf("a"), 4);
  absl::Status failed = db_->Transaction(Long(), [&](Connection& tx) -> absl::Status {
    absl::Status first = tx.Execute(Long(), "UPDATE stock SET n = 100 WHERE sku = 'a'", {}).status();
    if (!first.ok()) return first;
    return absl::FailedPreconditionError("not enough stock");
  });
  EXPECT_EQ(failed, absl::FailedPreconditionError("not enough stock"));
  EXPECT_EQ(StockOf("a"), 4);
}

TEST_F(SqliteTest, TransactionCancelledMidwayLeavesNoPartialWrites) {
  auto [ctx, cancel] = WithCancelCause(Background());
  absl::Status status = db_->Transaction(ctx, [&, &cancel = cancel](Connection& tx) -> absl::Status {
    absl::Status first = tx.Execute(ctx, "UPDATE stock SET n = 0 WHERE sku = 'a'", {}).status();
    if (!first.ok()) return first;
    cancel(absl::CancelledError("caller went away"));
    // The next statement sees the cancel; even if the body ignored it, no commit.
    return tx.Execute(ctx, "UPDATE stock SET n = 0 WHERE sku = 'b'", {}).status();
  });
  EXPECT_EQ(status, absl::CancelledError("caller went away"));
  EXPECT_EQ(StockOf("a"), 5);
  EXPECT_EQ(StockOf("b"), 7);
}

TEST_F(SqliteTest, ConstraintViolationsMapToClearCodes) {
  absl::Status duplicate = db_->Execute(Long(), "INSERT INTO stock VALUES ('a', 1)").status();
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  absl::Status negative = db_->Execute(Long(), "UPDATE stock SET n = -1").status();
  EXPECT_EQ(negative.code(), absl::StatusCode::kFailedPrecondition) << negative;
  EXPECT_EQ(StockOf("a"), 5);
}

TEST_F(SqliteTest, BadSqlAndParametersAreInvalidArgument) {
  EXPECT_EQ(db_->Query(Long(), "SELEKT 1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Query(Long(), "SELECT * FROM nowhere").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status wrong_count =
      db_->Query(Long(), "SELECT n FROM stock WHERE sku = ?1", {}).status();
  EXPECT_EQ(wrong_count.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong_count.message()), HasSubstr("takes 1 parameters, got 0"));
}

TEST_F(SqliteTest, DoneContextRunsNothing) {
  auto [ctx, cancel] = WithCancel(Background());
  cancel();
  EXPECT_EQ(db_->Execute(ctx, "DELETE FROM stock").status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(StockOf("a"), 5);
}

TEST(SqliteOpen, UnopenablePathIsUnavailable) {
  absl::StatusOr<std::unique_ptr<Database>> db =
      OpenDatabase("sqlite:///nonexistent-dir/sub/x.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr("cannot open"));
}

TEST(SqliteOpen, MemoryAndPostgresUrls) {
  absl::StatusOr<std::unique_ptr<Database>> memory = OpenDatabase("sqlite::memory:");
  ASSERT_TRUE(memory.ok());
  EXPECT_TRUE((*memory)->Execute(Background(), "CREATE TABLE t (x)").ok());
  EXPECT_EQ(OpenDatabase("postgres://u@127.0.0.1:5432/d").status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(OpenDatabase("nonsense").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace baton::storage
