// report.html (sim/report/report.h): the page's content built from real output
// directories of `evalsim run`, `sweep`, `manipulate` and `calibrate`, checked against the
// CSV/JSON files by independent readers here; the page's self-containment and
// escaping; and the command-line contract (byte-identical rebuilds, thread
// independence, errors that name the file).
#include "sim/report/report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/io/csv.h"
#include "sim/report/assets.h"
#include "tests/support/cli_util.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using ::testing_util::Evalsim;
using ::testing_util::Slurp;

std::string Scenario(const std::string& name) {
  return std::string(EVALSIM_SOURCE_DIR) + "/scenarios/" + name;
}

// A CSV file as rows of named fields (header first), read independently of
// the report's reader.
std::vector<std::map<std::string, std::string>> ReadTable(const fs::path& p) {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  const std::string text = Slurp(p);
  evalsim::ParseCsvRecords(text, p.string(), [&](long, std::span<const std::string_view> f) {
    if (header.empty()) {
      header.assign(f.begin(), f.end());
      return;
    }
    std::map<std::string, std::string> r;
    for (size_t i = 0; i < f.size(); ++i) r[header[i]] = f[i];
    rows.push_back(std::move(r));
  });
  return rows;
}

double D(const std::string& s) { return std::stod(s); }

const Json* FindChart(const Json& data, const std::string& key) {
  for (const Json& c : data["charts"])
    if (c["key"] == key) return &c;
  return nullptr;
}

std::vector<std::string> ChartKeys(const Json& data) {
  std::vector<std::string> keys;
  for (const Json& c : data["charts"]) keys.push_back(c["key"].get<std::string>());
  return keys;
}

// Every `values` array in a spec (top level and layers).
void CollectValues(const Json& spec, std::vector<const Json*>* out) {
  if (spec.is_object()) {
    if (spec.contains("data") && spec["data"].contains("values"))
      out->push_back(&spec["data"]["values"]);
    for (const auto& [k, v] : spec.items()) CollectValues(v, out);
  } else if (spec.is_array()) {
    for (const Json& v : spec) CollectValues(v, out);
  }
}

// The JSON of <script type="application/json" id="report-data">.
std::string ReportDataText(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t a = html.find(open);
  if (a == std::string::npos) return "";
  const size_t b = html.find("</script>", a);
  return html.substr(a + open.size(), b - a - open.size());
}

// The page without the inlined chart scripts (checked separately).
std::string WithoutScripts(std::string html) {
  const std::string_view scripts = evalsim::ReportScripts();
  const size_t at = html.find(scripts);
  if (at != std::string::npos) html.erase(at, scripts.size());
  return html;
}

size_t Count(const std::string& hay, std::string_view needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// Output directories made once for the whole suite.
class Report : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("evalsim_report_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    Make("run " + Scenario("quickstart.toml") + " --replicates 6 --threads 1 --out " +
         (root_ / "run").string());
    Make("run " + Scenario("quickstart.toml") + " --replicates 6 --threads 2 --out " +
         (root_ / "run2").string());
    Make("run " + Scenario("composite_index.toml") + " --replicates 4 --out " +
         (root_ / "composite").string());
    Make("sweep " + Scenario("quickstart.toml") +
         " --replicates 4 --vary raters.superior.noise=0.5,1,2 --out " +
         (root_ / "sweep").string());
    Make("manipulate " + Scenario("canvassing_presets.toml") + " --out " +
         (root_ / "manipulate").string());
    Make("run " + Scenario("veto_overlay.toml") + " --replicates 3 --out " +
         (root_ / "veto").string());
    Make("run " + Scenario("traffic_light_quarterly.toml") + " --replicates 4 --out " +
         (root_ / "periods").string());
    Make("calibrate " + Scenario("quickstart.toml") +
         " --models standard,median --sets 3 --bootstrap 30 --population 6 --runs 2 "
         "--replicates 3 --out " +
         (root_ / "calibrate").string());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static void Make(const std::string& args) {
    const ::testing_util::CliResult r = Evalsim(args);
    ASSERT_EQ(r.code, 0) << args << "\n" << r.out;
  }
  static fs::path Dir(const std::string& name) { return root_ / name; }
  static Json Data(const std::string& name) { return evalsim::BuildReportData(Dir(name)); }
  static fs::path root_;
};
fs::path Report::root_;

// Each expected chart is there, with non-empty data, a title and a guide.
void ExpectCharts(const Json& data, const std::vector<std::string>& expected) {
  const std::vector<std::string> keys = ChartKeys(data);
  for (const std::string& k : expected) {
    const Json* c = FindChart(data, k);
    ASSERT_NE(c, nullptr) << k << " missing; have " << Json(keys).dump();
    EXPECT_FALSE((*c)["title"].get<std::string>().empty()) << k;
    EXPECT_FALSE((*c)["guide"].get<std::string>().empty()) << k;
    std::vector<const Json*> values;
    CollectValues((*c)["spec"], &values);
    ASSERT_FALSE(values.empty()) << k;
    for (const Json* v : values) EXPECT_FALSE(v->empty()) << k;
    EXPECT_FALSE((*c)["spec"].contains("$schema")) << k;
    EXPECT_NE((*c)["spec"]["config"]["font"].get<std::string>().find("\"Noto Sans CJK SC\""),
              std::string::npos);
  }
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size())
      << "duplicate keys";
}

TEST_F(Report, RunHasTheRunCharts) {
  const Json data = Data("run");
  EXPECT_EQ(data["kind"], "run");
  ExpectCharts(data, {"headline", "caterpillar", "grades", "fairness", "allocation"});
  // No composite weights in a ratings-only run, and no sweep chart.
  EXPECT_EQ(FindChart(data, "weights"), nullptr);
  EXPECT_EQ(FindChart(data, "rank-shift"), nullptr);
  const Json& s = data["summary"];
  EXPECT_EQ(s["name"], "quickstart");
  EXPECT_EQ(s["replicates"], 6);
  EXPECT_EQ(s["seed"], 1);
  EXPECT_TRUE(s.contains("scenario_sha256"));
  EXPECT_TRUE(s.contains("resolved"));
  // Nothing of the machine or the clock.
  const std::string text = data.dump();
  for (const char* banned : {"wall_time", "seconds", "threads", "peak_memory", "memory_estimate"})
    EXPECT_EQ(text.find(banned), std::string::npos) << banned;
}

TEST_F(Report, HeadlineAndTableEqualMetricsCsv) {
  const Json data = Data("run");
  const auto rows = ReadTable(Dir("run") / "metrics.csv");
  ASSERT_FALSE(rows.empty());
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> by;
  std::set<std::string> models;
  for (const auto& r : rows) {
    by[{r.at("model"), r.at("metric")}] = r;
    models.insert(r.at("model"));
  }
  const Json& values = (*FindChart(data, "headline"))["spec"]["data"]["values"];
  ASSERT_EQ(values.size(), models.size());
  for (const Json& v : values) {
    const std::string m = v["model"];
    const auto& acc = by.at({m, "accuracy.kendall"});
    const auto& stab = by.at({m, "stability.kendall"});
    EXPECT_EQ(v["accuracy"].get<double>(), D(acc.at("value"))) << m;
    EXPECT_EQ(v["accuracy_lo"].get<double>(), D(acc.at("lo"))) << m;
    EXPECT_EQ(v["accuracy_hi"].get<double>(), D(acc.at("hi"))) << m;
    EXPECT_EQ(v["stability"].get<double>(), D(stab.at("value"))) << m;
    EXPECT_EQ(v["stability_lo"].get<double>(), D(stab.at("lo"))) << m;
    EXPECT_EQ(v["stability_hi"].get<double>(), D(stab.at("hi"))) << m;
  }
  // Two panels, accuracy and stability, with a row per model: the rows run
  // from the most to the least accurate model in both (metrics.csv's model
  // order among ties).
  std::vector<std::string> by_accuracy;
  for (const auto& r : rows)
    if (r.at("metric") == "accuracy.kendall") by_accuracy.push_back(r.at("model"));
  std::stable_sort(by_accuracy.begin(), by_accuracy.end(), [&](const auto& a, const auto& b) {
    return D(by.at({a, "accuracy.kendall"}).at("value")) >
           D(by.at({b, "accuracy.kendall"}).at("value"));
  });
  const Json& panels = (*FindChart(data, "headline"))["spec"]["hconcat"];
  ASSERT_EQ(panels.size(), 2u);
  const char* fields[] = {"accuracy", "stability"};
  for (size_t p = 0; p < 2; ++p)
    for (const Json& layer : panels[p]["layer"]) {
      EXPECT_EQ(layer["encoding"]["y"]["field"], "model");
      EXPECT_EQ(layer["encoding"]["y"]["sort"], Json(by_accuracy)) << p;
      const std::string x = layer["encoding"]["x"]["field"];
      EXPECT_EQ(x.rfind(fields[p], 0), 0u) << x;
    }
  // The table: model x metric, every metrics.csv row once.
  const Json* table = nullptr;
  for (const Json& t : data["tables"])
    if (t["key"] == "metrics") table = &t;
  ASSERT_NE(table, nullptr);
  const Json& cols = (*table)["columns"];
  size_t cells = 0;
  for (const Json& row : (*table)["rows"]) {
    const std::string m = row[0];
    for (size_t c = 1; c < cols.size(); ++c) {
      const auto it = by.find({m, cols[c].get<std::string>()});
      if (it == by.end()) {
        EXPECT_TRUE(row[c].is_null());
        continue;
      }
      ++cells;
      // An empty cell (no interval, e.g. stability.rank_interval) is null.
      for (const char* f : {"value", "lo", "hi"}) {
        const std::string& want = it->second.at(f);
        if (want.empty())
          EXPECT_TRUE(row[c][f].is_null()) << m << " " << f;
        else
          EXPECT_EQ(row[c][f].get<double>(), D(want)) << m << " " << f;
      }
    }
  }
  EXPECT_EQ(cells, rows.size());
  // The HTML table shows the value with its interval.
  const std::string html = Slurp(Dir("run") / "report.html");
  EXPECT_NE(html.find("<section class=\"table\" id=\"table-metrics\">"), std::string::npos);
  // A cell: the value to 4 significant digits, its interval on a second line.
  auto g4 = [](const std::string& x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", D(x));
    return std::string(buf);
  };
  const auto& acc = by.at({rows.front().at("model"), "accuracy.kendall"});
  const std::string cell = "<td>" + g4(acc.at("value")) + "<span class=\"ci\">[" +
                           g4(acc.at("lo")) + ", " + g4(acc.at("hi")) + "]</span></td>";
  EXPECT_NE(html.find(cell), std::string::npos) << cell;
}

TEST_F(Report, GradeSharesEqualTheManifest) {
  const Json data = Data("run");
  const Json man = Json::parse(Slurp(Dir("run") / "manifest.json"));
  const Json& spec = (*FindChart(data, "grades"))["spec"];
  const Json& values = spec["data"]["values"];
  const Json& labels = man["resolved"]["scale"]["labels"];
  ASSERT_EQ(labels.size(), 4u);
  // Four grades: exactly the four ordered colours, worst red to best green.
  EXPECT_EQ(spec["encoding"]["color"]["scale"]["range"],
            Json::array({"#d7191c", "#fdae61", "#a6d96a", "#1a9641"}));
  EXPECT_EQ(spec["encoding"]["color"]["scale"]["domain"], labels);
  size_t checked = 0;
  for (const Json& g : man["ballots"]["by_group"]) {
    const std::string group = g["group"];
    for (size_t i = 0; i < g["grade_share"].size(); ++i) {
      bool found = false;
      for (const Json& v : values) {
        if (v["row"].get<std::string>().rfind(group + " (", 0) != 0 || v["grade_index"] != i)
          continue;
        found = true;
        EXPECT_EQ(v["share"].get<double>(), g["grade_share"][i].get<double>()) << group << i;
        EXPECT_EQ(v["grade"], labels[i]);
        EXPECT_EQ(v["abstain_share"].get<double>(), g["abstain_share"].get<double>());
        ++checked;
      }
      EXPECT_TRUE(found) << group << " grade " << i;
    }
  }
  EXPECT_GE(checked, 8u);
  for (size_t i = 0; i < 4; ++i) {
    bool found = false;
    for (const Json& v : values)
      if (v["row"] == "target" && v["grade_index"] == i) {
        found = true;
        EXPECT_EQ(v["share"].get<double>(), man["ballots"]["target_share"][i].get<double>());
      }
    EXPECT_TRUE(found);
  }
}

TEST_F(Report, CaterpillarHoldsTheEvalueesNearestTheQuota) {
  const Json data = Data("run");
  const Json man = Json::parse(Slurp(Dir("run") / "manifest.json"));
  const Json& spec = (*FindChart(data, "caterpillar"))["spec"];
  const auto rows = ReadTable(Dir("run") / "evaluees.csv");
  std::vector<std::string> models;
  std::map<std::string, std::vector<std::map<std::string, std::string>>> per;
  for (const auto& r : rows) {
    if (!per.count(r.at("model"))) models.push_back(r.at("model"));
    per[r.at("model")].push_back(r);
  }
  ASSERT_GT(per.begin()->second.size(), 60u) << "the scenario must have more than 50 evaluees";
  // The quota line at k = ceil(quota * n), as the manifest states it.
  const long n = static_cast<long>(per.begin()->second.size());
  const long k = man["fairness"]["top_k"];
  EXPECT_EQ(k, static_cast<long>(std::ceil(0.15 * static_cast<double>(n))));
  // Reference: all rows of a model, stably sorted by the distance of the
  // mean rank to k (file order among ties); the first 50.
  std::set<std::vector<std::string>> expected, got;
  for (auto& [model, v] : per) {
    std::stable_sort(v.begin(), v.end(), [k](const auto& a, const auto& b) {
      return std::fabs(D(a.at("mean_rank")) - static_cast<double>(k)) <
             std::fabs(D(b.at("mean_rank")) - static_cast<double>(k));
    });
    for (size_t i = 0; i < 50; ++i)
      expected.insert({model, v[i].at("ratee"), v[i].at("mean_rank"), v[i].at("rank_lo"),
                       v[i].at("rank_hi"), v[i].at("p_top")});
    // The rows straddle the quota line: it is inside the chart, not beyond
    // one end of it.
    double lo = 1e300, hi = -1e300;
    for (size_t i = 0; i < 50; ++i) {
      lo = std::min(lo, D(v[i].at("mean_rank")));
      hi = std::max(hi, D(v[i].at("mean_rank")));
    }
    EXPECT_LE(lo, static_cast<double>(k)) << model;
    EXPECT_GE(hi, static_cast<double>(k)) << model;
  }
  auto num = [](const Json& j) { return j.get<double>(); };
  std::map<std::string, double> last_rank;  // rows come sorted by mean rank per model
  for (const Json& v : spec["data"]["values"]) {
    const std::string model = v["model"], ratee = v["ratee"];
    bool found = false;
    for (const auto& e : expected)
      if (e[0] == model && e[1] == ratee) {
        found = true;
        EXPECT_EQ(num(v["mean_rank"]), D(e[2]));
        EXPECT_EQ(num(v["rank_lo"]), D(e[3]));
        EXPECT_EQ(num(v["rank_hi"]), D(e[4]));
        EXPECT_EQ(num(v["p_top"]), D(e[5]));
      }
    EXPECT_TRUE(found) << model << " " << ratee << " is not among the 50 nearest k";
    if (last_rank.count(model)) {
      EXPECT_LE(last_rank[model], num(v["mean_rank"])) << model;
    }
    last_rank[model] = num(v["mean_rank"]);
    got.insert({model, ratee});
  }
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_EQ(spec["data"]["values"].size(), 50 * models.size());
  // One model at a time, picked in a dropdown; the first model by default.
  const Json& param = spec["params"][0];
  EXPECT_EQ(param["value"], models.front());
  EXPECT_EQ(param["bind"]["input"], "select");
  EXPECT_EQ(param["bind"]["options"], Json(models));
  bool line = false;
  for (const Json& l : spec["layer"])
    if (l.contains("data") && l["data"]["values"][0]["k"] == k) line = true;
  EXPECT_TRUE(line);
}

TEST_F(Report, FairnessChartIsClassErrorBySize) {
  const Json data = Data("run");
  const auto rows = ReadTable(Dir("run") / "fairness.csv");
  size_t expected = 0;
  const Json& values = (*FindChart(data, "fairness"))["spec"]["data"]["values"];
  for (const auto& r : rows) {
    if (r.at("dimension") != "size" || r.at("metric") != "class_error") continue;
    ++expected;
    bool found = false;
    for (const Json& v : values)
      if (v["model"] == r.at("model") && v["stratum"] == r.at("stratum")) {
        found = true;
        EXPECT_EQ(v["class_error"].get<double>(), D(r.at("value")));
      }
    EXPECT_TRUE(found) << r.at("model") << " " << r.at("stratum");
  }
  EXPECT_GT(expected, 0u);
  EXPECT_EQ(values.size(), expected);
}

// Per model, two bars per district of units.csv's top class: the model's
// count and the truth's.
TEST_F(Report, AllocationChartIsTheTopClassPerUnitOfTheFirstLevel) {
  const Json data = Data("run");
  const Json& chart = *FindChart(data, "allocation");
  const Json& values = chart["spec"]["data"]["values"];
  std::map<std::pair<std::string, std::string>, std::pair<double, double>> expected;
  for (const auto& r : ReadTable(Dir("run") / "units.csv"))
    if (!r.at("truth_count").empty() && r.at("level") == "district")
      expected[{r.at("model"), r.at("unit")}] = {D(r.at("count")), D(r.at("truth_count"))};
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(values.size(), 2 * expected.size());
  for (const Json& v : values) {
    const auto it = expected.find({v["model"].get<std::string>(), v["unit"].get<std::string>()});
    ASSERT_NE(it, expected.end()) << v.dump();
    const double want = v["series"] == "model" ? it->second.first : it->second.second;
    EXPECT_EQ(v["value"].get<double>(), want) << v.dump();
  }
  EXPECT_NE(chart["title"].get<std::string>().find("district"), std::string::npos);
}

TEST_F(Report, VetoRunHasTheVetoTable) {
  const Json data = Data("veto");
  ExpectCharts(data, {"headline", "allocation"});
  const Json* table = nullptr;
  for (const Json& t : data["tables"])
    if (t["key"] == "vetoes") table = &t;
  ASSERT_NE(table, nullptr);
  EXPECT_EQ((*table)["rows"].size(), ReadTable(Dir("veto") / "vetoes.csv").size());
  EXPECT_EQ((*table)["columns"], Json::array({"veto", "model", "metric", "value", "lo", "hi"}));
  const Json run = Data("run");
  for (const Json& t : run["tables"]) EXPECT_NE(t["key"], "vetoes");
}

TEST_F(Report, CompositeRunHasWeightsAndRankShifts) {
  const Json data = Data("composite");
  ExpectCharts(data, {"headline", "caterpillar", "grades", "fairness", "weights", "rank-shift",
                      "uncertainty", "sensitivity"});
  // The Monte Carlo over modelling choices: every choice of sensitivity.csv,
  // and uncertainty.csv's evaluees by base rank, thinned to at most 150.
  const auto sens = ReadTable(Dir("composite") / "sensitivity.csv");
  const Json& cv = (*FindChart(data, "sensitivity"))["spec"]["data"]["values"];
  ASSERT_EQ(cv.size(), sens.size());
  for (size_t i = 0; i < sens.size(); ++i) {
    EXPECT_EQ(cv[i]["choice"], sens[i].at("choice"));
    EXPECT_EQ(cv[i]["share"].get<double>(), D(sens[i].at("share")));
  }
  const auto unc = ReadTable(Dir("composite") / "uncertainty.csv");
  const Json& uv = (*FindChart(data, "uncertainty"))["spec"]["layer"];
  const Json& values = (*FindChart(data, "uncertainty"))["spec"]["data"]["values"];
  EXPECT_EQ(uv.size(), 2u);
  const size_t step = (unc.size() + 149) / 150;
  EXPECT_EQ(values.size(), (unc.size() + step - 1) / step);
  std::map<std::string, std::map<std::string, std::string>> by_name;
  for (const auto& r : unc) by_name[r.at("evaluee")] = r;
  double last = 0;
  for (const Json& v : values) {
    const auto& r = by_name.at(v["evaluee"].get<std::string>());
    EXPECT_EQ(v["rank_lo"].get<double>(), D(r.at("rank_lo")));
    EXPECT_EQ(v["rank_hi"].get<double>(), D(r.at("rank_hi")));
    EXPECT_GE(v["base_rank"].get<double>(), last);
    last = v["base_rank"].get<double>();
  }
  EXPECT_EQ(FindChart(Data("run"), "uncertainty"), nullptr);
  // Mean weight over replicates, recomputed from parameters.csv.
  std::map<std::pair<std::string, std::string>, std::pair<double, int>> sum;
  std::vector<std::string> weighted;
  for (const auto& r : ReadTable(Dir("composite") / "parameters.csv")) {
    const std::string p = r.at("parameter");
    if (p.rfind("weight.", 0) != 0) continue;
    if (std::find(weighted.begin(), weighted.end(), r.at("model")) == weighted.end())
      weighted.push_back(r.at("model"));
    auto& s = sum[{r.at("model"), p.substr(7)}];
    s.first += D(r.at("value"));
    s.second += 1;
  }
  ASSERT_GE(weighted.size(), 2u);
  const Json& wv = (*FindChart(data, "weights"))["spec"]["data"]["values"];
  EXPECT_EQ(wv.size(), sum.size());
  for (const Json& v : wv) {
    const auto& s = sum.at({v["model"].get<std::string>(), v["indicator"].get<std::string>()});
    EXPECT_NEAR(v["weight"].get<double>(), s.first / s.second, 1e-12);
  }
  // Rank shifts: mean_rank of each weighted model minus the first one's.
  std::map<std::string, std::map<std::string, double>> rank;
  for (const auto& r : ReadTable(Dir("composite") / "evaluees.csv"))
    rank[r.at("model")][r.at("ratee")] = D(r.at("mean_rank"));
  const Json& sv = (*FindChart(data, "rank-shift"))["spec"]["data"]["values"];
  EXPECT_EQ(sv.size(), weighted.size() - 1);
  for (const Json& v : sv) {
    const std::string m = v["model"];
    std::vector<double> shift;
    for (const auto& [ratee, r] : rank.at(m)) shift.push_back(r - rank.at(weighted[0]).at(ratee));
    EXPECT_EQ(v["n"].get<size_t>(), shift.size());
    EXPECT_NEAR(v["median"].get<double>(), evalsim::Quantile(shift, 0.5), 1e-9) << m;
    EXPECT_NEAR(v["q1"].get<double>(), evalsim::Quantile(shift, 0.25), 1e-9) << m;
    EXPECT_EQ(v["min"].get<double>(), *std::min_element(shift.begin(), shift.end()));
    EXPECT_EQ(v["max"].get<double>(), *std::max_element(shift.begin(), shift.end()));
  }
}

TEST_F(Report, SweepHasOneLineChartPerHeadlineMetric) {
  const Json data = Data("sweep");
  EXPECT_EQ(data["kind"], "sweep");
  ExpectCharts(data, {"sweep-accuracy-kendall", "sweep-topk-precision", "sweep-stability-kendall"});
  EXPECT_EQ(data["summary"]["summary_text"], Slurp(Dir("sweep") / "summary.txt"));
  const auto rows = ReadTable(Dir("sweep") / "sweep.csv");
  const Json& spec = (*FindChart(data, "sweep-accuracy-kendall"))["spec"];
  size_t n = 0;
  for (const auto& r : rows) {
    if (r.at("metric") != "accuracy.kendall") continue;
    ++n;
    bool found = false;
    for (const Json& v : spec["data"]["values"])
      if (v["model"] == r.at("model") && v["point"] == std::stol(r.at("point"))) {
        found = true;
        EXPECT_EQ(v["raters.superior.noise"].get<double>(), D(r.at("raters.superior.noise")));
        EXPECT_EQ(v["value"].get<double>(), D(r.at("value")));
        EXPECT_EQ(v["lo"].get<double>(), D(r.at("lo")));
        EXPECT_EQ(v["hi"].get<double>(), D(r.at("hi")));
      }
    EXPECT_TRUE(found);
  }
  EXPECT_EQ(spec["data"]["values"].size(), n);
  // A numeric key goes on a quantitative axis; a band and a line per model.
  EXPECT_EQ(spec["layer"][1]["encoding"]["x"]["type"], "quantitative");
  // The key's dots are escaped: Vega-Lite would read "a.b" as nested access.
  EXPECT_EQ(spec["layer"][1]["encoding"]["x"]["field"], "raters\\.superior\\.noise");
  EXPECT_EQ(spec["layer"][0]["mark"]["type"], "errorband");
  // Ticks only at the swept values: 0.5, 1 and 2.
  EXPECT_EQ(spec["layer"][1]["encoding"]["x"]["axis"]["values"], Json::array({0.5, 1.0, 2.0}));
  const std::string html = Slurp(Dir("sweep") / "report.html");
  EXPECT_NE(html.find("<pre class=\"summary-text\">"), std::string::npos);
  // A page per point, linked from the sweep's page with the point's value.
  ASSERT_EQ(data["points"].size(), 3u);
  const char* noise[] = {"0.5", "1", "2"};
  for (int i = 0; i < 3; ++i) {
    const std::string name = fmt::format("{:03}", i + 1);
    EXPECT_EQ(data["points"][i]["point"], name);
    EXPECT_EQ(data["points"][i]["href"], "points/" + name + "/report.html");
    const fs::path page = Dir("sweep") / "points" / name / "report.html";
    ASSERT_TRUE(fs::is_regular_file(page)) << page;
    EXPECT_NE(html.find(fmt::format("<li><a href=\"points/{}/report.html\">point {}</a>: "
                                    "raters.superior.noise = {}</li>",
                                    name, name, noise[i])),
              std::string::npos)
        << html.substr(html.find("<section id=\"points\">"), 600);
    const Json point = evalsim::BuildReportData(Dir("sweep") / "points" / name);
    EXPECT_EQ(point["kind"], "run");
    EXPECT_EQ(point["title"], "quickstart: sweep point " + name);
    ExpectCharts(point, {"headline"});
    EXPECT_EQ(Slurp(page), evalsim::RenderReportHtml(point));
  }
}

TEST_F(Report, ManipulationCostMatchesTheSummary) {
  const Json data = Data("manipulate");
  EXPECT_EQ(data["kind"], "manipulate");
  ExpectCharts(data, {"manipulation"});
  // The chart's per-model median and mean cost over the searched targets
  // equal manipulation_summary.csv's, computed by the study itself.
  const auto summary = ReadTable(Dir("manipulate") / "manipulation_summary.csv");
  const Json& values = (*FindChart(data, "manipulation"))["spec"]["data"]["values"];
  size_t matched = 0;
  for (const auto& r : summary) {
    if (r.at("cost_median").empty()) continue;
    for (const Json& v : values)
      if (v["model"] == r.at("model")) {
        ++matched;
        EXPECT_NEAR(v["median"].get<double>(), D(r.at("cost_median")), 1e-9) << r.at("model");
        EXPECT_NEAR(v["mean"].get<double>(), D(r.at("cost_mean")), 1e-9) << r.at("model");
        EXPECT_EQ(v["n"].get<double>(), D(r.at("searched")));
      }
  }
  EXPECT_GT(matched, 0u);
  EXPECT_EQ(matched, values.size());
}

TEST_F(Report, PeriodsChartsHoldTheQualityTrajectoryAndTheDecileRates) {
  const Json data = Data("periods");
  ExpectCharts(data, {"headline", "periods-quality", "periods-deciles"});
  EXPECT_EQ(FindChart(Data("run"), "periods-quality"), nullptr);
  // One quality row per model and period, as periods.csv has them.
  const auto table = ReadTable(Dir("periods") / "periods.csv");
  std::vector<std::map<std::string, std::string>> quality;
  for (const auto& r : table)
    if (r.at("metric") == "quality.mean") quality.push_back(r);
  const Json& values = (*FindChart(data, "periods-quality"))["spec"]["data"]["values"];
  ASSERT_EQ(values.size(), quality.size());
  ASSERT_EQ(values.size(), 3u * 4u);  // three models, four quarters
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(values[i]["model"], quality[i].at("model"));
    EXPECT_DOUBLE_EQ(values[i]["value"].get<double>(), D(quality[i].at("value")));
  }
  // Ten deciles per model and action, each the mean of its four periods'
  // rates, within [0, 1].
  const Json& deciles = (*FindChart(data, "periods-deciles"))["spec"]["data"]["values"];
  EXPECT_EQ(deciles.size(), 3u * 2u * 10u);
  double sum = 0;
  for (const auto& r : table)
    if (r.at("model") == "lights" && r.at("metric") == "action.约谈.p_fires.decile1")
      sum += D(r.at("value"));
  for (const Json& v : deciles) {
    EXPECT_GE(v["rate"].get<double>(), 0.0);
    EXPECT_LE(v["rate"].get<double>(), 1.0);
    if (v["model"] == "lights" && v["action"] == "约谈" && v["decile"] == 1) {
      EXPECT_NEAR(v["rate"].get<double>(), sum / 4, 1e-12);
    }
  }
}

TEST_F(Report, CalibrationChartsHoldCalibrationAndReliabilityCsv) {
  const Json data = Data("calibrate");
  EXPECT_EQ(data["kind"], "calibrate");
  ExpectCharts(data, {"calibration", "reliability"});
  EXPECT_EQ(FindChart(data, "headline"), nullptr);
  // The calibration chart's rows are calibration.csv's, cell for cell.
  const auto table = ReadTable(Dir("calibrate") / "calibration.csv");
  const Json& values = (*FindChart(data, "calibration"))["spec"]["data"]["values"];
  ASSERT_EQ(values.size(), table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(values[i]["model"], table[i].at("model"));
    EXPECT_EQ(values[i]["quantity"], table[i].at("quantity"));
    EXPECT_DOUBLE_EQ(values[i]["nominal"].get<double>(), D(table[i].at("nominal")));
    EXPECT_DOUBLE_EQ(values[i]["coverage"].get<double>(), D(table[i].at("coverage")));
  }
  // The reliability chart keeps the non-empty bins, one select per target.
  const Json& rel = *FindChart(data, "reliability");
  EXPECT_EQ(rel["spec"]["params"][0]["name"], "target");
  EXPECT_EQ(rel["spec"]["params"][0]["bind"]["options"],
            Json::parse(R"(["rerun","population","truth"])"));
  for (const Json& v : rel["spec"]["layer"][1]["data"]["values"]) EXPECT_GT(v["count"], 0);
  // The tables of the page.
  std::set<std::string> tables;
  for (const Json& t : data["tables"]) tables.insert(t["key"].get<std::string>());
  EXPECT_EQ(tables, (std::set<std::string>{"calibration", "brier", "metrics-calibration"}));
  EXPECT_EQ(data["summary"]["calibration_design"]["sets"], 3);
}

TEST_F(Report, PageIsSelfContainedAndHoldsItsData) {
  for (const char* kind : {"run", "composite", "sweep", "manipulate", "calibrate"}) {
    const std::string html = Slurp(Dir(kind) / "report.html");
    ASSERT_FALSE(html.empty()) << kind;
    EXPECT_EQ(Count(html, evalsim::ReportScripts()), 1u) << kind;
    std::string rest = WithoutScripts(html);
    // A sweep links to its points' pages (relative links, nothing fetched):
    // every href of the points section is one, and the rest has none.
    if (const size_t a = rest.find("<section id=\"points\">"); a != std::string::npos) {
      const size_t z = rest.find("</section>", a);
      const std::string points = rest.substr(a, z - a);
      EXPECT_EQ(Count(points, "href=\"points/"), Count(points, "href=")) << points;
      EXPECT_EQ(Count(points, "/report.html\""), Count(points, "href=")) << points;
      rest.erase(a, z - a);
    }
    for (const char* ref : {"src=", "href=", "url(", "@import", "$schema", "http://", "https://"})
      EXPECT_EQ(rest.find(ref), std::string::npos) << kind << ": " << ref;
    // The contract elements.
    EXPECT_NE(rest.find("<body data-report-status=\"loading\""), std::string::npos) << kind;
    EXPECT_NE(rest.find("<pre id=\"console-errors\"></pre>"), std::string::npos) << kind;
    EXPECT_NE(rest.find("renderer: \"svg\", actions: false"), std::string::npos) << kind;
    const std::string json = ReportDataText(html);
    EXPECT_EQ(json.find("</"), std::string::npos) << kind;
    const Json data = Json::parse(json);
    EXPECT_EQ(data, evalsim::BuildReportData(Dir(kind))) << kind;
    for (const Json& c : data["charts"]) {
      const std::string key = c["key"];
      EXPECT_NE(rest.find("<figure class=\"chart\" id=\"chart-" + key + "\">"), std::string::npos);
    }
    EXPECT_EQ(Count(rest, "<div class=\"vis\"></div>"), data["charts"].size()) << kind;
    // The capture script runs before the chart scripts.
    EXPECT_LT(html.find("console.error = function"), html.find(evalsim::ReportScripts()));
  }
}

TEST_F(Report, TextIsEscapedInHtmlAndScriptJson) {
  Json data = Data("run");
  const std::string evil = "</script><script>alert(1)</script><!-- & \"q\"";
  data["title"] = evil;
  data["charts"][0]["title"] = evil;
  data["charts"][0]["spec"]["data"]["values"][0]["model"] = evil;
  const std::string html = evalsim::RenderReportHtml(data);
  const std::string rest = WithoutScripts(html);
  // Outside the JSON, the text is HTML-escaped; inside it, "</" and "<!--"
  // are written so that they cannot end the element or open a comment.
  const std::string json_text = ReportDataText(html);
  EXPECT_EQ(Count(rest, "<script>alert(1)"), Count(json_text, "<script>alert(1)"));
  EXPECT_NE(rest.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!-- &amp; "
                      "&quot;q&quot;"),
            std::string::npos);
  const std::string json = ReportDataText(html);
  EXPECT_EQ(json.find("</"), std::string::npos);
  EXPECT_EQ(json.find("<!--"), std::string::npos);
  EXPECT_NE(json.find("<\\/script>"), std::string::npos);
  // And the escaped JSON reads back as the same data.
  EXPECT_EQ(Json::parse(json), data);
}

TEST_F(Report, ReportCommandRewritesTheSameBytes) {
  for (const char* kind : {"run", "composite", "sweep", "manipulate", "calibrate"}) {
    const fs::path page = Dir(kind) / "report.html";
    const std::string before = Slurp(page);
    ASSERT_FALSE(before.empty()) << kind;
    fs::remove(page);
    const ::testing_util::CliResult r = Evalsim("report " + Dir(kind).string());
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(Slurp(page), before) << kind;
  }
}

TEST_F(Report, OneAndTwoThreadsGiveTheSamePage) {
  const std::string a = Slurp(Dir("run") / "report.html");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, Slurp(Dir("run2") / "report.html"));
}

TEST_F(Report, MissingManifestIsAnErrorNamingIt) {
  const fs::path d = root_ / "no_manifest";
  fs::create_directories(d);
  fs::copy_file(Dir("run") / "metrics.csv", d / "metrics.csv");
  const ::testing_util::CliResult r = Evalsim("report " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "manifest.json").string()), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "report.html"));
  EXPECT_THROW(evalsim::BuildReportData(d), evalsim::InputError);
}

TEST_F(Report, MalformedMetricsIsAnErrorNamingFileAndLine) {
  const fs::path d = root_ / "bad_metrics";
  fs::create_directories(d);
  fs::copy_file(Dir("run") / "manifest.json", d / "manifest.json");
  std::string text = Slurp(Dir("run") / "metrics.csv");
  // Line 3's value becomes "abc".
  size_t at = 0;
  for (int i = 0; i < 2; ++i) at = text.find('\n', at) + 1;
  const size_t c1 = text.find(',', at), c2 = text.find(',', c1 + 1), c3 = text.find(',', c2 + 1);
  text.replace(c2 + 1, c3 - c2 - 1, "abc");
  std::ofstream(d / "metrics.csv", std::ios::binary) << text;
  const ::testing_util::CliResult r = Evalsim("report " + d.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find((d / "metrics.csv").string() + ":3:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"abc\""), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "report.html"));

  // A broken manifest names its line too.
  std::ofstream(d / "manifest.json", std::ios::binary) << "{\n  \"seed\": 1,\n  oops\n}\n";
  const ::testing_util::CliResult m = Evalsim("report " + d.string());
  EXPECT_EQ(m.code, 2) << m.out;
  EXPECT_NE(m.out.find((d / "manifest.json").string() + ":3:"), std::string::npos) << m.out;
  EXPECT_FALSE(fs::exists(d / "report.html"));
}

TEST_F(Report, AbsentFilesLeaveTheirChartsOut) {
  const fs::path d = root_ / "partial";
  fs::create_directories(d);
  fs::copy_file(Dir("run") / "manifest.json", d / "manifest.json");
  fs::copy_file(Dir("run") / "metrics.csv", d / "metrics.csv");
  const Json data = evalsim::BuildReportData(d);
  EXPECT_NE(FindChart(data, "headline"), nullptr);
  EXPECT_NE(FindChart(data, "grades"), nullptr);  // from the manifest
  EXPECT_EQ(FindChart(data, "caterpillar"), nullptr);
  EXPECT_EQ(FindChart(data, "fairness"), nullptr);
  // The page still renders: the report command writes it.
  const ::testing_util::CliResult r = Evalsim("report " + d.string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(d / "report.html"));
}

}  // namespace
