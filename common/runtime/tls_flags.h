// TLS and mTLS from flags. Plaintext is the default: inside a mesh the sidecar does
// mTLS. Without a mesh:
//
//   --tls_cert_file, --tls_key_file      serve TLS with this certificate chain and key
//   --tls_client_ca_file                 and require client certificates signed by this
//                                        CA (mTLS)
//   --tls_ca_file                        call downstream services over TLS, trusting
//                                        this CA (otherwise plaintext)
//   --tls_client_cert_file, --tls_client_key_file
//                                        present this certificate to them (mTLS)
//   --tls_target_name                    expect this name in their certificates instead
//                                        of the address's host
//
// Files are read once at start-up; a flag that names an unreadable file, or a
// half-given pair, is INVALID_ARGUMENT naming the flag.
#ifndef BATON_COMMON_RUNTIME_TLS_FLAGS_H_
#define BATON_COMMON_RUNTIME_TLS_FLAGS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace baton::runtime {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFlags();

struct ClientTls {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The name to expect in servers' certificates, if --tls_target_name is set.
  std::string target_name;
};
absl::StatusOr<ClientTls> ClientTlsFromFlags();

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_TLS_FLAGS_H_
