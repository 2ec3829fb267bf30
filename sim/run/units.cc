#include "sim/run/units.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "sim/io/csv_write.h"
#include "sim/run/runner.h"

namespace evalsim {

std::vector<int> TruthOrder(const std::vector<double>& quality) {
  std::vector<int> order(quality.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return quality[a] > quality[b]; });
  return order;
}

namespace {

// One level's counts, summed over replicates.
UnitClasses LevelOutcome(const Organisation& org, int level, const std::vector<int>& truth_order,
                         const std::vector<std::vector<int>>& classes, int labels, int top) {
  const std::vector<int>& unit = org.unit[level];
  const int n = org.NumEvaluees();
  const int units = org.level_size[level];
  UnitClasses u;
  u.level = level;
  u.evaluees.assign(units, 0);
  for (int e = 0; e < n; ++e) ++u.evaluees[unit[e]];
  u.count = Eigen::MatrixXd::Zero(units, labels);
  u.truth = Eigen::VectorXd::Zero(units);
  u.distance = Eigen::VectorXd::Zero(units);
  Eigen::VectorXd model_top(units), truth_top(units);
  for (const std::vector<int>& cls : classes) {
    model_top.setZero();
    truth_top.setZero();
    int k = 0;
    for (int e = 0; e < n; ++e) {
      u.count(unit[e], cls[e]) += 1;
      if (cls[e] == top) {
        model_top[unit[e]] += 1;
        ++k;
      }
    }
    for (int i = 0; i < k; ++i) truth_top[unit[truth_order[i]]] += 1;
    u.truth += truth_top;
    u.distance += (model_top - truth_top).cwiseAbs();
  }
  const double R = static_cast<double>(std::max<size_t>(1, classes.size()));
  u.count /= R;
  u.truth /= R;
  u.distance /= R;
  return u;
}

}  // namespace

std::vector<UnitClasses> UnitOutcomes(const Organisation& org, const std::vector<int>& truth_order,
                                      const std::vector<std::vector<int>>& classes,
                                      const std::vector<std::string>& labels,
                                      const std::string& top_label) {
  const auto it = std::find(labels.begin(), labels.end(), top_label);
  const int top = it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
  std::vector<UnitClasses> out;
  for (int l = 0; l < static_cast<int>(org.unit_levels.size()); ++l)
    out.push_back(LevelOutcome(org, l, truth_order, classes, static_cast<int>(labels.size()), top));
  return out;
}

UnitsTable::UnitsTable(const Organisation& org, const std::vector<ModelOutcome>& models)
    : org_(org) {
  for (const ModelOutcome& m : models) {
    if (m.units.empty()) continue;
    // The top class, and every class given at least once (the same at every level).
    const Eigen::RowVectorXd given = m.units[0].count.colwise().sum();
    std::vector<int> classes;
    for (int c = 0; c < static_cast<int>(m.class_labels.size()); ++c)
      if (m.class_labels[c] == m.top_class || given[c] > 0) classes.push_back(c);
    for (const UnitClasses& u : m.units) {
      blocks_.push_back(
          {&m, &u, CsvField(m.name) + "," + CsvField(org.unit_levels[u.level]) + ",", classes});
      starts_.push_back(starts_.back() + u.evaluees.size() * classes.size());
    }
  }
}

void UnitsTable::AppendRow(fmt::memory_buffer& out, size_t row) const {
  const size_t b = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), row) -
                                       starts_.begin() - 1);
  const Block& bl = blocks_[b];
  const size_t j = row - starts_[b];
  const int i = static_cast<int>(j / bl.classes.size());
  const int c = bl.classes[j % bl.classes.size()];
  const UnitClasses& u = *bl.level;
  const std::string& label = bl.model->class_labels[c];
  const double count = u.count(i, c);
  out.append(bl.prefix.data(), bl.prefix.data() + bl.prefix.size());
  // A unit without evaluees has no share.
  fmt::format_to(std::back_inserter(out), "{},{},{},{},{},", CsvField(org_.UnitName(u.level, i)),
                 u.evaluees[i], CsvField(label), Num(count),
                 u.evaluees[i] > 0 ? Num(count / u.evaluees[i]) : "");
  if (label == bl.model->top_class)
    fmt::format_to(std::back_inserter(out), "{},{}", Num(u.truth[i]), Num(u.distance[i]));
  else
    out.push_back(',');
  out.push_back('\n');
}

}  // namespace evalsim
