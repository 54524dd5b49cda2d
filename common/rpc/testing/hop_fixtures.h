// Test fixtures over HopServer: one server, one outside client.
#ifndef BATON_COMMON_RPC_TESTING_HOP_FIXTURES_H_
#define BATON_COMMON_RPC_TESTING_HOP_FIXTURES_H_

#include <functional>
#include <memory>
#include <utility>

#include "common/rpc/testing/hop_client.h"
#include "common/rpc/testing/hop_server.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {

// A single HopServer named "C" (the last hop: it does the work) and a Caller for it.
class SingleHopTest : public ::testing::Test {
 protected:
  void Build(const std::function<void(HopServer::Options&)>& configure) {
    HopServer::Options options{"C", "", TestAdapterOptions("C"), {}};
    configure(options);
    server_ = std::make_unique<HopServer>(std::move(options));
    caller_ = std::make_unique<Caller>(server_->address());
  }
  std::unique_ptr<HopServer> server_;
  std::unique_ptr<Caller> caller_;
};

}  // namespace baton::rpc::testing

#endif  // BATON_COMMON_RPC_TESTING_HOP_FIXTURES_H_
