#include "sim/run/per_replicate.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "sim/core/check.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/run/outputs.h"

namespace evalsim {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

class GzFile {
 public:
  explicit GzFile(const std::filesystem::path& path) : path_(path) {
    file_ = gzopen(path.c_str(), "wb1");
    if (!file_)
      throw InputError(
          fmt::format("{}: cannot open for writing: {}", path.string(), std::strerror(errno)));
    gzbuffer(file_, 1 << 18);
  }
  ~GzFile() {
    if (file_) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void Write(const fmt::memory_buffer& text) {
    if (text.size() == 0) return;
    const int wrote = gzwrite(file_, text.data(), static_cast<unsigned>(text.size()));
    if (wrote <= 0 || static_cast<size_t>(wrote) != text.size()) Fail("write failed (disk full?)");
  }
  void Close() {
    // gzclose frees the stream, so its reason is taken from errno or the
    // return code rather than from gzerror.
    errno = 0;
    const int rc = gzclose(file_);
    const int err = errno;
    file_ = nullptr;
    if (rc != Z_OK) {
      throw InputError(fmt::format("{}: closing failed (disk full?): {}", path_.string(),
                                   rc == Z_ERRNO && err != 0 ? std::strerror(err) : zError(rc)));
    }
  }

 private:
  [[noreturn]] void Fail(const char* what) {
    int code = 0;
    const char* msg = file_ ? gzerror(file_, &code) : "";
    throw InputError(fmt::format("{}: {}{}{}", path_.string(), what, *msg ? ": " : "", msg));
  }
  std::filesystem::path path_;
  gzFile file_ = nullptr;
};

}  // namespace

bool KeepScores(const Scenario& s, const Organisation& org, bool per_replicate) {
  const double rows =
      static_cast<double>(s.replicates) * org.NumEvaluees() * static_cast<double>(s.models.size());
  return per_replicate || rows <= static_cast<double>(kFullScoresMaxRows);
}

void WritePerReplicateScores(const std::filesystem::path& path, const Scenario& s,
                             const RunResult& r) {
  const Organisation& org = r.organisation;
  const int n = org.NumEvaluees();
  GzFile gz(path);
  fmt::memory_buffer out;
  out.reserve(kChunkBytes + 4096);
  const UnitCells units(org);
  fmt::format_to(std::back_inserter(out), "{}\n", ScoresHeader(units));
  std::vector<int> order(n);
  for (int rep = 0; rep < s.replicates; ++rep) {
    ThrowIfInterrupted();
    for (const ModelOutcome& m : r.models) {
      EVALSIM_CHECK(
          static_cast<int>(m.scores.size()) > rep && static_cast<int>(m.ranks.size()) > rep,
          "per-replicate scores were not kept by the run");
      const std::vector<int>& rank = m.ranks[rep];
      const Eigen::VectorXd& score = m.scores[rep];
      const std::string model = CsvField(m.name);
      std::vector<std::string> class_text;
      if (!m.classes.empty())
        for (const auto& l : m.class_labels) class_text.push_back(CsvField(l));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rank[a] < rank[b]; });
      for (int e : order) {
        // "{}" of a double is Num(): the shortest text that reads back exactly.
        fmt::format_to(std::back_inserter(out), "{},{},{}", rep + 1, model,
                       CsvField(org.evaluee_names[e]));
        units.Append(out, e);
        fmt::format_to(std::back_inserter(out), ",{},{},{},{}\n", score[e], rank[e], org.quality[e],
                       class_text.empty() ? std::string_view() : class_text[m.classes[rep][e]]);
        if (out.size() >= kChunkBytes) {
          gz.Write(out);
          out.clear();
        }
      }
    }
  }
  gz.Write(out);
  gz.Close();
}

}  // namespace evalsim
