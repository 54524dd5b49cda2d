// One suite, every backend: what Database promises about the Context, transactions and
// errors, checked against SQLite (a file) and PostgreSQL (a real server on loopback).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include <postgresql/libpq-fe.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"
#include "common/storage/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::storage {
namespace {

using ::testing::HasSubstr;

// Counts to a billion: far longer than any test waits.
constexpr char kLongQuery[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n";
// Inserts a billion rows: a write far longer than any test waits.
constexpr char kLongInsert[] =
    "INSERT INTO stock (sku, n) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
    "FROM n WHERE i < 1000000000) SELECT 'x' || i, 1 FROM n";
// A billion rows, produced one by one: for cursors.
constexpr char kManyRows[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT i FROM n";

testing::PostgresServer* postgres = nullptr;  // Started once for the whole binary.

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::PostgresServer>> started =
        testing::PostgresServer::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    postgres = server_.get();
  }
  void TearDown() override {
    postgres = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<testing::PostgresServer> server_;
};

const ::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(std::make_unique<PostgresEnvironment>().release());

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool IsSqlite() const { return GetParam() == "sqlite"; }

  void SetUp() override {
    std::string url;
    if (IsSqlite()) {
      const char* dir = std::getenv("TEST_TMPDIR");
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');  // "Test/sqlite"
      path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-", getpid(), ".db");
      std::remove(path_.c_str());
      url = "sqlite://" + path_;
    } else {
      ASSERT_NE(postgres, nullptr);
      url = postgres->Url();
    }
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(url);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Execute(Long(), "DROP TABLE IF EXISTS stock").ok());
    absl::Status created = db_->Execute(Long(), "CREATE TABLE stock (sku TEXT PRIMARY KEY, "
                                                "n INTEGER NOT NULL CHECK (n >= 0))")
                               .status();
    ASSERT_TRUE(created.ok()) << created;
    absl::Status seeded =
        db_->Execute(Long(), "INSERT INTO stock VALUES ('a', 5), ('b', 7)").status();
    ASSERT_TRUE(seeded.ok()) << seeded;
  }

  // Holds the write lock on `stock` from another connection until the result is run.
  std::function<void()> HoldWriteLock() {
    if (IsSqlite()) {
      sqlite3* other = nullptr;
      EXPECT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
      EXPECT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
      return [other] {
        sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(other);
      };
    }
    PGconn* other = PQconnectdb(postgres->Conninfo().c_str());
    PQclear(PQexec(other, "BEGIN"));
    PQclear(PQexec(other, "LOCK TABLE stock IN ACCESS EXCLUSIVE MODE"));
    return [other] {
      // A statement cut off by its Context is stopped by a cancel request sent from
      // another thread: until it lands, the statement still waits for this lock, and
      // would go on to run if it were released now. (At most 5 s.)
      for (int i = 0; i < 500; ++i) {
        PGresult* waiting = PQexec(other,
                                   "SELECT count(*) FROM pg_stat_activity "
                                   "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
        const bool none = PQresultStatus(waiting) == PGRES_TUPLES_OK &&
                          std::string(PQgetvalue(waiting, 0, 0)) == "0";
        PQclear(waiting);
        if (none) break;
        absl::SleepFor(absl::Milliseconds(10));
      }
      PQclear(PQexec(other, "ROLLBACK"));
      PQfinish(other);
    };
  }

  // Generous and live for the whole test (the handle is kept: dropping it cancels).
  const Context& Long() const { return long_.context; }

  int64_t StockOf(const std::string& sku) {
    absl::StatusOr<std::vector<Row>> rows =
        db_->Query(Long(), "SELECT n FROM stock WHERE sku = ?1", {Value(sku)});
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok() || rows->empty()) return -1;
    return std::get<int64_t>(rows->at(0).at(0));
  }

  DerivedContext<CancelHandle> long_ = WithTimeout(Background(), absl::Seconds(60));
  std::string path_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ConformanceTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(ConformanceTest, QueriesAndStatementsWithParameters) {
  absl::StatusOr<int64_t> changed =
      db_->Execute(Long(), "UPDATE stock SET n = n - ?1 WHERE sku = ?2",
                   {Value(int64_t{2}), Value(std::string("a"))});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(StockOf("a"), 3);
  absl::StatusOr<std::vector<Row>> rows = db_->Query(
      Long(), "SELECT sku, n, NULL, CAST(1.5 AS DOUBLE PRECISION) FROM stock ORDER BY sku");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(std::get<std::string>((*rows)[1][0]), "b");
  EXPECT_TRUE(std::holds_alternative<std::monostate>((*rows)[0][2]));
  EXPECT_EQ(std::get<double>((*rows)[0][3]), 1.5);
}

TEST_P(ConformanceTest, CursorHandsOnRowsInOrderAndStopsWhenTheReaderDoes) {
  std::vector<std::string> seen;
  absl::Status all = db_->QueryEach(Long(), "SELECT sku, n FROM stock ORDER BY sku", {},
                                    [&](Row&& row) {
                                      seen.push_back(std::get<std::string>(row[0]));
                                      return absl::OkStatus();
                                    });
  ASSERT_TRUE(all.ok()) << all;
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));

  // A long result, abandoned after three rows: the reader's error is the result, and
  // the database is usable right after.
  int rows = 0;
  absl::Status stopped = db_->QueryEach(
      Long(), kManyRows, {}, [&](Row&&) {
        return ++rows == 3 ? absl::CancelledError("the reader stopped") : absl::OkStatus();
      });
  EXPECT_EQ(stopped, absl::CancelledError("the reader stopped"));
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(StockOf("a"), 5);
}

TEST_P(ConformanceTest, CursorEndsWithTheContext) {
  auto [ctx, cancel] = WithCancelCause(Background());
  int rows = 0;
  const absl::Time start = absl::Now();
  absl::Status status = db_->QueryEach(ctx, kManyRows, {}, [&, &cancel = cancel](Row&&) {
    if (++rows == 2) cancel(absl::CancelledError("caller went away"));
    return absl::OkStatus();
  });
  EXPECT_EQ(status, absl::CancelledError("caller went away"));
  EXPECT_LT(rows, 100);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(StockOf("b"), 7);
}

TEST_P(ConformanceTest, LongQueryUnderADeadlineEndsPromptlyAndTheConnectionStaysUsable) {
  auto [ctx, cancel] = WithTimeoutCause(Background(), absl::Milliseconds(50),
                                        absl::DeadlineExceededError("the 50ms budget"));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<Row>> rows = db_->Query(ctx, kLongQuery);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(rows.status(), absl::DeadlineExceededError("the 50ms budget"));
  EXPECT_LT(took, absl::Seconds(2));  // Generous: the point is it did not count on.
  EXPECT_EQ(StockOf("a"), 5);         // The connection works right after.
}

TEST_P(ConformanceTest, CancelFromAnotherThreadInterrupts) {
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

TEST_P(ConformanceTest, LockHeldElsewhereFailsAtTheDeadlineNotAFixedTimeout) {
  std::function<void()> release = HoldWriteLock();
  for (absl::Duration budget : {absl::Milliseconds(100), absl::Milliseconds(400)}) {
    auto [ctx, cancel] = WithTimeout(Background(), budget);
    const absl::Time start = absl::Now();
    absl::StatusOr<int64_t> changed = db_->Execute(ctx, "UPDATE stock SET n = 0");
    const absl::Duration took = absl::Now() - start;
    EXPECT_EQ(changed.status().code(), absl::StatusCode::kDeadlineExceeded) << changed.status();
    EXPECT_GE(took, budget - absl::Milliseconds(10));
    EXPECT_LT(took, budget + absl::Seconds(1));
  }
  release();
  EXPECT_EQ(StockOf("a"), 5);
}

TEST_P(ConformanceTest, TransactionCommitsOnOkAndRollsBackOnError) {
  absl::Status ok = db_->Transaction(Long(), [&](Connection& tx) {
    return tx.Execute(Long(), "UPDATE stock SET n = n - 1 WHERE sku = 'a'", {}).status();
  });
  EXPECT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(StockOf("a"), 4);
  absl::Status failed = db_->Transaction(Long(), [&](Connection& tx) -> absl::Status {
    absl::Status first =
        tx.Execute(Long(), "UPDATE stock SET n = 100 WHERE sku = 'a'", {}).status();
    if (!first.ok()) return first;
    return absl::FailedPreconditionError("not enough stock");
  });
  EXPECT_EQ(failed, absl::FailedPreconditionError("not enough stock"));
  EXPECT_EQ(StockOf("a"), 4);
}

TEST_P(ConformanceTest, TransactionCancelledMidwayLeavesNoPartialWrites) {
  auto [ctx, cancel] = WithCancelCause(Background());
  absl::Status status =
      db_->Transaction(ctx, [&, &cancel = cancel](Connection& tx) -> absl::Status {
        absl::Status first =
            tx.Execute(ctx, "UPDATE stock SET n = 0 WHERE sku = 'a'", {}).status();
        if (!first.ok()) return first;
        cancel(absl::CancelledError("caller went away"));
        return tx.Execute(ctx, "UPDATE stock SET n = 0 WHERE sku = 'b'", {}).status();
      });
  EXPECT_EQ(status, absl::CancelledError("caller went away"));
  EXPECT_EQ(StockOf("a"), 5);
  EXPECT_EQ(StockOf("b"), 7);
}

TEST_P(ConformanceTest, TransactionCutOffMidStatementReportsTheCauseAndWritesNothing) {
  auto [ctx, cancel] = WithTimeoutCause(Background(), absl::Milliseconds(50),
                                        absl::DeadlineExceededError("the 50ms budget"));
  absl::Status status = db_->Transaction(ctx, [&, &ctx = ctx](Connection& tx) -> absl::Status {
    absl::Status first = tx.Execute(ctx, "UPDATE stock SET n = 0 WHERE sku = 'a'", {}).status();
    if (!first.ok()) return first;
    return tx.Query(ctx, kLongQuery, {}).status();  // Still running at the deadline.
  });
  EXPECT_EQ(status, absl::DeadlineExceededError("the 50ms budget"));
  EXPECT_EQ(StockOf("a"), 5);
}

// An interrupted write (unlike a read) ends SQLite's transaction by itself: the
// rollback that follows must not turn the cause into an error of its own.
TEST_P(ConformanceTest, TransactionCutOffMidWriteReportsTheCauseAndWritesNothing) {
  auto [ctx, cancel] = WithTimeoutCause(Background(), absl::Milliseconds(50),
                                        absl::DeadlineExceededError("the 50ms budget"));
  absl::Status status = db_->Transaction(ctx, [&, &ctx = ctx](Connection& tx) -> absl::Status {
    absl::Status first = tx.Execute(ctx, "UPDATE stock SET n = 0 WHERE sku = 'a'", {}).status();
    if (!first.ok()) return first;
    return tx.Execute(ctx, kLongInsert, {}).status();  // Still writing at the deadline.
  });
  EXPECT_EQ(status, absl::DeadlineExceededError("the 50ms budget"));
  EXPECT_EQ(StockOf("a"), 5);
  absl::StatusOr<std::vector<Row>> rows =
      db_->Query(Long(), "SELECT count(*) FROM stock WHERE sku LIKE 'x%'", {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(std::get<int64_t>((*rows)[0][0]), 0);
}

// A statement larger than the socket takes at once is sent in parts as it drains.
TEST_P(ConformanceTest, AStatementLargerThanTheSocketBufferGoesThrough) {
  const std::string big(16 << 20, 'q');
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(20));
  absl::StatusOr<std::vector<Row>> rows = db_->Query(ctx, "SELECT length(?1)", {Value(big)});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(std::get<int64_t>((*rows)[0][0]), static_cast<int64_t>(big.size()));
}

TEST_P(ConformanceTest, ConstraintViolationsMapToClearCodes) {
  absl::Status duplicate = db_->Execute(Long(), "INSERT INTO stock VALUES ('a', 1)").status();
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  absl::Status negative = db_->Execute(Long(), "UPDATE stock SET n = -1").status();
  EXPECT_EQ(negative.code(), absl::StatusCode::kFailedPrecondition) << negative;
  EXPECT_EQ(StockOf("a"), 5);
}

TEST_P(ConformanceTest, BadSqlAndParametersAreInvalidArgument) {
  EXPECT_EQ(db_->Query(Long(), "SELEKT 1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Query(Long(), "SELECT * FROM nowhere").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status wrong_count =
      db_->Query(Long(), "SELECT n FROM stock WHERE sku = ?1", {}).status();
  EXPECT_EQ(wrong_count.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong_count.message()), HasSubstr("takes 1 parameters, got 0"));
  EXPECT_EQ(StockOf("a"), 5);  // And the connection is fine.
}

TEST_P(ConformanceTest, DoneContextRunsNothing) {
  auto [ctx, cancel] = WithCancel(Background());
  cancel();
  EXPECT_EQ(db_->Execute(ctx, "DELETE FROM stock").status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(StockOf("a"), 5);
}

TEST_P(ConformanceTest, MigrationsApplyOnceInOrderAndResume) {
  ASSERT_TRUE(db_->Execute(Long(), "DROP TABLE IF EXISTS schema_migrations").ok());
  ASSERT_TRUE(db_->Execute(Long(), "DROP TABLE IF EXISTS products").ok());
  const std::vector<Migration> v1 = {
      {1, "products", {"CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL)"}},
  };
  std::vector<Migration> v2 = v1;
  v2.push_back({2, "price", {"ALTER TABLE products ADD COLUMN price INTEGER",
                             "INSERT INTO products VALUES ('x', 'X', 5)"}});
  ASSERT_TRUE(ApplyMigrations(Long(), *db_, v1).ok());
  ASSERT_TRUE(ApplyMigrations(Long(), *db_, v1).ok());  // Idempotent.
  absl::Status upgraded = ApplyMigrations(Long(), *db_, v2);
  ASSERT_TRUE(upgraded.ok()) << upgraded;
  ASSERT_TRUE(ApplyMigrations(Long(), *db_, v2).ok());
  absl::StatusOr<std::vector<Row>> rows = db_->Query(Long(), "SELECT count(*) FROM products");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(std::get<int64_t>((*rows)[0][0]), 1);  // Migration 2 ran exactly once.
  // An older binary refuses a newer schema.
  absl::Status older = ApplyMigrations(Long(), *db_, v1);
  EXPECT_EQ(older.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(older.message()), HasSubstr("newer than the newest"));
}

TEST_P(ConformanceTest, FailedMigrationLeavesNothingBehind) {
  ASSERT_TRUE(db_->Execute(Long(), "DROP TABLE IF EXISTS schema_migrations").ok());
  ASSERT_TRUE(db_->Execute(Long(), "DROP TABLE IF EXISTS half").ok());
  absl::Status failed = ApplyMigrations(
      Long(), *db_,
      {{1, "half", {"CREATE TABLE half (x INTEGER)", "THIS IS NOT SQL"}}});
  EXPECT_EQ(failed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(failed.message()), HasSubstr("migration 1 (half)"));
  // The first statement was rolled back with the second.
  EXPECT_FALSE(db_->Query(Long(), "SELECT * FROM half").ok());
  EXPECT_EQ(ApplyMigrations(Long(), *db_, {{2, "x", {"SELECT 1"}}, {1, "y", {"SELECT 1"}}})
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PostgresPool, ABrokenConnectionIsReplacedNotReused) {
  ASSERT_NE(postgres, nullptr);
  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(postgres->Url());
  ASSERT_TRUE(db.ok()) << db.status();
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(30));
  ASSERT_TRUE((*db)->Query(ctx, "SELECT 1").ok());
  // Kill every other session of ours from the outside, as a server restart would.
  PGconn* admin = PQconnectdb(postgres->Conninfo().c_str());
  PQclear(PQexec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE pid <> pg_backend_pid() AND usename = 'baton'"));
  PQfinish(admin);
  absl::StatusOr<std::vector<Row>> first = (*db)->Query(ctx, "SELECT 1");
  if (!first.ok()) {
    EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
  }
  absl::StatusOr<std::vector<Row>> second = (*db)->Query(ctx, "SELECT 1");
  EXPECT_TRUE(second.ok()) << second.status();
}

TEST(OpenDatabase, BadInputIsAClearError) {
  absl::StatusOr<std::unique_ptr<Database>> missing =
      OpenDatabase("sqlite:///nonexistent-dir/sub/x.db");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("cannot open"));
  // Nothing listens on port 1.
  EXPECT_EQ(OpenDatabase("postgres://u@127.0.0.1:1/d").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(OpenDatabase("nonsense").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<Database>> memory = OpenDatabase("sqlite::memory:");
  ASSERT_TRUE(memory.ok());
  EXPECT_TRUE((*memory)->Execute(Background(), "CREATE TABLE t (x)").ok());
}

}  // namespace
}  // namespace baton::storage
