#include "common/storage/storage_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::storage {
namespace {

using ::testing::HasSubstr;

TEST(StorageUrl, Sqlite) {
  EXPECT_EQ(ParseStorageUrl("sqlite:///var/lib/x.db")->path, "/var/lib/x.db");
  EXPECT_EQ(ParseStorageUrl("sqlite://data/x.db")->path, "data/x.db");
  EXPECT_EQ(ParseStorageUrl("sqlite::memory:")->path, ":memory:");
}

TEST(StorageUrl, Postgres) {
  absl::StatusOr<StorageUrl> url = ParseStorageUrl("postgres://baton@127.0.0.1:5433/shop");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->backend, StorageUrl::Backend::kPostgres);
  EXPECT_EQ(url->user, "baton");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 5433);
  EXPECT_EQ(url->database, "shop");
}

TEST(StorageUrl, MalformedIsRefusedWithAReason) {
  struct Case {
    const char* url;
    const char* reason;
  };
  for (const Case& c : {Case{"", "expected"}, Case{"mysql://h:1/d", "expected"},
                        Case{"sqlite://", "no file path"}, Case{"sqlite:///tmp/", "directory"},
                        Case{"postgres://u@h/d", ":port"}, Case{"postgres://u@h:0/d", "port"},
                        Case{"postgres://u@h:99999/d", "port"},
                        Case{"postgres://u@h:5432/", "database"},
                        Case{"postgres://u:secret@h:5432/d", "passwords"},
                        Case{"postgres://@h:5432/d", "user"},
                        Case{"sqlite:///tmp/a b.db", "spaces"}}) {
    absl::StatusOr<StorageUrl> url = ParseStorageUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument) << c.url;
    EXPECT_THAT(std::string(url.status().message()), HasSubstr(c.reason)) << c.url;
  }
  EXPECT_FALSE(ParseStorageUrl(std::string(5000, 'a')).ok());
}

}  // namespace
}  // namespace baton::storage
