// SmtpSink: an SMTP server on 127.0.0.1:0 for tests of the email integration.
// It accepts any number of sessions (one thread each), answers EHLO with
// AUTH PLAIN (no STARTTLS), accepts every AUTH, MAIL, RCPT, and records each
// command line and the DATA section of every message (transparency dots
// removed, CRLF line ends kept).
//
// Example:
//   SmtpSink sink;
//   REQUIRE(sink.port() != 0);
//   config.smarthost = sink.address();
//   ... send ...
//   REQUIRE(Eventually([&] { return sink.Messages().size() == 1; }));
//
// Thread-safe. Never used by production targets.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace omni::alerting::notify {

class SmtpSink {
 public:
  // Binds and starts accepting; port() is 0 when binding failed.
  SmtpSink();
  // Closes the listener and every open session, then joins their threads.
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:PORT".
  std::string address() const;
  // Every command line received so far, over all sessions (without CRLF).
  std::vector<std::string> Commands();
  // The DATA sections received so far, in order of completion.
  std::vector<std::string> Messages();

 private:
  void Accept();
  void Session(int fd);

  int fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> sessions_;  // GUARDED_BY(mu_)
  std::vector<int> open_;              // GUARDED_BY(mu_)
  std::vector<std::string> commands_;  // GUARDED_BY(mu_)
  std::vector<std::string> messages_;  // GUARDED_BY(mu_)
};

}  // namespace omni::alerting::notify
