// LoopbackServer: a grpc::Server for tests and benchmarks on 127.0.0.1, on a free
// port, serving one service — built by `adapter` when the service's unary methods are
// served through one; stopped (in-flight calls given a short grace) when it goes.
#ifndef BATON_COMMON_RPC_TESTING_LOOPBACK_SERVER_H_
#define BATON_COMMON_RPC_TESTING_LOOPBACK_SERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "common/rpc/server_adapter.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace baton::rpc::testing {

class LoopbackServer {
 public:
  // `service` and `adapter` must outlive this.
  explicit LoopbackServer(grpc::Service* service, ServerAdapter* adapter = nullptr) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service);
    server_ = ServerAdapter::StartServer(builder, adapter);
    address_ = "127.0.0.1:" + std::to_string(port);
  }
  ~LoopbackServer() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }

  const std::string& address() const { return address_; }
  grpc::Server& server() { return *server_; }

 private:
  ServerAdapter::Server server_;
  std::string address_;
};

}  // namespace baton::rpc::testing

#endif  // BATON_COMMON_RPC_TESTING_LOOPBACK_SERVER_H_
