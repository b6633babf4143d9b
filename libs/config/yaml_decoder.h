// Strict YAML → struct decoding on top of yaml-cpp, with Go yaml.v2
// UnmarshalStrict's behaviour: unknown fields and duplicate keys are errors,
// and every error carries file:line:col plus the field's path (or, in the
// kGoYamlLine style, Go yaml's "line N: msg" form). Shared by the config
// parsers of libs/config and the rule files of libs/rules.
//
// Example:
//   YamlDecoder dec("prometheus.yml");
//   OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&dec, node, "config.GlobalConfig", "global"));
//   OMNI_RETURN_IF_ERROR(m.Duration("scrape_interval", &g.scrape_interval));
//   OMNI_RETURN_IF_ERROR(m.CheckUnknown());
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/model/labels.h"

namespace omni::config {

class YamlDecoder {
 public:
  enum class Style {
    kFileLineCol,  // "file:line:col: msg (at path)"
    kGoYamlLine,   // "line N: msg", an entry of Go yaml's "yaml: unmarshal errors:" list
  };
  explicit YamlDecoder(std::string filename, Style style = Style::kFileLineCol)
      : filename_(std::move(filename)), style_(style) {}
  // The error in this decoder's style (1-based positions). `path` is appended
  // as " (at path)" when non-empty (kFileLineCol only).
  absl::Status Error(const YAML::Node& at, std::string_view path, std::string_view msg) const;
  absl::Status ErrorAtMark(const YAML::Mark& mark, std::string_view path, std::string_view msg) const;
  const std::string& filename() const { return filename_; }

 private:
  std::string filename_;
  Style style_;
};

// A mapping being decoded. A null node decodes as an empty mapping (Go
// leaves the defaults in place).
class MapFields {
 public:
  static absl::StatusOr<MapFields> Open(const YamlDecoder* dec, const YAML::Node& node, std::string type_name,
                                        std::string path);

  // The value of `key` (consumed), or an undefined/null node when absent.
  YAML::Node Get(std::string_view key);
  // The key's own node (undefined when absent), e.g. for positions.
  YAML::Node KeyNode(std::string_view key) const;
  // Every key in file order, merged ("<<") keys included; none is consumed.
  std::vector<std::string> KeyNames() const;
  // True when the key is present with a non-null value.
  bool Has(std::string_view key) const;
  std::string PathOf(std::string_view key) const;
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  const YamlDecoder* decoder() const { return dec_; }
  absl::Status Error(std::string_view key, std::string_view msg);

  // Typed fields: an absent or null key leaves `out` unchanged.
  absl::Status String(std::string_view key, std::string* out);
  absl::Status Bool(std::string_view key, bool* out);
  absl::Status Duration(std::string_view key, absl::Duration* out);
  absl::Status Uint(std::string_view key, uint64_t* out);
  absl::Status ByteSize(std::string_view key, uint64_t* out);
  absl::Status StringList(std::string_view key, std::vector<std::string>* out);
  absl::Status LabelSet(std::string_view key, model::Labels* out);

  // Rejects the first key that no Get/typed call consumed.
  absl::Status CheckUnknown() const;
  // One error per key that no Get/typed call consumed, in file order (Go
  // yaml.v3 with KnownFields reports them all).
  std::vector<absl::Status> UnknownKeyErrors() const;

 private:
  struct Key {
    std::string name;
    YAML::Node key_node;
    YAML::Node value;
    bool used = false;
  };
  const YamlDecoder* dec_ = nullptr;
  YAML::Node node_;
  std::string type_name_;
  std::string path_;
  std::vector<Key> keys_;
};

// Helpers for values that are not fields of a mapping.
absl::StatusOr<std::string> DecodeString(const YamlDecoder& dec, const YAML::Node& n, std::string_view path);
// A sequence (null = empty). Calls nothing; returns the items.
absl::StatusOr<std::vector<YAML::Node>> DecodeSequence(const YamlDecoder& dec, const YAML::Node& n,
                                                        std::string_view path);
std::string TagOf(const YAML::Node& n);

}  // namespace omni::config
