#include "libs/discovery/file_discoverer.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/glob.h"
#include "libs/common/logging.h"
#include "libs/json/json_value.h"
#include "yaml-cpp/yaml.h"

namespace omni::discovery {
namespace {

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("open ", path, ": cannot read file"));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("read ", path, ": I/O error"));
  return ss.str();
}

absl::Status ParseGroup(const YAML::Node& node, TargetGroup* g) {
  if (!node.IsMap()) return absl::InvalidArgumentError("target group must be a mapping");
  std::vector<model::Label> labels;
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (key == "targets") {
      if (kv.second.IsNull()) continue;
      if (!kv.second.IsSequence()) return absl::InvalidArgumentError("\"targets\" must be a list");
      for (const auto& t : kv.second) {
        if (!t.IsScalar()) return absl::InvalidArgumentError("a target must be a string");
        g->targets.push_back(model::Labels::FromPairs({{model::kAddressLabel, t.Scalar()}}));
      }
    } else if (key == "labels") {
      if (kv.second.IsNull()) continue;
      if (!kv.second.IsMap()) return absl::InvalidArgumentError("\"labels\" must be a mapping");
      for (const auto& l : kv.second) {
        std::string name = l.first.as<std::string>();
        if (!model::IsValidLabelName(name)) {
          return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not a valid label name"));
        }
        if (!l.second.IsScalar() && !l.second.IsNull()) {
          return absl::InvalidArgumentError(absl::StrCat("label \"", name, "\" must have a string value"));
        }
        labels.push_back({name, l.second.IsNull() ? "" : l.second.Scalar()});
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("field ", key, " not found in type targetgroup"));
    }
  }
  g->labels = model::Labels::FromUnsorted(std::move(labels));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TargetGroup>> ParseJsonGroups(std::string_view content, const std::string& filename) {
  auto doc = json::Parse(content);
  if (!doc.ok()) return absl::InvalidArgumentError(absl::StrCat(filename, ": ", doc.status().message()));
  if (doc->IsNull()) return std::vector<TargetGroup>{};
  if (!doc->IsArray()) return absl::InvalidArgumentError(absl::StrCat(filename, ": expected a list of target groups"));
  std::vector<TargetGroup> groups;
  size_t i = 0;
  for (const json::JsonValue& item : doc->AsArray()) {
    auto bad = [&](std::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(filename, ": group ", i, ": ", std::string(what)));
    };
    if (item.IsNull()) return bad("nil target group item found");
    if (!item.IsObject()) return bad("target group must be an object");
    TargetGroup g;
    std::vector<model::Label> labels;
    for (const auto& [key, value] : item.AsObject()) {
      if (key == "targets") {
        if (value.IsNull()) continue;
        if (!value.IsArray()) return bad("\"targets\" must be a list");
        for (const auto& t : value.AsArray()) {
          if (!t.IsString()) return bad("a target must be a string");
          g.targets.push_back(model::Labels::FromPairs({{model::kAddressLabel, t.AsString()}}));
        }
      } else if (key == "labels") {
        if (value.IsNull()) continue;
        if (!value.IsObject()) return bad("\"labels\" must be an object");
        for (const auto& [name, v] : value.AsObject()) {
          if (!model::IsValidLabelName(name)) return bad(absl::StrCat("\"", name, "\" is not a valid label name"));
          if (!v.IsString()) return bad(absl::StrCat("label \"", name, "\" must have a string value"));
          labels.push_back({name, v.AsString()});
        }
      } else {
        return bad(absl::StrCat("unknown field \"", key, "\""));
      }
    }
    labels.push_back({std::string(kFilepathLabel), filename});
    g.labels = model::Labels::FromUnsorted(std::move(labels));
    g.source = absl::StrCat(filename, ":", i);
    groups.push_back(std::move(g));
    ++i;
  }
  return groups;
}

}  // namespace

absl::StatusOr<std::vector<TargetGroup>> ParseFileSdContent(std::string_view content,
                                                            const std::string& filename) {
  if (!absl::EndsWith(filename, ".json") && !absl::EndsWith(filename, ".yml") &&
      !absl::EndsWith(filename, ".yaml")) {
    return absl::InvalidArgumentError(absl::StrCat(filename, ": retrieval target file has invalid extension"));
  }
  std::vector<TargetGroup> groups;
  if (absl::EndsWith(filename, ".json")) return ParseJsonGroups(content, filename);
  try {
    YAML::Node root = YAML::Load(std::string(content));
    if (root.IsNull()) return groups;
    if (!root.IsSequence()) {
      return absl::InvalidArgumentError(absl::StrCat(filename, ": expected a list of target groups"));
    }
    size_t i = 0;
    for (const auto& node : root) {
      if (node.IsNull()) {
        return absl::InvalidArgumentError(absl::StrCat(filename, ": nil target group item found"));
      }
      TargetGroup g;
      absl::Status st = ParseGroup(node, &g);
      if (!st.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(filename, ":", node.Mark().line + 1, ": ", st.message()));
      }
      g.source = absl::StrCat(filename, ":", i);
      model::LabelsBuilder b(g.labels);
      b.Set(kFilepathLabel, filename);
      g.labels = b.Build();
      groups.push_back(std::move(g));
      ++i;
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(filename, ":", e.mark.line + 1, ": ", e.msg));
  }
  return groups;
}

FileDiscoverer::FileDiscoverer(config::FileSdConfig config) : config_(std::move(config)) {}

FileDiscoverer::~FileDiscoverer() { Stop(); }

uint64_t FileDiscoverer::read_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return read_errors_;
}

void FileDiscoverer::Start(UpdateFn update) {
  update_ = std::move(update);
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    OMNI_LOG(kWarn, "discovery").Msg("inotify unavailable; falling back to periodic refresh");
  }
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  AddWatches();
  Refresh();
  thread_ = std::thread([this] { Run(); });
}

void FileDiscoverer::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
}

void FileDiscoverer::AddWatches() {
  if (inotify_fd_ < 0) return;
  for (const std::string& pattern : config_.files) {
    std::string dir = DirName(pattern);
    if (watched_dirs_.count(dir)) continue;
    int wd = inotify_add_watch(inotify_fd_, dir.c_str(),
                               IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                   IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
    if (wd >= 0) {
      watched_dirs_[dir] = wd;
    } else {
      OMNI_LOG(kDebug, "discovery").Msg("Cannot watch directory; will retry").Kv("dir", dir);
    }
  }
}

void FileDiscoverer::Run() {
  const int64_t refresh_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(config_.refresh_interval));
  while (true) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int n = poll(fds, inotify_fd_ >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(refresh_ms, INT32_MAX)));
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents & POLLIN) return;
    if (n > 0 && inotify_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      // Drain the queue; any change in a watched directory means "re-read all".
      alignas(inotify_event) char buf[8192];
      bool dir_gone = false;
      while (true) {
        ssize_t len = read(inotify_fd_, buf, sizeof(buf));
        if (len <= 0) break;
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) dir_gone = true;
          p += sizeof(inotify_event) + ev->len;
        }
      }
      if (dir_gone) {
        for (auto& [dir, wd] : watched_dirs_) inotify_rm_watch(inotify_fd_, wd);
        watched_dirs_.clear();
      }
    }
    AddWatches();
    Refresh();
  }
}

void FileDiscoverer::Refresh() {
  std::set<std::string> files;
  for (const std::string& pattern : config_.files) {
    absl::StatusOr<std::vector<std::string>> paths = common::GlobFiles(pattern);
    if (paths.ok()) files.insert(paths->begin(), paths->end());
  }
  std::vector<TargetGroup> out;
  std::map<std::string, size_t> counts;
  for (const std::string& file : files) {
    absl::StatusOr<std::vector<TargetGroup>> groups;
    auto content = ReadWholeFile(file);
    if (content.ok()) {
      groups = ParseFileSdContent(*content, file);
    } else {
      groups = content.status();
    }
    if (!groups.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++read_errors_;
      }
      OMNI_LOG(kError, "discovery")
          .Msg("Error reading file")
          .Kv("path", file)
          .Kv("err", groups.status().message());
      // Keep the last good groups of this file: do not report it at all.
      auto it = last_counts_.find(file);
      if (it != last_counts_.end()) counts[file] = it->second;
      continue;
    }
    counts[file] = groups->size();
    for (auto& g : *groups) out.push_back(std::move(g));
    // Groups that existed before but not any more get empty updates.
    auto it = last_counts_.find(file);
    for (size_t i = groups->size(); it != last_counts_.end() && i < it->second; ++i) {
      out.push_back(TargetGroup{absl::StrCat(file, ":", i), {}, {}});
    }
  }
  for (const auto& [file, n] : last_counts_) {
    if (counts.count(file)) continue;
    for (size_t i = 0; i < n; ++i) out.push_back(TargetGroup{absl::StrCat(file, ":", i), {}, {}});
  }
  last_counts_ = std::move(counts);
  update_(std::move(out));
}

}  // namespace omni::discovery
