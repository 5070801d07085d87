// The soak test's load client: HTTP/1.1 keep-alive GETs on many connections, one thread, one epoll set.
//
// Compiled by the soak driver itself (`g++ -O2 -std=c++17`, see `load-client.ts`) into a cache directory the first
// time it is needed, so the soak needs nothing installed but a C++ compiler (CI has no wrk). One thread on purpose:
// on a 2-core machine the server keeps the other core.
//
//   http-load port=P connections=C seconds=S path=/a [path=/b ...] [timeout-ms=T] [drain-ms=D]
//
// Opens C connections to 127.0.0.1:P (at most 128 connecting at once). Each sends `GET <path> HTTP/1.1` as soon
// as it is connected and the next as soon as the previous response ended (one in flight per connection, the paths
// taken in turn), for S seconds; then every connection finishes the response in flight (within D ms, 10,000 by
// default) and is closed. Responses are framed by `Content-Length` (a static file server sends no chunked bodies:
// one without a length is an error); a response with `Connection: close` (the server's requests-per-connection
// cap) is read, and its connection reopened. A connect failure, reset, early close, malformed response or a
// request unanswered for T ms (30,000 by default) is an error: counted, that connection closed and not reopened.
//
// Prints two JSON lines on stdout: {"ready":true,"connections":C,"connectMs":M} once all C are connected (not at
// all if some never are), and at the end {connections (those not failed at the S-second mark), requests, rps
// (responses completed within the S seconds, per second), p50Ms, p90Ms, p99Ms, p999Ms, maxMs (latency from the
// request's first byte sent to its response's last byte received, from a log-linear histogram: within 1.6 %),
// errors, non2xx, status (counts per class), reconnects, bytes, connectMs, runMs, cpuMs (this client's CPU time),
// errorKinds, firstError}. The run ends early if every connection failed.
//
// It raises its own RLIMIT_NOFILE soft limit as far as C needs (dies if the hard limit is too low), and dies with
// its parent (PR_SET_PDEATHSIG). Bad arguments print `http-load: <what>` on stderr and exit 2.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

[[noreturn]] void die(const std::string& what, int code = 1) {
  std::fprintf(stderr, "http-load: %s\n", what.c_str());
  std::exit(code);
}

[[noreturn]] void dieErrno(const std::string& what) { die(what + ": " + std::strerror(errno)); }

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t cpuNs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto ns = [](const timeval& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(t.tv_usec) * 1'000;
  };
  return ns(u.ru_utime) + ns(u.ru_stime);
}

struct Options {
  int port = 0;
  long connections = 0;
  long seconds = 0;
  std::vector<std::string> paths;
  long timeoutMs = 30'000;
  long drainMs = 10'000;
};

long number(const std::string& key, const std::string& value, long min, long max) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (errno != 0 || end == value.c_str() || *end != '\0' || n < min || n > max) {
    die("expected " + key + " to be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
            ", got \"" + value + "\"",
        2);
  }
  return n;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (eq == std::string::npos) die("expected key=value, got \"" + arg + "\"", 2);
    const std::string key = arg.substr(0, eq);
    const std::string value = arg.substr(eq + 1);
    if (key == "port") o.port = static_cast<int>(number(key, value, 1, 65535));
    else if (key == "connections") o.connections = number(key, value, 1, 1'000'000);
    else if (key == "seconds") o.seconds = number(key, value, 1, 86'400);
    else if (key == "timeout-ms") o.timeoutMs = number(key, value, 1, 3'600'000);
    else if (key == "drain-ms") o.drainMs = number(key, value, 1, 3'600'000);
    else if (key == "path") {
      if (value.empty() || value[0] != '/' || value.find_first_of(" \r\n") != std::string::npos) {
        die("expected path to start with / and hold no space or line break, got \"" + value + "\"", 2);
      }
      o.paths.push_back(value);
    } else die("unknown option \"" + key + "\"", 2);
  }
  if (o.port == 0 || o.connections == 0 || o.seconds == 0 || o.paths.empty()) {
    die("usage: http-load port=P connections=C seconds=S path=/a [path=/b ...] [timeout-ms=T] [drain-ms=D]", 2);
  }
  return o;
}

// Latency in µs: exact below 128 µs, then 64 buckets per power of two (each at most 1/64 wide), up to 2^40 µs.
class Histogram {
 public:
  void record(std::uint64_t us) {
    us = std::min<std::uint64_t>(us, (std::uint64_t{1} << kMaxBits) - 1);
    counts_[index(us)]++;
    count_++;
    max_ = std::max(max_, us);
  }
  // Nearest rank: the smallest bucket with at least q of the samples at or below it, as its upper edge (or the max).
  std::uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    std::uint64_t rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
    rank = std::max<std::uint64_t>(1, std::min(rank, count_));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); i++) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper(i), max_);
    }
    return max_;
  }
  std::uint64_t max() const { return max_; }

 private:
  static constexpr int kMaxBits = 40;
  static std::size_t index(std::uint64_t v) {
    if (v < 128) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - 6;
    return static_cast<std::size_t>(128 + (msb - 7) * 64 + static_cast<int>((v >> shift) - 64));
  }
  static std::uint64_t upper(std::size_t i) {
    if (i < 128) return i;
    const std::size_t k = i - 128;
    const int shift = static_cast<int>(k / 64) + 1;
    return (((k % 64) + 65) << shift) - 1;
  }
  std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(128 + (kMaxBits - 7) * 64, 0);
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

enum class State : std::uint8_t { Closed, Connecting, Active };

struct Conn {
  int fd = -1;
  State state = State::Closed;
  bool everConnected = false;
  bool writable = false;     // EPOLLOUT armed
  bool inHead = true;        // reading the response head (else its body)
  bool closeAfter = false;   // the response said `Connection: close`
  std::uint32_t request = 0; // which prepared request is in flight
  std::uint32_t sent = 0;    // bytes of it written
  int status = 0;
  std::int64_t startNs = 0;  // when the connect or the request started
  std::uint64_t bodyLeft = 0;
  std::string head;
};

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else out += ch;
  }
  return out + "\"";
}

// Finds header `name` (lower case) in `head` (the status line and fields, without the blank line): its value, trimmed.
bool headerValue(std::string_view head, const char* name, std::string* value) {
  const std::size_t nameLen = std::strlen(name);
  std::size_t at = head.find("\r\n");
  while (at != std::string::npos) {
    const std::size_t start = at + 2;
    std::size_t end = head.find("\r\n", start);
    const std::size_t lineEnd = end == std::string::npos ? head.size() : end;
    if (lineEnd - start > nameLen && head[start + nameLen] == ':') {
      bool same = true;
      for (std::size_t i = 0; i < nameLen && same; i++) {
        const char c = head[start + i];
        same = (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == name[i];
      }
      if (same) {
        std::size_t v = start + nameLen + 1;
        std::size_t e = lineEnd;
        while (v < e && (head[v] == ' ' || head[v] == '\t')) v++;
        while (e > v && (head[e - 1] == ' ' || head[e - 1] == '\t')) e--;
        *value = head.substr(v, e - v);
        return true;
      }
    }
    at = end;
  }
  return false;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

class Load {
 public:
  explicit Load(const Options& o) : o_(o), conns_(static_cast<std::size_t>(o.connections)), buf_(256 * 1024) {
    for (const auto& path : o.paths) {
      requests_.push_back("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o.port) +
                          "\r\nUser-Agent: zokio-soak\r\n\r\n");
    }
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) dieErrno("epoll_create1");
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<std::uint16_t>(o.port));
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }

  ~Load() {
    for (auto& c : conns_)
      if (c.fd >= 0) close(c.fd);
    if (ep_ >= 0) close(ep_);
  }

  void run() {
    cpuStart_ = cpuNs();
    start_ = nowNs();
    const std::int64_t deadline = start_ + static_cast<std::int64_t>(o_.seconds) * 1'000'000'000;
    std::int64_t drainDeadline = 0;
    std::int64_t nextScan = start_ + 1'000'000'000;
    long next = 0;
    for (;;) {
      const std::int64_t now = nowNs();
      if (!stopping_ && (now >= deadline || (open_ == 0 && next >= o_.connections))) {
        stopping_ = true;
        stopNs_ = now;
        heldAtStop_ = open_;  // connected, or reconnecting after a `Connection: close`
        drainDeadline = now + static_cast<std::int64_t>(o_.drainMs) * 1'000'000;
        // Connections still connecting are not wanted any more.
        for (auto& c : conns_)
          if (c.state == State::Connecting) shut(c);
      }
      while (!stopping_ && next < o_.connections && connecting_ < kConnecting) open(static_cast<std::uint32_t>(next++));
      if (stopping_ && open_ == 0) break;
      if (stopping_ && now >= drainDeadline) {
        for (auto& c : conns_)
          if (c.state != State::Closed) fail(c, "no response within drain-ms after the run");
        break;
      }
      if (now >= nextScan) {
        nextScan = now + 1'000'000'000;
        const std::int64_t timeout = static_cast<std::int64_t>(o_.timeoutMs) * 1'000'000;
        for (auto& c : conns_) {
          if (c.state != State::Closed && now - c.startNs > timeout) {
            fail(c, c.state == State::Connecting ? "connect timed out" : "response timed out");
          }
        }
      }
      const std::int64_t until = std::min({stopping_ ? drainDeadline : deadline, nextScan});
      const int ms = static_cast<int>(std::clamp<std::int64_t>((until - now + 999'999) / 1'000'000, 0, 100));
      const int n = epoll_wait(ep_, events_, kEvents, ms);
      if (n < 0 && errno != EINTR) dieErrno("epoll_wait");
      for (int i = 0; i < n; i++) onEvent(conns_[events_[i].data.u32], events_[i].events);
    }
    endNs_ = nowNs();
  }

  void print() const {
    const double seconds = static_cast<double>(std::max<std::int64_t>(1, stopNs_ - start_)) / 1e9;
    const auto ms = [](std::uint64_t us) { return static_cast<double>(us) / 1000.0; };
    std::printf(
        "{\"connections\":%ld,\"target\":%ld,\"requests\":%llu,\"rps\":%.1f,\"p50Ms\":%.3f,\"p90Ms\":%.3f,"
        "\"p99Ms\":%.3f,\"p999Ms\":%.3f,\"maxMs\":%.3f,\"errors\":%llu,\"non2xx\":%llu,"
        "\"status\":{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,\"5xx\":%llu},\"reconnects\":%llu,"
        "\"bytes\":%llu,\"connectMs\":%s,\"runMs\":%.1f,\"cpuMs\":%.1f,\"errorKinds\":{",
        heldAtStop_, o_.connections, static_cast<unsigned long long>(requests_done_),
        static_cast<double>(inWindow_) / seconds, ms(hist_.quantile(0.5)), ms(hist_.quantile(0.9)),
        ms(hist_.quantile(0.99)), ms(hist_.quantile(0.999)), ms(hist_.max()),
        static_cast<unsigned long long>(errors_), static_cast<unsigned long long>(requests_done_ - classes_[2]),
        static_cast<unsigned long long>(classes_[1]), static_cast<unsigned long long>(classes_[2]),
        static_cast<unsigned long long>(classes_[3]), static_cast<unsigned long long>(classes_[4]),
        static_cast<unsigned long long>(classes_[5]), static_cast<unsigned long long>(reconnects_),
        static_cast<unsigned long long>(bytes_), connectMs_ < 0 ? "null" : std::to_string(connectMs_).c_str(),
        static_cast<double>(endNs_ - start_) / 1e6, static_cast<double>(cpuNs() - cpuStart_) / 1e6);
    bool first = true;
    for (const auto& [kind, count] : errorKinds_) {
      std::printf("%s%s:%llu", first ? "" : ",", jsonString(kind).c_str(), static_cast<unsigned long long>(count));
      first = false;
    }
    std::printf("},\"firstError\":%s}\n", firstError_.empty() ? "null" : jsonString(firstError_).c_str());
    std::fflush(stdout);
  }

 private:
  static constexpr long kConnecting = 128;
  static constexpr int kEvents = 1024;
  static constexpr std::size_t kMaxHead = 64 * 1024;

  std::uint32_t indexOf(const Conn& c) const { return static_cast<std::uint32_t>(&c - conns_.data()); }

  void open(std::uint32_t index) {
    Conn& c = conns_[index];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) dieErrno("socket (connection " + std::to_string(index) + ")");
    const int one = 1;
    if (setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) dieErrno("setsockopt(TCP_NODELAY)");
    c.state = State::Connecting;
    c.startNs = nowNs();
    open_++;
    connecting_++;
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) < 0 && errno != EINPROGRESS) {
      const std::string why = std::string("connect: ") + std::strerror(errno);
      c.writable = false;
      fail(c, why);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = index;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) < 0) dieErrno("epoll_ctl(ADD)");
    c.writable = true;
  }

  // Closes `c` (no error): the fd goes, and with it its epoll registration.
  void shut(Conn& c) {
    if (c.state == State::Closed) return;
    if (c.state == State::Connecting) connecting_--;
    close(c.fd);
    c.fd = -1;
    c.state = State::Closed;
    c.writable = false;
    std::string().swap(c.head);
    open_--;
  }

  void fail(Conn& c, const std::string& what) {
    errors_++;
    if (firstError_.empty()) firstError_ = what;
    const std::string kind = what.substr(0, what.find(" ("));
    errorKinds_[kind]++;
    shut(c);
  }

  void arm(Conn& c, bool writable) {
    if (c.writable == writable) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (writable ? EPOLLOUT : 0u);
    ev.data.u32 = indexOf(c);
    if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) < 0) dieErrno("epoll_ctl(MOD)");
    c.writable = writable;
  }

  void startRequest(Conn& c) {
    c.request = static_cast<std::uint32_t>(nextPath_++ % requests_.size());
    c.sent = 0;
    c.inHead = true;
    c.closeAfter = false;
    c.head.clear();
    c.startNs = nowNs();
    flush(c);
  }

  // Writes what is left of the request; false if the connection failed.
  bool flush(Conn& c) {
    const std::string& r = requests_[c.request];
    while (c.sent < r.size()) {
      const ssize_t n = ::send(c.fd, r.data() + c.sent, r.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        fail(c, std::string("send: ") + std::strerror(errno));
        return false;
      }
      c.sent += static_cast<std::uint32_t>(n);
    }
    arm(c, c.sent < r.size());
    return true;
  }

  void onEvent(Conn& c, std::uint32_t events) {
    if (c.state == State::Closed) return;  // closed earlier in this batch
    if (c.state == State::Connecting) {
      int error = 0;
      socklen_t len = sizeof error;
      if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) error = errno;
      if (error != 0) return fail(c, std::string("connect: ") + std::strerror(error));
      if ((events & EPOLLOUT) == 0) return;
      connecting_--;
      c.state = State::Active;
      if (!c.everConnected) {
        c.everConnected = true;
        if (++everConnected_ == o_.connections) {
          connectMs_ = (nowNs() - start_) / 1'000'000;
          std::printf("{\"ready\":true,\"connections\":%ld,\"connectMs\":%lld}\n", o_.connections,
                      static_cast<long long>(connectMs_));
          std::fflush(stdout);
        }
      }
      startRequest(c);
      return;
    }
    if ((events & EPOLLOUT) != 0 && !flush(c)) return;
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) return;
    for (;;) {
      const ssize_t n = recv(c.fd, buf_.data(), buf_.size(), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        return fail(c, std::string("recv: ") + std::strerror(errno));
      }
      if (n == 0) {
        return fail(c, c.inHead && c.head.empty() ? "the server closed the connection before responding"
                                                  : "the server closed the connection mid-response");
      }
      bytes_ += static_cast<std::uint64_t>(n);
      if (!consume(c, buf_.data(), static_cast<std::size_t>(n))) return;
      if (static_cast<std::size_t>(n) < buf_.size()) return;
    }
  }

  // Takes `n` received bytes; false once `c` was closed (failed, or done).
  bool consume(Conn& c, const char* p, std::size_t n) {
    if (c.inHead) {
      // Parsed in place when the head came whole in this read (the usual case); only a partial head is copied into
      // `c.head`, and never the body after it (10,000 connections each keeping a body-sized buffer add up).
      std::size_t used = 0;  // bytes of `p` up to the end of the head
      bool ok = false;
      if (c.head.empty()) {
        const std::size_t end = std::string_view(p, n).find("\r\n\r\n");
        if (end == std::string_view::npos) {
          if (n > kMaxHead) return failed(c, "response head over 64 KiB");
          c.head.assign(p, n);
          return true;
        }
        used = end + 4;
        ok = parseHead(c, std::string_view(p, end));
      } else {
        const std::size_t old = c.head.size();
        c.head.append(p, std::min(n, kMaxHead + 4));
        const std::size_t end = c.head.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
        if (end == std::string::npos) {
          if (c.head.size() > kMaxHead) return failed(c, "response head over 64 KiB");
          return true;
        }
        used = end + 4 - old;
        c.head.resize(end);
        ok = parseHead(c, c.head);
        std::string().swap(c.head);
      }
      if (!ok) return false;
      p += used;
      n -= used;
      c.inHead = false;
    }
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, c.bodyLeft));
    c.bodyLeft -= take;
    n -= take;
    if (c.bodyLeft > 0) return true;
    if (n > 0) {
      fail(c, "bytes after the response (one request was in flight)");
      return false;
    }
    return complete(c);
  }

  // Fails `c` and returns false.
  bool failed(Conn& c, const std::string& what) {
    fail(c, what);
    return false;
  }

  // Reads the status line and framing of the head `h` (without its blank line) into `c`; false if it failed `c`.
  bool parseHead(Conn& c, std::string_view h) {
    if (h.size() < 12 || h.compare(0, 7, "HTTP/1.") != 0 || h[8] != ' ' || h[9] < '1' || h[9] > '5' ||
        h[10] < '0' || h[10] > '9' || h[11] < '0' || h[11] > '9') {
      fail(c, "malformed status line (" + std::string(h.substr(0, 40)) + ")");
      return false;
    }
    c.status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
    std::string value;
    if (headerValue(h, "transfer-encoding", &value)) {
      fail(c, "Transfer-Encoding in a response (" + value + "): expected Content-Length framing");
      return false;
    }
    // Kept alive unless it says `close` (or is an HTTP/1.0 response that does not say `keep-alive`).
    const std::string connection = headerValue(h, "connection", &value) ? lower(value) : "";
    c.closeAfter = connection.find("close") != std::string::npos ||
                   (h[7] == '0' && connection.find("keep-alive") == std::string::npos);
    if (c.status == 204 || c.status == 304 || c.status < 200) {
      if (c.status < 200) {
        fail(c, "a 1xx response (" + std::to_string(c.status) + ")");
        return false;
      }
      c.bodyLeft = 0;
      return true;
    }
    if (!headerValue(h, "content-length", &value)) {
      fail(c, "a response without Content-Length (status " + std::to_string(c.status) + ")");
      return false;
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long long length = std::strtoull(value.c_str(), &end, 10);
    if (errno != 0 || end == value.c_str() || *end != '\0') {
      fail(c, "a bad Content-Length (" + value + ")");
      return false;
    }
    c.bodyLeft = length;
    return true;
  }

  // The response in flight ended: records it, then sends the next request (or closes, or reconnects).
  bool complete(Conn& c) {
    const std::int64_t now = nowNs();
    hist_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - c.startNs)) / 1000);
    requests_done_++;
    if (!stopping_) inWindow_++;
    classes_[c.status / 100]++;
    if (stopping_) {
      shut(c);
      return false;
    }
    if (c.closeAfter) {
      shut(c);
      reconnects_++;
      open(indexOf(c));
      return false;
    }
    startRequest(c);
    return c.state != State::Closed;
  }

  const Options& o_;
  std::vector<Conn> conns_;
  std::vector<char> buf_;
  std::vector<std::string> requests_;
  sockaddr_in addr_{};
  int ep_ = -1;
  epoll_event events_[kEvents]{};
  long open_ = 0;
  long connecting_ = 0;
  long everConnected_ = 0;
  long heldAtStop_ = 0;
  std::uint64_t nextPath_ = 0;
  bool stopping_ = false;
  std::int64_t start_ = 0;
  std::int64_t stopNs_ = 0;
  std::int64_t endNs_ = 0;
  std::int64_t cpuStart_ = 0;
  std::int64_t connectMs_ = -1;
  Histogram hist_;
  std::uint64_t requests_done_ = 0;
  std::uint64_t inWindow_ = 0;
  std::uint64_t classes_[6] = {0, 0, 0, 0, 0, 0};
  std::uint64_t errors_ = 0;
  std::uint64_t reconnects_ = 0;
  std::uint64_t bytes_ = 0;
  std::string firstError_;
  std::map<std::string, std::uint64_t> errorKinds_;
};

// Raises the soft fd limit to what `connections` need; dies if the hard limit does not allow it.
void raiseFdLimit(long connections) {
  const rlim_t need = static_cast<rlim_t>(connections) + 64;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) < 0) dieErrno("getrlimit(RLIMIT_NOFILE)");
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= need) return;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < need) {
    die("connections=" + std::to_string(connections) + " needs " + std::to_string(need) +
        " fds, but the hard RLIMIT_NOFILE is " + std::to_string(limit.rlim_max));
  }
  limit.rlim_cur = need;
  if (setrlimit(RLIMIT_NOFILE, &limit) < 0) dieErrno("setrlimit(RLIMIT_NOFILE)");
}

}  // namespace

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) die("the parent is gone");
  signal(SIGPIPE, SIG_IGN);
  const Options o = parse(argc, argv);
  raiseFdLimit(o.connections);
  Load load(o);
  load.run();
  load.print();
  return 0;
}
