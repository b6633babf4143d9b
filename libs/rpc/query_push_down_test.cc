#include "libs/rpc/query_push_down.h"

#include <catch2/catch.hpp>

namespace omni::rpc {
namespace {

TEST_CASE("QueryResponseStatus rebuilds the collector's failure", "[unit][rpc]") {
  omniscope::v1::QueryResponse ok;
  ok.set_data_json(R"({"resultType":"vector","result":[]})");
  CHECK(QueryResponseStatus(ok).ok());

  omniscope::v1::QueryResponse too_many;
  too_many.set_error_type("execution");
  too_many.set_error("query processing would load too many samples into memory in query execution");
  too_many.set_error_code(static_cast<int32_t>(absl::StatusCode::kResourceExhausted));
  absl::Status st = QueryResponseStatus(too_many);
  CHECK(st.code() == absl::StatusCode::kResourceExhausted);
  CHECK(st.message() == too_many.error());

  // An older collector sends no error_code: the errorType decides.
  omniscope::v1::QueryResponse old;
  old.set_error_type("timeout");
  old.set_error("query timed out in query execution");
  CHECK(QueryResponseStatus(old).code() == absl::StatusCode::kDeadlineExceeded);
  old.set_error_type("bad_data");
  CHECK(QueryResponseStatus(old).code() == absl::StatusCode::kInvalidArgument);
  old.set_error_type("something new");
  CHECK(QueryResponseStatus(old).code() == absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace omni::rpc
