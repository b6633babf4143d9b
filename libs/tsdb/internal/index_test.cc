#include "libs/tsdb/internal/index.h"

#include <catch2/catch.hpp>

namespace omni::tsdb::internal {
namespace {

using Strings = std::vector<std::string>;

// Interns `pairs` (name, value, ...) as a series' label ids.
std::vector<uint32_t> Ids(SymbolTable& symbols, std::initializer_list<std::string_view> pairs) {
  std::vector<uint32_t> ids;
  for (std::string_view s : pairs) ids.push_back(symbols.Intern(s));
  return ids;
}

TEST_CASE("PostingsIndex label lists follow adds and removes after being cached", "[unit][tsdb][index]") {
  SymbolTable symbols;
  PostingsIndex index(&symbols);
  auto a = Ids(symbols, {"__name__", "up", "job", "b"});
  auto b = Ids(symbols, {"__name__", "up", "job", "a"});
  index.Add(1, a.data(), a.size());
  index.Add(2, b.data(), b.size());
  CHECK(index.LabelValues("job") == Strings{"a", "b"});
  CHECK(index.LabelNames() == Strings{"__name__", "job"});

  // A new value and a new name show up in the next answer, not the cached one.
  auto c = Ids(symbols, {"__name__", "up", "instance", "x", "job", "0"});
  index.Add(3, c.data(), c.size());
  CHECK(index.LabelValues("job") == Strings{"0", "a", "b"});
  CHECK(index.LabelNames() == Strings{"__name__", "instance", "job"});

  // A second series with a known value changes nothing.
  auto d = Ids(symbols, {"__name__", "down", "job", "a"});
  index.Add(4, d.data(), d.size());
  CHECK(index.LabelValues("job") == Strings{"0", "a", "b"});
  CHECK(index.LabelValues("__name__") == Strings{"down", "up"});

  // A value goes with its last series; a name with its last value.
  index.Remove(2, b.data(), b.size());
  CHECK(index.LabelValues("job") == Strings{"0", "a", "b"});  // series 4 still has job="a"
  index.Remove(4, d.data(), d.size());
  CHECK(index.LabelValues("job") == Strings{"0", "b"});
  CHECK(index.LabelValues("__name__") == Strings{"up"});
  index.Remove(3, c.data(), c.size());
  CHECK(index.LabelNames() == Strings{"__name__", "job"});
  CHECK(index.LabelValues("instance").empty());
  CHECK(index.LabelValues("never").empty());
}

}  // namespace
}  // namespace omni::tsdb::internal
