// ruian_points (the 瑞安 1,000-point rule): a worked example with every part
// computed by hand, the vote bands at their edges (by share and by rank),
// the leader points' floor, the ties option, the preset, and option errors.
#include "models/indicators/ruian_points.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <memory>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/scenario/presets.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

using testing_util::BallotRow;
using testing_util::BuildBallots;

// Four towns e0..e3. Key projects 80, 100, 60, 90 (best 100), so 600 x own
// / best = 480, 600, 360, 540.
IndicatorTable Projects() {
  IndicatorTable t;
  t.ratee_names = {"e0", "e1", "e2", "e3"};
  t.names = {"key_projects", "other"};
  t.cost = {false, false};
  t.values.resize(4, 2);
  t.values << 80, 1, 100, 2, 60, 3, 90, 4;
  return t;
}

// Group 0 "superior": two leaders (raters 0, 1). Group 1 "member": raters
// 10..19 vote on every town.
//   leader 0 grades e0..e3: 3, 3, 1, 2   leader 1: 2, 3, 0, 3
//   votes (10 each; grade 3 = the top grade, 优秀):
//     e0: 9 x 3, 1 x 2                     -> top share 0.9 exactly
//     e1: 8 x 3, 1 x 2, 1 x 0              -> 0.8
//     e2: 5 x 3, 3 x 2, 2 x 1              -> 0.5, lowest two grades 0.2
//     e3: 5 x 3, 1 x 2, 3 x 0, 1 blank     -> 5/9, lowest two grades 3/9 = 1/3
RatingBallots Ballots() {
  std::vector<BallotRow> rows;
  const int leader[2][4] = {{3, 3, 1, 2}, {2, 3, 0, 3}};
  for (uint32_t l = 0; l < 2; ++l)
    for (int e = 0; e < 4; ++e) rows.push_back({e, 0, l, static_cast<uint8_t>(leader[l][e])});
  const std::vector<std::vector<uint8_t>> votes = {
      {3, 3, 3, 3, 3, 3, 3, 3, 3, 2},
      {3, 3, 3, 3, 3, 3, 3, 3, 2, 0},
      {3, 3, 3, 3, 3, 2, 2, 2, 1, 1},
      {3, 3, 3, 3, 3, 2, 0, 0, 0, kAbstain},
  };
  for (int e = 0; e < 4; ++e)
    for (uint32_t i = 0; i < 10; ++i) rows.push_back({e, 1, 10 + i, votes[e][i]});
  return BuildBallots(4, {"superior", "member"}, 4, rows, false);
}

std::unique_ptr<Model> Make(const std::string& options, const ModelContext& ctx = {}) {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return Models().Create("ruian_points", table, ctx, "test.toml", "models.x");
}

ScoreResult ScoreOn(const std::string& options, const IndicatorTable& t, const RatingBallots* b) {
  ModelInput in;
  in.indicators = &t;
  in.ratings = b;
  return Make(options)->Score(in);
}

std::string ErrorOf(const std::string& options, const ModelContext& ctx) {
  try {
    Make(options, ctx);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kExample =
    "projects = ['key_projects']\nleader_groups = ['superior']\nvote_groups = ['member']";

TEST(RuianPoints, WorkedExampleByHand) {
  const IndicatorTable t = Projects();
  const RatingBallots b = Ballots();
  const ScoreResult r = ScoreOn(kExample, t, &b);
  ASSERT_EQ(r.score.size(), 4);
  // Leaders, ties at the mean of the shared places (rank 1.5 -> 198):
  //   leader 0: e0, e1 at 1.5 -> 198; e3 rank 3 -> 192; e2 rank 4 -> 188
  //   leader 1: e1, e3 at 1.5 -> 198; e0 rank 3 -> 192; e2 rank 4 -> 188
  //   means: e0 195, e1 198, e2 188, e3 195.
  // Votes: e0 0.9 (the edge itself) -> 200; e1 0.8 -> 190; e2 0.5 with
  // lowest grades 0.2 -> 160; e3 5/9 with lowest grades exactly 1/3 -> 130.
  EXPECT_DOUBLE_EQ(r.score[0], 480 + 195 + 200);
  EXPECT_DOUBLE_EQ(r.score[1], 600 + 198 + 190);
  EXPECT_DOUBLE_EQ(r.score[2], 360 + 188 + 160);
  EXPECT_DOUBLE_EQ(r.score[3], 540 + 195 + 130);
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
}

TEST(RuianPoints, TiedLeadersShareTheBestPlaceWithTiesBest) {
  const IndicatorTable t = Projects();
  const RatingBallots b = Ballots();
  const ScoreResult r = ScoreOn(std::string(kExample) + "\nleader_ties = 'best'", t, &b);
  // leader 0: e0, e1 -> 200, e3 192, e2 188; leader 1: e1, e3 -> 200, e0 192, e2 188.
  EXPECT_DOUBLE_EQ(r.score[0], 480 + 196 + 200);
  EXPECT_DOUBLE_EQ(r.score[1], 600 + 200 + 190);
  EXPECT_DOUBLE_EQ(r.score[2], 360 + 188 + 160);
  EXPECT_DOUBLE_EQ(r.score[3], 540 + 196 + 130);
}

TEST(RuianPoints, VoteBandsByRank) {
  const IndicatorTable t = Projects();
  const RatingBallots b = Ballots();
  const ScoreResult r = ScoreOn(std::string(kExample) + "\nvote_by = 'rank'", t, &b);
  // Standing by top share: e0 1st, e1 2nd, e3 3rd, e2 4th of n = 4. Band i
  // holds the best ceil((1 - edge_i) x 4) = 1, 1, 2, 2 towns: e0 -> 200,
  // e1 -> 180 (bands 190 and 170 are empty), e3 and e2 below every edge:
  // e3's lowest grades reach 1/3 -> 130, e2 -> 160.
  EXPECT_DOUBLE_EQ(r.score[0], 480 + 195 + 200);
  EXPECT_DOUBLE_EQ(r.score[1], 600 + 198 + 180);
  EXPECT_DOUBLE_EQ(r.score[2], 360 + 188 + 160);
  EXPECT_DOUBLE_EQ(r.score[3], 540 + 195 + 130);
}

TEST(RuianPoints, ShareBandsAtTheirEdges) {
  const VoteBands bands;
  EXPECT_EQ(bands.ShareBand(1.0), 0);
  EXPECT_EQ(bands.ShareBand(0.9), 0);
  EXPECT_EQ(bands.ShareBand(9.0 / 10.0), 0);
  EXPECT_EQ(bands.ShareBand(0.9 - 1e-13), 0);  // within the tolerance
  EXPECT_EQ(bands.ShareBand(0.8999), 1);
  EXPECT_EQ(bands.ShareBand(0.8), 1);
  EXPECT_EQ(bands.ShareBand(0.7), 2);
  EXPECT_EQ(bands.ShareBand(0.6), 3);
  EXPECT_EQ(bands.ShareBand(0.5999), 4);
  EXPECT_EQ(bands.ShareBand(0.0), 4);
  EXPECT_DOUBLE_EQ(bands.Points(0, 0.0), 200);
  EXPECT_DOUBLE_EQ(bands.Points(3, 0.4), 170);  // the 130 rule only below 60 %
  EXPECT_DOUBLE_EQ(bands.Points(4, 2.0 / 6.0), 130);
  EXPECT_DOUBLE_EQ(bands.Points(4, 0.3333), 160);
}

TEST(RuianPoints, RankBandsUseCeilCounts) {
  const VoteBands bands;
  // n = 10: one town per band of 10 %.
  EXPECT_EQ(bands.RankBand(1, 10), 0);
  EXPECT_EQ(bands.RankBand(2, 10), 1);
  EXPECT_EQ(bands.RankBand(4, 10), 3);
  EXPECT_EQ(bands.RankBand(5, 10), 4);
  // n = 27: 0.1 x 27 = 2.7 -> the best 3; 0.2 x 27 = 5.4 -> ranks 4..6.
  EXPECT_EQ(bands.RankBand(3, 27), 0);
  EXPECT_EQ(bands.RankBand(4, 27), 1);
  EXPECT_EQ(bands.RankBand(6, 27), 1);
  EXPECT_EQ(bands.RankBand(7, 27), 2);
}

TEST(RuianPoints, LeaderPointsFallTwoPercentPerRankAndStopAtZero) {
  EXPECT_DOUBLE_EQ(LeaderRankPoints(200, 0.02, 1), 200);
  EXPECT_DOUBLE_EQ(LeaderRankPoints(200, 0.02, 2), 196);
  EXPECT_DOUBLE_EQ(LeaderRankPoints(200, 0.02, 27), 96);
  EXPECT_DOUBLE_EQ(LeaderRankPoints(200, 0.02, 51), 0);
  EXPECT_DOUBLE_EQ(LeaderRankPoints(200, 0.02, 60), 0);
}

TEST(RuianPoints, DefaultsReadTheFirstGroupAsLeadersAndPoolEveryVote) {
  const IndicatorTable t = Projects();
  const RatingBallots b = Ballots();
  const ScoreResult r = ScoreOn("", t, &b);
  // Projects: the mean of own / best over both indicators. e0: (0.8 + 0.25) / 2.
  // Votes pooled over the leaders and the members: e0 has 10 + 1 top of 12.
  EXPECT_DOUBLE_EQ(r.score[0], 600 * (0.8 + 0.25) / 2 + 195 + 190);
}

TEST(RuianPoints, WithoutBallotsOnlyTheProjectsCount) {
  const IndicatorTable t = Projects();
  const ScoreResult r = ScoreOn(kExample, t, nullptr);
  EXPECT_DOUBLE_EQ(r.score[1], 600);
  EXPECT_DOUBLE_EQ(r.score[2], 360);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.back().find("key-project part alone"), std::string::npos);
}

TEST(RuianPoints, UnitsWithoutDataGetZeroForThatPartWithANote) {
  IndicatorTable t = Projects();
  t.values(2, 0) = std::numeric_limits<double>::quiet_NaN();
  t.ratee_names.push_back("nobody");  // in the table, not in the ballots
  t.values.conservativeResize(5, 2);
  t.values.row(4) << 50, 1;
  const RatingBallots b = Ballots();
  const ScoreResult r = ScoreOn(kExample, t, &b);
  EXPECT_DOUBLE_EQ(r.score[2], 0 + 188 + 160);
  EXPECT_DOUBLE_EQ(r.score[4], 300);
  std::string notes;
  for (const auto& n : r.notes) notes += n + "\n";
  EXPECT_NE(notes.find("1 unit(s) have no key-project value"), std::string::npos) << notes;
  EXPECT_NE(notes.find("1 unit(s) were graded by no leader"), std::string::npos) << notes;
  EXPECT_NE(notes.find("1 unit(s) have no valid vote"), std::string::npos) << notes;
}

TEST(RuianPoints, PresetIsTheModelWithItsDefaults) {
  const RubricPreset* p = FindRubricPreset("ruian_composite_1000");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->table["model"].value<std::string>(), "ruian_points");
  EXPECT_EQ(p->table.size(), 1u);
}

TEST(RuianPoints, BadOptionsNameTheKey) {
  const ModelContext ctx(4, {"superior", "member"}, {"key_projects"});
  EXPECT_NE(ErrorOf("leader_groups = ['leaders']", ctx).find("models.x.leader_groups: "),
            std::string::npos);
  EXPECT_NE(ErrorOf("vote_groups = []", ctx).find("models.x.vote_groups: is empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("projects = ['roads']", ctx).find("models.x.projects: "), std::string::npos);
  EXPECT_NE(ErrorOf("vote_shares = [0.8, 0.9]", ctx).find("models.x.vote_shares: "),
            std::string::npos);
  EXPECT_NE(ErrorOf("vote_points = [200, 100]", ctx).find("models.x.vote_points: has 2 values"),
            std::string::npos);
  EXPECT_NE(ErrorOf("vote_shares = [0.5]", ctx).find("`vote_points` needs 3 values"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("vote_shares = [0.5]\nvote_points = [10, 5, 0]", ctx), "");
  EXPECT_NE(ErrorOf("leader_step = 2", ctx).find("models.x.leader_step: "), std::string::npos);
  EXPECT_NE(ErrorOf("vote_low_grades = 4", ctx).find("models.x.vote_low_grades: "),
            std::string::npos);
}

}  // namespace
}  // namespace evalsim
