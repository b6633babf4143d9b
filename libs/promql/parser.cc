#include "libs/promql/parser.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/utf8.h"
#include "libs/promql/functions.h"

namespace omni::promql {
namespace {

enum class Tok {
  kEOF, kIdent, kMetricIdent, kNumber, kString, kDuration,
  kLParen, kRParen, kLBrace, kRBrace, kLBracket, kRBracket, kComma, kColon, kAt,
  kAssign, kEqlRegex, kNeqRegex, kNeq, kEqlc, kGtr, kLss, kGte, kLte,
  kAdd, kSub, kMul, kDiv, kMod, kPow,
  // keywords
  kAnd, kOr, kUnless, kAtan2, kBy, kWithout, kOn, kIgnoring, kGroupLeft, kGroupRight,
  kOffset, kBool, kStart, kEnd, kAggregator,
};

struct Token {
  Tok type = Tok::kEOF;
  int pos = 0;
  std::string val;
  AggOp agg = AggOp::kSum;  // for kAggregator
};

bool IsKeyword(Tok t) { return t >= Tok::kAnd && t != Tok::kAggregator; }
bool IsOperatorTok(Tok t) {
  return (t >= Tok::kEqlRegex && t <= Tok::kPow) || t == Tok::kAnd || t == Tok::kOr ||
         t == Tok::kUnless || t == Tok::kAtan2 || t == Tok::kAssign;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out += "\"";
  return out;
}

// Prometheus's Item.desc().
std::string Describe(const Token& t) {
  switch (t.type) {
    case Tok::kEOF: return "end of input";
    case Tok::kIdent: return "identifier " + Quote(t.val);
    case Tok::kMetricIdent: return "metric identifier " + Quote(t.val);
    case Tok::kNumber: return "number " + Quote(t.val);
    case Tok::kString: return "string " + Quote(t.val.size() > 10 ? t.val.substr(0, 10) + "..." : t.val);
    case Tok::kDuration: return "duration " + Quote(t.val);
    case Tok::kAggregator: return "<aggr:" + t.val + ">";
    default: break;
  }
  if (t.type == Tok::kAssign) return "\"=\"";
  if (IsOperatorTok(t.type)) return "<op:" + t.val + ">";
  if (IsKeyword(t.type)) return "<" + t.val + ">";
  if (t.type == Tok::kLParen) return "\"(\"";
  if (t.type == Tok::kRParen) return "\")\"";
  if (t.type == Tok::kLBrace) return "\"{\"";
  if (t.type == Tok::kRBrace) return "\"}\"";
  if (t.type == Tok::kLBracket) return "\"[\"";
  if (t.type == Tok::kRBracket) return "\"]\"";
  if (t.type == Tok::kComma) return "\",\"";
  if (t.type == Tok::kColon) return "\":\"";
  if (t.type == Tok::kAt) return "<op:@>";
  return Quote(t.val);
}

struct ParseError {
  int pos;
  std::string msg;
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

absl::StatusOr<std::string> Unquote(std::string_view q) {
  if (q.size() < 2) return absl::InvalidArgumentError("invalid syntax");
  char quote = q[0];
  std::string_view body = q.substr(1, q.size() - 2);
  if (quote == '`') return std::string(body);
  std::string out;
  for (size_t i = 0; i < body.size(); i++) {
    char c = body[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= body.size()) return absl::InvalidArgumentError("invalid syntax");
    char e = body[i];
    auto hexval = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      if (h >= 'A' && h <= 'F') return h - 'A' + 10;
      return -1;
    };
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '\'':
      case '"':
        if (e != quote) return absl::InvalidArgumentError(absl::StrFormat("unknown escape sequence U+%04X '%c'", e, e));
        out.push_back(e);
        break;
      case 'x': case 'u': case 'U': {
        int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (int k = 0; k < n; k++) {
          if (++i >= body.size()) return absl::InvalidArgumentError("escape sequence not terminated");
          if (hexval(body[i]) < 0) {
            return absl::InvalidArgumentError(absl::StrFormat("illegal character U+%04X '%c' in escape sequence", body[i], body[i]));
          }
          v = v * 16 + hexval(body[i]);
        }
        if (e == 'x') out.push_back(static_cast<char>(v)); else common::AppendUtf8(&out, v);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = e - '0';
          for (int k = 0; k < 2; k++) {
            if (++i >= body.size()) return absl::InvalidArgumentError("escape sequence not terminated");
            if (body[i] < '0' || body[i] > '7') {
              return absl::InvalidArgumentError(absl::StrFormat("illegal character U+%04X '%c' in escape sequence", body[i], body[i]));
            }
            v = v * 8 + (body[i] - '0');
          }
          if (v > 255) return absl::InvalidArgumentError("invalid syntax");
          out.push_back(static_cast<char>(v));
          break;
        }
        return absl::InvalidArgumentError(absl::StrFormat("unknown escape sequence U+%04X '%c'", e, e));
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  // Tokenizes everything; on error returns it (the position is where it happened).
  std::optional<ParseError> Run(std::vector<Token>* out) {
    int paren_depth = 0;
    bool in_brace = false, in_bracket = false;
    size_t i = 0;
    while (true) {
      while (i < in_.size() && (in_[i] == ' ' || in_[i] == '\t' || in_[i] == '\n' || in_[i] == '\r')) i++;
      if (i < in_.size() && in_[i] == '#') {
        while (i < in_.size() && in_[i] != '\n') i++;
        continue;
      }
      if (i >= in_.size()) {
        if (in_brace) return ParseError{static_cast<int>(i), "unexpected end of input inside braces"};
        if (in_bracket) return ParseError{static_cast<int>(i), "unclosed left bracket"};
        if (paren_depth > 0) return ParseError{static_cast<int>(i), "unclosed left parenthesis"};
        out->push_back(Token{Tok::kEOF, static_cast<int>(i), ""});
        return std::nullopt;
      }
      int start = static_cast<int>(i);
      char c = in_[i];
      auto emit = [&](Tok t, size_t len) {
        out->push_back(Token{t, start, std::string(in_.substr(i, len))});
        i += len;
      };
      auto next_is = [&](char n) { return i + 1 < in_.size() && in_[i + 1] == n; };
      switch (c) {
        case ',': emit(Tok::kComma, 1); continue;
        case '(': paren_depth++; emit(Tok::kLParen, 1); continue;
        case ')':
          if (paren_depth == 0) return ParseError{start + 1, "unexpected right parenthesis ')'"};
          paren_depth--;
          emit(Tok::kRParen, 1);
          continue;
        case '{':
          if (in_brace) return ParseError{start, "unexpected left brace '{'"};
          in_brace = true;
          emit(Tok::kLBrace, 1);
          continue;
        case '}':
          if (!in_brace) return ParseError{start, "unexpected character: '}'"};
          in_brace = false;
          emit(Tok::kRBrace, 1);
          continue;
        case '[':
          if (in_bracket) return ParseError{start, "unexpected left bracket '['"};
          in_bracket = true;
          emit(Tok::kLBracket, 1);
          continue;
        case ']':
          if (!in_bracket) return ParseError{start, "unexpected right bracket ']'"};
          in_bracket = false;
          emit(Tok::kRBracket, 1);
          continue;
        case ':':
          if (!in_bracket && !in_brace) {
            // A metric identifier may start with ':'.
            break;
          }
          emit(Tok::kColon, 1);
          continue;
        case '@': emit(Tok::kAt, 1); continue;
        case '+': emit(Tok::kAdd, 1); continue;
        case '-': emit(Tok::kSub, 1); continue;
        case '*': emit(Tok::kMul, 1); continue;
        case '/': emit(Tok::kDiv, 1); continue;
        case '%': emit(Tok::kMod, 1); continue;
        case '^': emit(Tok::kPow, 1); continue;
        case '=':
          if (next_is('=')) emit(Tok::kEqlc, 2);
          else if (next_is('~')) emit(Tok::kEqlRegex, 2);
          else emit(Tok::kAssign, 1);
          continue;
        case '!':
          if (next_is('=')) { emit(Tok::kNeq, 2); continue; }
          if (next_is('~')) { emit(Tok::kNeqRegex, 2); continue; }
          return ParseError{start, std::string("unexpected character after '!'") + (in_brace ? " inside braces" : "") +
                                       ": '" + std::string(1, i + 1 < in_.size() ? in_[i + 1] : ' ') + "'"};
        case '<':
          if (next_is('=')) emit(Tok::kLte, 2); else emit(Tok::kLss, 1);
          continue;
        case '>':
          if (next_is('=')) emit(Tok::kGte, 2); else emit(Tok::kGtr, 1);
          continue;
        case '"': case '\'': case '`': {
          size_t j = i + 1;
          while (j < in_.size() && in_[j] != c) {
            if (in_[j] == '\\' && c != '`') j++;
            else if (in_[j] == '\n' && c != '`') return ParseError{start, "unterminated quoted string"};
            j++;
          }
          if (j >= in_.size()) {
            return ParseError{start, c == '`' ? "unterminated raw string" : "unterminated quoted string"};
          }
          auto s = Unquote(in_.substr(i, j + 1 - i));
          if (!s.ok()) return ParseError{start, std::string(s.status().message())};
          out->push_back(Token{Tok::kString, start, *s});
          i = j + 1;
          continue;
        }
        default: break;
      }
      if (IsDigit(c) || (c == '.' && i + 1 < in_.size() && IsDigit(in_[i + 1]))) {
        auto err = LexNumberOrDuration(&i, out);
        if (err) return err;
        continue;
      }
      if (IsAlpha(c) || c == ':') {
        size_t j = i;
        bool has_colon = false;
        while (j < in_.size() && (IsAlnum(in_[j]) || in_[j] == ':')) {
          if (in_[j] == ':') has_colon = true;
          j++;
        }
        std::string word(in_.substr(i, j - i));
        Token t{has_colon ? Tok::kMetricIdent : Tok::kIdent, start, word};
        if (!has_colon && !in_brace) ClassifyKeyword(&t);
        out->push_back(t);
        i = j;
        continue;
      }
      size_t width;
      const uint32_t rune = common::DecodeUtf8Rune(in_, i, &width);
      return ParseError{start, absl::StrCat("unexpected character", in_brace ? " inside braces" : "", ": ",
                                            common::QuoteGoRune(rune))};
    }
  }

 private:
  static void ClassifyKeyword(Token* t) {
    std::string l = absl::AsciiStrToLower(t->val);
    static const std::pair<const char*, Tok> kKeywords[] = {
        {"and", Tok::kAnd}, {"or", Tok::kOr}, {"unless", Tok::kUnless}, {"atan2", Tok::kAtan2},
        {"by", Tok::kBy}, {"without", Tok::kWithout}, {"on", Tok::kOn},
        {"ignoring", Tok::kIgnoring}, {"group_left", Tok::kGroupLeft},
        {"group_right", Tok::kGroupRight}, {"offset", Tok::kOffset}, {"bool", Tok::kBool},
        {"start", Tok::kStart}, {"end", Tok::kEnd}};
    for (const auto& [k, tok] : kKeywords) {
      if (l == k) {
        t->type = tok;
        return;
      }
    }
    static const std::pair<const char*, AggOp> kAggs[] = {
        {"sum", AggOp::kSum}, {"avg", AggOp::kAvg}, {"count", AggOp::kCount},
        {"min", AggOp::kMin}, {"max", AggOp::kMax}, {"group", AggOp::kGroup},
        {"stddev", AggOp::kStddev}, {"stdvar", AggOp::kStdvar}, {"topk", AggOp::kTopk},
        {"bottomk", AggOp::kBottomk}, {"quantile", AggOp::kQuantile},
        {"count_values", AggOp::kCountValues}};
    for (const auto& [k, op] : kAggs) {
      if (l == k) {
        t->type = Tok::kAggregator;
        t->agg = op;
        return;
      }
    }
    if (l == "inf" || l == "nan") t->type = Tok::kNumber;
  }

  // Mirrors Prometheus's lexNumberOrDuration: a number unless followed by an
  // alphanumeric character, else a duration, else an error.
  std::optional<ParseError> LexNumberOrDuration(size_t* pos, std::vector<Token>* out) {
    size_t i = *pos;
    int start = static_cast<int>(i);
    size_t j = i;
    auto accept_run = [&](std::string_view set) {
      while (j < in_.size() && set.find(in_[j]) != std::string_view::npos) j++;
    };
    auto accept = [&](std::string_view set) {
      if (j < in_.size() && set.find(in_[j]) != std::string_view::npos) {
        j++;
        return true;
      }
      return false;
    };
    std::string_view digits = "0123456789";
    if (accept("0") && accept("xX")) digits = "0123456789abcdefABCDEF";
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (accept("eE")) {
      accept("+-");
      accept_run("0123456789");
    }
    if (j >= in_.size() || !IsAlnum(in_[j])) {
      out->push_back(Token{Tok::kNumber, start, std::string(in_.substr(i, j - i))});
      *pos = j;
      return std::nullopt;
    }
    // acceptRemainingDuration
    bool ok = accept("smhdwy");
    if (ok) {
      accept("s");
      while (ok && j < in_.size() && IsDigit(in_[j])) {
        accept_run("0123456789");
        if (!accept("smhdw")) {
          ok = false;
          break;
        }
        accept("s");
      }
      if (ok) {
        bool next_alnum = j < in_.size() && IsAlnum(in_[j]);
        if (!next_alnum) {
          out->push_back(Token{Tok::kDuration, start, std::string(in_.substr(i, j - i))});
          *pos = j;
          return std::nullopt;
        }
        j++;  // Prometheus consumed the offending character
      }
    }
    return ParseError{start, "bad number or duration syntax: \"" + std::string(in_.substr(i, j - i)) + "\""};
  }

  std::string_view in_;
};

// Prometheus's parseNumber: strconv.ParseInt(s, 0, 64) (so "010" is octal 8
// and "0x1f" hex), falling back to strconv.ParseFloat.
std::optional<double> ParseNumber(const std::string& s) {
  std::string l = absl::AsciiStrToLower(s);
  if (l == "inf" || l == "+inf") return INFINITY;
  if (l == "-inf") return -INFINITY;
  if (l == "nan") return NAN;
  auto all_of = [](std::string_view v, std::string_view set) {
    if (v.empty()) return false;
    for (char c : v) {
      if (set.find(c) == std::string_view::npos) return false;
    }
    return true;
  };
  errno = 0;
  if (l.size() > 2 && l[0] == '0' && l[1] == 'x' && all_of(std::string_view(l).substr(2), "0123456789abcdef")) {
    unsigned long long v = std::strtoull(l.c_str() + 2, nullptr, 16);
    if (errno == 0 && v <= 0x7fffffffffffffffULL) return static_cast<double>(v);
  } else if (l.size() > 1 && l[0] == '0' && all_of(l, "01234567")) {
    unsigned long long v = std::strtoull(l.c_str(), nullptr, 8);
    if (errno == 0 && v <= 0x7fffffffffffffffULL) return static_cast<double>(v);
  }
  if (l.size() > 1 && l[0] == '0' && l[1] == 'x') {
    // Go's ParseFloat accepts hex only with a 'p' exponent.
    return std::nullopt;
  }
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return std::nullopt;
  return v;
}

class Parser {
 public:
  Parser(std::string_view in, std::vector<Token> toks) : in_(in), toks_(std::move(toks)) {}

  ExprPtr ParseTop() {
    ExprPtr e = ParseBinary(0);
    if (failed()) return nullptr;
    if (Peek().type != Tok::kEOF) {
      Unexpected("");
      return nullptr;
    }
    return e;
  }

  // A lone selector (match[]): like Prometheus's ParseMetricSelector, which
  // skips the AST checks, `{}` and `{a=""}` parse (callers check emptiness).
  std::vector<model::Matcher> ParseSelectorOnly() {
    selector_only_ = true;
    ExprPtr e = ParseBinary(0);
    if (failed()) return {};
    if (Peek().type != Tok::kEOF) {
      Unexpected("");
      return {};
    }
    if (e->kind != ExprKind::kVectorSelector || e->offset_ms != 0 || e->at != AtKind::kNone) {
      Fail(e->pos_start, "expected vector selector");
      return {};
    }
    return e->matchers;
  }

  bool failed() const { return error_.has_value(); }
  const ParseError& error() const { return *error_; }

 private:
  const Token& Peek(int ahead = 0) const {
    size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  Token Next() {
    Token t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) pos_++;
    return t;
  }
  void Fail(int pos, std::string msg) {
    if (!error_) error_ = ParseError{pos, std::move(msg)};
  }
  void Unexpected(std::string_view context, std::string_view expected = "") {
    const Token& t = Peek();
    std::string msg = "unexpected " + Describe(t);
    if (!context.empty()) absl::StrAppend(&msg, " in ", std::string(context));
    if (!expected.empty()) absl::StrAppend(&msg, ", expected ", std::string(expected));
    Fail(t.pos, msg);
  }
  bool Expect(Tok t, std::string_view context, std::string_view expected) {
    if (Peek().type != t) {
      Unexpected(context, expected);
      return false;
    }
    Next();
    return true;
  }
  int PrevEnd() const {
    if (pos_ == 0) return 0;
    const Token& t = toks_[pos_ - 1];
    if (t.type == Tok::kString) {
      // Find the end of the quoted literal in the input.
      size_t p = t.pos;
      char q = in_[p];
      size_t j = p + 1;
      while (j < in_.size() && in_[j] != q) {
        if (in_[j] == '\\' && q != '`') j++;
        j++;
      }
      return static_cast<int>(j + 1);
    }
    return t.pos + static_cast<int>(t.val.size());
  }

  static int Precedence(Tok t) {
    switch (t) {
      case Tok::kOr: return 1;
      case Tok::kAnd: case Tok::kUnless: return 2;
      case Tok::kEqlc: case Tok::kNeq: case Tok::kGtr: case Tok::kLss: case Tok::kGte: case Tok::kLte: return 3;
      case Tok::kAdd: case Tok::kSub: return 4;
      case Tok::kMul: case Tok::kDiv: case Tok::kMod: case Tok::kAtan2: return 5;
      case Tok::kPow: return 6;
      default: return -1;
    }
  }
  static BinOp ToBinOp(Tok t) {
    switch (t) {
      case Tok::kOr: return BinOp::kOr;
      case Tok::kAnd: return BinOp::kAnd;
      case Tok::kUnless: return BinOp::kUnless;
      case Tok::kEqlc: return BinOp::kEql;
      case Tok::kNeq: return BinOp::kNeq;
      case Tok::kGtr: return BinOp::kGtr;
      case Tok::kLss: return BinOp::kLss;
      case Tok::kGte: return BinOp::kGte;
      case Tok::kLte: return BinOp::kLte;
      case Tok::kAdd: return BinOp::kAdd;
      case Tok::kSub: return BinOp::kSub;
      case Tok::kMul: return BinOp::kMul;
      case Tok::kDiv: return BinOp::kDiv;
      case Tok::kMod: return BinOp::kMod;
      case Tok::kAtan2: return BinOp::kAtan2;
      default: return BinOp::kPow;
    }
  }

  ExprPtr ParseBinary(int min_prec) {
    ExprPtr lhs = ParseUnary();
    if (failed()) return nullptr;
    int chain = 0;  // a left-associative chain nests the AST on its lhs
    while (true) {
      const Token& t = Peek();
      int prec = Precedence(t.type);
      if (prec < 0 || prec < min_prec) break;
      if (++chain > kMaxChain) {
        Fail(t.pos, "expression nesting too deep");
        return nullptr;
      }
      Token op_tok = Next();
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kBinary;
      e->op = ToBinOp(op_tok.type);
      int op_pos = op_tok.pos;
      if (Peek().type == Tok::kBool) {
        Next();
        e->return_bool = true;
      }
      bool has_matching = false;
      if (Peek().type == Tok::kOn || Peek().type == Tok::kIgnoring) {
        e->matching.on = Next().type == Tok::kOn;
        has_matching = true;
        if (!ParseLabelList(&e->matching.matching_labels, "grouping opts")) return nullptr;
        if (Peek().type == Tok::kGroupLeft || Peek().type == Tok::kGroupRight) {
          e->matching.card = Next().type == Tok::kGroupLeft ? VectorMatchCard::kManyToOne
                                                             : VectorMatchCard::kOneToMany;
          if (Peek().type == Tok::kLParen) {
            if (!ParseLabelList(&e->matching.include, "grouping opts")) return nullptr;
          }
        }
      } else if (Peek().type == Tok::kGroupLeft || Peek().type == Tok::kGroupRight) {
        Unexpected("");
        return nullptr;
      }
      (void)has_matching;
      int next_min = e->op == BinOp::kPow ? prec : prec + 1;
      ExprPtr rhs = ParseBinary(next_min);
      if (failed()) return nullptr;
      e->pos_start = lhs->pos_start;
      e->pos_end = rhs->pos_end;
      e->lhs = std::move(lhs);
      e->rhs = std::move(rhs);
      if (!CheckBinary(e.get(), op_pos)) return nullptr;
      lhs = std::move(e);
    }
    return lhs;
  }

  bool CheckBinary(Expr* e, int op_pos) {
    ValueType lt = e->lhs->type(), rt = e->rhs->type();
    if (e->return_bool && !IsComparison(e->op)) {
      Fail(op_pos, "bool modifier can only be used on comparison operators");
      return false;
    }
    if (IsComparison(e->op) && !e->return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
      Fail(op_pos, "comparisons between scalars must use BOOL modifier");
      return false;
    }
    if (IsSetOperator(e->op) && e->matching.card == VectorMatchCard::kOneToOne) {
      e->matching.card = VectorMatchCard::kManyToMany;
    }
    if (e->matching.on) {
      for (const auto& l1 : e->matching.matching_labels) {
        for (const auto& l2 : e->matching.include) {
          if (l1 == l2) {
            Fail(op_pos, absl::StrCat("label \"", l1, "\" must not occur in ON and GROUP clause at once"));
            return false;
          }
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      Fail(e->lhs->pos_start, "binary expression must contain only scalar and instant vector types");
      return false;
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      Fail(e->rhs->pos_start, "binary expression must contain only scalar and instant vector types");
      return false;
    }
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (!e->matching.matching_labels.empty() || e->matching.on) {
        Fail(e->pos_start, "vector matching only allowed between instant vectors");
        return false;
      }
    } else if (IsSetOperator(e->op)) {
      if (e->matching.card == VectorMatchCard::kOneToMany || e->matching.card == VectorMatchCard::kManyToOne) {
        Fail(e->pos_start, absl::StrCat("no grouping allowed for \"", BinOpString(e->op), "\" operation"));
        return false;
      }
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOperator(e->op)) {
      Fail(e->pos_start, absl::StrCat("set operator \"", BinOpString(e->op), "\" not allowed in binary scalar expression"));
      return false;
    }
    return true;
  }

  ExprPtr ParseUnary() {
    // Recursive descent: bound the nesting so that hostile input cannot overflow the stack.
    struct DepthGuard {
      int& d;
      explicit DepthGuard(int& depth) : d(depth) { ++d; }
      ~DepthGuard() { --d; }
    } guard(depth_);
    if (depth_ > kMaxDepth) {
      Fail(Peek().pos, "expression nesting too deep");
      return nullptr;
    }
    const Token& t = Peek();
    if (t.type == Tok::kAdd || t.type == Tok::kSub) {
      Token op = Next();
      ExprPtr operand = ParseBinary(6);
      if (failed()) return nullptr;
      if (operand->kind == ExprKind::kNumber) {
        if (op.type == Tok::kSub) operand->number = -operand->number;
        operand->pos_start = op.pos;
        return operand;
      }
      ValueType vt = operand->type();
      if (vt != ValueType::kScalar && vt != ValueType::kVector) {
        Fail(op.pos, absl::StrCat("unary expression only allowed on expressions of type scalar or instant vector, got \"",
                                  ValueTypeName(vt), "\""));
        return nullptr;
      }
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kUnary;
      e->op = op.type == Tok::kSub ? BinOp::kSub : BinOp::kAdd;
      e->pos_start = op.pos;
      e->pos_end = operand->pos_end;
      e->expr = std::move(operand);
      return e;
    }
    ExprPtr p = ParsePrimary();
    if (failed()) return nullptr;
    return ParsePostfix(std::move(p));
  }

  bool ParseDurationTok(int64_t* out, std::string_view context) {
    if (Peek().type == Tok::kNumber && context.empty()) {
      Fail(Peek().pos, "missing unit character in duration");
      return false;
    }
    if (Peek().type != Tok::kDuration) {
      Unexpected(context, "duration");
      return false;
    }
    Token t = Next();
    auto d = ParseDuration(t.val);
    if (!d.ok()) {
      Fail(t.pos, std::string(d.status().message()));
      return false;
    }
    *out = *d;
    return true;
  }

  ExprPtr ParsePostfix(ExprPtr e) {
    while (!failed()) {
      Tok t = Peek().type;
      if (t == Tok::kLBracket) {
        int lb = Next().pos;
        int64_t range = 0;
        int range_pos = Peek().pos;
        if (!ParseDurationTok(&range, "")) return nullptr;
        if (range == 0) {
          Fail(range_pos, "duration must be greater than 0");
          return nullptr;
        }
        if (Peek().type == Tok::kColon) {
          Next();
          int64_t step = 0;
          if (Peek().type == Tok::kDuration) {
            int step_pos = Peek().pos;
            if (!ParseDurationTok(&step, "subquery selector")) return nullptr;
            if (step == 0) {
              Fail(step_pos, "duration must be greater than 0");
              return nullptr;
            }
          }
          if (!Expect(Tok::kRBracket, "subquery selector", "\"]\"")) return nullptr;
          if (e->type() != ValueType::kVector) {
            Fail(e->pos_start, absl::StrCat("subquery is only allowed on instant vector, got ",
                                            ValueTypeApiName(e->type()), " instead"));
            return nullptr;
          }
          auto s = std::make_unique<Expr>();
          s->kind = ExprKind::kSubquery;
          s->range_ms = range;
          s->step_ms = step;
          s->pos_start = e->pos_start;
          s->pos_end = PrevEnd();
          s->expr = std::move(e);
          e = std::move(s);
          continue;
        }
        if (!Expect(Tok::kRBracket, "", "\"]\"")) return nullptr;
        if (e->kind != ExprKind::kVectorSelector) {
          Fail(lb, "ranges only allowed for vector selectors");
          return nullptr;
        }
        if (e->offset_ms != 0) {
          Fail(lb, "no offset modifiers allowed before range");
          return nullptr;
        }
        if (e->at != AtKind::kNone) {
          Fail(lb, "no @ modifiers allowed before range");
          return nullptr;
        }
        auto m = std::make_unique<Expr>();
        m->kind = ExprKind::kMatrixSelector;
        m->range_ms = range;
        m->pos_start = e->pos_start;
        m->pos_end = PrevEnd();
        m->expr = std::move(e);
        e = std::move(m);
      } else if (t == Tok::kOffset) {
        int pos = Next().pos;
        bool neg = false;
        if (Peek().type == Tok::kSub) {
          Next();
          neg = true;
        } else if (Peek().type == Tok::kAdd) {
          Next();
        }
        int64_t off = 0;
        if (!ParseDurationTok(&off, "offset")) return nullptr;
        if (neg) off = -off;
        Expr* target = ModifierTarget(e.get());
        if (!target) {
          Fail(e->pos_start, "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
          return nullptr;
        }
        if (target->offset_ms != 0) {
          Fail(e->pos_start, "offset may not be set multiple times");
          return nullptr;
        }
        target->offset_ms = off;
        e->pos_end = PrevEnd();
      } else if (t == Tok::kAt) {
        int pos = Next().pos;
        Expr* target = ModifierTarget(e.get());
        AtKind kind = AtKind::kTimestamp;
        int64_t ts = 0;
        if (Peek().type == Tok::kStart || Peek().type == Tok::kEnd) {
          kind = Next().type == Tok::kStart ? AtKind::kStart : AtKind::kEnd;
          if (!Expect(Tok::kLParen, "@", "timestamp")) return nullptr;
          if (!Expect(Tok::kRParen, "@", "timestamp")) return nullptr;
        } else {
          bool neg = false;
          if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) neg = Next().type == Tok::kSub;
          if (Peek().type != Tok::kNumber) {
            Unexpected("@", "timestamp");
            return nullptr;
          }
          Token num_tok = Next();
          auto num = ParseNumber(num_tok.val);
          if (!num) {
            Fail(num_tok.pos, absl::StrCat("error parsing number: strconv.ParseFloat: parsing \"", num_tok.val, "\": invalid syntax"));
            return nullptr;
          }
          double f = neg ? -*num : *num;
          if (std::isinf(f) || std::isnan(f) || f >= 9.2e15 || f <= -9.2e15) {
            std::string fs = std::isnan(f) ? "NaN" : std::isinf(f) ? (f > 0 ? "+Inf" : "-Inf") : absl::StrFormat("%f", f);
            Fail(e->pos_start, "timestamp out of bounds for @ modifier: " + fs);
            return nullptr;
          }
          ts = static_cast<int64_t>(std::round(f * 1000));
        }
        if (!target) {
          Fail(e->pos_start, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
          return nullptr;
        }
        if (target->at != AtKind::kNone) {
          Fail(e->pos_start, "@ <timestamp> may not be set multiple times");
          return nullptr;
        }
        target->at = kind;
        target->at_ms = ts;
        e->pos_end = PrevEnd();
      } else {
        break;
      }
    }
    return e;
  }

  static Expr* ModifierTarget(Expr* e) {
    if (e->kind == ExprKind::kVectorSelector || e->kind == ExprKind::kSubquery) return e;
    if (e->kind == ExprKind::kMatrixSelector) return e->expr.get();
    return nullptr;
  }

  bool ParseLabelList(std::vector<std::string>* out, std::string_view context) {
    if (!Expect(Tok::kLParen, context, "\"(\"")) return false;
    while (Peek().type != Tok::kRParen) {
      const Token& t = Peek();
      if (t.type == Tok::kIdent || IsKeyword(t.type) || t.type == Tok::kAggregator ||
          (t.type == Tok::kNumber && IsAlpha(t.val[0]))) {
        out->push_back(Next().val);
      } else {
        Unexpected(context, "label");
        return false;
      }
      if (Peek().type == Tok::kComma) {
        Next();
      } else if (Peek().type != Tok::kRParen) {
        Unexpected(context, "\",\" or \")\"");
        return false;
      }
    }
    Next();
    return true;
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case Tok::kNumber: {
        Token n = Next();
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kNumber;
        auto num = ParseNumber(n.val);
        if (!num) {
          Fail(n.pos, absl::StrCat("error parsing number: strconv.ParseFloat: parsing \"", n.val, "\": invalid syntax"));
          return nullptr;
        }
        e->number = *num;
        e->pos_start = n.pos;
        e->pos_end = PrevEnd();
        return e;
      }
      case Tok::kString: {
        Token s = Next();
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kString;
        e->text = s.val;
        e->pos_start = s.pos;
        e->pos_end = PrevEnd();
        return e;
      }
      case Tok::kLParen: {
        int pos = Next().pos;
        ExprPtr inner = ParseBinary(0);
        if (failed()) return nullptr;
        if (!Expect(Tok::kRParen, "paren expression", "\")\"")) return nullptr;
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kParen;
        e->pos_start = pos;
        e->pos_end = PrevEnd();
        e->expr = std::move(inner);
        return e;
      }
      case Tok::kLBrace: return ParseSelector("", t.pos);
      case Tok::kAggregator:
        if (Peek(1).type == Tok::kLParen || Peek(1).type == Tok::kBy || Peek(1).type == Tok::kWithout) {
          return ParseAggregation();
        }
        [[fallthrough]];
      case Tok::kIdent:
      case Tok::kMetricIdent:
      case Tok::kBy: case Tok::kWithout: case Tok::kOffset: case Tok::kAnd: case Tok::kOr:
      case Tok::kUnless: case Tok::kStart: case Tok::kEnd: {
        if (t.type == Tok::kIdent && Peek(1).type == Tok::kLParen) return ParseCall();
        Token name = Next();
        return ParseSelector(name.val, name.pos);
      }
      default:
        Unexpected("");
        return nullptr;
    }
  }

  ExprPtr ParseSelector(const std::string& name, int start) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kVectorSelector;
    e->text = name;
    e->pos_start = start;
    if (Peek().type == Tok::kLBrace) {
      Next();
      while (Peek().type != Tok::kRBrace) {
        const Token& lt = Peek();
        if (!(lt.type == Tok::kIdent || IsKeyword(lt.type) || lt.type == Tok::kAggregator ||
              (lt.type == Tok::kNumber && IsAlpha(lt.val[0])))) {
          Unexpected("label matching", "identifier or \"}\"");
          return nullptr;
        }
        Token label = Next();
        model::MatchType mt;
        switch (Peek().type) {
          case Tok::kAssign: mt = model::MatchType::kEqual; break;
          case Tok::kNeq: mt = model::MatchType::kNotEqual; break;
          case Tok::kEqlRegex: mt = model::MatchType::kRegexMatch; break;
          case Tok::kNeqRegex: mt = model::MatchType::kRegexNoMatch; break;
          default:
            Unexpected("label matching", "label matching operator");
            return nullptr;
        }
        Next();
        if (Peek().type != Tok::kString) {
          Unexpected("label matching", "string");
          return nullptr;
        }
        Token value = Next();
        auto m = model::Matcher::Create(mt, label.val, value.val);
        if (!m.ok()) {
          Fail(label.pos, std::string(m.status().message()));
          return nullptr;
        }
        e->matchers.push_back(*std::move(m));
        if (Peek().type == Tok::kComma) {
          Next();
        } else if (Peek().type != Tok::kRBrace) {
          Unexpected("label matching", "\",\" or \"}\"");
          return nullptr;
        }
      }
      Next();
    }
    e->pos_end = PrevEnd();
    if (!name.empty()) {
      for (const auto& m : e->matchers) {
        if (m.name() == model::kMetricName) {
          Fail(start, absl::StrCat("metric name must not be set twice: \"", name, "\" or \"", m.value(), "\""));
          return nullptr;
        }
      }
      e->matchers.push_back(model::Matcher::Equal(std::string(model::kMetricName), name));
    }
    bool non_empty = false;
    for (const auto& m : e->matchers) {
      if (!m.MatchesEmpty()) non_empty = true;
    }
    if (!non_empty && !selector_only_) {
      Fail(start, "vector selector must contain at least one non-empty matcher");
      return nullptr;
    }
    return e;
  }

  ExprPtr ParseAggregation() {
    Token op = Next();
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kAggregate;
    e->agg = op.agg;
    e->pos_start = op.pos;
    bool have_grouping = false;
    if (Peek().type == Tok::kBy || Peek().type == Tok::kWithout) {
      e->without = Next().type == Tok::kWithout;
      have_grouping = true;
      if (!ParseLabelList(&e->grouping, "grouping opts")) return nullptr;
    }
    if (!Expect(Tok::kLParen, "aggregation", "")) return nullptr;
    std::vector<ExprPtr> args;
    if (Peek().type != Tok::kRParen) {
      while (true) {
        ExprPtr a = ParseBinary(0);
        if (failed()) return nullptr;
        args.push_back(std::move(a));
        if (Peek().type == Tok::kComma) {
          int comma = Next().pos;
          if (Peek().type == Tok::kRParen) {
            Fail(comma, "trailing commas not allowed in function call args");
            return nullptr;
          }
          continue;
        }
        break;
      }
    }
    if (!Expect(Tok::kRParen, "aggregation", "\",\" or \")\"")) return nullptr;
    if (!have_grouping && (Peek().type == Tok::kBy || Peek().type == Tok::kWithout)) {
      e->without = Next().type == Tok::kWithout;
      if (!ParseLabelList(&e->grouping, "grouping opts")) return nullptr;
    }
    e->pos_end = PrevEnd();
    size_t want = AggHasParam(e->agg) ? 2 : 1;
    if (args.size() != want) {
      Fail(e->pos_start, absl::StrCat("wrong number of arguments for aggregate expression provided, expected ",
                                      want, ", got ", args.size()));
      return nullptr;
    }
    if (want == 2) {
      e->param = std::move(args[0]);
      e->expr = std::move(args[1]);
      ValueType pt = e->param->type();
      if (e->agg == AggOp::kCountValues) {
        if (pt != ValueType::kString) {
          Fail(e->param->pos_start, absl::StrCat("expected type string in aggregation parameter, got ", ValueTypeName(pt)));
          return nullptr;
        }
      } else if (pt != ValueType::kScalar) {
        Fail(e->param->pos_start, absl::StrCat("expected type scalar in aggregation parameter, got ", ValueTypeName(pt)));
        return nullptr;
      }
    } else {
      e->expr = std::move(args[0]);
    }
    if (e->expr->type() != ValueType::kVector) {
      Fail(e->expr->pos_start, absl::StrCat("expected type instant vector in aggregation expression, got ",
                                            ValueTypeName(e->expr->type())));
      return nullptr;
    }
    return e;
  }

  ExprPtr ParseCall() {
    Token name = Next();
    const FunctionDef* f = LookupFunction(name.val);
    if (!f) {
      Fail(name.pos, absl::StrCat("unknown function with name \"", name.val, "\""));
      return nullptr;
    }
    Next();  // (
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kCall;
    e->func = f;
    e->pos_start = name.pos;
    if (Peek().type != Tok::kRParen) {
      while (true) {
        ExprPtr a = ParseBinary(0);
        if (failed()) return nullptr;
        e->args.push_back(std::move(a));
        if (Peek().type == Tok::kComma) {
          int comma = Next().pos;
          if (Peek().type == Tok::kRParen) {
            Fail(comma, "trailing commas not allowed in function call args");
            return nullptr;
          }
          continue;
        }
        break;
      }
    }
    if (!Expect(Tok::kRParen, "function call", "\",\" or \")\"")) return nullptr;
    e->pos_end = PrevEnd();
    int n = static_cast<int>(e->args.size());
    int want = static_cast<int>(f->arg_types.size());
    if (f->variadic == 0) {
      if (n != want) {
        Fail(e->pos_start, absl::StrCat("expected ", want, " argument(s) in call to \"", f->name, "\", got ", n));
        return nullptr;
      }
    } else {
      int min = f->variadic > 0 ? want - f->variadic : want - 1;
      if (n < min) {
        Fail(e->pos_start, absl::StrCat("expected at least ", min, " argument(s) in call to \"", f->name, "\", got ", n));
        return nullptr;
      }
      if (f->variadic > 0 && n > want) {
        Fail(e->pos_start, absl::StrCat("expected at most ", want, " argument(s) in call to \"", f->name, "\", got ", n));
        return nullptr;
      }
    }
    for (int i = 0; i < n; i++) {
      ValueType expected = i < want ? f->arg_types[i] : f->arg_types.back();
      ValueType got = e->args[i]->type();
      if (expected != got) {
        Fail(e->args[i]->pos_start, absl::StrCat("expected type ", ValueTypeName(expected), " in call to function \"",
                                                 f->name, "\", got ", ValueTypeName(got)));
        return nullptr;
      }
    }
    return e;
  }

  // Nesting (parentheses, unary operators, calls, aggregations) recurses in
  // the parser; binary-operator chains recurse in the evaluator. Both are bounded
  // so that hostile input cannot overflow a server thread's stack.
  static constexpr int kMaxDepth = 256;
  static constexpr int kMaxChain = 1000;
  std::string_view in_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::optional<ParseError> error_;
  bool selector_only_ = false;  // parsing a match[] selector, see ParseSelectorOnly
};

absl::Status MakeError(std::string_view input, const ParseError& err) {
  int line = 1;
  int last_break = -1;
  for (int i = 0; i < err.pos && i < static_cast<int>(input.size()); i++) {
    if (input[i] == '\n') {
      line++;
      last_break = i;
    }
  }
  int col = err.pos - last_break;
  return absl::InvalidArgumentError(absl::StrCat(line, ":", col, ": parse error: ", err.msg));
}

}  // namespace

absl::StatusOr<std::string> UnquoteString(std::string_view quoted) { return Unquote(quoted); }

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input) {
  std::vector<Token> toks;
  Lexer lexer(input);
  if (auto err = lexer.Run(&toks)) return MakeError(input, *err);
  Parser p(input, std::move(toks));
  ExprPtr e = p.ParseTop();
  if (p.failed()) return MakeError(input, p.error());
  return e;
}

absl::StatusOr<std::vector<model::Matcher>> ParseMetricSelector(std::string_view input) {
  std::vector<Token> toks;
  Lexer lexer(input);
  if (auto err = lexer.Run(&toks)) return MakeError(input, *err);
  Parser p(input, std::move(toks));
  auto m = p.ParseSelectorOnly();
  if (p.failed()) return MakeError(input, p.error());
  return m;
}

}  // namespace omni::promql
