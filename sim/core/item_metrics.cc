#include "sim/core/item_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One valid item grade: its (rater, ratee) cell, item and grade.
struct Cell {
  uint32_t rater;
  uint32_t ratee;
  uint16_t item;
  uint8_t grade;
};

// The valid item grades sorted by (rater, ratee, item).
std::vector<Cell> Cells(const RatingBallots& b) {
  std::vector<Cell> cells;
  cells.reserve(b.item_ballot.size());
  const int n = b.NumRatees(), G = b.NumGroups();
  for (int m = 0; m < b.NumItems(); ++m)
    for (int e = 0; e < n; ++e)
      for (int g = 0; g < G; ++g) {
        const int s = b.ItemSlot(m, e, g);
        for (uint64_t k = b.item_slot_begin[s]; k < b.item_slot_begin[s + 1]; ++k) {
          const uint8_t grade = BallotGrade(b.item_ballot[k]);
          if (!IsGrade(grade)) continue;
          cells.push_back({BallotRater(b.item_ballot[k]), static_cast<uint32_t>(e),
                           static_cast<uint16_t>(m), grade});
        }
      }
  std::sort(cells.begin(), cells.end(), [](const Cell& x, const Cell& y) {
    if (x.rater != y.rater) return x.rater < y.rater;
    if (x.ratee != y.ratee) return x.ratee < y.ratee;
    return x.item < y.item;
  });
  return cells;
}

// Per (rater, ratee): the grade of each item, or -1.
struct Row {
  uint32_t rater;
  std::vector<double> grade;
};

std::vector<Row> Rows(const std::vector<Cell>& cells, int I) {
  std::vector<Row> rows;
  for (size_t i = 0; i < cells.size();) {
    Row row{cells[i].rater, std::vector<double>(I, -1.0)};
    const uint32_t rater = cells[i].rater, ratee = cells[i].ratee;
    for (; i < cells.size() && cells[i].rater == rater && cells[i].ratee == ratee; ++i)
      row.grade[cells[i].item] = cells[i].grade;
    rows.push_back(std::move(row));
  }
  return rows;
}

// Pooled within-rater correlation of items a and b over `rows` (grouped by
// rater).
double WithinRaterCorrelation(const std::vector<Row>& rows, int a, int b) {
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    double ma = 0, mb = 0, n = 0;
    for (; j < rows.size() && rows[j].rater == rows[i].rater; ++j) {
      if (rows[j].grade[a] < 0 || rows[j].grade[b] < 0) continue;
      ma += rows[j].grade[a];
      mb += rows[j].grade[b];
      n += 1;
    }
    if (n >= 2) {
      ma /= n;
      mb /= n;
      for (size_t k = i; k < j; ++k) {
        if (rows[k].grade[a] < 0 || rows[k].grade[b] < 0) continue;
        const double da = rows[k].grade[a] - ma, db = rows[k].grade[b] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
      }
    }
    i = j;
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : kNaN;
}

double CronbachAlpha(const std::vector<Row>& rows, int I) {
  std::vector<double> s1(I, 0), s2(I, 0);
  double t1 = 0, t2 = 0, n = 0;
  for (const Row& row : rows) {
    if (std::any_of(row.grade.begin(), row.grade.end(), [](double g) { return g < 0; })) continue;
    double total = 0;
    for (int m = 0; m < I; ++m) {
      s1[m] += row.grade[m];
      s2[m] += row.grade[m] * row.grade[m];
      total += row.grade[m];
    }
    t1 += total;
    t2 += total * total;
    n += 1;
  }
  if (n < 2 || I < 2) return kNaN;
  double item_var = 0;
  for (int m = 0; m < I; ++m) item_var += s2[m] / n - (s1[m] / n) * (s1[m] / n);
  const double total_var = t2 / n - (t1 / n) * (t1 / n);
  if (!(total_var > 0)) return kNaN;
  return I / (I - 1.0) * (1.0 - item_var / total_var);
}

}  // namespace

ItemMetrics ComputeItemMetrics(const RatingBallots& b) {
  const int I = b.NumItems();
  if (I < 2) return {kNaN, kNaN};
  const std::vector<Row> rows = Rows(Cells(b), I);
  double sum = 0, pairs = 0;
  for (int a = 0; a < I; ++a)
    for (int c = a + 1; c < I; ++c) {
      const double r = WithinRaterCorrelation(rows, a, c);
      if (std::isnan(r)) continue;
      sum += r;
      pairs += 1;
    }
  return {pairs > 0 ? sum / pairs : kNaN, CronbachAlpha(rows, I)};
}

}  // namespace evalsim
