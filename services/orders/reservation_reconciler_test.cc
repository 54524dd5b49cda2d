// The reconciler's order of work, over a real SQLite file: entries that keep failing
// go behind the others instead of filling every pass.
#include "services/orders/reservation_reconciler.h"

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"
#include "gtest/gtest.h"
#include "services/orders/pending_reservations.h"

namespace baton::orders {
namespace {

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    auto db = storage::OpenDatabase(absl::StrCat("sqlite://", dir ? dir : "/tmp", "/pending.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    database_ = *std::move(db);
    ASSERT_TRUE(storage::ApplyMigrations(Background(), *database_,
                                         {PendingReservations::Migration(1)})
                    .ok());
    pending_ = std::make_unique<PendingReservations>(database_.get());
  }

  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<PendingReservations> pending_;
};

TEST_F(ReconcilerTest, EntriesThatKeepFailingDoNotHoldBackNewerOnes) {
  // Four stuck entries first, then two that can be settled; a pass takes two.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pending_->Begin(Background(), absl::StrCat("stuck-", i)).ok());
  }
  absl::SleepFor(absl::Milliseconds(2));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pending_->Begin(Background(), absl::StrCat("fine-", i)).ok());
  }
  std::set<std::string> settled;
  ReservationReconciler reconciler(
      pending_.get(),
      [&](const Context& ctx, const PendingReservations::Entry& entry) -> absl::Status {
        if (entry.order_id.rfind("stuck-", 0) == 0) {
          return absl::UnavailableError("inventory unreachable");
        }
        settled.insert(entry.order_id);
        return pending_->Forget(ctx, entry.order_id);
      },
      {.release_window = absl::Seconds(30), .interval = absl::Hours(1), .batch = 2});
  absl::Time now = absl::Now() + absl::Minutes(1);
  for (int pass = 0; pass < 3 && settled.size() < 2; ++pass) {
    reconciler.RunOnce(now);
    now += absl::Seconds(1);
  }
  EXPECT_EQ(settled, (std::set<std::string>{"fine-0", "fine-1"}));
  // The stuck ones are still pending, and still due.
  auto due = pending_->Due(Background(), now, 100);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(due->size(), 4u);
}

}  // namespace
}  // namespace baton::orders
