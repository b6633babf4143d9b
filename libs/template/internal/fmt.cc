#include "libs/template/internal/fmt.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "libs/common/utf8.h"

namespace omni::tmpl::internal {
namespace {

using Kind = TemplateValue::Kind;

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Shortest round-trip digits and decimal exponent: v = 0.d1d2... * 10^dp.
void ShortestDigits(double v, std::string* digits, int* dp) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string_view s(buf, res.ptr - buf);
  size_t e = s.find('e');
  digits->clear();
  for (char c : s.substr(0, e)) {
    if (c != '.') digits->push_back(c);
  }
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  *dp = exp + 1;
}

std::string ExpSuffix(int exp, char e) {
  std::string out(1, e);
  out += exp < 0 ? '-' : '+';
  int a = exp < 0 ? -exp : exp;
  if (a < 10) out += '0';
  out += std::to_string(a);
  return out;
}

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  bool plus_v = false;  // %+v: field names in structs (the '+' does not reach numbers)
  int width = -1, prec = -1;
};

std::string PadTo(const std::string& s, const Spec& sp, bool numeric) {
  if (sp.width < 0) return s;
  size_t n = RuneCount(s);
  if (n >= static_cast<size_t>(sp.width)) return s;
  size_t pad = sp.width - n;
  if (sp.minus) return s + std::string(pad, ' ');
  if (sp.zero && numeric) {
    // Zero padding goes after the sign.
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) ? 1 : 0;
    return s.substr(0, sign) + std::string(pad, '0') + s.substr(sign);
  }
  if (sp.zero && !numeric) return std::string(pad, '0') + s;
  return std::string(pad, ' ') + s;
}

std::string FormatInt(int64_t v, char verb, const Spec& sp) {
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits;
  int base = 10;
  const char* alphabet = "0123456789abcdefx";
  switch (verb) {
    case 'x': base = 16; break;
    case 'X': base = 16; alphabet = "0123456789ABCDEFX"; break;
    case 'o': case 'O': base = 8; break;
    case 'b': base = 2; break;
    default: break;
  }
  if (u == 0) digits = "0";
  while (u > 0) {
    digits.insert(digits.begin(), alphabet[u % base]);
    u /= base;
  }
  if (sp.prec >= 0) {
    if (sp.prec == 0 && v == 0) digits.clear();
    while (static_cast<int>(digits.size()) < sp.prec) digits.insert(digits.begin(), '0');
  }
  std::string prefix;
  if (sp.sharp) {
    if (base == 16) prefix = verb == 'X' ? "0X" : "0x";
    if (base == 8 && (digits.empty() || digits[0] != '0')) prefix = "0";
    if (base == 2) prefix = "0b";
  }
  if (verb == 'O') prefix = "0o";
  std::string sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  std::string body = prefix + digits;
  if (sp.zero && !sp.minus && sp.width > 0 && sp.prec < 0) {
    int pad = sp.width - static_cast<int>(sign.size() + body.size());
    if (pad > 0) body = prefix + std::string(pad, '0') + digits;
    return sign + body;
  }
  Spec nz = sp;
  nz.zero = false;
  return PadTo(sign + body, nz, true);
}

std::string FormatFloatVerb(double v, char verb, const Spec& sp) {
  int prec = sp.prec;
  char f = verb;
  if (verb == 'v') { f = 'g'; }
  if (verb == 'F') f = 'f';
  if ((f == 'e' || f == 'E' || f == 'f') && prec < 0) prec = 6;
  std::string num = FormatFloat(v, f, prec);
  if (sp.sharp && f != 'e' && f != 'E' && num.find('.') == std::string::npos && std::isfinite(v)) {
    // %#g keeps a decimal point; approximate (rarely used in templates).
    size_t e = num.find_first_of("eE");
    num.insert(e == std::string::npos ? num.size() : e, ".");
  }
  if (num[0] != '-' && num[0] != '+') {
    if (sp.plus) {
      num = "+" + num;
    } else if (sp.space) {
      num = " " + num;
    }
  } else if (num[0] == '+' && !sp.plus) {
    num = num.substr(1);  // +Inf prints without sign unless asked
    if (sp.space) num = " " + num;
  }
  if (std::isinf(v) || std::isnan(v)) {
    Spec nz = sp;
    nz.zero = false;
    return PadTo(num, nz, true);
  }
  return PadTo(num, sp, true);
}

std::string FormatOne(const TemplateValue& v, char verb, const Spec& sp);

// Go keeps the width/precision flags when printing the offending value.
std::string BadVerb(char verb, const TemplateValue& v, const Spec& sp = Spec()) {
  if (!v.IsValid() || v.IsNil()) return absl::StrCat("%!", std::string(1, verb), "(<nil>)");
  return absl::StrCat("%!", std::string(1, verb), "(", v.TypeName(), "=", FormatOne(v, 'v', sp), ")");
}

std::string FormatComposite(const TemplateValue& v, char verb, const Spec& sp) {
  // Go applies the verb and its flags (width included) element-wise inside
  // lists, maps and structs, and never pads the composite as a whole.
  std::string out;
  switch (v.kind()) {
    case Kind::kList: {
      out = "[";
      bool first = true;
      for (const auto& e : v.AsList()) {
        if (!first) out += ' ';
        first = false;
        out += FormatOne(e, verb, sp);
      }
      out += "]";
      break;
    }
    case Kind::kMap: {
      out = "map[";
      bool first = true;
      for (const auto& [k, e] : v.AsMap()) {
        if (!first) out += ' ';
        first = false;
        out += FormatOne(TemplateValue(k), verb, sp) + ":" + FormatOne(e, verb, sp);
      }
      out += "]";
      break;
    }
    default: {
      out = "{";
      bool first = true;
      for (const auto& [k, e] : v.AsFields()) {
        if (!first) out += ' ';
        first = false;
        if (sp.plus_v && verb == 'v') out += k + ":";
        out += FormatOne(e, verb, sp);
      }
      out += "}";
    }
  }
  return out;
}

std::string FormatOne(const TemplateValue& v, char verb, const Spec& sp) {
  if (verb == 'T') return PadTo(v.IsValid() && !v.IsNil() ? v.TypeName() : "<nil>", sp, false);
  if (!v.IsValid() || v.IsNil()) {
    if (verb == 'v') return PadTo("<nil>", sp, false);
    return BadVerb(verb, v, sp);
  }
  // Stringer (and time.Time) apply to %v %s %q %x %X.
  const bool stringy_verb = verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X';
  if (stringy_verb && ((v.type() && v.type()->stringer) || v.kind() == Kind::kTime)) {
    std::string s = v.type() && v.type()->stringer ? v.type()->stringer(v) : v.AsTime().String();
    return FormatOne(TemplateValue(std::move(s)), verb == 'v' ? 's' : verb, sp);
  }
  switch (v.kind()) {
    case Kind::kBool:
      if (verb == 'v' || verb == 't') return PadTo(v.AsBool() ? "true" : "false", sp, false);
      return BadVerb(verb, v, sp);
    case Kind::kInt:
      switch (verb) {
        case 'v': case 'd': case 'x': case 'X': case 'o': case 'O': case 'b':
          return FormatInt(v.AsInt(), verb == 'v' ? 'd' : verb, sp);
        case 'c': {
          std::string s;
          common::AppendUtf8(&s, static_cast<uint32_t>(v.AsInt()));
          return PadTo(s, sp, false);
        }
        case 'q': return PadTo(common::QuoteGoRune(static_cast<uint32_t>(v.AsInt())), sp, false);
        case 'U': {
          char b[32];
          std::snprintf(b, sizeof b, "U+%04llX", static_cast<unsigned long long>(v.AsInt()));
          return PadTo(b, sp, false);
        }
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
          return BadVerb(verb, v, sp);
        default: return BadVerb(verb, v, sp);
      }
    case Kind::kFloat:
      switch (verb) {
        case 'v': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
          return FormatFloatVerb(v.AsFloat(), verb, sp);
        default: return BadVerb(verb, v, sp);
      }
    case Kind::kString: {
      std::string s = v.AsString();
      switch (verb) {
        case 'v': case 's':
          if (sp.prec >= 0) {
            size_t i = 0, runes = 0;
            while (i < s.size() && runes < static_cast<size_t>(sp.prec)) {
              size_t w;
              common::DecodeUtf8Rune(s, i, &w);
              i += w;
              ++runes;
            }
            s.resize(i);
          }
          return PadTo(s, sp, false);
        case 'q':
          if (sp.sharp && s.find('`') == std::string::npos) return PadTo("`" + s + "`", sp, false);
          return PadTo(QuoteGo(s), sp, false);
        case 'x': case 'X': {
          std::string out;
          char b[4];
          for (size_t i = 0; i < s.size(); ++i) {
            if (sp.space && i > 0) out += ' ';
            std::snprintf(b, sizeof b, verb == 'x' ? "%02x" : "%02X", static_cast<unsigned char>(s[i]));
            out += b;
          }
          return PadTo(out, sp, false);
        }
        default: return BadVerb(verb, v, sp);
      }
    }
    case Kind::kList:
    case Kind::kMap:
    case Kind::kObject:
      return FormatComposite(v, verb, sp);
    case Kind::kFunc:
      if (verb == 'v' || verb == 'p') return PadTo("0xc000010000", sp, false);
      return BadVerb(verb, v, sp);
    default:
      return BadVerb(verb, v, sp);
  }
}

bool IsString(const TemplateValue& v) { return v.kind() == Kind::kString; }

}  // namespace

std::string FormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  const bool upper = fmt == 'E' || fmt == 'G';
  const char e = upper ? 'E' : 'e';
  if (prec >= 0) {
    char buf[512];
    std::string f = "%." + std::to_string(prec) + fmt;
    std::snprintf(buf, sizeof buf, f.c_str(), v);
    return buf;
  }
  // Shortest representation.
  std::string digits;
  int dp;
  if (v == 0) {
    digits = "0";
    dp = 1;
  } else {
    ShortestDigits(v, &digits, &dp);
  }
  std::string sign = std::signbit(v) ? "-" : "";
  auto as_e = [&]() {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    return out + ExpSuffix(v == 0 ? 0 : dp - 1, e);
  };
  auto as_f = [&]() {
    std::string out = sign;
    if (dp <= 0) {
      out += "0." + std::string(-dp, '0') + digits;
    } else if (dp >= static_cast<int>(digits.size())) {
      out += digits + std::string(dp - digits.size(), '0');
    } else {
      out += digits.substr(0, dp) + "." + digits.substr(dp);
    }
    return out;
  };
  switch (fmt) {
    case 'e': case 'E': return as_e();
    case 'f': case 'F': return as_f();
    default: {
      const int exp = dp - 1;
      // Go uses precision 6 to pick %e for the shortest %g.
      const int eprec = 6;
      if (v != 0 && (exp < -4 || exp >= eprec)) return as_e();
      return as_f();
    }
  }
}

std::string QuoteGo(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t w;
    uint32_t r = common::DecodeUtf8Rune(s, i, &w);
    if (r == 0xFFFD && w == 1 && static_cast<unsigned char>(s[i]) >= 0x80) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += b;
      i += 1;
      continue;
    }
    i += w;
    switch (r) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (r < 0x20 || r == 0x7F) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", r);
      out += b;
    } else if ((r >= 0x80 && r < 0xA0) || r == 0xAD || r == 0x2028 || r == 0x2029 || r == 0xFEFF) {
      char b[16];
      std::snprintf(b, sizeof b, "\\u%04x", r);
      out += b;
    } else {
      common::AppendUtf8(&out, r);
    }
  }
  return out + "\"";
}

std::string FormatV(const TemplateValue& v, bool plus) {
  if (!v.IsValid()) return "<no value>";
  Spec sp;
  sp.plus_v = plus;
  return FormatOne(v, 'v', sp);
}

std::string GoSprint(const std::vector<TemplateValue>& args) {
  std::string out;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = IsString(args[i]);
    if (i > 0 && !is_string && !prev_string) out += ' ';
    out += args[i].IsValid() ? FormatV(args[i]) : "<nil>";
    prev_string = is_string;
  }
  return out;
}

std::string GoSprintln(const std::vector<TemplateValue>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    out += args[i].IsValid() ? FormatV(args[i]) : "<nil>";
  }
  return out + "\n";
}

std::string GoSprintf(std::string_view format, const std::vector<TemplateValue>& args) {
  std::string out;
  size_t argi = 0;
  size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c != '%') {
      out += c;
      ++i;
      continue;
    }
    ++i;
    Spec sp;
    // Flags.
    for (; i < format.size(); ++i) {
      char f = format[i];
      if (f == '-') { sp.minus = true; sp.zero = false; }
      else if (f == '+') sp.plus = true;
      else if (f == '#') sp.sharp = true;
      else if (f == ' ') sp.space = true;
      else if (f == '0') sp.zero = !sp.minus;
      else break;
    }
    // Width.
    if (i < format.size() && format[i] == '*') {
      ++i;
      if (argi < args.size() && args[argi].kind() == Kind::kInt) {
        sp.width = static_cast<int>(args[argi].AsInt());
        if (sp.width < 0) { sp.minus = true; sp.width = -sp.width; sp.zero = false; }
      } else {
        out += "%!(BADWIDTH)";
      }
      ++argi;
    } else {
      while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
        sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (format[i] - '0');
        ++i;
      }
    }
    // Precision.
    if (i < format.size() && format[i] == '.') {
      ++i;
      sp.prec = 0;
      if (i < format.size() && format[i] == '*') {
        ++i;
        if (argi < args.size() && args[argi].kind() == Kind::kInt && args[argi].AsInt() >= 0) {
          sp.prec = static_cast<int>(args[argi].AsInt());
        } else {
          out += "%!(BADPREC)";
          sp.prec = -1;
        }
        ++argi;
      } else {
        while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
          sp.prec = sp.prec * 10 + (format[i] - '0');
          ++i;
        }
      }
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    size_t w;
    uint32_t verb_rune = common::DecodeUtf8Rune(format, i, &w);
    i += w;
    if (verb_rune == '%') {
      out += '%';
      continue;
    }
    char verb = verb_rune < 0x80 ? static_cast<char>(verb_rune) : '?';
    if (argi >= args.size()) {
      out += "%!";
      common::AppendUtf8(&out, verb_rune);
      out += "(MISSING)";
      continue;
    }
    const TemplateValue& arg = args[argi++];
    if (verb == 'v' && sp.sharp) {
      // %#v: Go-syntax; strings are quoted, other values as %v.
      out += arg.kind() == Kind::kString ? QuoteGo(arg.AsString()) : FormatOne(arg, 'v', sp);
      continue;
    }
    if (verb == 'v' && sp.plus) {
      sp.plus = false;
      sp.plus_v = true;
    }
    static constexpr std::string_view kVerbs = "vsqdxXoObcUtTeEfFgG";
    if (kVerbs.find(verb) == std::string_view::npos) {
      out += "%!";
      common::AppendUtf8(&out, verb_rune);
      out += "(" + (arg.IsValid() && !arg.IsNil() ? arg.TypeName() + "=" + FormatV(arg) : std::string("<nil>")) + ")";
      continue;
    }
    out += FormatOne(arg, verb, sp);
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) out += ", ";
      if (!args[k].IsValid() || args[k].IsNil()) {
        out += "<nil>";
      } else {
        out += args[k].TypeName() + "=" + FormatV(args[k]);
      }
    }
    out += ")";
  }
  return out;
}

}  // namespace omni::tmpl::internal
