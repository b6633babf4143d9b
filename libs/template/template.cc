#include "libs/template/template.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/common/glob.h"
#include "libs/template/internal/exec.h"
#include "libs/template/internal/fmt.h"
#include "libs/template/internal/parse.h"

namespace omni::tmpl {

TemplateSet::TemplateSet() : funcs_(std::make_shared<FuncMap>()) {}
TemplateSet::~TemplateSet() = default;
TemplateSet::TemplateSet(const TemplateSet&) = default;
TemplateSet& TemplateSet::operator=(const TemplateSet&) = default;
TemplateSet::TemplateSet(TemplateSet&&) noexcept = default;
TemplateSet& TemplateSet::operator=(TemplateSet&&) noexcept = default;

void TemplateSet::AddFuncs(const FuncMap& funcs) {
  // Copy-on-write: clones of this set keep their own function map.
  auto copy = std::make_shared<FuncMap>(*funcs_);
  for (const auto& [name, fn] : funcs) (*copy)[name] = fn;
  funcs_ = std::move(copy);
}

absl::Status TemplateSet::SetOption(std::string_view option) {
  if (option == "missingkey=default" || option == "missingkey=invalid") {
    missing_key_ = MissingKey::kDefault;
  } else if (option == "missingkey=zero") {
    missing_key_ = MissingKey::kZero;
  } else if (option == "missingkey=error") {
    missing_key_ = MissingKey::kError;
  } else {
    return absl::InvalidArgumentError("unrecognized option: " + std::string(option));
  }
  return absl::OkStatus();
}

void TemplateSet::SetDelims(std::string left, std::string right) {
  left_delim_ = left.empty() ? "{{" : std::move(left);
  right_delim_ = right.empty() ? "}}" : std::move(right);
}

absl::Status TemplateSet::Parse(std::string_view name, std::string_view text) {
  internal::ParseOptions options;
  options.left_delim = left_delim_;
  options.right_delim = right_delim_;
  const FuncMap* funcs = funcs_.get();
  options.has_function = [funcs](std::string_view fn) {
    return funcs->count(std::string(fn)) > 0 || internal::IsBuiltin(fn);
  };
  auto trees = internal::Parse(name, text, options);
  if (!trees.ok()) return trees.status();
  for (auto& [tree_name, tree] : *trees) {
    auto it = trees_.find(tree_name);
    // Go's AddParseTree: an empty body never replaces an existing template.
    if (it != trees_.end() && internal::IsEmptyTree(tree->root.get())) continue;
    trees_[tree_name] = std::move(tree);
  }
  return absl::OkStatus();
}

absl::Status TemplateSet::ParseFiles(const std::vector<std::string>& paths) {
  if (paths.empty()) return absl::InvalidArgumentError("template: no files named in call to ParseFiles");
  TemplateSet staged = *this;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("open ", path, ": no such file or directory"));
    std::stringstream buf;
    buf << in.rdbuf();
    const size_t slash = path.find_last_of('/');
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    absl::Status s = staged.Parse(base, buf.str());
    if (!s.ok()) return s;
  }
  *this = std::move(staged);
  return absl::OkStatus();
}

absl::Status TemplateSet::ParseGlob(std::string_view pattern) {
  absl::StatusOr<std::vector<std::string>> paths = common::GlobFiles(pattern);
  if (!paths.ok()) return absl::InvalidArgumentError("bad glob pattern: " + std::string(pattern));
  if (paths->empty()) {
    return absl::NotFoundError("template: pattern matches no files: `" + std::string(pattern) + "`");
  }
  return ParseFiles(*paths);
}

bool TemplateSet::Has(std::string_view name) const { return trees_.count(std::string(name)) > 0; }

std::vector<std::string> TemplateSet::Names() const {
  std::vector<std::string> out;
  for (const auto& [name, tree] : trees_) out.push_back(name);
  return out;
}

absl::StatusOr<std::string> TemplateSet::Execute(std::string_view name, const TemplateValue& data) const {
  internal::ExecEnv env;
  env.trees = &trees_;
  env.funcs = funcs_.get();
  env.missing_key = missing_key_;
  env.html = html_;
  std::string out;
  absl::Status s = internal::Execute(env, std::string(name), data, &out);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::string> TemplateSet::ExecuteText(std::string_view text, const TemplateValue& data) const {
  if (text.empty()) return std::string();
  TemplateSet copy = *this;
  absl::Status s = copy.Parse("", text);
  if (!s.ok()) return s;
  if (!copy.Has("")) return std::string();
  return copy.Execute("", data);
}

const std::vector<std::string>& TemplateSet::BuiltinNames() {
  static const auto* names = new std::vector<std::string>{
      "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or", "print",
      "printf", "println", "slice", "urlquery"};
  return *names;
}

std::string QuoteGo(std::string_view s) { return internal::QuoteGo(s); }

std::string HtmlEscapeString(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\0': out += "\xEF\xBF\xBD"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string JsEscapeString(std::string_view s) {
  std::string out;
  char b[8];
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    switch (c) {
      case '\\': out += "\\\\"; continue;
      case '\'': out += "\\'"; continue;
      case '"': out += "\\\""; continue;
      case '<': out += "\\u003C"; continue;
      case '>': out += "\\u003E"; continue;
      case '&': out += "\\u0026"; continue;
      case '=': out += "\\u003D"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(b, sizeof b, "\\u%04X", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string UrlQueryEscape(std::string_view s) {
  std::string out;
  char b[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      std::snprintf(b, sizeof b, "%%%02X", c);
      out += b;
    }
  }
  return out;
}

}  // namespace omni::tmpl
