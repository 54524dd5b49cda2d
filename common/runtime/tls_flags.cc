#include "common/runtime/tls_flags.h"

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain to serve TLS with.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA: require client certificates it signed (mTLS). Needs --tls_cert_file.");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA to trust when calling downstream services over TLS (plaintext if empty).");
ABSL_FLAG(std::string, tls_client_cert_file, "",
          "PEM certificate to present to downstream services (mTLS).");
ABSL_FLAG(std::string, tls_client_key_file, "", "PEM private key of --tls_client_cert_file.");
ABSL_FLAG(std::string, tls_target_name, "",
          "Name expected in downstream certificates instead of the address's host.");

namespace baton::runtime {
namespace {

absl::StatusOr<std::string> ReadFlagFile(const char* flag, const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", path, ": cannot be read"));
  }
  if (content.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", path, ": cannot be read or is empty"));
  }
  return content.str();
}

absl::Status Pair(const char* cert_flag, const std::string& cert, const char* key_flag,
                  const std::string& key) {
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", cert_flag, " and --", key_flag, " go together"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFlags() {
  const std::string cert_path = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key_path = absl::GetFlag(FLAGS_tls_key_file);
  const std::string client_ca_path = absl::GetFlag(FLAGS_tls_client_ca_file);
  if (absl::Status s = Pair("tls_cert_file", cert_path, "tls_key_file", key_path); !s.ok()) {
    return s;
  }
  if (cert_path.empty()) {
    if (!client_ca_path.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca_file needs --tls_cert_file");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert = ReadFlagFile("tls_cert_file", cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFlagFile("tls_key_file", key_path);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!client_ca_path.empty()) {
    absl::StatusOr<std::string> client_ca = ReadFlagFile("tls_client_ca_file", client_ca_path);
    if (!client_ca.ok()) return client_ca.status();
    options.pem_root_certs = *client_ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<ClientTls> ClientTlsFromFlags() {
  const std::string ca_path = absl::GetFlag(FLAGS_tls_ca_file);
  const std::string cert_path = absl::GetFlag(FLAGS_tls_client_cert_file);
  const std::string key_path = absl::GetFlag(FLAGS_tls_client_key_file);
  if (absl::Status s = Pair("tls_client_cert_file", cert_path, "tls_client_key_file", key_path);
      !s.ok()) {
    return s;
  }
  if (ca_path.empty()) {
    if (!cert_path.empty()) {
      return absl::InvalidArgumentError("--tls_client_cert_file needs --tls_ca_file");
    }
    return ClientTls{grpc::InsecureChannelCredentials(), ""};
  }
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = ReadFlagFile("tls_ca_file", ca_path);
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (!cert_path.empty()) {
    absl::StatusOr<std::string> cert = ReadFlagFile("tls_client_cert_file", cert_path);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFlagFile("tls_client_key_file", key_path);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return ClientTls{grpc::SslCredentials(options), absl::GetFlag(FLAGS_tls_target_name)};
}

}  // namespace baton::runtime
