#include "libs/alerting/notify/testing/smtp_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace omni::alerting::notify {
namespace {

// RFC 5321 4.5.2: a line starting with "." had one more "." prepended.
std::string Unstuff(const std::string& data) {
  std::string out;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find("\r\n", start);
    end = end == std::string::npos ? data.size() : end + 2;
    std::string_view line(data.data() + start, end - start);
    if (!line.empty() && line[0] == '.') line.remove_prefix(1);
    out.append(line);
    start = end;
  }
  return out;
}

}  // namespace

SmtpSink::SmtpSink() {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || listen(fd_, 16) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

SmtpSink::~SmtpSink() {
  if (fd_ >= 0) {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> sessions;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int c : open_) shutdown(c, SHUT_RDWR);
    sessions.swap(sessions_);
  }
  for (std::thread& t : sessions) t.join();
}

std::string SmtpSink::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::vector<std::string> SmtpSink::Commands() {
  std::lock_guard<std::mutex> l(mu_);
  return commands_;
}

std::vector<std::string> SmtpSink::Messages() {
  std::lock_guard<std::mutex> l(mu_);
  return messages_;
}

void SmtpSink::Accept() {
  for (;;) {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::lock_guard<std::mutex> l(mu_);
    open_.push_back(c);
    sessions_.emplace_back([this, c] { Session(c); });
  }
}

void SmtpSink::Session(int c) {
  auto reply = [&](std::string_view s) { (void)!write(c, s.data(), s.size()); };
  reply("220 sink ESMTP\r\n");
  std::string buf;
  bool in_data = false;
  bool awaiting_credentials = false;
  char tmp[4096];
  for (bool open = true; open;) {
    ssize_t n = read(c, tmp, sizeof(tmp));
    if (n <= 0) break;
    buf.append(tmp, n);
    size_t pos;
    while (open && (pos = buf.find("\r\n")) != std::string::npos) {
      if (in_data) {
        size_t end;
        if (buf.rfind(".\r\n", 0) == 0) {
          end = 0;  // empty message
        } else if ((end = buf.find("\r\n.\r\n")) == std::string::npos) {
          break;  // wait for the rest
        } else {
          end += 2;
        }
        std::string data = Unstuff(buf.substr(0, end));
        buf.erase(0, end + 3);
        in_data = false;
        {
          std::lock_guard<std::mutex> l(mu_);
          messages_.push_back(std::move(data));
        }
        reply("250 queued\r\n");
        continue;
      }
      std::string line = buf.substr(0, pos);
      buf.erase(0, pos + 2);
      {
        std::lock_guard<std::mutex> l(mu_);
        commands_.push_back(line);
      }
      if (awaiting_credentials) {
        awaiting_credentials = false;
        reply("235 ok\r\n");
      } else if (line.rfind("EHLO", 0) == 0) {
        reply("250-sink\r\n250 AUTH PLAIN\r\n");
      } else if (line == "AUTH PLAIN") {
        awaiting_credentials = true;
        reply("334 \r\n");
      } else if (line.rfind("AUTH", 0) == 0) {
        reply("235 ok\r\n");
      } else if (line.rfind("DATA", 0) == 0) {
        in_data = true;
        reply("354 go ahead\r\n");
      } else if (line.rfind("QUIT", 0) == 0) {
        reply("221 bye\r\n");
        open = false;
      } else {
        reply("250 ok\r\n");
      }
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  open_.erase(std::remove(open_.begin(), open_.end(), c), open_.end());
  close(c);
}

}  // namespace omni::alerting::notify
