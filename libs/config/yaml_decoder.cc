#include "libs/config/yaml_decoder.h"

#include "libs/common/utf8.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/config/prometheus_config.h"

namespace omni::config {
namespace {
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace


std::string TagOf(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "!!map";
    case YAML::NodeType::Sequence: return "!!seq";
    case YAML::NodeType::Null: return "!!null";
    default: break;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return absl::StrCat("!!str `", s, "`");
  int64_t i;
  double d;
  if (absl::SimpleAtoi(s, &i)) return absl::StrCat("!!int `", s, "`");
  if (absl::SimpleAtod(s, &d)) return absl::StrCat("!!float `", s, "`");
  for (const char* special : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
                              ".NaN", ".NAN"}) {
    if (s == special) return absl::StrCat("!!float `", s, "`");
  }
  return absl::StrCat("!!str `", s, "`");
}

absl::Status YamlDecoder::ErrorAtMark(const YAML::Mark& mark, std::string_view path, std::string_view msg) const {
  if (style_ == Style::kGoYamlLine) {
    return absl::InvalidArgumentError(absl::StrCat("line ", mark.line >= 0 ? mark.line + 1 : 0, ": ", AV(msg)));
  }
  std::string where = filename_.empty() ? "<config>" : filename_;
  if (mark.line >= 0) absl::StrAppend(&where, ":", mark.line + 1, ":", mark.column + 1);
  std::string out = absl::StrCat(where, ": ", AV(msg));
  if (!path.empty()) absl::StrAppend(&out, " (at ", AV(path), ")");
  return absl::InvalidArgumentError(out);
}

absl::Status YamlDecoder::Error(const YAML::Node& at, std::string_view path, std::string_view msg) const {
  YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  return ErrorAtMark(mark, path, msg);
}

absl::StatusOr<MapFields> MapFields::Open(const YamlDecoder* dec, const YAML::Node& node, std::string type_name,
                                          std::string path) {
  MapFields m;
  m.dec_ = dec;
  m.node_ = node;
  m.type_name_ = std::move(type_name);
  m.path_ = std::move(path);
  if (!node.IsDefined() || node.IsNull()) return m;
  if (!node.IsMap()) {
    return dec->Error(node, m.path_, absl::StrCat("cannot unmarshal ", TagOf(node), " into ", m.type_name_));
  }
  // YAML merge keys ("<<: *anchor"), which Go's yaml.v2 honours and yaml-cpp
  // leaves as an ordinary key: explicit keys win over merged ones.
  std::vector<YAML::Node> merged;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "<<" && it->first.Tag() != "!") {
      if (it->second.IsMap()) {
        merged.push_back(it->second);
      } else if (it->second.IsSequence()) {
        for (const YAML::Node& n : it->second) {
          if (!n.IsMap()) return dec->Error(n, m.path_, "map merge requires map or sequence of maps as the value");
          merged.push_back(n);
        }
      } else {
        return dec->Error(it->second, m.path_, "map merge requires map or sequence of maps as the value");
      }
    }
  }
  for (const YAML::Node& src : merged) {
    for (auto it = src.begin(); it != src.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      bool explicit_key = false;
      for (auto jt = node.begin(); jt != node.end(); ++jt) {
        if (jt->first.IsScalar() && jt->first.Scalar() == it->first.Scalar()) explicit_key = true;
      }
      bool seen = false;
      for (const Key& k : m.keys_) seen |= k.name == it->first.Scalar();
      if (!explicit_key && !seen) m.keys_.push_back({it->first.Scalar(), it->first, it->second, false});
    }
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "<<" && it->first.Tag() != "!") continue;
    if (!it->first.IsScalar()) {
      return dec->Error(it->first, m.path_, absl::StrCat("invalid key of type ", TagOf(it->first), " in ", m.type_name_));
    }
    std::string name = it->first.Scalar();
    for (const Key& k : m.keys_) {
      if (k.name == name) {
        return dec->Error(it->first, m.path_,
                          absl::StrCat("mapping key \"", name, "\" already defined at line ", k.key_node.Mark().line + 1));
      }
    }
    m.keys_.push_back({name, it->first, it->second, false});
  }
  return m;
}

YAML::Node MapFields::Get(std::string_view key) {
  for (Key& k : keys_) {
    if (k.name == key) {
      k.used = true;
      return k.value;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node MapFields::KeyNode(std::string_view key) const {
  for (const Key& k : keys_) {
    if (k.name == key) return k.key_node;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> MapFields::KeyNames() const {
  std::vector<std::string> names;
  for (const Key& k : keys_) names.push_back(k.name);
  return names;
}

bool MapFields::Has(std::string_view key) const {
  for (const Key& k : keys_) {
    if (k.name == key) return k.value.IsDefined() && !k.value.IsNull();
  }
  return false;
}

std::string MapFields::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", AV(key));
}

absl::Status MapFields::Error(std::string_view key, std::string_view msg) {
  for (const Key& k : keys_) {
    if (k.name == key) return dec_->Error(k.value, PathOf(key), msg);
  }
  return dec_->Error(node_, path_, msg);
}

absl::Status MapFields::CheckUnknown() const {
  std::vector<absl::Status> errs = UnknownKeyErrors();
  return errs.empty() ? absl::OkStatus() : errs.front();
}

std::vector<absl::Status> MapFields::UnknownKeyErrors() const {
  std::vector<absl::Status> errs;
  for (const Key& k : keys_) {
    if (!k.used) {
      errs.push_back(
          dec_->Error(k.key_node, PathOf(k.name), absl::StrCat("field ", k.name, " not found in type ", type_name_)));
    }
  }
  return errs;
}

absl::StatusOr<std::string> DecodeString(const YamlDecoder& dec, const YAML::Node& n, std::string_view path) {
  if (!n.IsDefined() || n.IsNull()) return std::string();
  if (!n.IsScalar()) return dec.Error(n, path, absl::StrCat("cannot unmarshal ", TagOf(n), " into string"));
  return n.Scalar();
}

absl::StatusOr<std::vector<YAML::Node>> DecodeSequence(const YamlDecoder& dec, const YAML::Node& n,
                                                        std::string_view path) {
  std::vector<YAML::Node> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsSequence()) return dec.Error(n, path, absl::StrCat("cannot unmarshal ", TagOf(n), " into a list"));
  for (const YAML::Node& item : n) out.push_back(item);
  return out;
}

absl::Status MapFields::String(std::string_view key, std::string* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
  OMNI_ASSIGN_OR_RETURN(*out, DecodeString(*dec_, n, PathOf(key)));
  return absl::OkStatus();
}

absl::Status MapFields::Bool(std::string_view key, bool* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
  if (n.IsScalar() && n.Tag() != "!") {
    // YAML 1.1 booleans, as Go's yaml.v2 resolves them.
    static const char* kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
    static const char* kFalse[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"};
    for (const char* t : kTrue) {
      if (n.Scalar() == t) {
        *out = true;
        return absl::OkStatus();
      }
    }
    for (const char* f : kFalse) {
      if (n.Scalar() == f) {
        *out = false;
        return absl::OkStatus();
      }
    }
  }
  return dec_->Error(n, PathOf(key), absl::StrCat("cannot unmarshal ", TagOf(n), " into bool (field ", AV(key), ")"));
}

absl::Status MapFields::Duration(std::string_view key, absl::Duration* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
  if (!n.IsScalar()) {
    return dec_->Error(n, PathOf(key), absl::StrCat("cannot unmarshal ", TagOf(n), " into duration (field ", AV(key), ")"));
  }
  auto d = ParseDuration(n.Scalar());
  if (!d.ok()) {
    return dec_->Error(n, PathOf(key), absl::StrCat("invalid ", AV(key), ": ", d.status().message()));
  }
  *out = *d;
  return absl::OkStatus();
}

absl::Status MapFields::Uint(std::string_view key, uint64_t* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
  uint64_t v;
  if (!n.IsScalar() || n.Tag() == "!" || !absl::SimpleAtoi(n.Scalar(), &v) || n.Scalar()[0] == '-') {
    return dec_->Error(n, PathOf(key), absl::StrCat("cannot unmarshal ", TagOf(n), " into uint (field ", AV(key), ")"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status MapFields::ByteSize(std::string_view key, uint64_t* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
  if (!n.IsScalar()) {
    return dec_->Error(n, PathOf(key), absl::StrCat("cannot unmarshal ", TagOf(n), " into byte size (field ", AV(key), ")"));
  }
  auto v = ParseByteSize(n.Scalar());
  if (!v.ok()) return dec_->Error(n, PathOf(key), absl::StrCat("invalid ", AV(key), ": ", v.status().message()));
  *out = *v;
  return absl::OkStatus();
}

absl::Status MapFields::StringList(std::string_view key, std::vector<std::string>* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
  OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> items, DecodeSequence(*dec_, n, PathOf(key)));
  out->clear();
  for (size_t i = 0; i < items.size(); ++i) {
    OMNI_ASSIGN_OR_RETURN(std::string s, DecodeString(*dec_, items[i], absl::StrCat(PathOf(key), "[", i, "]")));
    out->push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status MapFields::LabelSet(std::string_view key, model::Labels* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
  std::string path = PathOf(key);
  if (!n.IsMap()) return dec_->Error(n, path, absl::StrCat("cannot unmarshal ", TagOf(n), " into a label set"));
  std::vector<model::Label> labels;
  for (auto it = n.begin(); it != n.end(); ++it) {
    OMNI_ASSIGN_OR_RETURN(std::string name, DecodeString(*dec_, it->first, path));
    if (!model::IsValidLabelName(name)) {
      return dec_->Error(it->first, path, absl::StrCat("\"", name, "\" is not a valid label name"));
    }
    for (const model::Label& l : labels) {
      if (l.name == name) return dec_->Error(it->first, path, absl::StrCat("duplicate label name \"", name, "\""));
    }
    OMNI_ASSIGN_OR_RETURN(std::string value, DecodeString(*dec_, it->second, absl::StrCat(path, ".", name)));
    if (it->second.Tag() == "tag:yaml.org,2002:binary") {
      std::string decoded;
      if (!absl::Base64Unescape(value, &decoded)) {
        return dec_->Error(it->second, absl::StrCat(path, ".", name), "invalid base64 in !!binary value");
      }
      value = std::move(decoded);
    }
    if (!common::IsValidUtf8(value)) {
      return dec_->Error(it->second, absl::StrCat(path, ".", name),
                         absl::StrCat("\"", absl::CHexEscape(value), "\" is not a valid label value"));
    }
    labels.push_back({std::move(name), std::move(value)});
  }
  *out = model::Labels::FromUnsorted(std::move(labels));
  return absl::OkStatus();
}

}  // namespace omni::config
