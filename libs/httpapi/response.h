// Response: status, headers and body of one HTTP response.
//
// By default the body is buffered and sent when the handler returns (with
// Content-Length, gzip-compressed when the client accepts it). For large
// bodies call StartStreaming(): headers go out at once and every Flush()
// sends what was written since as a chunk (Transfer-Encoding: chunked,
// compressed on the fly when gzip is negotiated). HTTP/1.0 clients get the
// buffered behaviour transparently.
//
// Example:
//   resp.SetContentType("application/json");
//   resp.StartStreaming();
//   json::JsonWriter w(resp.mutable_body());
//   for (...) { ...write a series...; if (resp.body().size() > 64 << 10) resp.Flush(); }
//   // the server flushes the rest and terminates the stream after the handler returns
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "libs/httpapi/request.h"

namespace omni::httpapi {

namespace internal {
// Where the response bytes go (the civetweb connection). Returns false when
// the peer is gone.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual bool Send(std::string_view bytes) = 0;
};
class GzipStream;
}  // namespace internal

class Response {
 public:
  Response();
  ~Response();
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  void SetStatus(int code) { status_ = code; }
  int status() const { return status_; }
  // Replaces any header of that name (case-insensitive).
  void SetHeader(std::string_view name, std::string_view value);
  void AddHeader(std::string_view name, std::string_view value);
  std::string_view Header(std::string_view name) const;
  const HeaderList& headers() const { return headers_; }
  void SetContentType(std::string_view type) { SetHeader("Content-Type", type); }

  void Write(std::string_view data) { body_.append(data); }
  // Direct access for writers that append (JsonWriter, text format).
  std::string* mutable_body() { return &body_; }
  // Bytes written and not yet flushed (the whole body unless streaming).
  const std::string& body() const { return body_; }
  // Convenience: status + content type + body.
  void Send(int status, std::string_view content_type, std::string_view body);

  // Sends the headers now and switches to chunked streaming (see above).
  // Headers set afterwards are ignored.
  void StartStreaming();
  bool streaming() const { return streaming_; }
  // Sends the buffered body bytes as one chunk when streaming; no-op otherwise.
  void Flush();
  // True once sending failed (client disconnected); handlers may stop early.
  bool client_gone() const { return client_gone_; }

  // --- Used by HttpServer. ---
  struct WireOptions {
    bool gzip = false;       // client accepts gzip
    bool chunked = true;     // HTTP/1.1
    bool head_only = false;  // HEAD request: headers only
  };
  void Attach(internal::ResponseSink* sink, WireOptions options);
  // Sends everything still pending; called once after the handler returns.
  void Finish();
  bool headers_sent() const { return headers_sent_; }

 private:
  // Sends the status line and headers (plus `extra` header lines), followed
  // in the same write by `body` (small bodies: one segment, one syscall).
  void SendHeaders(std::string_view extra, std::string_view body = {});
  void SendChunk(std::string_view data);
  bool SendRaw(std::string_view bytes);

  int status_ = 200;
  HeaderList headers_;
  std::string body_;
  internal::ResponseSink* sink_ = nullptr;
  WireOptions wire_;
  bool streaming_ = false;
  bool headers_sent_ = false;
  bool finished_ = false;
  bool client_gone_ = false;
  std::unique_ptr<internal::GzipStream> gzip_;
};

// Reason phrase for a status code ("OK", "Not Found", ...).
std::string_view StatusText(int code);
// True when an Accept-Encoding header value allows gzip (q > 0).
bool AcceptsGzip(std::string_view accept_encoding);
// gzip-compresses `data` (for tests and callers needing a whole blob).
std::string GzipCompress(std::string_view data);
// Inverse of GzipCompress; empty on error.
std::string GzipDecompress(std::string_view data);

}  // namespace omni::httpapi
