// Relabeling with Prometheus 2.42 semantics (model/relabel/relabel.go):
// regexes are fully anchored, replacement templates follow Go's
// regexp.Expand, hashmod uses the last 8 bytes of the MD5 of the joined
// source values as a big-endian integer.
#include "libs/relabel/relabel.h"

#include <openssl/evp.h>

#include <map>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"
#include "libs/common/utf8.h"

namespace omni::relabel {
namespace {

constexpr struct {
  Action action;
  std::string_view name;
} kActionNames[] = {
    {Action::kReplace, "replace"},     {Action::kKeep, "keep"},           {Action::kDrop, "drop"},
    {Action::kKeepEqual, "keepequal"}, {Action::kDropEqual, "dropequal"}, {Action::kHashMod, "hashmod"},
    {Action::kLabelMap, "labelmap"},   {Action::kLabelDrop, "labeldrop"}, {Action::kLabelKeep, "labelkeep"},
    {Action::kLowercase, "lowercase"}, {Action::kUppercase, "uppercase"},
};

std::shared_ptr<const re2::RE2> Compile(const std::string& pattern) {
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  return std::make_shared<const re2::RE2>(absl::StrCat("^(?:", pattern, ")$"), opts);
}

const std::shared_ptr<const re2::RE2>& DefaultRegex() {
  static const auto* re = new std::shared_ptr<const re2::RE2>(Compile("(.*)"));
  return *re;
}

bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// relabelTarget from Prometheus: ^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$
bool IsValidRelabelTarget(std::string_view s) {
  static const auto* re = new re2::RE2(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return re2::RE2::FullMatch(s, *re);
}

bool Matches(const re2::RE2& re, std::string_view s) {
  return re.Match(s, 0, s.size(), re2::RE2::ANCHOR_BOTH, nullptr, 0);
}

// Go's regexp.Expand: $name / ${name}, where a name is the longest run of
// [A-Za-z0-9_]; all-digit names are group numbers; unknown or unmatched
// groups expand to "", "$$" is a literal '$', and a malformed reference keeps
// the '$' as text.
void Expand(const re2::RE2& re, std::string_view tmpl, const std::vector<std::string_view>& groups,
            std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t dollar = tmpl.find('$', i);
    if (dollar == std::string_view::npos) {
      out->append(tmpl.substr(i));
      return;
    }
    out->append(tmpl.substr(i, dollar - i));
    i = dollar + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out->push_back('$');
      ++i;
      continue;
    }
    bool brace = i < tmpl.size() && tmpl[i] == '{';
    size_t name_begin = brace ? i + 1 : i;
    size_t name_end = name_begin;
    while (name_end < tmpl.size() && IsWordChar(tmpl[name_end])) ++name_end;
    if (name_end == name_begin || (brace && (name_end >= tmpl.size() || tmpl[name_end] != '}'))) {
      out->push_back('$');  // malformed: '$' is literal, continue after it
      continue;
    }
    std::string_view name = tmpl.substr(name_begin, name_end - name_begin);
    i = brace ? name_end + 1 : name_end;
    int num = 0;
    bool numeric = true;
    for (char c : name) {
      if (c < '0' || c > '9') {
        numeric = false;
        break;
      }
      num = num * 10 + (c - '0');
      if (num >= 100000000) {
        numeric = false;
        num = -1;
        break;
      }
    }
    if (numeric) {
      if (num >= 0 && static_cast<size_t>(num) < groups.size() && groups[num].data() != nullptr) {
        out->append(groups[num]);
      }
      continue;
    }
    if (num == -1) continue;  // huge number: Go treats it as no group
    const auto& named = re.NamedCapturingGroups();
    auto it = named.find(std::string(name));
    if (it != named.end() && static_cast<size_t>(it->second) < groups.size() &&
        groups[it->second].data() != nullptr) {
      out->append(groups[it->second]);
    }
  }
}

// Simple case mapping of one code point for the scripts label values use in
// practice (Latin, Greek, Cyrillic, Armenian, fullwidth Latin), matching Go's
// unicode.ToLower / unicode.ToUpper there; other code points are unchanged.
char32_t MapCase(char32_t c, bool upper) {
  auto pair_even_upper = [&](char32_t lo_bound, char32_t hi_bound) -> std::optional<char32_t> {
    if (c < lo_bound || c > hi_bound) return std::nullopt;
    bool is_upper = ((c - lo_bound) % 2) == 0;
    if (upper) return is_upper ? c : c - 1;
    return is_upper ? c + 1 : c;
  };
  auto offset = [&](char32_t up_lo, char32_t up_hi, char32_t delta) -> std::optional<char32_t> {
    if (!upper && c >= up_lo && c <= up_hi) return c + delta;
    if (upper && c >= up_lo + delta && c <= up_hi + delta) return c - delta;
    return std::nullopt;
  };
  if (c < 0x80) {
    if (upper && c >= 'a' && c <= 'z') return c - 32;
    if (!upper && c >= 'A' && c <= 'Z') return c + 32;
    return c;
  }
  if (c == 0xD7 || c == 0xF7) return c;
  if (upper && c == 0xB5) return 0x39C;
  if (upper && c == 0xFF) return 0x178;
  if (!upper && c == 0x178) return 0xFF;
  if (upper && c == 0x131) return 'I';
  if (!upper && c == 0x130) return 'i';
  if (upper && c == 0x3C2) return 0x3A3;
  if (c == 0xDF) return c;
  if (auto r = offset(0xC0, 0xDE, 0x20)) return *r;
  for (auto [lo, hi] : {std::pair<char32_t, char32_t>{0x100, 0x12F}, {0x132, 0x137}, {0x14A, 0x177}, {0x460, 0x481},
                        {0x48A, 0x4BF}, {0x4D0, 0x52F}}) {
    if (auto r = pair_even_upper(lo, hi)) return *r;
  }
  // Odd code point is the capital in these runs.
  for (auto [lo, hi] : {std::pair<char32_t, char32_t>{0x139, 0x148}, {0x179, 0x17E}, {0x4C1, 0x4CE}}) {
    if (c >= lo && c <= hi) {
      bool is_upper = ((c - lo) % 2) == 0;
      if (upper) return is_upper ? c : c - 1;
      return is_upper ? c + 1 : c;
    }
  }
  if (!upper && c == 0x386) return 0x3AC;
  if (upper && c == 0x3AC) return 0x386;
  if (auto r = offset(0x388, 0x38A, 0x25)) return *r;
  if (!upper && c == 0x38C) return 0x3CC;
  if (upper && c == 0x3CC) return 0x38C;
  if (auto r = offset(0x38E, 0x38F, 0x3F)) return *r;
  if (c != 0x3A2 && c != 0x3C2) {
    if (auto r = offset(0x391, 0x3AB, 0x20)) return *r;
  }
  if (!upper && c == 0x4C0) return 0x4CF;
  if (upper && c == 0x4CF) return 0x4C0;
  if (auto r = offset(0x400, 0x40F, 0x50)) return *r;
  if (auto r = offset(0x410, 0x42F, 0x20)) return *r;
  if (auto r = offset(0x531, 0x556, 0x30)) return *r;
  if (auto r = offset(0xFF21, 0xFF3A, 0x20)) return *r;
  return c;
}

// Go's strings.ToLower/ToUpper: invalid UTF-8 bytes become U+FFFD.
std::string ChangeCase(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = s[i];
    char32_t c;
    int len;
    if (b < 0x80) {
      c = b, len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      c = b & 0x1F, len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      c = b & 0x0F, len = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      c = b & 0x07, len = 4;
    } else {
      c = 0xFFFD, len = 0;
    }
    bool valid = len > 0 && i + len <= s.size();
    for (int k = 1; valid && k < len; ++k) {
      unsigned char cont = s[i + k];
      if ((cont & 0xC0) != 0x80) valid = false;
      c = (c << 6) | (cont & 0x3F);
    }
    if (valid && ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)))) {
      valid = false;
    }
    if (!valid) {
      common::AppendUtf8(&out, 0xFFFD);
      ++i;
      continue;
    }
    common::AppendUtf8(&out, MapCase(c, upper));
    i += len;
  }
  return out;
}

std::string HashModValue(std::string_view val, uint64_t modulus) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(val.data(), val.size(), digest, &len, EVP_md5(), nullptr);
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | digest[i];
  return std::to_string(v % modulus);
}

}  // namespace

absl::StatusOr<Action> ParseAction(std::string_view name) {
  std::string lower(name);
  absl::AsciiStrToLower(&lower);
  for (const auto& a : kActionNames) {
    if (a.name == lower) return a.action;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown relabel action \"", std::string(name), "\""));
}

std::string_view ActionName(Action action) {
  for (const auto& a : kActionNames) {
    if (a.action == action) return a.name;
  }
  return "unknown";
}

absl::Status RelabelConfig::SetRegex(std::string pattern) {
  auto re = Compile(pattern);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing regexp: ", re->error(), ": `", pattern, "`"));
  }
  regex_string_ = std::move(pattern);
  regex_ = std::move(re);
  return absl::OkStatus();
}

const re2::RE2& RelabelConfig::regex() const { return regex_ ? *regex_ : *DefaultRegex(); }

absl::Status RelabelConfig::Validate() const {
  // Messages are Prometheus's, so that users can search for them.
  auto err = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  std::string_view act_sv = ActionName(action);
  absl::string_view act(act_sv.data(), act_sv.size());
  for (const std::string& s : source_labels) {
    if (!model::IsValidLabelName(s)) return err("\"", s, "\" is not a valid label name");
  }
  if (action == Action::kHashMod && modulus == 0) {
    return err("relabel configuration for hashmod requires non-zero modulus");
  }
  bool needs_target = action == Action::kReplace || action == Action::kHashMod || action == Action::kLowercase ||
                      action == Action::kUppercase || action == Action::kKeepEqual ||
                      action == Action::kDropEqual;
  if (needs_target && target_label.empty()) {
    return err("relabel configuration for ", act, " action requires 'target_label' value");
  }
  if ((action == Action::kReplace || action == Action::kLowercase || action == Action::kUppercase) &&
      !IsValidRelabelTarget(target_label)) {
    return err("\"", target_label, "\" is invalid 'target_label' for ", act, " action");
  }
  if ((action == Action::kLowercase || action == Action::kUppercase || action == Action::kKeepEqual ||
       action == Action::kDropEqual) &&
      replacement != "$1") {
    return err("'replacement' can not be set for ", act, " action");
  }
  if (action == Action::kLabelMap && !IsValidRelabelTarget(replacement)) {
    return err("\"", replacement, "\" is invalid 'replacement' for ", act, " action");
  }
  if (action == Action::kHashMod && !model::IsValidLabelName(target_label)) {
    return err("\"", target_label, "\" is invalid 'target_label' for ", act, " action");
  }
  if (action == Action::kDropEqual || action == Action::kKeepEqual) {
    if (regex_string_ != "(.*)" || modulus != 0 || separator != ";" || replacement != "$1") {
      return err(act, " action requires only 'source_labels' and `target_label`, and no other fields");
    }
  }
  if (action == Action::kLabelDrop || action == Action::kLabelKeep) {
    if (!source_labels.empty() || !target_label.empty() || modulus != 0 || separator != ";" ||
        replacement != "$1") {
      return err(act, " action requires only 'regex', and no other fields");
    }
  }
  return absl::OkStatus();
}

namespace {

// One step on the builder. Returns false when the label set is dropped.
bool Step(const RelabelConfig& cfg, model::LabelsBuilder* lb, std::string* scratch) {
  std::string& val = *scratch;
  val.clear();
  for (size_t i = 0; i < cfg.source_labels.size(); ++i) {
    if (i > 0) val += cfg.separator;
    val += lb->Get(cfg.source_labels[i]);
  }
  const re2::RE2& re = cfg.regex();
  switch (cfg.action) {
    case Action::kDrop:
      return !Matches(re, val);
    case Action::kKeep:
      return Matches(re, val);
    case Action::kDropEqual:
      return lb->Get(cfg.target_label) != val;
    case Action::kKeepEqual:
      return lb->Get(cfg.target_label) == val;
    case Action::kReplace: {
      int ngroups = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> pieces(ngroups);
      if (!re.Match(val, 0, val.size(), re2::RE2::ANCHOR_BOTH, pieces.data(), ngroups)) return true;
      std::vector<std::string_view> groups(ngroups);
      for (int i = 0; i < ngroups; ++i) {
        if (pieces[i].data() != nullptr) groups[i] = std::string_view(pieces[i].data(), pieces[i].size());
      }
      std::string target, res;
      Expand(re, cfg.target_label, groups, &target);
      if (!model::IsValidLabelName(target)) return true;
      Expand(re, cfg.replacement, groups, &res);
      if (res.empty()) {
        lb->Del(target);
      } else {
        lb->Set(target, res);
      }
      return true;
    }
    case Action::kLowercase:
      lb->Set(cfg.target_label, ChangeCase(val, /*upper=*/false));
      return true;
    case Action::kUppercase:
      lb->Set(cfg.target_label, ChangeCase(val, /*upper=*/true));
      return true;
    case Action::kHashMod:
      if (cfg.modulus == 0) return true;  // rejected by Validate(); never divide by zero
      lb->Set(cfg.target_label, HashModValue(val, cfg.modulus));
      return true;
    case Action::kLabelMap:
    case Action::kLabelDrop:
    case Action::kLabelKeep: {
      // Iterate over a snapshot: the step's input, as Prometheus ranges over lset.
      model::Labels snapshot = lb->Build();
      int ngroups = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> pieces(ngroups);
      std::vector<std::string_view> groups(ngroups);
      std::string res;
      for (const model::Label& l : snapshot) {
        if (cfg.action == Action::kLabelMap) {
          if (!re.Match(l.name, 0, l.name.size(), re2::RE2::ANCHOR_BOTH, pieces.data(), ngroups)) continue;
          for (int i = 0; i < ngroups; ++i) {
            groups[i] = pieces[i].data() ? std::string_view(pieces[i].data(), pieces[i].size()) : std::string_view();
          }
          Expand(re, cfg.replacement, groups, &res);
          lb->Set(res, l.value);
        } else {
          bool m = Matches(re, l.name);
          if (m == (cfg.action == Action::kLabelDrop)) lb->Del(l.name);
        }
      }
      return true;
    }
  }
  return true;
}

}  // namespace

bool Process(const model::Labels& in, const std::vector<RelabelConfig>& configs, model::Labels* out) {
  model::LabelsBuilder lb(in);
  std::string scratch;
  for (const RelabelConfig& cfg : configs) {
    if (!Step(cfg, &lb, &scratch)) return false;
  }
  *out = lb.Build();
  return true;
}

}  // namespace omni::relabel
