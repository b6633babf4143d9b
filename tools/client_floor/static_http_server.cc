// A server that does no work: it answers every HTTP/1.1 request on a
// keep-alive connection with the same bytes (Content-Type: application/json
// and the body read from a file). client_floor.py times it with the bench
// harness's own HTTP client to show the client's and the loopback's share of
// a request's latency: no real server can answer faster through that client.
//
// Build and run (client_floor.py does this):
//   c++ -O2 -std=c++20 -o /tmp/static_http_server static_http_server.cc
//   /tmp/static_http_server BODY_FILE        # prints the port it listens on
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BODY_FILE\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream body;
  body << in.rdbuf();
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.str().size()) + "\r\n\r\n" + body.str();

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listener, 16) != 0) {
    std::perror("listen");
    return 1;
  }
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  for (;;) {
    int conn = accept(listener, nullptr, nullptr);
    if (conn < 0) continue;
    int one = 1;
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::string pending;
    char buf[65536];
    for (;;) {
      ssize_t n = recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      // Requests without bodies: each header block ends with an empty line.
      size_t end;
      while ((end = pending.find("\r\n\r\n")) != std::string::npos) {
        pending.erase(0, end + 4);
        if (send(conn, response.data(), response.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(response.size())) break;
      }
    }
    close(conn);
  }
}
