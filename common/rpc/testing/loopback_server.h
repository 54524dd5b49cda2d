// LoopbackServer: a grpc::Server for tests and benchmarks on 127.0.0.1, on a free
// port, serving one service; stopped (in-flight calls given a short grace) when it goes.
#ifndef BATON_COMMON_RPC_TESTING_LOOPBACK_SERVER_H_
#define BATON_COMMON_RPC_TESTING_LOOPBACK_SERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace baton::rpc::testing {

class LoopbackServer {
 public:
  // `service` must outlive this.
  explicit LoopbackServer(grpc::Service* service) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    address_ = "127.0.0.1:" + std::to_string(port);
  }
  ~LoopbackServer() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }

  const std::string& address() const { return address_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace baton::rpc::testing

#endif  // BATON_COMMON_RPC_TESTING_LOOPBACK_SERVER_H_
