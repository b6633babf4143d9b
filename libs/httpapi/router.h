// Router: maps method + path to handlers.
//
// Patterns:
//   "/api/v1/query"                 exact path
//   "/api/v1/label/<name>/values"   a <param> matches one non-empty segment
//   "/static/*"                     prefix; the rest of the path is PathParam("*")
// Exact and parameter routes win over prefix routes; among prefix routes the
// longest prefix wins. A path that matches with another method gets 405 with
// an Allow header; no match gets 404. HEAD is served by GET routes.
//
// Example:
//   Router r;
//   r.Get("/api/v1/label/<name>/values", [&](Request& req, Response& resp) { ... });
//   r.Handle({"GET", "POST"}, "/api/v1/query", HandleQuery);
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "libs/httpapi/request.h"
#include "libs/httpapi/response.h"

namespace omni::httpapi {

using Handler = std::function<void(Request& req, Response& resp)>;

class Router {
 public:
  // `methods` empty means any method.
  void Handle(std::vector<std::string> methods, std::string_view pattern, Handler handler);
  void Get(std::string_view pattern, Handler h) { Handle({"GET"}, pattern, std::move(h)); }
  void Post(std::string_view pattern, Handler h) { Handle({"POST"}, pattern, std::move(h)); }
  void Put(std::string_view pattern, Handler h) { Handle({"PUT"}, pattern, std::move(h)); }
  void Delete(std::string_view pattern, Handler h) { Handle({"DELETE"}, pattern, std::move(h)); }

  // Finds the route, binds path parameters into `req`, runs the handler.
  // Thread-safe once all routes are registered.
  void Dispatch(Request& req, Response& resp) const;

 private:
  struct Route {
    std::vector<std::string> methods;
    std::string pattern;
    std::vector<std::string> segments;  // split pattern ("<x>" = parameter)
    bool prefix = false;
    Handler handler;
  };
  // `segs`: the request path split at '/' (done once per request).
  bool Match(const Route& route, const std::vector<std::string_view>& segs, Request* req) const;

  std::vector<Route> routes_;
};

}  // namespace omni::httpapi
