#include "libs/rules/rule_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <compare>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/absl_compat.h"
#include "libs/common/glob.h"
#include "libs/common/status_macros.h"
#include "libs/common/utf8.h"
#include "libs/config/prometheus_config.h"
#include "libs/config/yaml_decoder.h"
#include "libs/promql/parser.h"
#include "libs/template/prometheus.h"
#include "libs/template/template.h"

namespace omni::rules {
namespace {

using config::MapFields;
using config::YamlDecoder;

// A yaml.Node field of rulefmt.RuleNode: the scalar value and its position
// (0:0 when the key is absent, as Go prints a zero yaml.Node).
struct NodeField {
  std::string value;
  int line = 0;
  int col = 0;
};

// One rule as decoded, before validation (rulefmt.RuleNode).
struct RawRule {
  NodeField record, alert, expr;
  absl::Duration for_duration = absl::ZeroDuration();
  absl::Duration keep_firing_for = absl::ZeroDuration();
  std::map<std::string, std::string> labels;       // Go iterates a map; we report in name order
  std::map<std::string, std::string> annotations;
  int line = 0;
};

struct RawGroup {
  std::string name;
  absl::Duration interval = absl::ZeroDuration();
  int64_t limit = 0;
  std::vector<RawRule> rules;
  int line = 0, col = 0;
};

// A plain scalar decoded into a Go int by yaml.v3: an integer in any of
// strconv.ParseInt's base-0 forms with '_' removed (0x1F, 0o17, 0b101,
// 1_000), or a float, truncated when in range (1.5 → 1, 1e3 → 1000).
bool GoYamlInt(const std::string& text, int64_t* out) {
  std::string plain;
  for (char c : text) {
    if (c != '_') plain.push_back(c);
  }
  std::string_view digits = plain;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 1 && digits[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    digits.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
  }
  uint64_t mag = 0;
  if (!digits.empty() && digits[0] != '+' && digits[0] != '-') {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mag, base);
    if (ec == std::errc() && end == digits.data() + digits.size() &&
        mag <= (neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) {
      *out = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
      return true;
    }
  }
  // yaml.v3's float form: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = 0;
  auto run = [&] {
    size_t start = i;
    while (i < plain.size() && std::isdigit(static_cast<unsigned char>(plain[i]))) ++i;
    return i > start;
  };
  if (i < plain.size() && (plain[i] == '+' || plain[i] == '-')) ++i;
  if (i < plain.size() && plain[i] == '.') {
    ++i;
    if (!run()) return false;
  } else {
    if (!run()) return false;
    if (i < plain.size() && plain[i] == '.') {
      ++i;
      run();
    }
  }
  if (i < plain.size() && (plain[i] == 'e' || plain[i] == 'E')) {
    ++i;
    if (i < plain.size() && (plain[i] == '+' || plain[i] == '-')) ++i;
    if (!run()) return false;
  }
  double d;
  if (i != plain.size() || !absl::SimpleAtod(plain, &d)) return false;
  if (!(d <= 9223372036854775807.0 && d >= -9223372036854775808.0)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// Decodes the document as Go's yaml.v3 Decoder with KnownFields(true) does
// into rulefmt.RuleGroups: type errors (unknown fields, duplicate keys, wrong
// kinds) are collected and decoding goes on; an error from a field's own
// unmarshaler (durations) stops it.
class Decoder {
 public:
  explicit Decoder(std::string_view content) : content_(content), dec_("", YamlDecoder::Style::kGoYamlLine) {}

  absl::StatusOr<std::vector<RawGroup>> Decode(const YAML::Node& root) {
    std::vector<RawGroup> groups;
    std::optional<MapFields> m = Open(root, "rulefmt.RuleGroups");
    if (!m) return groups;
    for (const YAML::Node& gn : Sequence(m->Get("groups"), "[]rulefmt.RuleGroup")) {
      RawGroup g;
      g.line = gn.Mark().line + 1;
      g.col = gn.Mark().column + 1;
      OMNI_RETURN_IF_ERROR(DecodeGroup(gn, &g));
      groups.push_back(std::move(g));
    }
    Unknown(*m);
    return groups;
  }

  // "line N: msg" entries in document order, as yaml.v3 reports them.
  std::vector<std::string> TypeErrors() const {
    std::vector<std::pair<int, std::string>> sorted = type_errors_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& [line, msg] : sorted) out.push_back(std::move(msg));
    return out;
  }

  // The second decoding rulefmt.Parse does (yaml.Unmarshal into ruleGroups,
  // groups as []yaml.Node, not strict): it repeats the top-level type errors.
  void DecodeNodes(const YAML::Node& root) {
    std::optional<MapFields> m = Open(root, "rulefmt.ruleGroups");
    if (m) Sequence(m->Get("groups"), "[]yaml.Node");
  }

 private:
  void Add(const absl::Status& s) {
    // The decoder's kGoYamlLine style: "line N: msg".
    int line = 0;
    absl::string_view msg = s.message();
    size_t colon = msg.find(':');
    if (colon != absl::string_view::npos && msg.size() > 5) {
      (void)absl::SimpleAtoi(msg.substr(5, colon - 5), &line);
    }
    type_errors_.emplace_back(line, std::string(msg));
  }

  std::optional<MapFields> Open(const YAML::Node& n, const char* type) {
    absl::StatusOr<MapFields> m = MapFields::Open(&dec_, n, type, "");
    if (!m.ok()) {
      Add(m.status());
      return std::nullopt;
    }
    return std::move(*m);
  }

  void Unknown(const MapFields& m) {
    for (const absl::Status& s : m.UnknownKeyErrors()) Add(s);
  }

  std::vector<YAML::Node> Sequence(const YAML::Node& n, const char* type) {
    if (!n.IsDefined() || n.IsNull()) return {};
    if (!n.IsSequence()) {
      Add(dec_.Error(n, "", absl::StrCat("cannot unmarshal ", config::TagOf(n), " into ", type)));
      return {};
    }
    return std::vector<YAML::Node>(n.begin(), n.end());
  }

  void String(MapFields& m, const char* key, std::string* out) {
    absl::Status s = m.String(key, out);
    if (!s.ok()) Add(s);
  }

  // model.Duration.UnmarshalYAML: a string, then ParseDuration whose error
  // ends decoding.
  absl::Status Duration(MapFields& m, const char* key, absl::Duration* out) {
    YAML::Node n = m.Get(key);
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    absl::StatusOr<std::string> s = config::DecodeString(dec_, n, "");
    if (!s.ok()) {
      Add(s.status());
      return absl::OkStatus();
    }
    OMNI_ASSIGN_OR_RETURN(*out, config::ParseDuration(*s));
    return absl::OkStatus();
  }

  void Node(MapFields& m, const char* key, NodeField* out) {
    YAML::Node n = m.Get(key);
    if (!n.IsDefined()) return;
    out->line = n.Mark().line + 1;
    out->col = n.Mark().column + 1;
    if (n.IsScalar()) {
      out->value = n.Scalar();
    } else if (n.IsNull()) {
      // yaml.Node keeps a null's text ("~", "null"); yaml-cpp does not, so
      // read it back. An empty value sits right after the key's colon in Go.
      std::string_view rest = n.Mark().pos >= 0 && static_cast<size_t>(n.Mark().pos) < content_.size()
                                  ? content_.substr(n.Mark().pos)
                                  : std::string_view();
      for (std::string_view t : {"~", "null", "Null", "NULL"}) {
        if (rest.substr(0, t.size()) == t &&
            (rest.size() == t.size() || std::string_view(" \t\r\n,}]#").find(rest[t.size()]) != std::string_view::npos)) {
          out->value = std::string(t);
          return;
        }
      }
      YAML::Node k = m.KeyNode(key);
      out->line = k.Mark().line + 1;
      out->col = k.Mark().column + 1 + static_cast<int>(std::string_view(key).size()) + 1;
    }
  }

  void StringMap(MapFields& m, const char* key, std::map<std::string, std::string>* out) {
    YAML::Node n = m.Get(key);
    if (!n.IsDefined() || n.IsNull()) return;
    std::optional<MapFields> fields = Open(n, "map[string]string");  // kind, duplicate keys, merges
    if (!fields) return;
    for (const std::string& k : fields->KeyNames()) {
      absl::StatusOr<std::string> v = config::DecodeString(dec_, fields->Get(k), "");
      if (v.ok()) {
        (*out)[k] = *v;
      } else {
        Add(v.status());
      }
    }
  }

  absl::Status DecodeGroup(const YAML::Node& n, RawGroup* g) {
    std::optional<MapFields> m = Open(n, "rulefmt.RuleGroup");
    if (!m) return absl::OkStatus();
    String(*m, "name", &g->name);
    OMNI_RETURN_IF_ERROR(Duration(*m, "interval", &g->interval));
    YAML::Node limit = m->Get("limit");
    if (limit.IsDefined() && !limit.IsNull()) {
      if (!limit.IsScalar() || limit.Tag() == "!" || !GoYamlInt(limit.Scalar(), &g->limit)) {
        Add(dec_.Error(limit, "", absl::StrCat("cannot unmarshal ", config::TagOf(limit), " into int")));
      }
    }
    for (const YAML::Node& rn : Sequence(m->Get("rules"), "[]rulefmt.RuleNode")) {
      RawRule r;
      r.line = rn.Mark().line + 1;
      OMNI_RETURN_IF_ERROR(DecodeRule(rn, &r));
      g->rules.push_back(std::move(r));
    }
    Unknown(*m);
    return absl::OkStatus();
  }

  absl::Status DecodeRule(const YAML::Node& n, RawRule* r) {
    std::optional<MapFields> m = Open(n, "rulefmt.RuleNode");
    if (!m) return absl::OkStatus();
    Node(*m, "record", &r->record);
    Node(*m, "alert", &r->alert);
    Node(*m, "expr", &r->expr);
    OMNI_RETURN_IF_ERROR(Duration(*m, "for", &r->for_duration));
    OMNI_RETURN_IF_ERROR(Duration(*m, "keep_firing_for", &r->keep_firing_for));
    StringMap(*m, "labels", &r->labels);
    StringMap(*m, "annotations", &r->annotations);
    Unknown(*m);
    return absl::OkStatus();
  }

  std::string_view content_;
  YamlDecoder dec_;
  std::vector<std::pair<int, std::string>> type_errors_;
};

// rulefmt's testTemplateParsing: an alerting rule's label and annotation
// values must parse as the expander will parse them.
absl::Status ParseAlertTemplate(const std::string& alert, const std::string& text) {
  return tmpl::prometheus::Expander(tmpl::prometheus::PrometheusFuncs({}), absl::StrCat("__alert_", alert))
      .ParseTest(text);
}

// RuleNode.Validate, with rulefmt.Error's formatting.
void ValidateRule(const std::string& group, int index, const RawRule& r, std::vector<std::string>* errs) {
  const std::string& name = r.alert.value.empty() ? r.record.value : r.alert.value;
  const std::string where = absl::StrCat("group ", tmpl::QuoteGo(group), ", rule ", index, ", ",
                                         tmpl::QuoteGo(name), ": ");
  auto at = [&](const NodeField& f, const std::string& msg) {
    errs->push_back(absl::StrCat(f.line, ":", f.col, ": ", where, msg));
  };
  auto plain = [&](const std::string& msg) { errs->push_back(absl::StrCat(where, msg)); };

  if (!r.record.value.empty() && !r.alert.value.empty()) {
    errs->push_back(absl::StrCat(r.record.line, ":", r.record.col, ": ", r.alert.line, ":", r.alert.col, ": ", where,
                                 "only one of 'record' and 'alert' must be set"));
  }
  if (r.record.value.empty() && r.alert.value.empty()) at(r.record, "one of 'record' or 'alert' must be set");
  if (r.expr.value.empty()) {
    at(r.expr, "field 'expr' must be set in rule");
  } else if (absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(r.expr.value); !e.ok()) {
    at(r.expr, absl::StrCat("could not parse expression: ", e.status().message()));
  }
  if (!r.record.value.empty()) {
    if (!r.annotations.empty()) at(r.record, "invalid field 'annotations' in recording rule");
    if (r.for_duration != absl::ZeroDuration()) at(r.record, "invalid field 'for' in recording rule");
    if (r.keep_firing_for != absl::ZeroDuration()) at(r.record, "invalid field 'keep_firing_for' in recording rule");
    if (!model::IsValidMetricName(r.record.value)) {
      at(r.record, absl::StrCat("invalid recording rule name: ", r.record.value));
    }
  }
  for (const auto& [k, v] : r.labels) {
    if (!model::IsValidLabelName(k) || k == "__name__") plain(absl::StrCat("invalid label name: ", k));
    if (!common::IsValidUtf8(v)) plain(absl::StrCat("invalid label value: ", v));  // model.LabelValue.IsValid
  }
  for (const auto& [k, v] : r.annotations) {
    if (!model::IsValidLabelName(k)) plain(absl::StrCat("invalid annotation name: ", k));
  }
  if (r.alert.value.empty()) return;
  for (const auto& [k, v] : r.labels) {
    if (absl::Status s = ParseAlertTemplate(r.alert.value, v); !s.ok()) {
      plain(absl::StrCat("label ", tmpl::QuoteGo(k), ": ", s.message()));
    }
  }
  for (const auto& [k, v] : r.annotations) {
    if (absl::Status s = ParseAlertTemplate(r.alert.value, v); !s.ok()) {
      plain(absl::StrCat("annotation ", tmpl::QuoteGo(k), ": ", s.message()));
    }
  }
}

std::string UnmarshalErrors(const std::vector<std::string>& errs) {
  return absl::StrCat("yaml: unmarshal errors:\n  ", absl::StrJoin(errs, "\n  "));
}

absl::Status FileError(std::string_view path, const std::vector<std::string>& errs) {
  std::vector<std::string> lines;
  for (const std::string& e : errs) lines.push_back(absl::StrCat(common::AbslView(path), ": ", e));
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

// Go's syscall.Errno texts are strerror's, starting lower case.
std::string GoErrno(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

size_t RuleFile::RuleCount() const {
  size_t n = 0;
  for (const RuleGroupSpec& g : groups) n += g.rules.size();
  return n;
}

absl::StatusOr<RuleFile> ParseRuleFile(std::string_view path, std::string_view content) {
  // rulefmt.Parse decodes twice (strictly into RuleGroups, then into
  // ruleGroups for the node positions) and reports the errors of both.
  YAML::Node root;
  std::vector<std::string> errs;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    std::string msg = absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg);
    return FileError(path, {msg, msg});
  }
  Decoder decoder(content), node_decoder(content);
  absl::StatusOr<std::vector<RawGroup>> raw;
  try {
    raw = decoder.Decode(root);
    node_decoder.DecodeNodes(root);
  } catch (const YAML::Exception& e) {
    return FileError(path, {absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg)});
  }
  if (!raw.ok()) errs.emplace_back(raw.status().message());
  if (raw.ok() && !decoder.TypeErrors().empty()) errs.push_back(UnmarshalErrors(decoder.TypeErrors()));
  if (!node_decoder.TypeErrors().empty()) errs.push_back(UnmarshalErrors(node_decoder.TypeErrors()));
  if (!errs.empty()) return FileError(path, errs);

  // RuleGroups.Validate.
  std::set<std::string> names;
  for (const RawGroup& g : *raw) {
    if (g.name.empty()) errs.push_back(absl::StrCat(g.line, ":", g.col, ": Groupname must not be empty"));
    if (!names.insert(g.name).second) {
      errs.push_back(absl::StrCat(g.line, ":", g.col, ": groupname: \"", g.name, "\" is repeated in the same file"));
    }
    for (size_t i = 0; i < g.rules.size(); ++i) ValidateRule(g.name, static_cast<int>(i + 1), g.rules[i], &errs);
  }
  if (!errs.empty()) return FileError(path, errs);

  RuleFile file;
  file.path = std::string(path);
  for (RawGroup& g : *raw) {
    RuleGroupSpec spec;
    spec.name = g.name;
    spec.interval = g.interval;
    spec.limit = g.limit;
    spec.line = g.line;
    for (RawRule& r : g.rules) {
      RuleSpec rs;
      rs.record = r.record.value;
      rs.alert = r.alert.value;
      rs.expr_text = r.expr.value;
      absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(rs.expr_text);
      if (!e.ok()) return FileError(path, {std::string(e.status().message())});  // validated above
      rs.expr = std::shared_ptr<const promql::Expr>(std::move(*e));
      rs.for_duration = r.for_duration;
      rs.keep_firing_for = r.keep_firing_for;
      for (auto& [k, v] : r.labels) rs.labels.push_back({k, v});  // sorted: r.labels is a std::map
      rs.annotations.assign(r.annotations.begin(), r.annotations.end());
      rs.line = r.line;
      spec.rules.push_back(std::move(rs));
    }
    file.groups.push_back(std::move(spec));
  }
  return file;
}

absl::StatusOr<RuleFile> LoadRuleFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {  // ifstream opens directories
    return absl::InvalidArgumentError(absl::StrCat(path, ": read ", path, ": ", GoErrno(EISDIR)));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": open ", path, ": ", GoErrno(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read ", path, ": ", GoErrno(errno)));
  return ParseRuleFile(path, ss.str());
}

absl::StatusOr<std::vector<RuleFile>> LoadRuleFiles(const std::vector<std::string>& patterns) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (const std::string& pattern : patterns) {
    if (absl::Status s = config::ValidateGlobPattern(pattern); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("error retrieving rule files for ", pattern, ": ", s.message()));
    }
    absl::StatusOr<std::vector<std::string>> matches = common::GlobFiles(pattern);
    if (!matches.ok()) {
      return absl::InternalError(absl::StrCat("error retrieving rule files for ", pattern, ": glob failed"));
    }
    for (std::string& m : *matches) {
      if (seen.insert(m).second) files.push_back(std::move(m));
    }
  }
  std::vector<RuleFile> out;
  for (const std::string& f : files) {
    OMNI_ASSIGN_OR_RETURN(RuleFile rf, LoadRuleFile(f));
    out.push_back(std::move(rf));
  }
  return out;
}

std::vector<DuplicateRule> FindDuplicateRules(const RuleFile& file) {
  std::vector<DuplicateRule> all;
  for (const RuleGroupSpec& g : file.groups) {
    for (const RuleSpec& r : g.rules) all.push_back({r.name(), r.labels});
  }
  // labels.Compare: pairwise by name, then value, then the shorter first.
  auto cmp = [](const DuplicateRule& a, const DuplicateRule& b) {
    if (a.name != b.name) return a.name < b.name ? -1 : 1;
    auto c = std::lexicographical_compare_three_way(a.labels.begin(), a.labels.end(), b.labels.begin(),
                                                    b.labels.end());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  };
  std::sort(all.begin(), all.end(), [&](const DuplicateRule& a, const DuplicateRule& b) { return cmp(a, b) < 0; });
  std::vector<DuplicateRule> dups;
  for (size_t i = 1; i < all.size(); ++i) {
    if (cmp(all[i - 1], all[i]) == 0 && (dups.empty() || cmp(dups.back(), all[i]) != 0)) dups.push_back(all[i]);
  }
  return dups;
}

}  // namespace omni::rules
