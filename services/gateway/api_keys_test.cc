#include "services/gateway/api_keys.h"

#include "gtest/gtest.h"

namespace baton::gateway {
namespace {

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<storage::Database>> opened =
        storage::OpenDatabase("sqlite::memory:");
    ASSERT_TRUE(opened.ok()) << opened.status();
    database_ = *std::move(opened);
    ASSERT_TRUE(storage::ApplyMigrations(Background(), *database_, Schema()).ok());
  }
  std::unique_ptr<storage::Database> database_;
};

TEST_F(ApiKeysTest, CreatedKeyAuthenticatesAsItsIdentity) {
  absl::StatusOr<std::string> key = CreateApiKey(Background(), *database_, "alice");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->rfind("bk_", 0), 0u);
  EXPECT_EQ(key->size(), 3u + 64u);
  absl::StatusOr<std::string> identity = Authenticate(Background(), *database_, *key);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "alice");
}

TEST_F(ApiKeysTest, OnlyTheHashIsStored) {
  absl::StatusOr<std::string> key = CreateApiKey(Background(), *database_, "alice");
  ASSERT_TRUE(key.ok());
  auto rows = database_->Query(Background(), "SELECT key_hash FROM api_keys");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(std::get<std::string>(rows->front()[0]), HashApiKey(*key));
  EXPECT_NE(std::get<std::string>(rows->front()[0]), *key);
}

TEST_F(ApiKeysTest, MissingOrWrongKeyIsUnauthenticated) {
  EXPECT_EQ(Authenticate(Background(), *database_, "").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Authenticate(Background(), *database_, "bk_nope").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CreateApiKey(Background(), *database_, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HashApiKey, IsSha256) {
  EXPECT_EQ(HashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace baton::gateway
