#include "services/shared/fields.h"

#include "gtest/gtest.h"

namespace baton::shop {
namespace {

TEST(Fields, SkuErrorsNameTheField) {
  EXPECT_TRUE(CheckSku("sku", "tea-01.green_2").ok());
  for (const char* bad : {"", "has space", "semi;colon", "ünï"}) {
    absl::Status status = CheckSku("items[2].sku", bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(status.message().rfind("items[2].sku: ", 0), 0u) << status.message();
  }
  EXPECT_FALSE(CheckSku("sku", std::string(65, 'a')).ok());
}

TEST(Fields, TextAndRange) {
  EXPECT_TRUE(CheckText("name", "Green tea", 1, 10).ok());
  EXPECT_FALSE(CheckText("name", "", 1, 10).ok());
  EXPECT_FALSE(CheckText("name", "line\nbreak", 1, 20).ok());
  EXPECT_FALSE(CheckText("name", "far too long", 1, 5).ok());
  EXPECT_TRUE(CheckRange("quantity", 3, 1, 1000).ok());
  absl::Status status = CheckRange("quantity", 0, 1, 1000);
  EXPECT_EQ(status.message(), "quantity: must be between 1 and 1000, not 0");
}

TEST(Fields, PageSizeAndTokens) {
  EXPECT_EQ(*PageSize(0, 50, 500), 50);
  EXPECT_EQ(*PageSize(7, 50, 500), 7);
  EXPECT_FALSE(PageSize(-1, 50, 500).ok());
  EXPECT_FALSE(PageSize(501, 50, 500).ok());
  EXPECT_EQ(*DecodePageToken(EncodePageToken("sku-9")), "sku-9");
  EXPECT_EQ(*DecodePageToken(""), "");
  EXPECT_EQ(DecodePageToken("!!not base64!!").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Fields, ColumnsTolerateTypes) {
  EXPECT_EQ(IntColumn(storage::Value(int64_t{5})), 5);
  EXPECT_EQ(IntColumn(storage::Value(std::string("12"))), 12);
  EXPECT_EQ(IntColumn(storage::Value()), 0);
  EXPECT_EQ(TextColumn(storage::Value(std::string("x"))), "x");
}

}  // namespace
}  // namespace baton::shop
