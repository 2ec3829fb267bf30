// `evalsim score` on a real tally by a scenario's entry or a rubric preset
// (sim/run/tally.h), and the messages a user reads: the stray-grade refusal,
// the reversed-scale warning, --set errors, fractions, the run table.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli_util.h"

namespace {

namespace fs = std::filesystem;

using ::testing_util::CliResult;
using ::testing_util::Evalsim;
using ::testing_util::Slurp;

class ScoreTally : public ::testing_util::TempDirTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
};

// CSV text as rows of cells (no quoting needed in these tests).
std::vector<std::vector<std::string>> Rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::istringstream l(line);
    std::string cell;
    while (std::getline(l, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

// A scenario with two rater groups (superior 0.4, member 0.6), the four
// grades 差/一般/较好/好, points 0/60/80/100, bands 优秀 >= 85, 称职 >= 70,
// else 不称职, and a gate "more than 1/3 差" written as a fraction.
constexpr const char* kTallyScenario = R"toml(
name = "tally"
seed = 1
[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.1, 0.2, 0.3, 0.4]
[organisation]
levels = [{ name = "unit", count = 3 }]
evaluees = "unit"
[[raters]]
group = "superior"
count = 1
weight = 0.4
[[raters]]
group = "member"
count = 3
weight = 0.6
[[models]]
name = "points"
model = "weighted_mean"
points = [0, 60, 80, 100]
classes = { bands = [{ min = 85, label = "优秀" }, { min = 70, label = "称职" }, { label = "不称职" }], gates = [{ grades = [0], above = "1/3", label = "不称职候选" }] }
)toml";

// Worked by hand (group means, then 0.4 superior + 0.6 member):
//   A: superior 好 100; members 好 较好 好 = 93.33; 40 + 56 = 96   -> 优秀
//   B: superior 较好 80; members 较好 较好 一般 = 73.33; 32 + 44 = 76 -> 称职
//   C: superior 好 100; members 差 差 较好 = 26.67; 40 + 16 = 56   -> 不称职 by
//      its band, but 2 of 4 votes are 差 (> 1/3): the gate gives 不称职候选.
constexpr const char* kTally =
    "rater,ratee,grade,group\n"
    "s1,A,好,superior\nm1,A,好,member\nm2,A,较好,member\nm3,A,好,member\n"
    "s1,B,较好,superior\nm1,B,较好,member\nm2,B,较好,member\nm3,B,一般,member\n"
    "s1,C,好,superior\nm1,C,差,member\nm2,C,差,member\nm3,C,较好,member\n";

TEST_F(ScoreTally, ScoresARealTallyByAScenarioEntryAsWorkedByHand) {
  const std::string s = Write("tally.toml", kTallyScenario);
  const std::string csv = Write("tally.csv", kTally);
  const std::string out = (dir_ / "scores.csv").string();
  CliResult r =
      Evalsim("score --scenario " + s + " --model points --ballots " + csv + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string scores = Slurp(out);
  const auto rows = Rows(scores);
  ASSERT_EQ(rows.size(), 4u) << scores;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"ratee", "score", "rank", "class"}));
  const std::vector<std::string> ratee = {"A", "B", "C"}, cls = {"优秀", "称职", "不称职候选"};
  const std::vector<double> score = {96, 76, 56};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rows[i + 1][0], ratee[i]);
    EXPECT_NEAR(std::stod(rows[i + 1][1]), score[i], 1e-9) << scores;
    EXPECT_EQ(rows[i + 1][2], std::to_string(i + 1));
    EXPECT_EQ(rows[i + 1][3], cls[i]);
  }
  // Grades written as numbers score the same.
  std::string numeric = kTally;
  for (const auto& [label, grade] : std::vector<std::pair<std::string, std::string>>{
           {"较好", "2"}, {"一般", "1"}, {"好", "3"}, {"差", "0"}}) {
    for (size_t at; (at = numeric.find("," + label + ",")) != std::string::npos;)
      numeric.replace(at, label.size() + 2, "," + grade + ",");
  }
  const std::string out2 = (dir_ / "numeric-scores.csv").string();
  CliResult n = Evalsim("score --scenario " + s + " --model points --ballots " +
                        Write("numeric.csv", numeric) + " --out " + out2);
  EXPECT_EQ(n.code, 0) << n.out;
  EXPECT_EQ(Slurp(out2), scores);
}

TEST_F(ScoreTally, ScenarioEntriesScoreAGeneratedTallyExactlyAsTheRun) {
  const std::string qs = ScenarioPath("quickstart.toml");
  ASSERT_EQ(Evalsim("generate " + qs + " --out " + (dir_ / "gen").string()).code, 0);
  ASSERT_EQ(Evalsim("run " + qs + " --replicates 1 --out " + (dir_ / "run").string()).code, 0);
  // Replicate 1 of the run is the generated ballots: every entry's scores,
  // ranks and classes must agree, grades written as the scale's labels.
  std::string ballots = Slurp(dir_ / "gen" / "ballots.csv");
  const std::vector<std::string> labels = {"差", "一般", "较好", "好"};
  std::ostringstream labelled;
  for (const auto& row : Rows(ballots)) {
    std::string grade = row[2];
    if (grade != "grade" && !grade.empty()) grade = labels[std::stoi(grade)];
    labelled << row[0] << "," << row[1] << "," << grade << "," << row[3] << "\n";
  }
  const std::string tally = Write("tally.csv", labelled.str());
  std::map<std::string, std::map<std::string, std::vector<std::string>>> run;  // model -> ratee
  // The run's columns by name: unit columns stand between ratee and score.
  const auto run_rows = Rows(Slurp(dir_ / "run" / "scores.csv"));
  const auto column = [&](const std::string& name) {
    const auto& h = run_rows.at(0);
    return static_cast<size_t>(std::find(h.begin(), h.end(), name) - h.begin());
  };
  const size_t score = column("score"), rank = column("rank"), cls = column("class");
  ASSERT_LT(cls, run_rows[0].size());
  for (const auto& row : run_rows)
    if (row[0] == "1") run[row[1]][row[2]] = {row[score], row[rank], row[cls]};
  ASSERT_EQ(run.size(), 7u);
  for (const auto& [model, by_ratee] : run) {
    const std::string out = (dir_ / (model + ".csv")).string();
    CliResult r = Evalsim("score --scenario " + qs + " --model " + model + " --ballots " + tally +
                          " --out " + out);
    ASSERT_EQ(r.code, 0) << model << r.out;
    const auto rows = Rows(Slurp(out));
    ASSERT_EQ(rows.size(), by_ratee.size() + 1) << model;
    const bool classes = rows[0].back() == "class";
    for (size_t i = 1; i < rows.size(); ++i) {
      const auto& want = by_ratee.at(rows[i][0]);
      EXPECT_EQ(rows[i][1], want[0]) << model << " " << rows[i][0];
      EXPECT_EQ(rows[i][2], want[1]) << model << " " << rows[i][0];
      EXPECT_EQ(classes ? rows[i].back() : "", want[2]) << model << " " << rows[i][0];
    }
  }
}

TEST_F(ScoreTally, PresetsScoreWithTheirClassesAndModelNamesAPresetHint) {
  const std::string csv = Write("t.csv", "rater,ratee,grade\na,x,3\nb,x,3\na,y,2\nb,y,0\n");
  // points_100_80_60_40: x = 100 (优秀), y = (80 + 40) / 2 = 60 (一般). No
  // ballot has grade 1, so the file needs levels=4.
  CliResult r = Evalsim("score --preset points_100_80_60_40 --ballots " + csv + " --set levels=4");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "ratee,score,rank,class\nx,100,1,优秀\ny,60,2,一般\n");
  // An entry key over the preset's: classes merge key by key.
  CliResult q = Evalsim("score --preset quota_forced --ballots " + csv +
                        " --set levels=4 --set 'classes={top_quota=0.5}'");
  ASSERT_EQ(q.code, 0) << q.out;
  EXPECT_EQ(q.out, "ratee,score,rank,class\nx,1,1,优秀\ny,0,2,倒排整顿\n");
  CliResult m = Evalsim("score --model points_100_80_60_40 --ballots " + csv);
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.out.find("rubric preset: score with --preset points_100_80_60_40"), std::string::npos)
      << m.out;
  CliResult u = Evalsim("score --preset nope --ballots " + csv);
  EXPECT_EQ(u.code, 2);
  EXPECT_EQ(u.out.rfind("evalsim: --preset nope: unknown rubric preset", 0), 0u) << u.out;
}

TEST_F(ScoreTally, AStrayGradeIsRefusedUntilLevelsIsGiven) {
  // Grades 0..3 and one stray 5: K would be 6, with grade 4 never used.
  const std::string csv =
      Write("stray.csv", "rater,ratee,grade\na,x,3\nb,x,2\na,y,5\nb,y,0\nc,y,1\nc,z,5\n");
  CliResult r = Evalsim("score --model weighted_mean --ballots " + csv);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out.rfind("evalsim: " + csv + ":4: column 'grade': found 5", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("grade 4 never occurs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("set levels=6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0, the lowest"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  // With levels the file says what it means: scores of 0..100 over 6 grades.
  CliResult l = Evalsim("score --model weighted_mean --ballots " + csv + " --set levels=6");
  EXPECT_EQ(l.code, 0) << l.out;
  // Without the stray grade K = 4 and nothing is refused.
  CliResult ok = Evalsim("score --model weighted_mean --ballots " +
                         Write("ok.csv", "rater,ratee,grade\na,x,3\nb,x,2\na,y,1\nb,y,0\n"));
  EXPECT_EQ(ok.code, 0) << ok.out;
  // The help and `evalsim models` document levels; the unknown-key hint lists it.
  EXPECT_NE(Evalsim("score --help").out.find("levels=K"), std::string::npos);
  EXPECT_NE(Evalsim("models").out.find("levels=K"), std::string::npos);
  CliResult hint = Evalsim("score --model weighted_mean --ballots " + csv +
                           " --set levels=6 "
                           "--set pointz=1");
  EXPECT_EQ(hint.code, 2);
  EXPECT_EQ(
      hint.out.rfind("evalsim: --set pointz=1: pointz: unknown key (did you mean `points`?)", 0),
      0u)
      << hint.out;
  EXPECT_NE(hint.out.find("levels"), std::string::npos) << hint.out;
}

TEST_F(ScoreTally, TallyErrorsNameTheFileAndLine) {
  const std::string s = Write("tally.toml", kTallyScenario);
  CliResult label =
      Evalsim("score --scenario " + s + " --model points --ballots " +
              Write("l.csv", "rater,ratee,grade,group\na,x,好,superior\nb,x,优,member\n"));
  EXPECT_EQ(label.code, 2);
  EXPECT_NE(label.out.find("l.csv:3: column 'grade': found \"优\"; expected a label of the scale, "
                           "lowest first (差, 一般, 较好, 好)"),
            std::string::npos)
      << label.out;
  CliResult group =
      Evalsim("score --scenario " + s + " --model points --ballots " +
              Write("g.csv", "rater,ratee,grade,group\na,x,好,superior\nb,x,好,boss\n"));
  EXPECT_EQ(group.code, 2);
  EXPECT_NE(group.out.find("g.csv:3: column 'group': \"boss\" is not a rater group"),
            std::string::npos)
      << group.out;
  CliResult none = Evalsim("score --scenario " + s + " --model points --ballots " +
                           Write("n.csv", "rater,ratee,grade\na,x,好\n"));
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("no `group` column"), std::string::npos) << none.out;
  CliResult entry = Evalsim("score --scenario " + s + " --model nope --ballots " +
                            Write("n2.csv", "rater,ratee,grade\na,x,好\n"));
  EXPECT_EQ(entry.code, 2);
  EXPECT_NE(entry.out.find("no [[models]] entry named \"nope\"; entries: points"),
            std::string::npos)
      << entry.out;
}

// What a ballot file cannot give is said, not guessed: it has no units to
// count a quota within, no events for a veto, and --scenario reads one grade
// per ballot.
TEST_F(ScoreTally, ScopedClassesAndEventVetoesTakeAUnitsFile) {
  std::string text = kTallyScenario;
  text += R"toml(
[[models]]
name = "per_meeting"
model = "weighted_mean"
points = [0, 60, 80, 100]
classes = { top_quota = 0.3, top_label = "优秀", within = "meeting" }
[[vetoes]]
name = "discipline"
rate = 0.02
label = "一票否决"
)toml";
  const std::string s = Write("scoped.toml", text);
  ASSERT_EQ(Evalsim("validate " + s).code, 0) << Evalsim("validate " + s).out;
  const std::string csv = Write("tally.csv", kTally);
  const std::string out = (dir_ / "o.csv").string();
  CliResult scoped =
      Evalsim("score --scenario " + s + " --model per_meeting --ballots " + csv + " --out " + out);
  EXPECT_EQ(scoped.code, 2) << scoped.out;
  EXPECT_NE(scoped.out.find("a ballot file cannot give what these rules need: within = "
                            "\"meeting\": no such unit column (give each ratee's units with "
                            "--units FILE)"),
            std::string::npos)
      << scoped.out;
  EXPECT_FALSE(fs::exists(out));
  CliResult plain =
      Evalsim("score --scenario " + s + " --model points --ballots " + csv + " --out " + out);
  EXPECT_EQ(plain.code, 0) << plain.out;
  EXPECT_NE(plain.out.find("[[vetoes]] not applied: discipline"), std::string::npos) << plain.out;
  // With the units: A (96) and B (76) meet in m1, C (56) alone in m2, and a
  // 30 % quota per meeting is ceil(0.6) = 1 place each. C would take m2's
  // place, but the discipline veto struck it this year.
  const std::string units =
      Write("units.csv", "ratee,meeting,vetoes\nA,m1,\nB,m1,\nC,m2,discipline\n");
  CliResult unit = Evalsim("score --scenario " + s + " --model per_meeting --ballots " + csv +
                           " --units " + units + " --out " + out);
  ASSERT_EQ(unit.code, 0) << unit.out;
  EXPECT_EQ(unit.out.find("not applied"), std::string::npos) << unit.out;
  std::map<std::string, std::string> cls;
  for (const auto& row : Rows(Slurp(out))) cls[row[0]] = row.back();
  EXPECT_EQ(cls["A"], "优秀");
  EXPECT_EQ(cls["B"], "-");
  EXPECT_EQ(cls["C"], "一票否决");
  // Without the veto C keeps its meeting's place.
  const std::string calm = Write("calm.csv", "ratee,meeting\nA,m1\nB,m1\nC,m2\n");
  ASSERT_EQ(Evalsim("score --scenario " + s + " --model per_meeting --ballots " + csv +
                    " --units " + calm + " --out " + out)
                .code,
            0);
  for (const auto& row : Rows(Slurp(out))) cls[row[0]] = row.back();
  EXPECT_EQ(cls["C"], "优秀");
  // Each mistake names the file, the line and what was expected.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"ratee,county\nA,x\n",
       "bad.csv:1: column 'county': expected ratee, then any of: meeting, vetoes"},
      {"ratee,meeting\nA,m1\nD,m1\n",
       "bad.csv:3: column 'ratee': \"D\" has no ballot in the tally"},
      {"ratee,meeting\nA,m1\nB,m1\n", "bad.csv: ratee \"C\" of the ballots has no row"},
      {"ratee,meeting\nA,m1\nA,m2\n",
       "bad.csv:3: column 'ratee': \"A\" is listed twice (first on line 2)"},
      {"ratee,vetoes\nA,fraud\n",
       "bad.csv:2: column 'vetoes': \"fraud\" is not an event veto of the scenario"}};
  for (const auto& [csv_text, message] : bad) {
    CliResult r = Evalsim("score --scenario " + s + " --model per_meeting --ballots " + csv +
                          " --units " + Write("bad.csv", csv_text) + " --out " + out + ".bad");
    EXPECT_EQ(r.code, 2) << csv_text << r.out;
    EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(out + ".bad"));
  }
  const std::string items =
      Write("items.csv", "rater,ratee,grade,group,item\ns1,A,好,superior,\ns1,A,好,superior,德\n");
  CliResult item = Evalsim("score --scenario " + s + " --model points --ballots " + items);
  EXPECT_EQ(item.code, 2) << item.out;
  EXPECT_NE(item.out.find("the ballots have an `item` column"), std::string::npos) << item.out;
}

TEST_F(ScoreTally, ReportOfAScoredTally) {
  const std::string s = Write("tally.toml", kTallyScenario);
  const std::string csv = Write("tally.csv", kTally);
  const fs::path report = dir_ / "report.html";
  CliResult r = Evalsim("score --scenario " + s + " --model points --ballots " + csv +
                        " --bootstrap 50 --report " + report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string html = Slurp(report);
  for (const char* part : {"chart-tally-scores", "chart-grades", "table-classes", "table-scores",
                           "不称职候选", "scored tally"})
    EXPECT_NE(html.find(part), std::string::npos) << part;
  // Nothing is left beside the report.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) files += e.exists() ? 1 : 0;
  EXPECT_EQ(files, 3);
  // A refused tally writes no report.
  const fs::path bad = dir_ / "bad.html";
  CliResult b = Evalsim("score --scenario " + s + " --model points --ballots " +
                        Write("b.csv", "rater,ratee,grade,group\na,x,优,superior\n") +
                        " --report " + bad.string());
  EXPECT_EQ(b.code, 2);
  EXPECT_FALSE(fs::exists(bad));
}

TEST_F(ScoreTally, AReversedScaleIsWarnedAboutWithTheOrder) {
  std::string text = Slurp(ScenarioPath("quickstart.toml"));
  const std::string from = "labels = [\"差\", \"一般\", \"较好\", \"好\"]";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "labels = [\"好\", \"较好\", \"一般\", \"差\"]");
  const std::string rev = Write("rev.toml", text);
  EXPECT_EQ(Evalsim("validate " + rev).code, 0);
  // stderr alone (the pipe's `2>&1` applies to cat).
  CliResult r = Evalsim("validate " + rev + " 2>&1 >/dev/null | cat");
  EXPECT_EQ(r.out.rfind("evalsim: warning: " + (dir_ / "rev.toml").string() + ":", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("scale.labels: labels [好, 较好, 一般, 差] run best first"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("lowest first"), std::string::npos) << r.out;
  // The shipped scales, lowest first, draw no warning.
  EXPECT_EQ(Evalsim("validate " + ScenarioPath("quickstart.toml") + " 2>&1 >/dev/null | cat").out,
            "");
}

TEST_F(ScoreTally, SetErrorsNameTheFlagAndEveryLineHasThePrefix) {
  const std::string qs = ScenarioPath("quickstart.toml");
  CliResult typo = Evalsim("validate " + qs + " --set raters.member.per_evalue=3");
  EXPECT_EQ(typo.code, 2);
  EXPECT_EQ(typo.out,
            "evalsim: --set raters.member.per_evalue=3: raters.member.per_evalue: unknown key "
            "(did you mean `per_evaluee`?); valid keys here: abstain, anchor, anchor_noise, "
            "anchor_to, conformity, count, coverage, from_evaluees, group, halo, leniency, noise, "
            "per_evaluee, scale, self_boost, self_vote, "
            "weight\n");
  CliResult range = Evalsim("validate " + qs + " --set raters.member.noise=-1");
  EXPECT_EQ(range.out,
            "evalsim: --set raters.member.noise=-1: raters.member.noise: -1 is out of range; "
            "expected a number >= 0\n");
  // A misspelt per_evaluee in a file: the cause (the unknown key) comes
  // before its consequence (a group of no kind), each line with the prefix.
  std::string text = Slurp(ScenarioPath("small_unit_noise.toml"));
  ASSERT_NE(text.find("per_evaluee ="), std::string::npos);
  text.replace(text.find("per_evaluee ="), 13, "per_evalue =");
  CliResult file = Evalsim("validate " + Write("typo.toml", text));
  EXPECT_EQ(file.code, 2);
  const size_t cause = file.out.find("per_evalue: unknown key");
  const size_t consequence = file.out.find("expected exactly one of");
  ASSERT_NE(cause, std::string::npos) << file.out;
  ASSERT_NE(consequence, std::string::npos) << file.out;
  EXPECT_LT(cause, consequence);
  std::istringstream lines(file.out);
  for (std::string line; std::getline(lines, line);)
    EXPECT_EQ(line.rfind("evalsim: ", 0), 0u) << line;
}

TEST_F(ScoreTally, GateThresholdsTakeFractionsAndABareFractionSaysHowToWriteIt) {
  std::string text = kTallyScenario;
  CliResult ok = Evalsim("validate " + Write("ok.toml", text));
  EXPECT_EQ(ok.code, 0) << ok.out;
  const std::string quoted = "above = \"1/3\"";
  text.replace(text.find(quoted), quoted.size(), "above = 1/3");
  CliResult bare = Evalsim("validate " + Write("bare.toml", text));
  EXPECT_EQ(bare.code, 2);
  EXPECT_NE(bare.out.find("TOML has no fractions: write 1/3 as a string, \"1/3\""),
            std::string::npos)
      << bare.out;
  text.replace(text.find("above = 1/3"), 11, "above = \"4/3\"");
  CliResult over = Evalsim("validate " + Write("over.toml", text));
  EXPECT_EQ(over.code, 2);
  EXPECT_NE(over.out.find("above: 1.3333333333333333 is out of range"), std::string::npos)
      << over.out;
}

TEST_F(ScoreTally, TheRunTableShowsIntervalsTheBestAndClassMetricsThatNeverFired) {
  // A gate that never fires: class.bottom_precision cannot be computed.
  CliResult r = Evalsim("run " + ScenarioPath("quickstart.toml") + " --replicates 4 --out " +
                        (dir_ / "out").string() +
                        " --set 'models.top2_gate.classes.gates=[{grades=[0],above=0.99,label="
                        "\"x\"}]'");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("class.bottom"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ±0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" *"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("*: best; ~: within noise of the best"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("top2_gate: class.bottom_precision cannot be computed: its bottom "
                       "tranche or gates never fired"),
            std::string::npos)
      << r.out;
  // metrics.csv keeps its rows: no class.bottom_precision row for top2_gate.
  EXPECT_EQ(Slurp(dir_ / "out" / "metrics.csv").find("top2_gate,class.bottom_precision"),
            std::string::npos);
}

}  // namespace
