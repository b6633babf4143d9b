#include "libs/httpapi/router.h"

#include <algorithm>

#include "absl/strings/str_join.h"

namespace omni::httpapi {
namespace {

template <typename Str>
std::vector<Str> SplitPath(std::string_view path) {
  std::vector<Str> out;
  size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  return out;
}

bool MethodAllowed(const std::vector<std::string>& methods, std::string_view method) {
  if (methods.empty()) return true;
  for (const auto& m : methods) {
    if (m == method || (method == "HEAD" && m == "GET")) return true;
  }
  return false;
}

}  // namespace

void Router::Handle(std::vector<std::string> methods, std::string_view pattern, Handler handler) {
  Route r;
  r.methods = std::move(methods);
  r.pattern = std::string(pattern);
  std::string_view p = pattern;
  if (p.size() >= 2 && p.substr(p.size() - 2) == "/*") {
    r.prefix = true;
    p.remove_suffix(1);  // keep the trailing '/'
  }
  r.segments = SplitPath<std::string>(p);
  if (r.prefix && !r.segments.empty() && r.segments.back().empty()) r.segments.pop_back();
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
  // Exact/parameter routes first, then prefix routes by decreasing length.
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    if (a.prefix != b.prefix) return !a.prefix;
    return a.prefix && a.segments.size() > b.segments.size();
  });
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& segs, Request* req) const {
  if (route.prefix) {
    // "/static/*" matches "/static/" and deeper, not "/static".
    if (segs.size() <= route.segments.size()) return false;
  } else if (segs.size() != route.segments.size()) {
    return false;
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& pat = route.segments[i];
    if (pat.size() > 2 && pat.front() == '<' && pat.back() == '>') {
      if (segs[i].empty()) return false;
      params.emplace_back(pat.substr(1, pat.size() - 2), segs[i]);
    } else if (pat != segs[i]) {
      return false;
    }
  }
  if (req != nullptr) {
    for (auto& [k, v] : params) req->SetPathParam(k, v);
    if (route.prefix) {
      std::string rest;
      for (size_t i = route.segments.size(); i < segs.size(); ++i) {
        if (i > route.segments.size()) rest.push_back('/');
        rest.append(segs[i]);
      }
      req->SetPathParam("*", std::move(rest));
    }
    req->set_route(route.pattern);
  }
  return true;
}

void Router::Dispatch(Request& req, Response& resp) const {
  std::vector<std::string> allowed;
  const std::vector<std::string_view> segs = SplitPath<std::string_view>(req.path());
  for (const Route& r : routes_) {
    if (!Match(r, segs, nullptr)) continue;
    if (!MethodAllowed(r.methods, req.method())) {
      for (const auto& m : r.methods) {
        if (std::find(allowed.begin(), allowed.end(), m) == allowed.end()) allowed.push_back(m);
      }
      continue;
    }
    Match(r, segs, &req);
    r.handler(req, resp);
    return;
  }
  if (!allowed.empty()) {
    if (std::find(allowed.begin(), allowed.end(), "OPTIONS") == allowed.end()) allowed.push_back("OPTIONS");
    resp.SetHeader("Allow", absl::StrJoin(allowed, ", "));
    if (req.method() == "OPTIONS") {
      resp.SetStatus(204);
      return;
    }
    resp.Send(405, "text/plain; charset=utf-8", "Method Not Allowed\n");
    return;
  }
  resp.Send(404, "text/plain; charset=utf-8", "404 page not found\n");
}

}  // namespace omni::httpapi
