#include "libs/httpapi/response.h"

#include <zlib.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace omni::httpapi {
namespace internal {

// Incremental gzip compressor (zlib with a gzip wrapper).
class GzipStream {
 public:
  GzipStream() {
    std::memset(&z_, 0, sizeof(z_));
    // 15 window bits + 16 selects the gzip wrapper. Level 1: responses are
    // compressed on the request path, where CPU matters more than ratio.
    ok_ = deflateInit2(&z_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipStream() {
    if (ok_) deflateEnd(&z_);
  }
  // Appends the compressed form of `in` to `out`; `finish` ends the stream.
  void Compress(std::string_view in, bool finish, std::string* out) {
    if (!ok_) return;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    int flush = finish ? Z_FINISH : Z_SYNC_FLUSH;
    char buf[16384];
    while (true) {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof(buf);
      int rc = deflate(&z_, flush);
      out->append(buf, sizeof(buf) - z_.avail_out);
      if (rc == Z_STREAM_END || rc == Z_STREAM_ERROR) break;
      if (z_.avail_out != 0 && z_.avail_in == 0) break;
    }
  }

 private:
  z_stream z_;
  bool ok_ = false;
};

}  // namespace internal

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(a[i]) != absl::ascii_tolower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view StatusText(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return code < 300 ? "OK" : code < 400 ? "Redirect" : code < 500 ? "Client Error" : "Server Error";
  }
}

bool AcceptsGzip(std::string_view accept_encoding) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    if (!EqualsIgnoreCase(coding, "gzip") && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = trim(item.substr(semi + 1));
    if (params.substr(0, 2) != "q=") return true;
    double q = 1;
    if (absl::SimpleAtod(std::string(params.substr(2)), &q) && q <= 0) continue;
    return true;
  }
  return false;
}

std::string GzipCompress(std::string_view data) {
  internal::GzipStream z;
  std::string out;
  z.Compress(data, true, &out);
  return out;
}

std::string GzipDecompress(std::string_view data) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 15 + 32) != Z_OK) return "";
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      out.clear();
      break;
    }
    out.append(buf, sizeof(buf) - z.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

Response::Response() = default;
Response::~Response() = default;

void Response::SetHeader(std::string_view name, std::string_view value) {
  for (auto it = headers_.begin(); it != headers_.end();) {
    if (EqualsIgnoreCase(it->first, name)) {
      it = headers_.erase(it);
    } else {
      ++it;
    }
  }
  AddHeader(name, value);
}

void Response::AddHeader(std::string_view name, std::string_view value) {
  // Header injection guard: CR/LF in a header would split the response.
  std::string v(value);
  for (char& c : v) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  headers_.emplace_back(std::string(name), std::move(v));
}

std::string_view Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

void Response::Send(int status, std::string_view content_type, std::string_view body) {
  status_ = status;
  SetContentType(content_type);
  body_.assign(body.data(), body.size());
}

void Response::Attach(internal::ResponseSink* sink, WireOptions options) {
  sink_ = sink;
  wire_ = options;
}

bool Response::SendRaw(std::string_view bytes) {
  if (client_gone_ || sink_ == nullptr) return false;
  if (!sink_->Send(bytes)) client_gone_ = true;
  return !client_gone_;
}

void Response::SendHeaders(std::string_view extra, std::string_view body) {
  std::string head = absl::StrCat("HTTP/1.1 ", status_, " ", std::string(StatusText(status_)), "\r\n");
  bool has_type = false;
  for (const auto& [k, v] : headers_) {
    if (EqualsIgnoreCase(k, "Content-Length") || EqualsIgnoreCase(k, "Transfer-Encoding")) continue;
    if (EqualsIgnoreCase(k, "Content-Type")) has_type = true;
    absl::StrAppend(&head, k, ": ", v, "\r\n");
  }
  if (!has_type) head.append("Content-Type: text/plain; charset=utf-8\r\n");
  head.append(extra.data(), extra.size());
  head.append("\r\n");
  head.append(body.data(), body.size());
  headers_sent_ = true;
  SendRaw(head);
}

void Response::SendChunk(std::string_view data) {
  if (data.empty()) return;
  std::string frame = absl::StrCat(absl::Hex(data.size()), "\r\n");
  frame.append(data.data(), data.size());
  frame.append("\r\n");
  SendRaw(frame);
}

void Response::StartStreaming() {
  if (streaming_ || headers_sent_ || sink_ == nullptr || !wire_.chunked || wire_.head_only) {
    // Unattached (tests), HTTP/1.0 or HEAD: keep buffering; Finish() sends it all.
    streaming_ = streaming_ || sink_ == nullptr;
    return;
  }
  streaming_ = true;
  bool gzip = wire_.gzip && Header("Content-Encoding").empty();
  std::string extra = "Transfer-Encoding: chunked\r\n";
  if (gzip) {
    extra.append("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
    gzip_ = std::make_unique<internal::GzipStream>();
  }
  SendHeaders(extra);
}

void Response::Flush() {
  if (!streaming_ || sink_ == nullptr || !headers_sent_ || body_.empty()) return;
  if (gzip_) {
    std::string compressed;
    gzip_->Compress(body_, false, &compressed);
    SendChunk(compressed);
  } else {
    SendChunk(body_);
  }
  body_.clear();
}

void Response::Finish() {
  if (finished_ || sink_ == nullptr) return;
  finished_ = true;
  if (headers_sent_) {
    // Streaming: flush the rest, end the gzip stream, send the last chunk.
    if (gzip_) {
      std::string compressed;
      gzip_->Compress(body_, true, &compressed);
      SendChunk(compressed);
    } else {
      SendChunk(body_);
    }
    body_.clear();
    SendRaw("0\r\n\r\n");
    return;
  }
  // Buffered: compress when worthwhile (tiny bodies grow under gzip).
  std::string extra;
  std::string compressed;
  std::string_view payload = body_;
  if (wire_.gzip && body_.size() >= 256 && Header("Content-Encoding").empty()) {
    compressed = GzipCompress(body_);
    payload = compressed;
    extra.append("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
  }
  bool no_body = status_ == 204 || status_ == 304 || (status_ >= 100 && status_ < 200);
  if (!no_body) absl::StrAppend(&extra, "Content-Length: ", payload.size(), "\r\n");
  constexpr size_t kCoalesceBytes = 64 << 10;  // larger bodies are not copied behind the headers
  bool send_body = !wire_.head_only && !no_body;
  if (send_body && payload.size() <= kCoalesceBytes) {
    SendHeaders(extra, payload);
    return;
  }
  SendHeaders(extra);
  if (send_body) SendRaw(payload);
}

}  // namespace omni::httpapi
