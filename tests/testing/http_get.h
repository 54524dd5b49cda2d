// HttpGet: one plain HTTP/1.1 GET on loopback, for tests of the metrics port.
#ifndef BATON_TESTS_TESTING_HTTP_GET_H_
#define BATON_TESTS_TESTING_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"

namespace baton::testing {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// GET http://127.0.0.1:`port``path`, bounded by a 10 s socket timeout.
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path,
                                     const std::string& method = "GET");

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_HTTP_GET_H_
