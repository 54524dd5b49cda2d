#include "tools/loadgen/generic_caller.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"

namespace baton::loadgen {

absl::StatusOr<std::unique_ptr<GenericCaller>> GenericCaller::Create(
    std::shared_ptr<grpc::Channel> channel, const std::string& method,
    const std::string& request_json) {
  std::string name(absl::StripPrefix(method, "/"));
  const size_t slash = name.rfind('/');
  if (slash == std::string::npos) {
    return absl::InvalidArgumentError("--method: \"" + method + "\" is not package.Service/Method");
  }
  const std::string service = name.substr(0, slash);
  const std::string method_name = name.substr(slash + 1);
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  const google::protobuf::ServiceDescriptor* service_descriptor = pool->FindServiceByName(service);
  if (service_descriptor == nullptr) {
    return absl::InvalidArgumentError("--method: service " + service +
                                      " is not one this binary knows");
  }
  const google::protobuf::MethodDescriptor* descriptor =
      service_descriptor->FindMethodByName(method_name);
  if (descriptor == nullptr || descriptor->client_streaming() || descriptor->server_streaming()) {
    return absl::InvalidArgumentError("--method: " + name + " is not a unary method of " + service);
  }
  google::protobuf::DynamicMessageFactory factory(pool);
  std::unique_ptr<google::protobuf::Message> request(
      factory.GetPrototype(descriptor->input_type())->New());
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      request_json.empty() ? "{}" : request_json, request.get());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data: not a ", descriptor->input_type()->full_name(), ": ", parsed.ToString()));
  }
  const std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  return std::make_unique<GenericCaller>(std::move(channel),
                                         absl::StrCat("/", service, "/", method_name),
                                         grpc::ByteBuffer(&slice, 1));
}

void GenericCaller::Start(absl::Time deadline, const Headers& headers,
                          std::function<void(grpc::Status)> done) {
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer response;
  };
  auto call = std::make_shared<Call>();
  if (deadline != absl::InfiniteFuture()) call->context.set_deadline(absl::ToChronoTime(deadline));
  for (const auto& [name, value] : headers) call->context.AddMetadata(name, value);
  stub_.UnaryCall(&call->context, path_, grpc::StubOptions(), &request_, &call->response,
                  [call, done = std::move(done)](grpc::Status status) mutable {
                    // The context goes before the caller hears of the end
                    // (architecture.md: no channel is released last on gRPC's thread).
                    call.reset();
                    done(status);
                  });
}

}  // namespace baton::loadgen
