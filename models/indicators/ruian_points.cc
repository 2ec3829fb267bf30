#include "models/indicators/ruian_points.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <unordered_map>
#include <utility>

#include "models/common/tally.h"
#include "models/indicators/mcda.h"
#include "sim/core/metrics.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEdgeTolerance = 1e-12;

// Set from the parameter declarations of RuianPointsSpec().
struct RuianOptions {
  std::vector<std::string> projects;  // empty: every indicator
  double project_points{};
  std::vector<std::string> leader_groups;  // empty: the first group
  double leader_points{}, leader_step{};
  bool ties_average = true;
  std::vector<std::string> vote_groups;  // empty: every group
  bool by_rank = false;
  VoteBands bands;
  int low_grades{};
};

// The indices of `names` among the ballots' groups (names the ballots lack
// are noted and skipped); `fallback` when `names` is empty.
std::vector<int> GroupIndices(const std::vector<std::string>& names, const RatingBallots& b,
                              std::vector<int> fallback, const char* option,
                              std::vector<std::string>& notes) {
  if (names.empty()) return fallback;
  std::vector<int> out;
  for (const std::string& name : names) {
    const auto it = std::find(b.group_names.begin(), b.group_names.end(), name);
    if (it == b.group_names.end()) {
      notes.push_back(fmt::format("{}: the ballots have no group \"{}\"", option, name));
      continue;
    }
    out.push_back(static_cast<int>(it - b.group_names.begin()));
  }
  return out;
}

// project_points x the mean own / best over the unit's present project
// indicators (0 for a unit with none).
Eigen::VectorXd ProjectPoints(const RuianOptions& o, const IndicatorTable& t,
                              std::vector<std::string>& notes) {
  const int n = t.NumRatees();
  std::vector<int> columns;
  if (o.projects.empty()) {
    for (int j = 0; j < t.NumIndicators(); ++j) columns.push_back(j);
  } else {
    for (const std::string& name : o.projects) {
      const auto it = std::find(t.names.begin(), t.names.end(), name);
      if (it == t.names.end())
        notes.push_back(fmt::format("projects: the table has no indicator \"{}\"", name));
      else
        columns.push_back(static_cast<int>(it - t.names.begin()));
    }
  }
  Eigen::VectorXd points = Eigen::VectorXd::Zero(n);
  if (columns.empty()) {
    notes.push_back("no key-project indicator: every unit gets 0 project points");
    return points;
  }
  Eigen::MatrixXd X(n, static_cast<Eigen::Index>(columns.size()));
  std::vector<bool> cost;
  for (size_t c = 0; c < columns.size(); ++c) {
    X.col(static_cast<Eigen::Index>(c)) = t.values.col(columns[c]);
    cost.push_back(static_cast<int>(t.cost.size()) > columns[c] && t.cost[columns[c]]);
  }
  mcda::Notes normalise_notes;
  const Eigen::MatrixXd Z =
      mcda::Normalize(X, cost, mcda::Normalization::kDistanceToBest, &normalise_notes);
  notes.insert(notes.end(), normalise_notes.begin(), normalise_notes.end());
  int none = 0;
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    int present = 0;
    for (Eigen::Index c = 0; c < Z.cols(); ++c) {
      if (std::isnan(Z(i, c))) continue;
      sum += Z(i, c);
      ++present;
    }
    if (present == 0) ++none;
    points[i] = present > 0 ? o.project_points * sum / present : 0.0;
  }
  if (none > 0)
    notes.push_back(
        fmt::format("{} unit(s) have no key-project value and get 0 project points", none));
  return points;
}

// One leader's valid ballot: the unit and the grade it gave, with the
// ballot's weight.
struct LeaderBallot {
  uint32_t rater;
  int ratee;
  int grade;
  double weight;
};

// Per ballots' ratee: the mean over the leaders who graded it of the points
// of its rank among the units that leader graded (NaN where none did).
Eigen::VectorXd LeaderPoints(const RuianOptions& o, const RatingBallots& b,
                             const std::vector<int>& groups) {
  std::vector<LeaderBallot> all;
  for (int e = 0; e < b.NumRatees(); ++e) {
    for (int g : groups) {
      const int slot = b.Slot(e, g);
      for (uint64_t i = b.slot_begin[slot]; i < b.slot_begin[slot + 1]; ++i) {
        const uint32_t w = b.ballot[i];
        if (BallotGrade(w) == kAbstain || !(b.Weight(i) > 0.0f)) continue;
        all.push_back({BallotRater(w), e, BallotGrade(w), b.Weight(i)});
      }
    }
  }
  // One rater's ballots together, each rater's in unit order.
  std::stable_sort(all.begin(), all.end(),
                   [](const LeaderBallot& x, const LeaderBallot& y) { return x.rater < y.rater; });
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(b.NumRatees());
  Eigen::VectorXd weight = Eigen::VectorXd::Zero(b.NumRatees());
  std::vector<int> count(b.levels);
  for (size_t a = 0; a < all.size();) {
    size_t z = a;
    while (z < all.size() && all[z].rater == all[a].rater) ++z;
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = a; i < z; ++i) ++count[all[i].grade];
    // above[k]: units this leader graded higher than grade k.
    std::vector<int> above(b.levels, 0);
    for (int k = b.levels - 2; k >= 0; --k) above[k] = above[k + 1] + count[k + 1];
    for (size_t i = a; i < z; ++i) {
      const int k = all[i].grade;
      const double rank = 1.0 + above[k] + (o.ties_average ? 0.5 * (count[k] - 1) : 0.0);
      sum[all[i].ratee] += all[i].weight * LeaderRankPoints(o.leader_points, o.leader_step, rank);
      weight[all[i].ratee] += all[i].weight;
    }
    a = z;
  }
  Eigen::VectorXd points(b.NumRatees());
  for (int e = 0; e < b.NumRatees(); ++e) points[e] = weight[e] > 0 ? sum[e] / weight[e] : kNaN;
  return points;
}

// Per ballots' ratee: the banded vote points (NaN for a ratee with no valid
// vote of the vote groups).
Eigen::VectorXd VotePoints(const RuianOptions& o, const RatingBallots& b,
                           const std::vector<int>& groups) {
  const int n = b.NumRatees(), K = b.levels;
  const int low = std::min(o.low_grades, K - 1);
  std::vector<double> counts(K);
  Eigen::VectorXd top(n), lows(n);
  for (int e = 0; e < n; ++e) {
    std::fill(counts.begin(), counts.end(), 0.0);
    for (int g : groups) TallySlot(b, b.Slot(e, g), counts.data());
    double valid = 0, low_count = 0;
    for (int k = 0; k < K; ++k) valid += counts[k];
    for (int k = 0; k < low; ++k) low_count += counts[k];
    top[e] = valid > 0 ? counts[K - 1] / valid : kNaN;
    lows[e] = valid > 0 ? low_count / valid : kNaN;
  }
  std::vector<int> rank;
  int voted = 0;
  if (o.by_rank) {
    // Units without votes rank below every unit with votes.
    Eigen::VectorXd key = top;
    for (int e = 0; e < n; ++e) {
      voted += std::isnan(top[e]) ? 0 : 1;
      if (std::isnan(top[e])) key[e] = -1.0;
    }
    rank = CompetitionRanks(key, Eigen::VectorXd());
  }
  Eigen::VectorXd points(n);
  for (int e = 0; e < n; ++e) {
    if (std::isnan(top[e])) {
      points[e] = kNaN;
      continue;
    }
    const int band = o.by_rank ? o.bands.RankBand(rank[e], voted) : o.bands.ShareBand(top[e]);
    points[e] = o.bands.Points(band, lows[e]);
  }
  return points;
}

// The ballots' ratee of each table unit (-1 when the ballots lack it).
std::vector<int> MatchUnits(const IndicatorTable& t, const RatingBallots& b) {
  std::vector<int> at(t.NumRatees(), -1);
  if (b.ratee_names == t.ratee_names) {
    for (int i = 0; i < t.NumRatees(); ++i) at[i] = i;
    return at;
  }
  std::unordered_map<std::string, int> index;
  for (int e = 0; e < b.NumRatees(); ++e) index.emplace(b.ratee_names[e], e);
  for (int i = 0; i < t.NumRatees(); ++i)
    if (auto it = index.find(t.ratee_names[i]); it != index.end()) at[i] = it->second;
  return at;
}

// Adds a per-ratee part to the units' scores (0 where it is NaN or the unit
// has no ballots); notes how many units got 0.
void AddPart(const Eigen::VectorXd& part, const std::vector<int>& at, const char* what,
             Eigen::VectorXd& score, std::vector<std::string>& notes) {
  int none = 0;
  for (size_t i = 0; i < at.size(); ++i) {
    const double v = at[i] >= 0 ? part[at[i]] : kNaN;
    if (std::isnan(v))
      ++none;
    else
      score[static_cast<Eigen::Index>(i)] += v;
  }
  if (none > 0) notes.push_back(fmt::format("{} unit(s) {} and get 0 for it", none, what));
}

class RuianPoints : public Model {
 public:
  explicit RuianPoints(RuianOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    ScoreResult r;
    if (!input.indicators) {
      r.notes.push_back("no indicator table in the input: nothing to score");
      return r;
    }
    const IndicatorTable& t = *input.indicators;
    r.score = ProjectPoints(o_, t, r.notes);
    if (!input.ratings) {
      r.notes.push_back("no rating ballots in the input: the score is the key-project part alone");
      return r;
    }
    const RatingBallots& b = *input.ratings;
    std::vector<int> every(b.NumGroups());
    for (int g = 0; g < b.NumGroups(); ++g) every[g] = g;
    const std::vector<int> first = b.NumGroups() > 0 ? std::vector<int>{0} : std::vector<int>{};
    const std::vector<int> at = MatchUnits(t, b);
    const std::vector<int> leaders =
        GroupIndices(o_.leader_groups, b, first, "leader_groups", r.notes);
    AddPart(LeaderPoints(o_, b, leaders), at, "were graded by no leader", r.score, r.notes);
    const std::vector<int> voters = GroupIndices(o_.vote_groups, b, every, "vote_groups", r.notes);
    AddPart(VotePoints(o_, b, voters), at, "have no valid vote", r.score, r.notes);
    return r;
  }

 private:
  RuianOptions o_;
};

// Reads a list of rater-group names, checked against the context's groups
// when it knows them.
std::vector<std::string> ReadGroupList(ParamReader& in, std::string_view key) {
  OptionReader& opts = in.opts();
  auto names = opts.StringList(in.Param(key).name);
  if (!names) return {};
  const std::vector<std::string>& known = in.ctx().group_names;
  if (names->empty()) opts.Error(key, "is empty; expected at least one rater group");
  for (const std::string& name : *names) {
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end())
      opts.Error(key, fmt::format("names group \"{}\", which the ballots do not have; groups: {}",
                                  name, fmt::join(known, ", ")));
  }
  return *names;
}

// `projects`: indicator names, checked against the context's indicators
// when it knows them.
std::vector<std::string> ReadProjects(ParamReader& in) {
  OptionReader& opts = in.opts();
  auto names = opts.StringList(in.Param("projects").name);
  if (!names) return {};
  const std::vector<std::string>& known = in.ctx().indicator_names;
  if (names->empty()) opts.Error("projects", "is empty; expected at least one indicator");
  for (const std::string& name : *names) {
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end())
      opts.Error("projects", fmt::format("names indicator \"{}\", which the table does not have; "
                                         "indicators: {}",
                                         name, fmt::join(known, ", ")));
  }
  return *names;
}

// `vote_shares` and `vote_points`.
void ReadBands(ParamReader& in, VoteBands& bands) {
  OptionReader& opts = in.opts();
  if (auto edges = opts.DoubleList(in.Param("vote_shares").name, Probability())) {
    bool decreasing = !edges->empty();
    for (size_t i = 1; i < edges->size(); ++i)
      decreasing = decreasing && (*edges)[i] < (*edges)[i - 1];
    if (decreasing)
      bands.edges = *edges;
    else
      opts.Error("vote_shares", "expected a non-empty list of shares in strictly decreasing order");
  }
  if (auto points = opts.DoubleList(in.Param("vote_points").name)) {
    if (points->size() == bands.edges.size() + 2)
      bands.points = *points;
    else
      opts.Error("vote_points",
                 fmt::format("has {} values; expected {}: one per band of vote_shares, then the "
                             "points below the last edge, then those when the lowest grades "
                             "reach vote_low_share",
                             points->size(), bands.edges.size() + 2));
  } else if (bands.points.size() != bands.edges.size() + 2) {
    opts.Error("vote_shares", fmt::format("has {} edges, so `vote_points` needs {} values; give "
                                          "them (the default has 6)",
                                          bands.edges.size(), bands.edges.size() + 2));
  }
}

}  // namespace

double LeaderRankPoints(double points, double step, double rank) {
  return std::max(0.0, points * (1.0 - step * (rank - 1.0)));
}

int VoteBands::ShareBand(double top_share) const {
  for (size_t i = 0; i < edges.size(); ++i)
    if (top_share >= edges[i] - kEdgeTolerance) return static_cast<int>(i);
  return static_cast<int>(edges.size());
}

int VoteBands::RankBand(int rank, int n) const {
  for (size_t i = 0; i < edges.size(); ++i)
    if (rank <= QuotaCount(1.0 - edges[i], n)) return static_cast<int>(i);
  return static_cast<int>(edges.size());
}

double VoteBands::Points(int band, double low_grades_share) const {
  const size_t last = points.size() - 1;
  if (static_cast<size_t>(band) < edges.size()) return points[band];
  return low_grades_share >= low_share - kEdgeTolerance ? points[last] : points[last - 1];
}

ModelSpec RuianPointsSpec() {
  ModelSpec spec;
  spec.name = "ruian_points";
  spec.input = InputKind::kIndicators;
  spec.pools_grades = true;  // its vote reads every group's grades on one scale
  spec.summary =
      "瑞安 1,000-point rule: key projects 600 x own / best + leader ranking 200 (rank 1 = 200, "
      "-2 % per rank) + the vote banded on the top-grade share (200/190/180/170/160, 130 when "
      "the lowest two grades reach 1/3)";
  ParamDoc low_grades = IntegerParam("vote_low_grades", 2, Any(),
                                     "how many of the lowest grades the vote's low rule counts")
                            .WithType("integer in [1, K-1]");
  low_grades.range_of = [](const ModelContext& ctx) {
    return Between(1, std::max(1, ctx.levels - 1));
  };
  spec.params = {
      OtherParam("projects", "[string]", "every indicator",
                 "key-project indicators, each own / best, averaged"),
      NumberParam("project_points", 600, AtLeast(0.0), "points of the best key-project score"),
      OtherParam("leader_groups", "[string]", "the first rater group",
                 "groups whose grades rank the units (one ranking per leader)"),
      NumberParam("leader_points", 200, AtLeast(0.0), "leader-ranking points of rank 1"),
      NumberParam("leader_step", 0.02, Probability(), "share of leader_points lost per rank"),
      StringParam("leader_ties", "average", {"average", "best"},
                  "units a leader graded alike: mean of their places, or the best place")
          .BareDefault(),
      OtherParam("vote_groups", "[string]", "every group", "groups whose votes are banded"),
      StringParam("vote_by", "share", {"share", "rank"},
                  "band the top-grade share itself, or the unit's standing by it")
          .BareDefault(),
      OtherParam("vote_shares", "[number]", "[0.9,0.8,0.7,0.6]",
                 "band edges of the top-grade share, decreasing"),
      OtherParam("vote_points", "[number]", "[200,190,180,170,160,130]",
                 "points per band, below the last edge, and when the low rule holds"),
      NumberParam("vote_low_share", 1.0 / 3.0, Probability(),
                  "share of the lowest grades that gives the last vote_points"),
      std::move(low_grades),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    RuianOptions o;
    o.projects = ReadProjects(in);
    o.project_points = in.Double("project_points");
    o.leader_groups = ReadGroupList(in, "leader_groups");
    o.leader_points = in.Double("leader_points");
    o.leader_step = in.Double("leader_step");
    o.ties_average = in.String("leader_ties") == "average";
    o.vote_groups = ReadGroupList(in, "vote_groups");
    o.by_rank = in.String("vote_by") == "rank";
    ReadBands(in, o.bands);
    o.bands.low_share = in.Double("vote_low_share");
    o.low_grades = static_cast<int>(in.Int("vote_low_grades"));
    return std::make_unique<RuianPoints>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
