#include "libs/template/internal/parse.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/template/internal/fmt.h"
#include "libs/common/utf8.h"

namespace omni::tmpl::internal {
namespace {

// ---------------------------------------------------------------------------
// Lexer (a tokenizer run to completion, following text/template/parse/lex.go).

enum class Item {
  kError, kBool, kChar, kCharConstant, kComment, kAssign, kDeclare, kEOF, kField, kIdentifier, kLeftDelim,
  kLeftParen, kNumber, kPipe, kRawString, kRightDelim, kRightParen, kSpace, kString, kText, kVariable,
  // Keywords.
  kKeyword, kBlock, kBreak, kContinue, kDot, kDefine, kElse, kEnd, kIf, kNil, kRange, kTemplate, kWith
};

struct Token {
  Item type;
  int pos;
  std::string val;
  int line;
};

std::string TokenString(const Token& t) {
  switch (t.type) {
    case Item::kEOF: return "EOF";
    case Item::kError: return t.val;
    default: break;
  }
  if (t.type > Item::kKeyword) return "<" + t.val + ">";
  // Go: items longer than 10 bytes print as %.10q...
  if (t.val.size() > 10) return QuoteGo(t.val.substr(0, 10)) + "...";
  return QuoteGo(t.val);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlnum(unsigned char c) { return c == '_' || std::isalnum(c) || c >= 0x80; }

class Lexer {
 public:
  Lexer(std::string_view input, std::string_view left, std::string_view right)
      : input_(input), left_(left), right_(right) {}

  std::vector<Token> Run() {
    bool in_text = true;
    while (!done_) {
      if (in_text) {
        in_text = LexText();
      } else {
        in_text = LexInsideAction();
      }
    }
    return std::move(tokens_);
  }

 private:
  static constexpr int kEof = -1;

  int Next() {
    if (pos_ >= input_.size()) {
      at_eof_ = true;
      return kEof;
    }
    char c = input_[pos_++];
    if (c == '\n') ++line_;
    return static_cast<unsigned char>(c);
  }
  void Backup() {
    if (at_eof_) {
      at_eof_ = false;
      return;
    }
    --pos_;
    if (input_[pos_] == '\n') --line_;
  }
  int Peek() {
    int c = Next();
    Backup();
    return c;
  }
  void Emit(Item t) {
    tokens_.push_back({t, static_cast<int>(start_), std::string(input_.substr(start_, pos_ - start_)), start_line_});
    start_ = pos_;
    start_line_ = line_;
  }
  void Ignore() {
    for (size_t i = start_; i < pos_; ++i) {
      if (input_[i] == '\n') ++start_line_;
    }
    start_ = pos_;
    start_line_ = line_;
  }
  bool Error(std::string msg) {
    tokens_.push_back({Item::kError, static_cast<int>(start_), std::move(msg), start_line_});
    done_ = true;
    return false;
  }
  void AdvanceTo(size_t p) {
    for (size_t i = pos_; i < p; ++i) {
      if (input_[i] == '\n') ++line_;
    }
    pos_ = p;
  }

  bool HasLeftTrimMarker(std::string_view s) const { return s.size() >= 2 && s[0] == '-' && IsSpace(s[1]); }
  bool HasRightTrimMarker(std::string_view s) const { return s.size() >= 2 && IsSpace(s[0]) && s[1] == '-'; }

  // Returns true (and whether trimmed) if the input is at a right delimiter.
  bool AtRightDelim(bool* trim) {
    std::string_view rest = input_.substr(pos_);
    if (HasRightTrimMarker(rest) && rest.substr(2).substr(0, right_.size()) == right_) {
      *trim = true;
      return true;
    }
    *trim = false;
    return rest.substr(0, right_.size()) == right_;
  }

  // Scans text up to the next left delimiter. Returns false when done.
  bool LexText() {
    size_t x = input_.find(left_, pos_);
    if (x == std::string_view::npos) {
      AdvanceTo(input_.size());
      if (pos_ > start_) Emit(Item::kText);
      tokens_.push_back({Item::kEOF, static_cast<int>(pos_), "", line_});
      done_ = true;
      return false;
    }
    size_t text_end = x;
    std::string_view after = input_.substr(x + left_.size());
    if (HasLeftTrimMarker(after)) {
      while (text_end > start_ && IsSpace(input_[text_end - 1])) --text_end;
    }
    AdvanceTo(text_end);
    if (pos_ > start_) Emit(Item::kText);
    AdvanceTo(x);
    Ignore();
    return LexLeftDelim();
  }

  bool LexLeftDelim() {
    AdvanceTo(pos_ + left_.size());
    const bool trim = HasLeftTrimMarker(input_.substr(pos_));
    const size_t after_marker = trim ? 2 : 0;
    if (input_.substr(pos_ + after_marker, 2) == "/*") {
      AdvanceTo(pos_ + after_marker);
      Ignore();
      return LexComment();
    }
    Emit(Item::kLeftDelim);
    AdvanceTo(pos_ + after_marker);
    Ignore();
    paren_depth_ = 0;
    return false;  // now inside an action
  }

  bool LexComment() {
    AdvanceTo(pos_ + 2);
    size_t i = input_.find("*/", pos_);
    if (i == std::string_view::npos) return Error("unclosed comment");
    AdvanceTo(i + 2);
    bool trim;
    if (!AtRightDelim(&trim)) return Error("comment ends before closing delimiter");
    if (trim) AdvanceTo(pos_ + 2);
    AdvanceTo(pos_ + right_.size());
    if (trim) SkipLeadingSpace();
    Ignore();
    return true;
  }

  void SkipLeadingSpace() {
    size_t p = pos_;
    while (p < input_.size() && IsSpace(input_[p])) ++p;
    AdvanceTo(p);
  }

  bool LexRightDelim(bool trim) {
    if (trim) {
      AdvanceTo(pos_ + 2);
      Ignore();
    }
    AdvanceTo(pos_ + right_.size());
    Emit(Item::kRightDelim);
    if (trim) {
      SkipLeadingSpace();
      Ignore();
    }
    return true;
  }

  bool AtTerminator() {
    int r = Peek();
    if (r == kEof) return true;
    if (IsSpace(static_cast<char>(r))) return true;
    switch (r) {
      case '.': case ',': case '|': case ':': case ')': case '(': return true;
      default: break;
    }
    return input_.substr(pos_, right_.size()) == right_;
  }

  std::string BadChar(int r) {
    char b[32];
    std::snprintf(b, sizeof b, "U+%04X '%c'", r, r);
    return b;
  }

  // Lexes one token inside an action. Returns true when the action ended.
  bool LexInsideAction() {
    bool trim;
    if (AtRightDelim(&trim)) {
      if (paren_depth_ == 0) return LexRightDelim(trim);
      return Error("unclosed left paren");
    }
    int r = Next();
    if (r == kEof) return Error("unclosed action");
    if (IsSpace(static_cast<char>(r))) {
      // Spaces up to (not including) a right trim marker.
      while (true) {
        int c = Peek();
        if (c == kEof || !IsSpace(static_cast<char>(c))) break;
        Next();
      }
      if (HasRightTrimMarker(input_.substr(pos_ - 1)) &&
          input_.substr(pos_ - 1 + 2, right_.size()) == right_) {
        Backup();
        if (pos_ == start_) return false;
      }
      Emit(Item::kSpace);
      return false;
    }
    switch (r) {
      case '=': Emit(Item::kAssign); return false;
      case ':':
        if (Next() != '=') return Error("expected :=");
        Emit(Item::kDeclare);
        return false;
      case '|': Emit(Item::kPipe); return false;
      case '"': return LexQuote();
      case '`': return LexRawQuote();
      case '$': return LexVariable();
      case '\'': return LexChar();
      case '(':
        Emit(Item::kLeftParen);
        ++paren_depth_;
        return false;
      case ')':
        --paren_depth_;
        Emit(Item::kRightParen);
        return false;
      default: break;
    }
    if (r == '.') {
      if (pos_ < input_.size()) {
        char c = input_[pos_];
        if (c < '0' || c > '9') return LexFieldOrVariable(Item::kField);
      }
    }
    if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      Backup();
      return LexNumber();
    }
    if (IsAlnum(static_cast<unsigned char>(r))) {
      Backup();
      return LexIdentifier();
    }
    if (r < 0x80 && std::isprint(r)) {
      Emit(Item::kChar);
      return false;
    }
    return Error("unrecognized character in action: " + BadChar(r));
  }

  bool LexIdentifier() {
    while (pos_ < input_.size() && IsAlnum(static_cast<unsigned char>(input_[pos_]))) AdvanceTo(pos_ + 1);
    if (!AtTerminator()) return Error("bad character " + BadChar(Peek()));
    std::string_view word = input_.substr(start_, pos_ - start_);
    static const std::map<std::string_view, Item> kKeywords = {
        {".", Item::kDot},         {"block", Item::kBlock}, {"break", Item::kBreak}, {"continue", Item::kContinue},
        {"define", Item::kDefine}, {"else", Item::kElse},   {"end", Item::kEnd},     {"if", Item::kIf},
        {"range", Item::kRange},   {"nil", Item::kNil},     {"template", Item::kTemplate},
        {"with", Item::kWith}};
    auto it = kKeywords.find(word);
    if (it != kKeywords.end()) {
      Emit(it->second);
    } else if (word == "true" || word == "false") {
      Emit(Item::kBool);
    } else {
      Emit(Item::kIdentifier);
    }
    return false;
  }

  bool LexFieldOrVariable(Item type) {
    if (AtTerminator()) {
      Emit(type == Item::kVariable ? Item::kVariable : Item::kDot);
      return false;
    }
    while (pos_ < input_.size() && IsAlnum(static_cast<unsigned char>(input_[pos_]))) AdvanceTo(pos_ + 1);
    if (!AtTerminator()) return Error("bad character " + BadChar(Peek()));
    Emit(type);
    return false;
  }

  bool LexVariable() {
    if (AtTerminator()) {
      Emit(Item::kVariable);
      return false;
    }
    return LexFieldOrVariable(Item::kVariable);
  }

  bool Accept(std::string_view valid) {
    if (pos_ < input_.size() && valid.find(input_[pos_]) != std::string_view::npos) {
      AdvanceTo(pos_ + 1);
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  bool LexNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    if (pos_ < input_.size() && IsAlnum(static_cast<unsigned char>(input_[pos_]))) {
      AdvanceTo(pos_ + 1);
      return Error("bad number syntax: " + QuoteGo(input_.substr(start_, pos_ - start_)));
    }
    Emit(Item::kNumber);
    return false;
  }

  bool LexQuote() {
    while (true) {
      int r = Next();
      if (r == '\\') {
        r = Next();
        if (r != kEof && r != '\n') continue;
      }
      if (r == kEof || r == '\n') return Error("unterminated quoted string");
      if (r == '"') break;
    }
    Emit(Item::kString);
    return false;
  }

  bool LexRawQuote() {
    size_t i = input_.find('`', pos_);
    if (i == std::string_view::npos) return Error("unterminated raw quoted string");
    AdvanceTo(i + 1);
    Emit(Item::kRawString);
    return false;
  }

  bool LexChar() {
    while (true) {
      int r = Next();
      if (r == '\\') {
        r = Next();
        if (r != kEof && r != '\n') continue;
      }
      if (r == kEof || r == '\n') return Error("unterminated character constant");
      if (r == '\'') break;
    }
    Emit(Item::kCharConstant);
    return false;
  }

  std::string_view input_, left_, right_;
  size_t pos_ = 0, start_ = 0;
  int line_ = 1, start_line_ = 1;
  bool at_eof_ = false;
  bool done_ = false;
  int paren_depth_ = 0;
  std::vector<Token> tokens_;
};

// ---------------------------------------------------------------------------
// Go string literal unquoting (strconv.Unquote).

// Unquotes the body of a "..." or '...' literal. Returns false on bad syntax.
bool UnquoteBody(std::string_view s, char quote, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == quote) return false;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= s.size()) return false;
    char e = s[i];
    auto hex = [&](int n, uint32_t* v) {
      *v = 0;
      for (int k = 0; k < n; ++k) {
        if (++i >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
        char h = s[i];
        *v = *v * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      return true;
    };
    uint32_t v;
    switch (e) {
      case 'a': out->push_back('\a'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'v': out->push_back('\v'); break;
      case '\\': out->push_back('\\'); break;
      case '\'':
      case '"':
        if (e != quote) return false;
        out->push_back(e);
        break;
      case 'x':
        if (!hex(2, &v)) return false;
        out->push_back(static_cast<char>(v));
        break;
      case 'u':
        if (!hex(4, &v) || (v >= 0xD800 && v < 0xE000)) return false;
        common::AppendUtf8(out, v);
        break;
      case 'U':
        if (!hex(8, &v) || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
        common::AppendUtf8(out, v);
        break;
      default:
        if (e >= '0' && e <= '7') {
          v = e - '0';
          for (int k = 0; k < 2; ++k) {
            if (++i >= s.size() || s[i] < '0' || s[i] > '7') return false;
            v = v * 8 + (s[i] - '0');
          }
          if (v > 255) return false;
          out->push_back(static_cast<char>(v));
          break;
        }
        return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Parser (following text/template/parse/parse.go).

struct ParseError {
  std::string message;
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseOptions& options, std::shared_ptr<const std::string> text,
         std::string parse_name, std::map<std::string, std::shared_ptr<Tree>>* trees)
      : tokens_(std::move(tokens)), options_(options), text_(std::move(text)), parse_name_(std::move(parse_name)),
        trees_(trees) {}

  void ParseTop(const std::string& name) {
    auto tree = NewTree(name);
    tree_ = tree.get();
    vars_ = {"$"};
    tree->root = NewNode(NodeType::kList, Peek());
    while (Peek().type != Item::kEOF) {
      if (Peek().type == Item::kLeftDelim) {
        size_t save = idx_;
        Next();
        if (NextNonSpace().type == Item::kDefine) {
          ParseDefinition();
          tree_ = tree.get();
          continue;
        }
        idx_ = save;
      }
      NodePtr n = TextOrAction();
      if (n->type == NodeType::kList && (n->text == "end" || n->text == "else")) {
        Errorf("unexpected " + n->quoted);
      }
      tree->root->children.push_back(std::move(n));
    }
    AddTree(std::move(tree));
  }

 private:
  std::shared_ptr<Tree> NewTree(const std::string& name) {
    auto t = std::make_shared<Tree>();
    t->name = name;
    t->parse_name = parse_name_;
    t->text = text_;
    return t;
  }

  void AddTree(std::shared_ptr<Tree> tree) {
    auto it = trees_->find(tree->name);
    if (it == trees_->end() || IsEmptyTree(it->second->root.get())) {
      (*trees_)[tree->name] = std::move(tree);
      return;
    }
    if (!IsEmptyTree(tree->root.get())) {
      Errorf("template: multiple definition of template " + QuoteGo(tree->name));
    }
  }

  NodePtr NewNode(NodeType type, const Token& at) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->pos = at.pos;
    n->line = at.line;
    n->tree = tree_;
    return n;
  }

  // Marker nodes for {{end}} / {{else}} returned by TextOrAction.
  NodePtr Marker(const char* which, const Token& at) {
    NodePtr n = NewNode(NodeType::kList, at);
    n->text = which;
    n->quoted = std::string("{{") + which + "}}";
    return n;
  }
  static bool IsMarker(const Node& n, const char* which) { return n.type == NodeType::kList && n.text == which; }

  [[noreturn]] void Errorf(const std::string& msg) {
    const int line = tokens_[std::min(idx_ == 0 ? size_t{0} : idx_ - 1, tokens_.size() - 1)].line;
    throw ParseError{absl::StrCat("template: ", parse_name_, ":", line, ": ", msg)};
  }
  [[noreturn]] void Unexpected(const Token& t, const std::string& context) {
    if (t.type == Item::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != t.line) {
        extra = absl::StrCat(" in action started at ", parse_name_, ":", action_line_);
        if (t.val.size() >= 7 && t.val.compare(t.val.size() - 7, 7, " action") == 0) {
          extra = extra.substr(std::strlen(" in action"));
        }
      }
      Errorf(t.val + extra);
    }
    Errorf("unexpected " + TokenString(t) + " in " + context);
  }

  const Token& Next() {
    const Token& t = tokens_[std::min(idx_, tokens_.size() - 1)];
    ++idx_;
    return t;
  }
  const Token& Peek() const { return tokens_[std::min(idx_, tokens_.size() - 1)]; }
  void Backup() { --idx_; }
  const Token& NextNonSpace() {
    while (Peek().type == Item::kSpace) Next();
    return Next();
  }
  const Token& PeekNonSpace() {
    while (Peek().type == Item::kSpace) Next();
    return Peek();
  }
  const Token& Expect(Item type, const std::string& context) {
    const Token& t = NextNonSpace();
    if (t.type != type) Unexpected(t, context);
    return t;
  }

  void ParseDefinition() {
    const Token& name_tok = NextNonSpace();
    if (name_tok.type != Item::kString && name_tok.type != Item::kRawString) Unexpected(name_tok, "define clause");
    std::string name = Unquote(name_tok);
    Expect(Item::kRightDelim, "define clause");
    auto tree = NewTree(name);
    tree_ = tree.get();
    auto saved_vars = vars_;
    vars_ = {"$"};
    auto [list, end] = ItemList();
    if (!IsMarker(*end, "end")) Errorf("unexpected " + end->quoted + " in define clause");
    tree->root = std::move(list);
    vars_ = saved_vars;
    AddTree(std::move(tree));
  }

  std::pair<NodePtr, NodePtr> ItemList() {
    NodePtr list = NewNode(NodeType::kList, Peek());
    while (PeekNonSpace().type != Item::kEOF) {
      NodePtr n = TextOrAction();
      if (IsMarker(*n, "end") || IsMarker(*n, "else")) return {std::move(list), std::move(n)};
      list->children.push_back(std::move(n));
    }
    Errorf("unexpected EOF");
  }

  NodePtr TextOrAction() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Item::kText: {
        NodePtr n = NewNode(NodeType::kText, t);
        n->text = t.val;
        return n;
      }
      case Item::kLeftDelim: {
        action_line_ = t.line;
        NodePtr n = Action();
        action_line_ = 0;
        return n;
      }
      default: Unexpected(t, "input");
    }
  }

  NodePtr Action() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Item::kBlock: return BlockControl();
      case Item::kBreak: return BreakContinue(NodeType::kBreak, "break");
      case Item::kContinue: return BreakContinue(NodeType::kContinue, "continue");
      case Item::kElse: return ElseControl(t);
      case Item::kEnd:
        Expect(Item::kRightDelim, "end");
        return Marker("end", t);
      case Item::kIf: return Control(NodeType::kIf, "if", true);
      case Item::kRange: return Control(NodeType::kRange, "range", false);
      case Item::kTemplate: return TemplateControl();
      case Item::kWith: return Control(NodeType::kWith, "with", false);
      default: break;
    }
    Backup();
    const Token& at = Peek();
    NodePtr action = NewNode(NodeType::kAction, at);
    action->sub = Pipeline("command", Item::kRightDelim);
    return action;
  }

  NodePtr BreakContinue(NodeType type, const std::string& word) {
    const Token& t = tokens_[idx_ - 1];
    const Token& close = NextNonSpace();
    if (close.type != Item::kRightDelim) Unexpected(close, "{{" + word + "}}");
    if (range_depth_ == 0) Errorf("{{" + word + "}} outside {{range}}");
    return NewNode(type, t);
  }

  NodePtr ElseControl(const Token& t) {
    const Token& peek = PeekNonSpace();
    if (peek.type == Item::kIf) {
      // "{{else if ..." is rewritten as "{{else}}{{if ...": leave "if" for the caller.
      return Marker("else", peek);
    }
    Expect(Item::kRightDelim, "else");
    return Marker("else", t);
  }

  NodePtr Control(NodeType type, const std::string& context, bool allow_else_if) {
    if (++nesting_ > kMaxNesting) Errorf("max expression depth exceeded");
    struct Unnest {
      int* n;
      ~Unnest() { --*n; }
    } unnest{&nesting_};
    const size_t saved_vars = vars_.size();
    const Token& at = PeekNonSpace();
    NodePtr n = NewNode(type, at);
    n->sub = Pipeline(context, Item::kRightDelim);
    if (type == NodeType::kRange) ++range_depth_;
    auto [list, next] = ItemList();
    if (type == NodeType::kRange) --range_depth_;
    n->list = std::move(list);
    if (IsMarker(*next, "else")) {
      if (allow_else_if && PeekNonSpace().type == Item::kIf) {
        const Token& if_tok = Next();
        NodePtr else_list = NewNode(NodeType::kList, if_tok);
        else_list->children.push_back(Control(NodeType::kIf, "if", true));
        n->else_list = std::move(else_list);
      } else {
        auto [else_list, end] = ItemList();
        if (!IsMarker(*end, "end")) Errorf("expected end; found " + end->quoted);
        n->else_list = std::move(else_list);
      }
    }
    vars_.resize(saved_vars);
    return n;
  }

  std::string Unquote(const Token& t) {
    std::string out;
    if (t.type == Item::kRawString) {
      out = t.val.substr(1, t.val.size() - 2);
      // Go drops carriage returns from raw strings.
      out.erase(std::remove(out.begin(), out.end(), '\r'), out.end());
      return out;
    }
    if (t.val.size() < 2 || !UnquoteBody(std::string_view(t.val).substr(1, t.val.size() - 2), '"', &out)) {
      Errorf("invalid syntax");
    }
    return out;
  }

  NodePtr TemplateControl() {
    const Token& name_tok = NextNonSpace();
    if (name_tok.type != Item::kString && name_tok.type != Item::kRawString) Unexpected(name_tok, "template clause");
    NodePtr n = NewNode(NodeType::kTemplate, name_tok);
    n->text = Unquote(name_tok);
    if (NextNonSpace().type != Item::kRightDelim) {
      Backup();
      n->sub = Pipeline("template clause", Item::kRightDelim);
    }
    return n;
  }

  NodePtr BlockControl() {
    const std::string context = "block clause";
    const Token& name_tok = NextNonSpace();
    if (name_tok.type != Item::kString && name_tok.type != Item::kRawString) Unexpected(name_tok, context);
    NodePtr n = NewNode(NodeType::kTemplate, name_tok);
    n->text = Unquote(name_tok);
    n->sub = Pipeline(context, Item::kRightDelim);
    Tree* outer = tree_;
    auto tree = NewTree(n->text);
    tree_ = tree.get();
    auto saved_vars = vars_;
    vars_ = {"$"};
    auto [list, end] = ItemList();
    if (!IsMarker(*end, "end")) Errorf("unexpected " + end->quoted + " in " + context);
    tree->root = std::move(list);
    vars_ = saved_vars;
    AddTree(std::move(tree));
    tree_ = outer;
    return n;
  }

  NodePtr Pipeline(const std::string& context, Item end) {
    // Nesting (parentheses, control structures) recurses; bound it so that
    // hostile input cannot exhaust the C++ stack.
    if (++nesting_ > kMaxNesting) Errorf("max expression depth exceeded");
    struct Unnest {
      int* n;
      ~Unnest() { --*n; }
    } unnest{&nesting_};
    const Token& at = PeekNonSpace();
    NodePtr pipe = NewNode(NodeType::kPipe, at);
    // Declarations.
    while (true) {
      const Token& v = PeekNonSpace();
      if (v.type != Item::kVariable) break;
      const size_t var_idx = idx_;
      Next();
      const Token& after = Peek();
      const Token& next = PeekNonSpace();
      if (next.type == Item::kAssign || next.type == Item::kDeclare) {
        pipe->is_assign = next.type == Item::kAssign;
        NextNonSpace();
        pipe->decl.push_back(NewVariable(tokens_[var_idx]));
        vars_.push_back(tokens_[var_idx].val);
        break;
      }
      if (next.type == Item::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(NewVariable(tokens_[var_idx]));
        vars_.push_back(tokens_[var_idx].val);
        if (context == "range" && pipe->decl.size() < 2) {
          Item t = PeekNonSpace().type;
          if (t == Item::kVariable || t == Item::kRightDelim || t == Item::kRightParen) continue;
          Errorf("range can only initialize variables");
        }
        Errorf("too many declarations in " + context);
      }
      (void)after;
      idx_ = var_idx;
      break;
    }
    while (true) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        CheckPipeline(*pipe, context);
        return pipe;
      }
      switch (t.type) {
        case Item::kBool: case Item::kCharConstant: case Item::kDot: case Item::kField: case Item::kIdentifier:
        case Item::kNumber: case Item::kNil: case Item::kRawString: case Item::kString: case Item::kVariable:
        case Item::kLeftParen:
          Backup();
          pipe->children.push_back(Command());
          break;
        default: Unexpected(t, context);
      }
    }
  }

  void CheckPipeline(const Node& pipe, const std::string& context) {
    if (pipe.children.empty()) Errorf("missing value for " + context);
    for (size_t i = 1; i < pipe.children.size(); ++i) {
      switch (pipe.children[i]->children[0]->type) {
        case NodeType::kBool: case NodeType::kDot: case NodeType::kNil: case NodeType::kNumber:
        case NodeType::kString:
          Errorf(absl::StrCat("non executable command in pipeline stage ", i + 1));
        default: break;
      }
    }
  }

  NodePtr Command() {
    NodePtr cmd = NewNode(NodeType::kCommand, PeekNonSpace());
    while (true) {
      PeekNonSpace();
      NodePtr operand = Operand();
      if (operand) cmd->children.push_back(std::move(operand));
      const Token& t = Next();
      if (t.type == Item::kSpace) continue;
      if (t.type == Item::kRightDelim || t.type == Item::kRightParen) {
        Backup();
      } else if (t.type != Item::kPipe) {
        Unexpected(t, "operand");
      }
      break;
    }
    if (cmd->children.empty()) Errorf("empty command");
    return cmd;
  }

  NodePtr Operand() {
    NodePtr node = Term();
    if (!node) return nullptr;
    if (Peek().type == Item::kField) {
      NodePtr chain = NewNode(NodeType::kChain, Peek());
      std::vector<std::string> fields;
      while (Peek().type == Item::kField) fields.push_back(Next().val.substr(1));
      switch (node->type) {
        case NodeType::kField:
        case NodeType::kVariable:
          // Go positions the merged node at the first chained field.
          node->pos = chain->pos;
          for (auto& f : fields) node->idents.push_back(f);
          return node;
        case NodeType::kBool: case NodeType::kString: case NodeType::kNumber: case NodeType::kNil:
        case NodeType::kDot:
          Errorf("unexpected . after term " + QuoteGo(node->String()));
        default:
          chain->pos = node->pos;
          chain->idents = std::move(fields);
          chain->sub = std::move(node);
          return chain;
      }
    }
    return node;
  }

  NodePtr NewVariable(const Token& t) {
    NodePtr n = NewNode(NodeType::kVariable, t);
    size_t start = 0;
    const std::string& s = t.val;
    while (true) {
      size_t dot = s.find('.', start);
      n->idents.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return n;
  }

  NodePtr Term() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Item::kIdentifier: {
        if (options_.has_function && !options_.has_function(t.val)) {
          Errorf("function " + QuoteGo(t.val) + " not defined");
        }
        NodePtr n = NewNode(NodeType::kIdentifier, t);
        n->text = t.val;
        return n;
      }
      case Item::kDot: return NewNode(NodeType::kDot, t);
      case Item::kNil: return NewNode(NodeType::kNil, t);
      case Item::kVariable: {
        NodePtr v = NewVariable(t);
        for (const auto& name : vars_) {
          if (name == v->idents[0]) return v;
        }
        Errorf("undefined variable " + QuoteGo(v->idents[0]));
      }
      case Item::kField: {
        NodePtr n = NewNode(NodeType::kField, t);
        // ".A.B" arrives as one token per field; the operand loop adds the rest.
        n->idents.push_back(t.val.substr(1));
        return n;
      }
      case Item::kBool: {
        NodePtr n = NewNode(NodeType::kBool, t);
        n->bool_value = t.val == "true";
        return n;
      }
      case Item::kCharConstant:
      case Item::kNumber: return NewNumber(t);
      case Item::kLeftParen: return Pipeline("parenthesized pipeline", Item::kRightParen);
      case Item::kString:
      case Item::kRawString: {
        NodePtr n = NewNode(NodeType::kString, t);
        n->quoted = t.val;
        n->text = Unquote(t);
        return n;
      }
      default: break;
    }
    Backup();
    return nullptr;
  }

  NodePtr NewNumber(const Token& t) {
    NodePtr n = NewNode(NodeType::kNumber, t);
    n->text = t.val;
    if (t.type == Item::kCharConstant) {
      std::string body;
      std::string_view inner = std::string_view(t.val).substr(1, t.val.size() - 2);
      if (!UnquoteBody(inner, '\'', &body) || body.empty()) Errorf("malformed character constant: " + t.val);
      // Decode the single rune.
      unsigned char c0 = body[0];
      uint32_t r = c0;
      size_t w = 1;
      if (c0 >= 0xF0) { r = c0 & 0x07; w = 4; }
      else if (c0 >= 0xE0) { r = c0 & 0x0F; w = 3; }
      else if (c0 >= 0xC0) { r = c0 & 0x1F; w = 2; }
      for (size_t k = 1; k < w && k < body.size(); ++k) r = (r << 6) | (body[k] & 0x3F);
      if (body.size() != w) Errorf("malformed character constant: " + t.val);
      n->number_is_char = n->number_is_int = n->number_is_float = true;
      n->int_value = r;
      n->float_value = r;
      return n;
    }
    std::string clean;
    for (char c : t.val) {
      if (c != '_') clean.push_back(c);
    }
    if (!clean.empty() && clean.back() == 'i') Errorf("complex numbers are not supported: " + QuoteGo(t.val));
    // Integers (with base prefixes).
    {
      std::string s = clean;
      bool neg = false;
      if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s = s.substr(1);
      }
      int base = 10;
      std::string digits = s;
      if (s.size() > 1 && s[0] == '0') {
        char p = s[1] | 0x20;
        if (p == 'x') { base = 16; digits = s.substr(2); }
        else if (p == 'o') { base = 8; digits = s.substr(2); }
        else if (p == 'b') { base = 2; digits = s.substr(2); }
        else if (std::isdigit(static_cast<unsigned char>(p))) { base = 8; digits = s.substr(1); }
      }
      bool ok = !digits.empty();
      unsigned __int128 v = 0;
      for (char c : digits) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : std::isxdigit(static_cast<unsigned char>(c)) ? (c | 0x20) - 'a' + 10 : 99;
        if (d >= base) { ok = false; break; }
        v = v * base + d;
        if (v > static_cast<unsigned __int128>(UINT64_MAX)) { ok = false; break; }
      }
      if (ok) {
        if (neg ? v <= static_cast<unsigned __int128>(INT64_MAX) + 1 : v <= INT64_MAX) {
          n->number_is_int = true;
          n->int_value = neg ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
          n->number_is_float = true;
          n->float_value = static_cast<double>(n->int_value);
          return n;
        }
        if (!neg) {
          // Fits uint64 only: an execution-time "overflows int" error in Go.
          n->number_is_uint = true;
          n->number_is_float = true;
          n->float_value = static_cast<double>(v);
          return n;
        }
      }
    }
    double f;
    if (clean.find_first_of("xX") == std::string::npos && absl::SimpleAtod(clean, &f) &&
        clean.find_first_of("0123456789") != std::string::npos) {
      if (clean.find_first_of(".eEpP") == std::string::npos) Errorf("integer overflow: " + QuoteGo(t.val));
      n->number_is_float = true;
      n->float_value = f;
      if (f == static_cast<double>(static_cast<int64_t>(f)) && std::fabs(f) < 9.2e18) {
        n->number_is_int = true;
        n->int_value = static_cast<int64_t>(f);
      }
      return n;
    }
    Errorf("illegal number syntax: " + QuoteGo(t.val));
  }

  std::vector<Token> tokens_;
  size_t idx_ = 0;
  const ParseOptions& options_;
  std::shared_ptr<const std::string> text_;
  std::string parse_name_;
  std::map<std::string, std::shared_ptr<Tree>>* trees_;
  Tree* tree_ = nullptr;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int action_line_ = 0;
  static constexpr int kMaxNesting = 1000;
  int nesting_ = 0;
};

void ListString(const Node* list, std::string* out) {
  if (!list) return;
  for (const auto& c : list->children) *out += c->String();
}

}  // namespace

std::string Node::String() const {
  switch (type) {
    case NodeType::kList: {
      std::string out;
      ListString(this, &out);
      return out;
    }
    case NodeType::kText: return text;
    case NodeType::kComment: return "{{" + text + "}}";
    case NodeType::kAction: return "{{" + sub->String() + "}}";
    case NodeType::kPipe: {
      std::string out;
      if (!decl.empty()) {
        for (size_t i = 0; i < decl.size(); ++i) {
          if (i > 0) out += ", ";
          out += decl[i]->String();
        }
        out += is_assign ? " = " : " := ";
      }
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += " | ";
        out += children[i]->String();
      }
      return out;
    }
    case NodeType::kCommand: {
      std::string out;
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += " ";
        if (children[i]->type == NodeType::kPipe) {
          out += "(" + children[i]->String() + ")";
        } else {
          out += children[i]->String();
        }
      }
      return out;
    }
    case NodeType::kIdentifier: return text;
    case NodeType::kVariable: return absl::StrJoin(idents, ".");
    case NodeType::kDot: return ".";
    case NodeType::kNil: return "nil";
    case NodeType::kField: return "." + absl::StrJoin(idents, ".");
    case NodeType::kChain: {
      std::string out = sub->type == NodeType::kPipe ? "(" + sub->String() + ")" : sub->String();
      for (const auto& f : idents) out += "." + f;
      return out;
    }
    case NodeType::kBool: return bool_value ? "true" : "false";
    case NodeType::kNumber: return text;
    case NodeType::kString: return quoted;
    case NodeType::kIf:
    case NodeType::kRange:
    case NodeType::kWith: {
      const char* word = type == NodeType::kIf ? "if" : type == NodeType::kRange ? "range" : "with";
      std::string out = std::string("{{") + word + " " + sub->String() + "}}" + list->String();
      if (else_list) out += "{{else}}" + else_list->String();
      return out + "{{end}}";
    }
    case NodeType::kTemplate:
      if (!sub) return "{{template " + QuoteGo(text) + "}}";
      return "{{template " + QuoteGo(text) + " " + sub->String() + "}}";
    case NodeType::kBreak: return "{{break}}";
    case NodeType::kContinue: return "{{continue}}";
  }
  return "";
}

bool IsEmptyTree(const Node* n) {
  if (!n) return true;
  switch (n->type) {
    case NodeType::kList:
      for (const auto& c : n->children) {
        if (!IsEmptyTree(c.get())) return false;
      }
      return true;
    case NodeType::kText:
      for (char c : n->text) {
        if (!IsSpace(c)) return false;
      }
      return true;
    case NodeType::kComment: return true;
    default: return false;
  }
}

absl::StatusOr<std::map<std::string, std::shared_ptr<Tree>>> Parse(std::string_view name, std::string_view text,
                                                                  const ParseOptions& options) {
  auto source = std::make_shared<const std::string>(text);
  Lexer lexer(*source, options.left_delim, options.right_delim);
  std::map<std::string, std::shared_ptr<Tree>> trees;
  try {
    Parser parser(lexer.Run(), options, source, std::string(name), &trees);
    parser.ParseTop(std::string(name));
  } catch (const ParseError& e) {
    return absl::InvalidArgumentError(e.message);
  }
  return trees;
}

}  // namespace omni::tmpl::internal
