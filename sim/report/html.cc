// The report's page (see html.h and the page contract in report.h). The
// style sheet and the page's two scripts are files of their own (page.css,
// capture.js, page.js), compiled in like the chart scripts (assets.h).
#include "sim/report/html.h"

#include <fmt/format.h>

#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/report/assets.h"

namespace evalsim::report {

using Json = nlohmann::ordered_json;

namespace {

std::string Html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// JSON for a <script> element: "</" written "<\/" and "<!--" written
// "\u003c!--", so that no text in the data can end or confuse the element.
std::string ScriptJson(const Json& j) {
  const std::string s = Dump(j);
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else if (s.compare(i, 4, "<!--") == 0) {
      out += "\\u003c!--";
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return Dump(v);
}

// A number for a table cell: integers in full, others to 4 significant
// digits.
std::string FormatNumber(double x) {
  if (!std::isfinite(x)) return "–";
  if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{:.0f}", x);
  return fmt::format("{:.4g}", x);
}

// A table cell's HTML: a number, text, or {value, lo, hi} shown as the
// value with "[lo, hi]" on a second, smaller line, so that a table of many
// metrics stays within the page.
std::string CellHtml(const Json& c) {
  if (c.is_null()) return "";
  if (c.is_number()) return Html(FormatNumber(c.get<double>()));
  if (c.is_object() && c.contains("value")) {
    auto f = [](const Json& x) {
      return x.is_number() ? FormatNumber(x.get<double>()) : std::string("–");
    };
    std::string s = Html(f(c["value"]));
    if (c["lo"].is_number() && c["hi"].is_number())
      s += fmt::format("<span class=\"ci\">[{}, {}]</span>", Html(f(c["lo"])), Html(f(c["hi"])));
    return s;
  }
  return Html(Text(c));
}

std::string SummaryHtml(const Json& s) {
  std::string out = "<dl class=\"summary\">\n";
  static const std::vector<std::pair<const char*, const char*>> fields = {
      {"name", "scenario"},
      {"description", "description"},
      {"scenario_file", "file"},
      {"seed", "seed"},
      {"replicates", "replicates"},
      {"version", "evalsim version"},
      {"git_describe", "git describe"},
      {"scenario_sha256", "scenario SHA-256"},
      {"overrides", "overrides"},
      {"organisation", "organisation"},
      {"sweep_plan", "sweep plan"},
      {"sweep_seeds", "sweep seeds"},
      {"sweep_models", "sweep models"},
      {"goal", "goal"},
      {"quota", "quota"},
      {"bury", "bury rivals"},
      {"targets", "targets"},
      {"calibration_design", "calibration design"},
      {"model_notes", "model notes"}};
  for (const auto& [key, label] : fields) {
    if (!s.contains(key)) continue;
    const Json& v = s[key];
    std::string text;
    if (v.is_object()) {
      std::vector<std::string> parts;
      for (const auto& [k, x] : v.items()) parts.push_back(fmt::format("{}: {}", k, Text(x)));
      text = parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, "; "));
    } else if (v.is_array()) {
      std::vector<std::string> parts;
      for (const Json& x : v) parts.push_back(Text(x));
      text = parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
    } else {
      text = Text(v);
    }
    out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", Html(label), Html(text));
  }
  out += "</dl>\n";
  return out;
}

std::string TableHtml(const Json& t) {
  std::string out = fmt::format(
      "<section class=\"table\" id=\"table-{}\">\n<h2>{}</h2>\n<div "
      "class=\"scroll\"><table>\n<thead><tr>",
      Html(Text(t["key"])), Html(Text(t["title"])));
  // A header may break after a dot ("accuracy.<wbr>kendall"): the metric
  // names are the widest cells.
  for (const Json& c : t["columns"]) {
    std::string h = Html(Text(c));
    for (size_t at = h.find('.'); at != std::string::npos; at = h.find('.', at + 6))
      h.replace(at, 1, ".<wbr>");
    out += fmt::format("<th>{}</th>", h);
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const Json& r : t["rows"]) {
    out += "<tr>";
    for (const Json& c : r) out += fmt::format("<td>{}</td>", CellHtml(c));
    out += "</tr>\n";
  }
  out += "</tbody>\n</table></div>\n</section>\n";
  return out;
}

}  // namespace

// A sweep's points, each linked to its own page.
std::string PointsHtml(const Json& points) {
  std::string h = "<section id=\"points\">\n<h2>Sweep points</h2>\n<ul class=\"points\">\n";
  for (const Json& p : points) {
    std::string values;
    if (p.contains("values") && p["values"].is_object())
      for (const auto& [key, v] : p["values"].items())
        values += fmt::format("{}{} = {}", values.empty() ? "" : ", ", key, Text(v));
    h += fmt::format("<li><a href=\"{}\">point {}</a>{}{}</li>\n", Html(Text(p["href"])),
                     Html(Text(p["point"])), values.empty() ? "" : ": ", Html(values));
  }
  return h + "</ul>\n</section>\n";
}

std::string PageHtml(const Json& data) {
  const std::string title = data.contains("title") ? Text(data["title"]) : "evalsim report";
  const Json summary = data.contains("summary") ? data["summary"] : Json::object();
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += fmt::format("<title>{}</title>\n", Html(title));
  h += fmt::format("<style>\n{}</style>\n", ReportPageCss());
  h += fmt::format("<script>\n{}</script>\n", ReportCaptureScript());
  h += "<script>\n";
  h += ReportScripts();
  h += "\n</script>\n</head>\n";
  h += "<body data-report-status=\"loading\" data-console-errors=\"0\" data-resources=\"0\">\n";
  h += fmt::format("<header>\n<h1>{}</h1>\n", Html(title));
  if (summary.contains("description"))
    h += fmt::format("<p class=\"description\">{}</p>\n", Html(Text(summary["description"])));
  h += "</header>\n<section id=\"summary\">\n<h2>Scenario</h2>\n";
  h += SummaryHtml(summary);
  if (summary.contains("summary_text"))
    h += fmt::format("<h2>Sweep summary</h2>\n<pre class=\"summary-text\">{}</pre>\n",
                     Html(Text(summary["summary_text"])));
  if (summary.contains("resolved"))
    h += fmt::format(
        "<details>\n<summary>Resolved scenario parameters (JSON)</summary>\n<pre "
        "class=\"resolved\">{}</pre>\n</details>\n",
        Html(Dump(summary["resolved"], 2)));
  h += "</section>\n";
  if (data.contains("points")) h += PointsHtml(data["points"]);
  if (data.contains("charts"))
    for (const Json& c : data["charts"])
      h += fmt::format(
          "<figure class=\"chart\" id=\"chart-{}\">\n<figcaption>{}</figcaption>\n<p "
          "class=\"guide\">{}</p>\n<div class=\"vis\"></div>\n</figure>\n",
          Html(Text(c["key"])), Html(Text(c["title"])), Html(Text(c["guide"])));
  if (data.contains("tables"))
    for (const Json& t : data["tables"]) h += TableHtml(t);
  h += "<pre id=\"console-errors\"></pre>\n";
  h += fmt::format("<footer><p class=\"versions\">Charts: {}</p></footer>\n",
                   Html(std::string(ReportScriptVersions())));
  h += fmt::format("<script type=\"application/json\" id=\"report-data\">{}</script>\n",
                   ScriptJson(data));
  h += fmt::format("<script>\n{}</script>\n</body>\n</html>\n", ReportPageScript());
  return h;
}

}  // namespace evalsim::report
