// End-to-end test of report.html in a real browser: `evalsim run`, `sweep`,
// `manipulate` and `calibrate` write their outputs into a fresh directory, headless
// Chromium opens the report.html there, and the test reads back the DOM the
// page's scripts built. It checks the page contract of sim/report/report.h: the
// body says data-report-status="rendered", every figure.chart has a caption,
// a reading guide and a div.vis holding an <svg> with drawn data marks (and
// none with empty or NaN coordinates), the figures are the charts of the
// embedded report data in its order, no console error was captured and
// nothing was fetched (data-resources="0"). It also checks that `evalsim
// report DIR` rebuilds the page byte for byte. Chromium saves a screenshot of
// the page into the test's directory; its path is printed.
//
// Waiting for rendering: Chromium's --virtual-time-budget runs the page's
// timers and promises until the page is idle (or the budget of virtual time
// is spent) before --dump-dom serialises the DOM and --screenshot captures
// the viewport, so the result does not depend on how busy the machine is. A
// wall-clock limit (kChromiumTimeout) kills Chromium's process group when it
// hangs.
//
// The test skips only when Chromium is not installed (/usr/bin/chromium or
// `chromium` on PATH); `make test` installs it. Set
// EVALSIM_KEEP_BROWSER_OUTPUT=1 to keep the temporary directories (outputs,
// dumped DOM, screenshot); they are also kept when a check fails.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/cli_util.h"

namespace {

namespace fs = std::filesystem;
using testing_util::Evalsim;
using testing_util::Slurp;

constexpr std::chrono::seconds kChromiumTimeout{60};
// Virtual time the page gets to render, in milliseconds.
constexpr int kVirtualTimeBudgetMs = 20000;
// The browser window: 1400 px wide like the README screenshot, tall enough
// for the headline charts of every report.
constexpr int kWindowWidth = 1400;
constexpr int kWindowHeight = 6000;

// ---------------------------------------------------------------------------
// A small DOM built from Chromium's --dump-dom output. Chromium serialises
// the document as HTML: every non-void element has an explicit end tag, and
// attribute values are double-quoted. Script and style contents are raw text
// (the inlined chart scripts hold "<" in comparisons), so they are skipped to
// their end tag rather than tokenised.

struct Node {
  std::string name;  // lower case; "#document" for the root
  std::map<std::string, std::string> attrs;
  std::vector<std::unique_ptr<Node>> kids;
  std::string text;  // this element's own text, in document order
  Node* parent = nullptr;

  std::string Attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? std::string() : it->second;
  }
  bool HasAttr(const std::string& key) const { return attrs.count(key) > 0; }
  bool HasClass(const std::string& cls) const {
    std::istringstream in(Attr("class"));
    std::string token;
    while (in >> token) {
      if (token == cls) return true;
    }
    return false;
  }
  bool HasClassPrefix(const std::string& prefix) const {
    std::istringstream in(Attr("class"));
    std::string token;
    while (in >> token) {
      if (token.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool IsVoid(const std::string& name) {
  static const std::set<std::string> kVoid = {"area",  "base",   "br",    "col",  "embed",
                                              "hr",    "img",    "input", "link", "meta",
                                              "param", "source", "track", "wbr"};
  return kVoid.count(name) > 0;
}

bool IsRawText(const std::string& name) {
  return name == "script" || name == "style" || name == "textarea" || name == "title";
}

std::unique_ptr<Node> ParseHtml(const std::string& html) {
  auto root = std::make_unique<Node>();
  root->name = "#document";
  std::vector<Node*> open = {root.get()};
  const size_t n = html.size();
  size_t i = 0;
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == ':' || c == '_';
  };
  while (i < n) {
    if (html[i] != '<') {
      const size_t next = std::min(html.find('<', i), n);
      open.back()->text.append(html, i, next - i);
      i = next;
      continue;
    }
    if (html.compare(i, 4, "<!--") == 0) {
      const size_t end = html.find("-->", i + 4);
      i = end == std::string::npos ? n : end + 3;
      continue;
    }
    if (i + 1 < n && (html[i + 1] == '!' || html[i + 1] == '?')) {
      const size_t end = html.find('>', i);
      i = end == std::string::npos ? n : end + 1;
      continue;
    }
    if (i + 1 < n && html[i + 1] == '/') {
      size_t j = i + 2;
      while (j < n && name_char(html[j])) ++j;
      const std::string name = Lower(html.substr(i + 2, j - i - 2));
      const size_t end = html.find('>', j);
      i = end == std::string::npos ? n : end + 1;
      // Close the innermost open element of that name (and any left open
      // inside it); an end tag with no open element is ignored.
      for (size_t k = open.size(); k-- > 1;) {
        if (open[k]->name == name) {
          open.resize(k);
          break;
        }
      }
      continue;
    }
    size_t j = i + 1;
    while (j < n && name_char(html[j])) ++j;
    if (j == i + 1) {  // a lone "<" in text
      open.back()->text.push_back('<');
      ++i;
      continue;
    }
    auto node = std::make_unique<Node>();
    node->name = Lower(html.substr(i + 1, j - i - 1));
    bool self_closed = false;
    while (j < n) {
      while (j < n && IsSpace(html[j])) ++j;
      if (j >= n) break;
      if (html[j] == '>') {
        ++j;
        break;
      }
      if (html[j] == '/') {
        self_closed = true;
        ++j;
        continue;
      }
      size_t k = j;
      while (k < n && !IsSpace(html[k]) && html[k] != '=' && html[k] != '>' && html[k] != '/') ++k;
      if (k == j) {  // a stray character: skip it
        ++j;
        continue;
      }
      const std::string key = Lower(html.substr(j, k - j));
      std::string value;
      j = k;
      while (j < n && IsSpace(html[j])) ++j;
      if (j < n && html[j] == '=') {
        ++j;
        while (j < n && IsSpace(html[j])) ++j;
        if (j < n && (html[j] == '"' || html[j] == '\'')) {
          const char quote = html[j];
          const size_t end = html.find(quote, j + 1);
          const size_t stop = end == std::string::npos ? n : end;
          value = html.substr(j + 1, stop - j - 1);
          j = stop == n ? n : stop + 1;
        } else {
          size_t end = j;
          while (end < n && !IsSpace(html[end]) && html[end] != '>') ++end;
          value = html.substr(j, end - j);
          j = end;
        }
      }
      self_closed = false;
      node->attrs.emplace(key, value);
    }
    i = j;
    Node* raw = node.get();
    raw->parent = open.back();
    open.back()->kids.push_back(std::move(node));
    if (IsRawText(raw->name)) {
      const std::string close = "</" + raw->name;
      size_t end = i;
      while (true) {
        end = html.find("</", end);
        if (end == std::string::npos || Lower(html.substr(end, close.size())) == close) break;
        end += 2;
      }
      if (end == std::string::npos) end = n;
      raw->text = html.substr(i, end - i);
      const size_t gt = html.find('>', end);
      i = gt == std::string::npos ? n : gt + 1;
    } else if (!IsVoid(raw->name) && !self_closed) {
      open.push_back(raw);
    }
  }
  return root;
}

template <typename Pred>
void FindAll(const Node& node, const Pred& pred, std::vector<const Node*>& out) {
  for (const auto& kid : node.kids) {
    if (pred(*kid)) out.push_back(kid.get());
    FindAll(*kid, pred, out);
  }
}

template <typename Pred>
std::vector<const Node*> FindAll(const Node& node, const Pred& pred) {
  std::vector<const Node*> out;
  FindAll(node, pred, out);
  return out;
}

std::string TextContent(const Node& node) {
  std::string s = node.text;
  for (const auto& kid : node.kids) s += TextContent(*kid);
  return s;
}

std::string Trim(const std::string& s) {
  size_t a = 0;
  size_t b = s.size();
  while (a < b && IsSpace(s[a])) ++a;
  while (b > a && IsSpace(s[b - 1])) --b;
  return s.substr(a, b - a);
}

// Whether a shape element has something to draw: a path with a non-empty
// "d", a text with text, and no NaN in any coordinate. Vega writes NaN, or
// leaves "d" out, when an encoding's field resolves to no value (a field name
// with a dot, for one, is read as a nested path unless the dot is escaped).
bool HasGeometry(const Node& e) {
  static const char* kGeometry[] = {"d",  "transform", "x",      "y",      "x1", "x2", "y1",
                                    "y2", "width",     "height", "points", "cx", "cy", "r"};
  for (const char* key : kGeometry) {
    if (e.Attr(key).find("NaN") != std::string::npos) return false;
  }
  if (e.name == "path") return !Trim(e.Attr("d")).empty();
  if (e.name == "text") return !Trim(TextContent(e)).empty();
  return true;
}

struct MarkCount {
  int drawn = 0;   // data marks with geometry
  int broken = 0;  // data marks without (empty or NaN coordinates)
};

// The data marks under `svg`: the shape elements whose parent is a Vega mark
// container of a data mark (class "mark-TYPE role-mark", TYPE not "group";
// axes, legends and titles have other roles). Vega's SVG renderer draws
// rect, symbol, area and line marks as <path>, rules as <line>.
MarkCount CountDataMarks(const Node& svg) {
  static const std::set<std::string> kShapes = {"path",    "rect",     "line",  "circle", "ellipse",
                                                "polygon", "polyline", "image", "text"};
  const auto marks = FindAll(svg, [](const Node& e) {
    if (!kShapes.count(e.name) || e.parent == nullptr) return false;
    const Node& g = *e.parent;
    return g.name == "g" && g.HasClass("role-mark") && g.HasClassPrefix("mark-") &&
           !g.HasClass("mark-group");
  });
  MarkCount c;
  for (const Node* m : marks) ++(HasGeometry(*m) ? c.drawn : c.broken);
  return c;
}

struct PageCheck {
  std::vector<std::string> problems;
  std::vector<std::string> chart_keys;  // figure ids without "chart-", in page order
  std::map<std::string, int> marks;     // data marks drawn per chart key
  std::map<std::string, int> broken;    // data marks with no geometry per chart key
};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "\n  - " + x;
  return s;
}

// Checks a rendered report DOM against the page contract of sim/report/report.h.
// `kind` is the report-data "kind" the page must declare.
PageCheck CheckRenderedDom(const std::string& dom, const std::string& kind) {
  PageCheck r;
  auto problem = [&r](const std::string& s) { r.problems.push_back(s); };
  const auto root = ParseHtml(dom);

  const auto bodies = FindAll(*root, [](const Node& e) { return e.name == "body"; });
  if (bodies.size() != 1) {
    problem("expected one <body>, found " + std::to_string(bodies.size()));
    return r;
  }
  const Node& body = *bodies[0];
  const std::string status = body.Attr("data-report-status");
  if (status != "rendered") {
    problem("body data-report-status=\"" + status + "\", expected \"rendered\"");
  }
  if (!body.HasAttr("data-console-errors") || body.Attr("data-console-errors") != "0") {
    problem("body data-console-errors=\"" + body.Attr("data-console-errors") +
            "\", expected \"0\"");
  }
  if (!body.HasAttr("data-resources") || body.Attr("data-resources") != "0") {
    problem("body data-resources=\"" + body.Attr("data-resources") +
            "\", expected \"0\" (the page fetched something)");
  }
  const auto pres = FindAll(
      body, [](const Node& e) { return e.name == "pre" && e.Attr("id") == "console-errors"; });
  if (pres.size() != 1) {
    problem("expected one <pre id=\"console-errors\">, found " + std::to_string(pres.size()));
  } else if (const std::string errors = Trim(TextContent(*pres[0])); !errors.empty()) {
    problem("console errors captured:\n" + errors);
  }

  const auto figures =
      FindAll(body, [](const Node& e) { return e.name == "figure" && e.HasClass("chart"); });
  if (figures.empty()) problem("no <figure class=\"chart\"> on the page");
  for (const Node* fig : figures) {
    const std::string id = fig->Attr("id");
    if (id.rfind("chart-", 0) != 0 || id.size() == 6) {
      problem("figure.chart with id \"" + id + "\", expected \"chart-KEY\"");
      continue;
    }
    const std::string key = id.substr(6);
    r.chart_keys.push_back(key);
    const auto captions = FindAll(*fig, [](const Node& e) { return e.name == "figcaption"; });
    if (captions.size() != 1 || Trim(TextContent(*captions[0])).empty()) {
      problem(id + ": expected one non-empty <figcaption> (the chart's question)");
    }
    const auto guides =
        FindAll(*fig, [](const Node& e) { return e.name == "p" && e.HasClass("guide"); });
    if (guides.size() != 1 || Trim(TextContent(*guides[0])).empty()) {
      problem(id + ": expected one non-empty <p class=\"guide\"> (the reading guide)");
    }
    const auto vis =
        FindAll(*fig, [](const Node& e) { return e.name == "div" && e.HasClass("vis"); });
    if (vis.size() != 1) {
      problem(id + ": expected one <div class=\"vis\">, found " + std::to_string(vis.size()));
      continue;
    }
    const auto svgs = FindAll(*vis[0], [](const Node& e) { return e.name == "svg"; });
    if (svgs.empty()) {
      problem(id + ": div.vis holds no <svg> (the chart was not rendered)");
      continue;
    }
    MarkCount marks;
    for (const Node* svg : svgs) {
      const MarkCount m = CountDataMarks(*svg);
      marks.drawn += m.drawn;
      marks.broken += m.broken;
    }
    r.marks[key] = marks.drawn;
    r.broken[key] = marks.broken;
    if (marks.drawn == 0) problem(id + ": the <svg> holds no drawn data marks");
    if (marks.broken > 0) {
      problem(id + ": " + std::to_string(marks.broken) + " of " +
              std::to_string(marks.broken + marks.drawn) +
              " data marks have no geometry (empty path or NaN coordinates: an encoding field "
              "that resolves to no value, such as a field name with an unescaped dot)");
    }
  }

  // The embedded report data: its kind, and one figure per chart, in order.
  const auto data = FindAll(
      body, [](const Node& e) { return e.name == "script" && e.Attr("id") == "report-data"; });
  if (data.size() != 1) {
    problem("expected one <script id=\"report-data\">, found " + std::to_string(data.size()));
    return r;
  }
  if (data[0]->Attr("type") != "application/json") {
    problem("script#report-data has type \"" + data[0]->Attr("type") +
            "\", expected \"application/json\"");
  }
  const auto json = nlohmann::ordered_json::parse(data[0]->text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    problem("script#report-data does not hold a JSON object");
    return r;
  }
  if (json.value("kind", std::string()) != kind) {
    problem("report-data kind is \"" + json.value("kind", std::string()) + "\", expected \"" +
            kind + "\"");
  }
  std::vector<std::string> data_keys;
  if (json.contains("charts") && json["charts"].is_array()) {
    for (const auto& c : json["charts"]) {
      data_keys.push_back(c.is_object() && c.contains("key") && c["key"].is_string()
                              ? c["key"].get<std::string>()
                              : std::string("?"));
    }
  } else {
    problem("report-data has no \"charts\" array");
  }
  if (data_keys != r.chart_keys) {
    std::string a;
    std::string b;
    for (const auto& k : data_keys) a += " " + k;
    for (const auto& k : r.chart_keys) b += " " + k;
    problem("report-data charts [" + a + " ] differ from the page's figures [" + b + " ]");
  }
  return r;
}

// ---------------------------------------------------------------------------
// Processes and directories.

std::string FindChromium() {
  if (access("/usr/bin/chromium", X_OK) == 0) return "/usr/bin/chromium";
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::istringstream in(path);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/chromium";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A fresh directory under the system's temporary directory, removed at the
// end unless `keep` was set.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string templ = (fs::temp_directory_path() / ("evalsim-browser-" + tag + "-XXXXXX"));
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + templ);
    path_ = templ;
  }
  ~TempDir() {
    if (keep_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  void Keep() { keep_ = true; }

 private:
  fs::path path_;
  bool keep_ = false;
};

struct ProcessResult {
  bool timed_out = false;
  int code = -1;  // exit code; -1 when killed by a signal or not started
  std::string error;
};

// Runs argv[0] with argv in its own process group, stdout and stderr into
// the given files. Kills the whole group after `timeout`, and also once the
// main process exited, so that no browser helper process outlives the run.
ProcessResult RunWithTimeout(const std::vector<std::string>& argv, const fs::path& out_file,
                             const fs::path& err_file, std::chrono::seconds timeout) {
  ProcessResult r;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    r.error = "fork failed";
    return r;
  }
  if (pid == 0) {
    setpgid(0, 0);
    const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || null < 0) _exit(126);
    dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so that the group exists before any kill
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      r.error = "waitpid failed";
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-pid, SIGKILL);  // helpers left in the group, if any (ESRCH otherwise)
  if (!r.timed_out && r.error.empty() && WIFEXITED(status)) r.code = WEXITSTATUS(status);
  return r;
}

struct BrowserRun {
  std::string dom;
  fs::path screenshot;
  std::string failure;  // empty on success
};

// Opens `page` in headless Chromium with a fresh profile under `work`, and
// returns the DOM after rendering; the screenshot goes to work/screenshot.png.
BrowserRun RenderInChromium(const std::string& chromium, const fs::path& page,
                            const fs::path& work) {
  BrowserRun b;
  const fs::path profile = work / "chromium-profile";
  fs::create_directories(profile);
  b.screenshot = work / "screenshot.png";
  const fs::path dom_file = work / "dom.html";
  const fs::path log_file = work / "chromium.log";
  const std::vector<std::string> argv = {
      chromium,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      "--user-data-dir=" + profile.string(),
      "--virtual-time-budget=" + std::to_string(kVirtualTimeBudgetMs),
      "--window-size=" + std::to_string(kWindowWidth) + "," + std::to_string(kWindowHeight),
      "--screenshot=" + b.screenshot.string(),
      "--dump-dom",
      "file://" + fs::absolute(page).string(),
  };
  const ProcessResult p = RunWithTimeout(argv, dom_file, log_file, kChromiumTimeout);
  b.dom = Slurp(dom_file);
  if (p.timed_out) {
    b.failure = "Chromium did not finish within " + std::to_string(kChromiumTimeout.count()) +
                " s and was killed; its log: " + log_file.string();
  } else if (!p.error.empty()) {
    b.failure = "could not run Chromium: " + p.error;
  } else if (p.code != 0) {
    b.failure =
        "Chromium exited with code " + std::to_string(p.code) + "; its log:\n" + Slurp(log_file);
  } else if (b.dom.empty()) {
    b.failure = "Chromium printed no DOM; its log:\n" + Slurp(log_file);
  }
  return b;
}

std::string Source(const std::string& rel) { return std::string(EVALSIM_SOURCE_DIR) + "/" + rel; }

std::string Quote(const fs::path& p) { return "'" + p.string() + "'"; }

bool KeepOutput() {
  const char* v = std::getenv("EVALSIM_KEEP_BROWSER_OUTPUT");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// Runs `evalsim COMMAND ... --out DIR`, opens DIR/report.html in Chromium
// and checks the rendered page; `args` holds everything but --out.
// `sub`: the page of that subdirectory of the output (a sweep point's).
void CheckReportOf(const std::string& tag, const std::string& args, const std::string& kind,
                   const std::vector<std::string>& expected_charts = {},
                   const std::string& sub = "") {
  const std::string chromium = FindChromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "Chromium is not installed (neither /usr/bin/chromium nor `chromium` on "
                    "PATH); `make test` installs the Debian packages chromium and "
                    "chromium-driver";
  }
  TempDir tmp(tag);
  const fs::path top = tmp.path() / "out";
  const auto run = Evalsim(args + " --out " + Quote(top));
  const fs::path out = sub.empty() ? top : top / sub;
  ASSERT_EQ(run.code, 0) << "evalsim " << args << "\n" << run.out;
  const fs::path page = out / "report.html";
  ASSERT_TRUE(fs::is_regular_file(page)) << "evalsim " << args << " wrote no " << page;
  const std::string html = Slurp(page);

  // `evalsim report DIR` rebuilds the same page from the files alone.
  const fs::path rebuilt = tmp.path() / "rebuilt.html";
  const auto rep = Evalsim("report " + Quote(out) + " --out " + Quote(rebuilt));
  EXPECT_EQ(rep.code, 0) << rep.out;
  EXPECT_TRUE(Slurp(rebuilt) == html)
      << "evalsim report " << out << " did not rebuild report.html byte for byte";

  const BrowserRun b = RenderInChromium(chromium, page, tmp.path());
  std::cout << "[ screenshot ] " << b.screenshot.string() << "\n";
  if (!b.failure.empty()) {
    tmp.Keep();
    FAIL() << b.failure << "\n(kept " << tmp.path() << ")";
  }
  const PageCheck c = CheckRenderedDom(b.dom, kind);
  for (const auto& key : c.chart_keys) {
    const auto it = c.marks.find(key);
    const auto bad = c.broken.find(key);
    std::cout << "  chart-" << key << ": " << (it == c.marks.end() ? 0 : it->second)
              << " data marks drawn";
    if (bad != c.broken.end() && bad->second > 0)
      std::cout << ", " << bad->second << " without geometry";
    std::cout << "\n";
  }
  for (const std::string& key : expected_charts)
    EXPECT_GT(c.marks.count(key) ? c.marks.at(key) : 0, 0) << "chart-" << key << " not drawn";
  EXPECT_TRUE(fs::is_regular_file(b.screenshot) && fs::file_size(b.screenshot) > 0)
      << "no screenshot at " << b.screenshot;
  if (!c.problems.empty() || ::testing::Test::HasFailure() || KeepOutput()) {
    tmp.Keep();
    std::cout << "[ kept ] " << tmp.path().string() << " (outputs, dom.html, screenshot.png)\n";
  }
  EXPECT_TRUE(c.problems.empty()) << page << " in Chromium:" << Join(c.problems);
}

// ---------------------------------------------------------------------------
// The checker itself, on hand-written DOMs like the one Chromium dumps.

// A rendered page following the contract, with `figures` spliced in.
std::string Dom(const std::string& body_attrs, const std::string& figures,
                const std::string& errors = "", const std::string& charts = "[\"a\"]") {
  std::string keys;
  nlohmann::json list = nlohmann::json::parse(charts);
  for (size_t i = 0; i < list.size(); ++i) {
    keys += std::string(i ? "," : "") + "{\"key\":\"" + list[i].get<std::string>() + "\"}";
  }
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>if (a < b && "
         "c.innerHTML === \"<body data-report-status='rendered'>\") {}</script></head><body " +
         body_attrs + ">" + figures + "<pre id=\"console-errors\">" + errors +
         "</pre><script type=\"application/json\" id=\"report-data\">{\"kind\":\"run\","
         "\"charts\":[" +
         keys + "]}</script></body></html>";
}

const char kGoodBody[] =
    "data-report-status=\"rendered\" data-console-errors=\"0\" data-resources=\"0\"";

std::string Figure(const std::string& key, const std::string& svg_inner) {
  return "<figure class=\"chart\" id=\"chart-" + key +
         "\"><figcaption>Which model ranks best?</figcaption><p class=\"guide\">Higher is "
         "better.</p><div class=\"vis vega-embed\"><svg class=\"marks\" width=\"10\">" +
         svg_inner + "</svg></div></figure>";
}

const char kBars[] =
    "<g class=\"mark-group role-frame root\"><g><path class=\"background\"></path>"
    "<g class=\"mark-rule role-axis-tick\"><line></line><line></line></g>"
    "<g class=\"mark-rect role-mark marks\"><path d=\"M1,2h3v4h-3Z\"></path>"
    "<path d=\"M5,2h3v4h-3Z\"></path><path d=\"M9,2h3v4h-3Z\"></path></g></g></g>";

TEST(ReportBrowserCheck, AcceptsAContractPageAndCountsDataMarks) {
  const PageCheck c = CheckRenderedDom(Dom(kGoodBody, Figure("a", kBars)), "run");
  EXPECT_TRUE(c.problems.empty()) << Join(c.problems);
  ASSERT_EQ(c.chart_keys, std::vector<std::string>{"a"});
  // Three bars; the axis ticks and the frame's background are not data marks.
  EXPECT_EQ(c.marks.at("a"), 3);
}

TEST(ReportBrowserCheck, RejectsEveryBreachOfTheContract) {
  auto problems = [](const std::string& dom, const std::string& kind = "run") {
    return CheckRenderedDom(dom, kind).problems;
  };
  const std::string fig = Figure("a", kBars);
  // Still loading, or failed.
  EXPECT_EQ(problems(Dom("data-report-status=\"loading\" data-console-errors=\"0\" "
                         "data-resources=\"0\"",
                         fig))
                .size(),
            1u);
  // A console error, counted and listed.
  EXPECT_EQ(problems(Dom("data-report-status=\"rendered\" data-console-errors=\"1\" "
                         "data-resources=\"0\"",
                         fig, "TypeError: x is undefined"))
                .size(),
            2u);
  // Something fetched, or the count missing.
  EXPECT_EQ(problems(Dom("data-report-status=\"rendered\" data-console-errors=\"0\" "
                         "data-resources=\"2\"",
                         fig))
                .size(),
            1u);
  EXPECT_EQ(problems(Dom("data-report-status=\"rendered\" data-console-errors=\"0\"", fig)).size(),
            1u);
  // An empty vis, and a chart whose data marks are all empty containers.
  EXPECT_EQ(problems(Dom(kGoodBody,
                         "<figure class=\"chart\" id=\"chart-a\"><figcaption>Q</figcaption><p "
                         "class=\"guide\">G</p><div class=\"vis\"></div></figure>"))
                .size(),
            1u);
  EXPECT_EQ(problems(Dom(kGoodBody, Figure("a",
                                           "<g class=\"mark-rule role-axis-tick\"><line></line>"
                                           "</g><g class=\"mark-rect role-mark marks\"></g>")))
                .size(),
            1u);
  // Marks whose field resolved to nothing: an area without "d", a symbol
  // placed at NaN. Both are counted as broken, the chart's good bar as drawn.
  const PageCheck nan = CheckRenderedDom(
      Dom(kGoodBody,
          Figure("a",
                 "<g class=\"mark-area role-mark\"><path fill=\"#54a24b\"></path></g>"
                 "<g class=\"mark-symbol role-mark\"><path transform=\"translate(NaN,3)\" "
                 "d=\"M2,0A2,2,0,1,1,-2,0\"></path></g><g class=\"mark-rect role-mark\">"
                 "<path d=\"M1,2h3v4h-3Z\"></path></g>")),
      "run");
  EXPECT_EQ(nan.problems.size(), 1u) << Join(nan.problems);
  EXPECT_EQ(nan.marks.at("a"), 1);
  EXPECT_EQ(nan.broken.at("a"), 2);
  // No figure at all; a figure the data does not list; the wrong kind.
  EXPECT_EQ(problems(Dom(kGoodBody, "", "", "[]")).size(), 1u);
  EXPECT_EQ(problems(Dom(kGoodBody, fig + Figure("b", kBars))).size(), 1u);
  EXPECT_EQ(problems(Dom(kGoodBody, fig), "sweep").size(), 1u);
  // A missing guide and caption.
  EXPECT_EQ(problems(Dom(kGoodBody,
                         "<figure class=\"chart\" id=\"chart-a\"><div "
                         "class=\"vis\"><svg>" +
                             std::string(kBars) + "</svg></div></figure>"))
                .size(),
            2u);
}

// Whether process `pid` is gone (or a zombie waiting to be reaped).
bool ProcessGone(pid_t pid) {
  const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

// The wall-clock limit: a process that hangs is killed with every process
// it started, and the run says it timed out.
TEST(ReportBrowserCheck, KillsAHungProcessGroupOnTimeout) {
  TempDir tmp("timeout");
  const fs::path pid_file = tmp.path() / "pid";
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult p = RunWithTimeout(
      {"/bin/sh", "-c", "sleep 30 & echo $! > '" + pid_file.string() + "'; sleep 30"},
      tmp.path() / "out", tmp.path() / "err", std::chrono::seconds(1));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(p.timed_out);
  EXPECT_EQ(p.code, -1);
  EXPECT_LT(seconds, 10.0);
  const std::string pid_text = Trim(Slurp(pid_file));
  ASSERT_FALSE(pid_text.empty());
  const pid_t helper = static_cast<pid_t>(std::stol(pid_text));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ProcessGone(helper);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "the background process " << helper << " outlived the timeout";
  // A process that finishes in time gives its exit code.
  const ProcessResult q = RunWithTimeout({"/bin/sh", "-c", "exit 3"}, tmp.path() / "out",
                                         tmp.path() / "err", std::chrono::seconds(10));
  EXPECT_FALSE(q.timed_out);
  EXPECT_EQ(q.code, 3);
}

// Headless Chromium on a hand-written contract page with an inline SVG: the
// browser, the timeout handling and the DOM checks together, independent of
// the report generator.
TEST(ReportBrowserCheck, ChromiumRendersAHandWrittenPage) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "Chromium is not installed";
  TempDir tmp("page");
  const fs::path page = tmp.path() / "page.html";
  {
    std::ofstream f(page);
    f << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>"
         "<body data-report-status=\"loading\" data-console-errors=\"0\">"
      << Figure("a", "") << "<pre id=\"console-errors\"></pre>"
      << "<script type=\"application/json\" id=\"report-data\">"
         "{\"kind\":\"run\",\"charts\":[{\"key\":\"a\"}]}</script>"
         "<script>setTimeout(function () {"
         "  document.querySelector('#chart-a svg').innerHTML = '"
      << kBars
      << "';"
         "  document.body.setAttribute('data-resources',"
         "    String(performance.getEntriesByType('resource').length));"
         "  document.body.setAttribute('data-report-status', 'rendered');"
         "}, 5000);</script></body></html>";
  }
  const BrowserRun b = RenderInChromium(chromium, page, tmp.path());
  ASSERT_TRUE(b.failure.empty()) << b.failure;
  // The page finished only after 5 s of (virtual) time: the DOM is the
  // rendered one.
  const PageCheck c = CheckRenderedDom(b.dom, "run");
  EXPECT_TRUE(c.problems.empty()) << Join(c.problems);
  EXPECT_EQ(c.marks.count("a") ? c.marks.at("a") : 0, 3);
  EXPECT_GT(fs::file_size(b.screenshot), 0u);
}

// ---------------------------------------------------------------------------
// The reports of the real commands.

TEST(ReportBrowser, RunQuickstart) {
  CheckReportOf("run-quickstart", "run " + Source("scenarios/quickstart.toml") + " --replicates 5",
                "run");
}

TEST(ReportBrowser, RunCompositeIndex) {
  CheckReportOf("run-composite",
                "run " + Source("scenarios/composite_index.toml") + " --replicates 3", "run",
                {"weights", "rank-shift", "uncertainty", "sensitivity"});
}

TEST(ReportBrowser, SweepOfThreePoints) {
  CheckReportOf("sweep",
                "sweep " + Source("scenarios/quickstart.toml") +
                    " --replicates 3 --vary raters.superior.weight=0.1,0.3,0.5",
                "sweep");
}

// The page of a scored tally (`score --report`): scores with their bootstrap
// intervals and classes, and the grade shares per rater group.
TEST(ReportBrowser, ScoredTally) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "Chromium is not installed";
  TempDir tmp("tally");
  const fs::path page = tmp.path() / "tally.html";
  const auto run = Evalsim("score --scenario " + Source("scenarios/district_review.toml") +
                           " --model top2_gate --ballots " + Source("docs/example_tally.csv") +
                           " --bootstrap 200 --report " + Quote(page));
  ASSERT_EQ(run.code, 0) << run.out;
  const BrowserRun b = RenderInChromium(chromium, page, tmp.path());
  if (!b.failure.empty()) {
    tmp.Keep();
    FAIL() << b.failure << "\n(kept " << tmp.path() << ")";
  }
  const PageCheck c = CheckRenderedDom(b.dom, "tally");
  EXPECT_EQ(c.chart_keys, (std::vector<std::string>{"tally-scores", "grades"}));
  for (const char* key : {"tally-scores", "grades"}) {
    const auto it = c.marks.find(key);
    EXPECT_TRUE(it != c.marks.end() && it->second > 0) << key << " drew no data marks";
  }
  if (!c.problems.empty() || KeepOutput()) {
    tmp.Keep();
    std::cout << "[ kept ] " << tmp.path().string() << " (tally.html, dom.html, screenshot)\n";
  }
  EXPECT_TRUE(c.problems.empty()) << page << " in Chromium:" << Join(c.problems);
}

TEST(ReportBrowser, ManipulateClassGoal) {
  CheckReportOf(
      "manipulate-class",
      "manipulate " + Source("scenarios/veto_overlay.toml") + " --sample 20 --goal class=优秀",
      "manipulate", {"manipulation"});
}

TEST(ReportBrowser, SweepPointPage) {
  CheckReportOf("sweep-point",
                "sweep " + Source("scenarios/quickstart.toml") +
                    " --replicates 3 --vary raters.superior.weight=0.1,0.3",
                "run", {"headline"}, "points/002");
}

TEST(ReportBrowser, Manipulate) {
  CheckReportOf("manipulate",
                "manipulate " + Source("scenarios/canvassing_presets.toml") + " --sample 6",
                "manipulate");
}

TEST(ReportBrowser, Calibrate) {
  CheckReportOf("calibrate",
                "calibrate " + Source("scenarios/quickstart.toml") +
                    " --models standard,median --sets 4 --bootstrap 40 --population 8 --runs 2 "
                    "--replicates 3",
                "calibrate");
}

}  // namespace
