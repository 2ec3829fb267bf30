// MCDA core (models/indicators/mcda.h) and the AHP matrix reader (sim/io/ahp_matrix.h):
// published worked examples (AHP, TOPSIS, entropy, CRITIC), cross-checks
// against slow reference implementations, properties (weights sum to 1,
// consistent matrices, constant indicators, scale and monotone invariance,
// missing values) and reader errors.
#include "models/indicators/mcda.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/io/ahp_matrix.h"
#include "tests/models/mcda_test_helpers.h"

namespace evalsim::mcda {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Eigen::MatrixXd Rows(std::initializer_list<std::initializer_list<double>> rows) {
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  const Eigen::Index m = static_cast<Eigen::Index>(rows.begin()->size());
  Eigen::MatrixXd X(n, m);
  Eigen::Index i = 0;
  for (const auto& r : rows) {
    Eigen::Index j = 0;
    for (const double v : r) X(i, j++) = v;
    ++i;
  }
  return X;
}

Eigen::VectorXd Vec(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index k = 0;
  for (const double x : v) out[k++] = x;
  return out;
}

void ExpectNear(const Eigen::VectorXd& got, const Eigen::VectorXd& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (Eigen::Index k = 0; k < got.size(); ++k) {
    EXPECT_NEAR(got[k], want[k], tol) << "entry " << k;
  }
}

Eigen::MatrixXd RandomMatrix(int n, int m, unsigned seed, double lo = 1.0, double hi = 10.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  Eigen::MatrixXd X(n, m);
  for (int j = 0; j < m; ++j) {
    for (int i = 0; i < n; ++i) X(i, j) = u(rng);
  }
  return X;
}

// ---------------------------------------------------------------------------
// AHP
// ---------------------------------------------------------------------------

// Saaty, T. L. (2008) Decision making with the analytic hierarchy process.
// Int. J. Services Sciences 1(1):83-98, the relative consumption of drinks in
// the United States (7 x 7 judgement matrix). Published derived priorities:
// coffee .177, wine .019, tea .042, beer .116, sodas .190, milk .129,
// water .327.
Eigen::MatrixXd DrinksMatrix() {
  // order: coffee, wine, tea, beer, sodas, milk, water
  return Rows({{1, 9, 5, 2, 1, 1, 1.0 / 2},
               {1.0 / 9, 1, 1.0 / 3, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9},
               {1.0 / 5, 3, 1, 1.0 / 3, 1.0 / 4, 1.0 / 3, 1.0 / 9},
               {1.0 / 2, 9, 3, 1, 1.0 / 2, 1, 1.0 / 3},
               {1, 9, 4, 2, 1, 2, 1.0 / 2},
               {1, 9, 3, 1, 1.0 / 2, 1, 1.0 / 3},
               {2, 9, 9, 3, 2, 3, 1}});
}

TEST(Ahp, SaatyDrinksPublishedPriorities) {
  const AhpResult r = Ahp(DrinksMatrix());
  ExpectNear(r.weights, Vec({.177, .019, .042, .116, .190, .129, .327}), 0.0006);
  EXPECT_NEAR(r.weights.sum(), 1.0, 1e-12);
  // The eigenvalue equation holds: A w = lambda_max w.
  const Eigen::VectorXd aw = DrinksMatrix() * r.weights;
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(aw[i], r.lambda_max * r.weights[i], 1e-10);
  // CR with the Donegan & Dodd table: 0.0235 as computed by the AHPy package
  // (Griffith, tests/test_ahp.py) for the same matrix; an independent
  // implementation, not a published figure. RI(7) = 1.2519.
  AhpOptions dd;
  dd.random_index = RandomIndexTable::kDoneganDodd;
  const AhpResult rd = Ahp(DrinksMatrix(), dd);
  EXPECT_NEAR(rd.cr, 0.0235, 0.00005);
  EXPECT_DOUBLE_EQ(rd.random_index, 1.2519);
  // Saaty's table: RI(7) = 1.32, CR = CI / 1.32; consistent enough: no warning.
  EXPECT_DOUBLE_EQ(r.random_index, 1.32);
  EXPECT_NEAR(r.cr, r.ci / 1.32, 1e-15);
  EXPECT_NEAR(r.ci, (r.lambda_max - 7.0) / 6.0, 1e-15);
  EXPECT_TRUE(r.warning.empty());
}

TEST(Ahp, GeometricMeanIsRowGeometricMean) {
  AhpOptions o;
  o.method = AhpMethod::kGeometricMean;
  const Eigen::MatrixXd A = DrinksMatrix();
  const AhpResult r = Ahp(A, o);
  Eigen::VectorXd g(7);
  for (int i = 0; i < 7; ++i) {
    double p = 1.0;
    for (int j = 0; j < 7; ++j) p *= A(i, j);
    g[i] = std::pow(p, 1.0 / 7.0);
  }
  ExpectNear(r.weights, g / g.sum(), 1e-14);
  // Close to the eigenvector for this nearly consistent matrix.
  ExpectNear(r.weights, Ahp(A).weights, 0.01);
}

// Saaty, T. L. (2005) Theory and Applications of the Analytic Network
// Process, RWS Publications: choosing a city to live in (criteria culture,
// family, housing, jobs, transportation; alternatives Bethesda, Boston,
// Pittsburgh, Santa Fe). Overall priorities .229, .275, .385, .111 (as
// reproduced in the AHPy package's tests).
TEST(Ahp, SaatyCitiesHierarchicalSynthesis) {
  const Eigen::MatrixXd criteria = Rows({{1, 1.0 / 5, 3, 1.0 / 2, 5},
                                         {5, 1, 7, 1, 7},
                                         {1.0 / 3, 1.0 / 7, 1, 1.0 / 4, 3},
                                         {2, 1, 4, 1, 7},
                                         {1.0 / 5, 1.0 / 7, 1.0 / 3, 1.0 / 7, 1}});
  const std::vector<Eigen::MatrixXd> local = {
      Rows({{1, 1.0 / 2, 1, 1.0 / 2}, {2, 1, 2.5, 1}, {1, 1 / 2.5, 1, 1 / 2.5}, {2, 1, 2.5, 1}}),
      Rows({{1, 2, 1.0 / 3, 4},
            {1.0 / 2, 1, 1.0 / 8, 2},
            {3, 8, 1, 9},
            {1.0 / 4, 1.0 / 2, 1.0 / 9, 1}}),
      Rows({{1, 5, 1.0 / 2, 2.5},
            {1.0 / 5, 1, 1.0 / 9, 1.0 / 4},
            {2, 9, 1, 7},
            {1 / 2.5, 4, 1.0 / 7, 1}}),
      Rows({{1, 1.0 / 2, 3, 4}, {2, 1, 6, 8}, {1.0 / 3, 1.0 / 6, 1, 1}, {1.0 / 4, 1.0 / 8, 1, 1}}),
      Rows({{1, 1.5, 1.0 / 2, 4},
            {1 / 1.5, 1, 1 / 3.5, 2.5},
            {2, 3.5, 1, 9},
            {1.0 / 4, 1 / 2.5, 1.0 / 9, 1}}),
  };
  const AhpResult c = Ahp(criteria);
  Eigen::MatrixXd L(4, 5);
  for (int k = 0; k < 5; ++k) L.col(k) = Ahp(local[static_cast<size_t>(k)]).weights;
  const Eigen::VectorXd overall = SynthesizeAlternatives(c.weights, L);
  ExpectNear(overall, Vec({.229, .275, .385, .111}), 0.0015);
  EXPECT_NEAR(overall.sum(), 1.0, 1e-12);
}

TEST(Ahp, ConsistentMatrixGivesExactWeightsAndZeroCr) {
  const Eigen::VectorXd w = Vec({0.4, 0.3, 0.15, 0.1, 0.05});
  Eigen::MatrixXd A(5, 5);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) A(i, j) = w[i] / w[j];
  }
  for (const AhpMethod method : {AhpMethod::kEigenvector, AhpMethod::kGeometricMean}) {
    for (const RandomIndexTable t : {RandomIndexTable::kSaaty, RandomIndexTable::kAlonsoLamata,
                                     RandomIndexTable::kDoneganDodd}) {
      AhpOptions o;
      o.method = method;
      o.random_index = t;
      const AhpResult r = Ahp(A, o);
      ExpectNear(r.weights, w, 1e-12);
      EXPECT_NEAR(r.lambda_max, 5.0, 1e-12);
      EXPECT_NEAR(r.cr, 0.0, 1e-12);
      EXPECT_TRUE(r.warning.empty());
    }
  }
}

TEST(Ahp, InconsistentMatrixWarns) {
  // A cycle: 1 > 2 > 3 > 1, strongly.
  const Eigen::MatrixXd A = Rows({{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}});
  const AhpResult r = Ahp(A);
  ExpectNear(r.weights, Vec({1.0 / 3, 1.0 / 3, 1.0 / 3}), 1e-12);
  // lambda_max = 1 + 9 + 1/9 for this circulant matrix.
  EXPECT_NEAR(r.lambda_max, 1.0 + 9.0 + 1.0 / 9.0, 1e-10);
  EXPECT_NEAR(r.cr, (r.lambda_max - 3.0) / 2.0 / 0.58, 1e-10);
  EXPECT_NE(r.warning.find("consistency ratio"), std::string::npos);
}

TEST(Ahp, RandomIndexTables) {
  EXPECT_DOUBLE_EQ(*RandomIndex(3), 0.58);
  EXPECT_DOUBLE_EQ(*RandomIndex(10), 1.49);
  EXPECT_FALSE(RandomIndex(11).has_value());
  EXPECT_DOUBLE_EQ(*RandomIndex(4, RandomIndexTable::kAlonsoLamata), 0.8815);
  EXPECT_DOUBLE_EQ(*RandomIndex(15, RandomIndexTable::kAlonsoLamata), 1.5838);
  EXPECT_DOUBLE_EQ(*RandomIndex(20, RandomIndexTable::kDoneganDodd), 1.5371);
  EXPECT_DOUBLE_EQ(*RandomIndex(2, RandomIndexTable::kDoneganDodd), 0.0);
  EXPECT_EQ(ParseRandomIndexTable("alonso_lamata"), RandomIndexTable::kAlonsoLamata);
  try {
    ParseRandomIndexTable("foo");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("saaty, alonso_lamata, donegan_dodd"), std::string::npos);
  }
  // n beyond the table: weights still computed, CR NaN with a warning.
  Eigen::MatrixXd A = Eigen::MatrixXd::Ones(11, 11);
  const AhpResult r = Ahp(A);
  EXPECT_TRUE(std::isnan(r.cr));
  EXPECT_FALSE(r.warning.empty());
  EXPECT_NEAR(r.weights[0], 1.0 / 11, 1e-14);
}

TEST(Ahp, SmallMatrices) {
  const AhpResult one = Ahp(Eigen::MatrixXd::Ones(1, 1));
  EXPECT_DOUBLE_EQ(one.weights[0], 1.0);
  EXPECT_DOUBLE_EQ(one.cr, 0.0);
  const AhpResult two = Ahp(Rows({{1, 3}, {1.0 / 3, 1}}));
  ExpectNear(two.weights, Vec({0.75, 0.25}), 1e-14);
  EXPECT_DOUBLE_EQ(two.cr, 0.0);
}

TEST(Ahp, ValidationNamesCells) {
  EXPECT_NE(CheckPairwiseMatrix(Eigen::MatrixXd::Ones(2, 3))->find("not square"),
            std::string::npos);
  Eigen::MatrixXd A = Eigen::MatrixXd::Ones(3, 3);
  A(1, 2) = -2;
  EXPECT_NE(CheckPairwiseMatrix(A)->find("cell (2, 3) = -2"), std::string::npos);
  A(1, 2) = 4;
  A(2, 1) = 0.5;
  const std::string msg = *CheckPairwiseMatrix(A, 1e-3, {"a", "b", "c"});
  EXPECT_NE(msg.find("cell (2, 3) [b vs c] = 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cell (3, 2) [c vs b] = 0.5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not reciprocal"), std::string::npos) << msg;
  EXPECT_THROW(Ahp(A), InputError);
  A(2, 1) = 0.25;
  EXPECT_FALSE(CheckPairwiseMatrix(A).has_value());
  A(0, 0) = 2;
  EXPECT_NE(CheckPairwiseMatrix(A)->find("diagonal"), std::string::npos);
}

TEST(Ahp, HierarchicalWeights) {
  const Eigen::VectorXd g =
      HierarchicalWeights(Vec({0.6, 0.4}), {Vec({1, 3}), Vec({0.2, 0.3, 0.5})});
  ExpectNear(g, Vec({0.15, 0.45, 0.08, 0.12, 0.2}), 1e-15);
  EXPECT_NEAR(g.sum(), 1.0, 1e-15);
  EXPECT_THROW(HierarchicalWeights(Vec({0.5, 0.5}), {Vec({1})}), InputError);
  EXPECT_THROW(HierarchicalWeights(Vec({1.0}), {Vec({-1, 2})}), InputError);
}

// ---------------------------------------------------------------------------
// Entropy and CRITIC weights
// ---------------------------------------------------------------------------

// Xu, X. (2004) A note on the subjective and objective integrated approach to
// determine attribute weights. European Journal of Operational Research
// 156(2):530-532: entropy weights .4630, .3992, .1378, .0000 (classic form on
// raw values; all benefit).
TEST(Entropy, Xu2004) {
  const Eigen::MatrixXd X =
      Rows({{30, 30, 38, 29}, {19, 54, 86, 29}, {19, 15, 85, 28.9}, {68, 70, 60, 29}});
  const WeightsResult r = EntropyWeights(X, {});
  ExpectNear(r.weights, Vec({.4630, .3992, .1378, .0000}), 0.00005);
  EXPECT_NEAR(r.weights.sum(), 1.0, 1e-12);
}

// Zavadskas, E. K. & Podvezko, V. (2016) Integrated determination of
// objective criteria weights in MCDM. Int. J. Information Technology &
// Decision Making 15(2):267-283: entropy weights .1146, .1981, .4185, .2689.
// Criteria 1 and 3 are minimised there, but the published entropy weights are
// those of the classic form on the raw values (direction does not enter), as
// the pyrepo-mcda package's test of this example also reproduces. The
// own/best input (min / x for the cost criteria) gives other weights.
TEST(Entropy, ZavadskasPodvezko2016) {
  const Eigen::MatrixXd X =
      Rows({{3.0, 100, 10, 7}, {2.5, 80, 8, 5}, {1.8, 50, 20, 11}, {2.2, 70, 12, 9}});
  const std::vector<bool> cost = {true, false, true, false};
  const WeightsResult r = EntropyWeights(X, cost);
  ExpectNear(r.weights, Vec({.1146, .1981, .4185, .2689}), 0.00005);
  // Own/best input: p proportional to 1 / x in the cost columns.
  EntropyOptions o;
  o.input = EntropyInput::kDistanceToBest;
  Eigen::MatrixXd Y = X;
  Y.col(0) = X.col(0).cwiseInverse();
  Y.col(2) = X.col(2).cwiseInverse();
  ExpectNear(EntropyWeights(X, cost, o).weights, EntropyWeights(Y, {}).weights, 1e-14);
}

TEST(Entropy, HandComputedAndProperties) {
  // Two units: column 1 (1, 3): p = (1/4, 3/4), e = -(p ln p summed) / ln 2.
  // Column 2 constant: e = 1, weight 0.
  const Eigen::MatrixXd X = Rows({{1, 5}, {3, 5}});
  const WeightsResult r = EntropyWeights(X, {});
  const double e1 = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)) / std::log(2.0);
  EXPECT_NEAR(r.detail[0], e1, 1e-15);
  EXPECT_DOUBLE_EQ(r.detail[1], 1.0);
  ExpectNear(r.weights, Vec({1.0, 0.0}), 1e-15);
  // Negative raw values are an input error.
  EXPECT_THROW(EntropyWeights(Rows({{1, -1}, {2, 3}}), {}), InputError);
  // ... but fine with min-max input, where direction matters.
  EntropyOptions mm;
  mm.input = EntropyInput::kMinMax;
  const Eigen::MatrixXd Y = Rows({{1, -1}, {2, 3}, {4, 0}});
  const WeightsResult b = EntropyWeights(Y, {}, mm);
  EXPECT_NEAR(b.weights.sum(), 1.0, 1e-12);
  // Min-max of column 1 as benefit: (0, 1/3, 1); as cost: (1, 2/3, 0).
  const auto entropy_of = [](std::vector<double> v) {
    double s = 0;
    for (double x : v) s += x;
    double h = 0;
    for (double x : v) {
      if (x > 0) h -= x / s * std::log(x / s);
    }
    return h / std::log(static_cast<double>(v.size()));
  };
  EXPECT_NEAR(b.detail[0], entropy_of({0, 1.0 / 3, 1}), 1e-14);
  const WeightsResult c = EntropyWeights(Y, {true, false}, mm);
  EXPECT_NEAR(c.detail[0], entropy_of({1, 2.0 / 3, 0}), 1e-14);
  mm.shift = 0.01;
  const WeightsResult d = EntropyWeights(Y, {}, mm);
  EXPECT_NEAR(d.detail[0], entropy_of({0.01, 1.0 / 3 + 0.01, 1.01}), 1e-14);
  // Every column constant: equal weights with a note.
  const WeightsResult flat = EntropyWeights(Rows({{2, 2}, {2, 2}}), {});
  ExpectNear(flat.weights, Vec({0.5, 0.5}), 1e-15);
  EXPECT_FALSE(flat.notes.empty());
}

// Tuş, A. & Aytaç Adalı, E. (2019) The new combination with CRITIC and
// WASPAS methods for the time and attendance software selection problem.
// OPSEARCH 56(2):528-538: CRITIC weights .157, .249, .168, .121, .154, .151.
// These figures (as reproduced by the pyrepo-mcda package's test) are those
// of min-max normalisation with every criterion oriented as a benefit,
// criterion 1 (price) included; reversing price changes the signs of its
// correlations and gives .184, .213, .142, .158, .168, .134 (checked below
// against the definition, not against a publication).
TEST(Critic, TusAytacAdali2019) {
  const Eigen::MatrixXd X = Rows({{5000, 3, 3, 4, 3, 2},
                                  {680, 5, 3, 2, 2, 1},
                                  {2000, 3, 2, 3, 4, 3},
                                  {600, 4, 3, 1, 2, 2},
                                  {800, 2, 4, 3, 3, 4}});
  const WeightsResult r = CriticWeights(X, {});
  ExpectNear(r.weights, Vec({.157, .249, .168, .121, .154, .151}), 0.0005);
  EXPECT_NEAR(r.weights.sum(), 1.0, 1e-12);
  const WeightsResult c = CriticWeights(X, {true, false, false, false, false, false});
  ExpectNear(c.weights, Vec({.184, .213, .142, .158, .168, .134}), 0.0005);
}

TEST(Critic, MatchesDefinitionAndConstantColumn) {
  const Eigen::MatrixXd X = RandomMatrix(30, 4, 7);
  Eigen::MatrixXd Y(30, 5);
  Y << X, Eigen::VectorXd::Constant(30, 3.0);
  const WeightsResult r = CriticWeights(Y, {false, true, false, false, false});
  // Reference: dense formulas on the normalised matrix.
  const Eigen::MatrixXd Z =
      Normalize(Y, {false, true, false, false, false}, Normalization::kMinMax).leftCols(4);
  const Eigen::MatrixXd C = Z.rowwise() - Z.colwise().mean();
  const Eigen::MatrixXd cov = C.transpose() * C / 29.0;
  Eigen::VectorXd info(5);
  for (int j = 0; j < 4; ++j) {
    double s = 0;
    for (int k = 0; k < 4; ++k) s += 1.0 - cov(j, k) / std::sqrt(cov(j, j) * cov(k, k));
    s += 1.0;  // correlation with the constant column is taken as 0
    info[j] = std::sqrt(cov(j, j)) * s;
  }
  info[4] = 0.0;
  ExpectNear(r.weights, info / info.sum(), 1e-12);
  EXPECT_DOUBLE_EQ(r.weights[4], 0.0);
}

TEST(Weights, Combinations) {
  const Eigen::VectorXd s = Vec({0.5, 0.3, 0.2}), o = Vec({0.2, 0.2, 0.6});
  ExpectNear(CombineAdditive(s, o, 0.25), 0.25 * s + 0.75 * o, 1e-15);
  const Eigen::VectorXd p = CombineMultiplicative(s, o);
  ExpectNear(p, Vec({0.1, 0.06, 0.12}) / 0.28, 1e-15);
  EXPECT_THROW(CombineAdditive(s, o, 1.5), InputError);
  EXPECT_THROW(CombineAdditive(s, Vec({1, 1}), 0.5), InputError);
  ExpectNear(NormalizeWeights(Vec({2, 2, 4}), 3), Vec({0.25, 0.25, 0.5}), 1e-15);
  EXPECT_THROW(NormalizeWeights(Vec({1, -1}), 2), InputError);
  EXPECT_THROW(NormalizeWeights(Vec({0, 0}), 2), InputError);
  EXPECT_THROW(NormalizeWeights(Vec({1}), 2), InputError);
}

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

TEST(Normalize, FormulasOnOneColumn) {
  const Eigen::MatrixXd X = Rows({{2}, {4}, {8}});
  const auto col = [&](Normalization m, bool cost) {
    return Eigen::VectorXd(Normalize(X, {cost}, m).col(0));
  };
  ExpectNear(col(Normalization::kMinMax, false), Vec({0, 2.0 / 6, 1}), 1e-15);
  ExpectNear(col(Normalization::kMinMax, true), Vec({1, 4.0 / 6, 0}), 1e-15);
  const double norm = std::sqrt(4.0 + 16.0 + 64.0);
  ExpectNear(col(Normalization::kVector, false), Vec({2 / norm, 4 / norm, 8 / norm}), 1e-15);
  ExpectNear(col(Normalization::kVector, true), Vec({1 - 2 / norm, 1 - 4 / norm, 1 - 8 / norm}),
             1e-15);
  const double mean = 14.0 / 3, sd = std::sqrt(((2 - mean) * (2 - mean) + (4 - mean) * (4 - mean) +
                                                (8 - mean) * (8 - mean)) /
                                               2.0);
  ExpectNear(col(Normalization::kZScore, false),
             Vec({(2 - mean) / sd, (4 - mean) / sd, (8 - mean) / sd}), 1e-14);
  ExpectNear(col(Normalization::kZScore, true),
             Vec({(mean - 2) / sd, (mean - 4) / sd, (mean - 8) / sd}), 1e-14);
  ExpectNear(col(Normalization::kRank, false), Vec({0, 0.5, 1}), 1e-15);
  ExpectNear(col(Normalization::kRank, true), Vec({1, 0.5, 0}), 1e-15);
  ExpectNear(col(Normalization::kDistanceToBest, false), Vec({0.25, 0.5, 1}), 1e-15);
  ExpectNear(col(Normalization::kDistanceToBest, true), Vec({1, 0.5, 0.25}), 1e-15);
}

TEST(Normalize, TiesMissingAndDegenerate) {
  const Eigen::MatrixXd X = Rows({{5, 1}, {kNaN, 1}, {5, 1}, {7, 1}, {1, 1}});
  Notes notes;
  const Eigen::MatrixXd R = Normalize(X, {}, Normalization::kRank, &notes);
  // Present values 5, 5, 7, 1: ranks 2.5, 2.5, 4, 1 -> (r - 1) / 3.
  EXPECT_DOUBLE_EQ(R(0, 0), 0.5);
  EXPECT_TRUE(std::isnan(R(1, 0)));
  EXPECT_DOUBLE_EQ(R(2, 0), 0.5);
  EXPECT_DOUBLE_EQ(R(3, 0), 1.0);
  EXPECT_DOUBLE_EQ(R(4, 0), 0.0);
  EXPECT_DOUBLE_EQ(R(0, 1), 0.5);  // all tied: mean rank
  const Eigen::MatrixXd M = Normalize(X, {}, Normalization::kMinMax, &notes);
  EXPECT_DOUBLE_EQ(M(3, 0), 1.0);
  EXPECT_DOUBLE_EQ(M(4, 0), 0.0);
  EXPECT_TRUE(std::isnan(M(1, 0)));
  EXPECT_DOUBLE_EQ(M(0, 1), 1.0);  // constant column
  EXPECT_FALSE(notes.empty());
  Eigen::MatrixXd I = M;
  EXPECT_EQ(ImputeColumnMean(I), 1);
  EXPECT_DOUBLE_EQ(I(1, 0), (M(0, 0) + M(2, 0) + 1.0 + 0.0) / 4.0);
  // distance_to_best on a cost column with a zero: that cell becomes missing.
  Notes d2b;
  const Eigen::MatrixXd D =
      Normalize(Rows({{0}, {2}, {4}}), {true}, Normalization::kDistanceToBest, &d2b);
  EXPECT_TRUE(std::isnan(D(0, 0)));
  EXPECT_DOUBLE_EQ(D(1, 0), 1.0);
  EXPECT_DOUBLE_EQ(D(2, 0), 0.5);
  EXPECT_FALSE(d2b.empty());
}

TEST(Normalize, RankInvariantToMonotoneTransforms) {
  Eigen::MatrixXd X = RandomMatrix(50, 3, 11);
  X(7, 0) = X(8, 0);  // a tie
  Eigen::MatrixXd Y = X;
  Y.col(0) = X.col(0).array().exp();
  Y.col(1) = X.col(1).array().cube() * 3.0 + 7.0;
  Y.col(2) = X.col(2).array().log();
  const std::vector<bool> cost = {false, true, false};
  EXPECT_EQ(Normalize(X, cost, Normalization::kRank), Normalize(Y, cost, Normalization::kRank));
}

TEST(Normalize, Names) {
  for (const Normalization m :
       {Normalization::kMinMax, Normalization::kVector, Normalization::kZScore,
        Normalization::kRank, Normalization::kDistanceToBest}) {
    EXPECT_EQ(ParseNormalization(NormalizationName(m)), m);
  }
  try {
    ParseNormalization("l2");
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("\"l2\""), std::string::npos);
    EXPECT_NE(msg.find("minmax, vector, zscore, rank, distance_to_best"), std::string::npos);
  }
  EXPECT_TRUE(ParseDirection("cost"));
  EXPECT_FALSE(ParseDirection("benefit"));
  EXPECT_THROW(ParseDirection("max"), InputError);
  EXPECT_THROW(Normalize(Eigen::MatrixXd::Ones(2, 2), {true}, Normalization::kMinMax), InputError);
}

// ---------------------------------------------------------------------------
// Aggregation
// ---------------------------------------------------------------------------

// Hwang, C. L. & Yoon, K. (1981) Multiple Attribute Decision Making: Methods
// and Applications, Springer LNEMS 186: the fighter-aircraft example (4
// aircraft; maximum speed, ferry range, maximum payload, acquisition cost
// (cost), reliability, manoeuvrability; weights .2 .1 .1 .1 .2 .3), vector
// normalisation. Published relative closeness .643, .268, .613, .312.
TEST(Topsis, HwangYoonFighterAircraft) {
  const Eigen::MatrixXd X = Rows({{2.0, 1500, 20000, 5.5, 5, 9},
                                  {2.5, 2700, 18000, 6.5, 3, 5},
                                  {1.8, 2000, 21000, 4.5, 7, 7},
                                  {2.2, 1800, 20000, 5.0, 5, 5}});
  const std::vector<bool> cost = {false, false, false, true, false, false};
  const Eigen::VectorXd w = Vec({.2, .1, .1, .1, .2, .3});
  const TopsisResult r = Topsis(X, cost, w);
  ExpectNear(r.closeness, Vec({.643, .268, .613, .312}), 0.0006);
}

// Slow reference TOPSIS: the textbook steps on a materialised matrix.
Eigen::VectorXd ReferenceTopsis(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                                const Eigen::VectorXd& w) {
  const Eigen::Index n = X.rows(), m = X.cols();
  Eigen::MatrixXd V(n, m);
  for (Eigen::Index j = 0; j < m; ++j) V.col(j) = w[j] / w.sum() * X.col(j) / X.col(j).norm();
  Eigen::VectorXd best(m), worst(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    best[j] = cost[static_cast<size_t>(j)] ? V.col(j).minCoeff() : V.col(j).maxCoeff();
    worst[j] = cost[static_cast<size_t>(j)] ? V.col(j).maxCoeff() : V.col(j).minCoeff();
  }
  Eigen::VectorXd c(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double dp = (V.row(i).transpose() - best).norm();
    const double dm = (V.row(i).transpose() - worst).norm();
    c[i] = dm / (dp + dm);
  }
  return c;
}

TEST(Topsis, MatchesReferenceAndScaleInvariance) {
  const Eigen::MatrixXd X = RandomMatrix(200, 6, 3);
  const std::vector<bool> cost = {false, true, false, true, false, false};
  const Eigen::VectorXd w = Vec({1, 2, 3, 1, 2, 3});
  const TopsisResult r = Topsis(X, cost, w);
  ExpectNear(r.closeness, ReferenceTopsis(X, cost, w), 1e-12);
  Eigen::MatrixXd Y = X;
  Y.col(1) *= 1000.0;
  Y.col(4) *= 0.001;
  for (const Normalization m :
       {Normalization::kVector, Normalization::kMinMax, Normalization::kZScore,
        Normalization::kRank, Normalization::kDistanceToBest}) {
    ExpectNear(Topsis(Y, cost, w, m).closeness, Topsis(X, cost, w, m).closeness, 1e-12);
  }
  // Permuting units permutes closeness.
  Eigen::MatrixXd P = X.colwise().reverse();
  const Eigen::VectorXd rc = Topsis(P, cost, w).closeness;
  ExpectNear(rc, Eigen::VectorXd(r.closeness.reverse()), 1e-12);
}

TEST(Topsis, DegenerateAndMissing) {
  // All units equal: closeness 0.5 with a note.
  const TopsisResult same = Topsis(Eigen::MatrixXd::Constant(3, 2, 4.0), {}, {});
  ExpectNear(same.closeness, Vec({0.5, 0.5, 0.5}), 0);
  EXPECT_FALSE(same.notes.empty());
  // Empty input.
  EXPECT_EQ(Topsis(Eigen::MatrixXd(0, 3), {}, {}).closeness.size(), 0);
  // A missing cell: that unit's distances use the other indicators with
  // renormalised weights (here: only indicator 1, weight 1).
  const Eigen::MatrixXd X = Rows({{1, 2}, {3, kNaN}, {2, 4}});
  const TopsisResult r = Topsis(X, {}, Vec({0.5, 0.5}), Normalization::kMinMax);
  EXPECT_DOUBLE_EQ(r.closeness[1], 1.0);
  EXPECT_DOUBLE_EQ(r.d_plus[1], 0.0);
  EXPECT_NEAR(r.d_minus[1], 1.0, 1e-15);
  // Unit 1: z = (0, 0) -> d+ = sqrt(.25 + .25), d- = 0.
  EXPECT_DOUBLE_EQ(r.closeness[0], 0.0);
  // No present indicator: NaN with a note.
  const TopsisResult e = Topsis(Rows({{kNaN}, {1}}), {}, {});
  EXPECT_TRUE(std::isnan(e.closeness[0]));
  EXPECT_FALSE(e.notes.empty());
}

// Slow reference grey relational analysis on a materialised normalised matrix.
Eigen::VectorXd ReferenceGrey(const Eigen::MatrixXd& Z, const Eigen::VectorXd& w, double rho) {
  const Eigen::Index n = Z.rows(), m = Z.cols();
  Eigen::MatrixXd D(n, m);
  for (Eigen::Index j = 0; j < m; ++j) {
    D.col(j) = (Eigen::VectorXd::Constant(n, Z.col(j).maxCoeff()) - Z.col(j)).cwiseAbs();
  }
  const double dmin = D.minCoeff(), dmax = D.maxCoeff();
  const Eigen::MatrixXd xi = ((dmin + rho * dmax) / (D.array() + rho * dmax)).matrix();
  return xi * (w / w.sum());
}

// Cross-check with the JMcDM package (Satman et al., Julia; test
// "Grey Relational Analysis"): 5 alternatives, 6 criteria, directions
// min, max, min, max, max, min; weights .05 .20 .10 .15 .10 .40; grades
// 0.525, 0.70071, 0.54643, 0.57628, 0.65095 (an independent implementation,
// not a published paper's figures).
TEST(GreyRelational, JMcDMExample) {
  const Eigen::MatrixXd X = Rows({{105000, 105, 10, 4, 300, 10},
                                  {120000, 110, 15, 4, 500, 8},
                                  {150000, 120, 12, 3, 550, 12},
                                  {115000, 105, 20, 4, 600, 9},
                                  {135000, 115, 15, 5, 400, 9}});
  const std::vector<bool> cost = {true, false, true, false, false, true};
  const GreyRelationalResult r = GreyRelational(X, cost, Vec({.05, .20, .10, .15, .10, .40}));
  ExpectNear(r.grade, Vec({0.525, 0.7007142857, 0.5464285714, 0.5762820513, 0.6509523810}), 1e-9);
}

TEST(GreyRelational, MatchesReference) {
  const Eigen::MatrixXd X = RandomMatrix(40, 5, 5);
  const std::vector<bool> cost = {false, true, true, false, false};
  const Eigen::VectorXd w = Vec({3, 1, 2, 2, 2});
  for (const double rho : {0.5, 0.25, 1.0}) {
    for (const Normalization m : {Normalization::kMinMax, Normalization::kVector,
                                  Normalization::kRank, Normalization::kDistanceToBest}) {
      const Eigen::MatrixXd Z = Normalize(X, cost, m);
      ExpectNear(GreyRelational(X, cost, w, rho, m).grade, ReferenceGrey(Z, w, rho), 1e-12);
    }
  }
  EXPECT_THROW(GreyRelational(X, cost, w, 0.0), InputError);
  const GreyRelationalResult same = GreyRelational(Eigen::MatrixXd::Ones(3, 2), {}, {});
  ExpectNear(same.grade, Vec({1, 1, 1}), 0);
  EXPECT_FALSE(same.notes.empty());
}

TEST(Aggregate, ArithmeticGeometricAndComposite) {
  const Eigen::MatrixXd Z = Rows({{0.5, 1.0}, {0.0, 0.25}, {kNaN, 0.5}});
  const Eigen::VectorXd w = Vec({1, 3});
  ExpectNear(WeightedArithmetic(Z, w), Vec({0.875, 0.1875, 0.5}), 1e-15);
  Notes notes;
  const Eigen::VectorXd g = WeightedGeometric(Z, w, 1e-6, &notes);
  EXPECT_NEAR(g[0], std::pow(0.5, 0.25) * std::pow(1.0, 0.75), 1e-15);
  EXPECT_NEAR(g[1], std::pow(1e-6, 0.25) * std::pow(0.25, 0.75), 1e-15);
  EXPECT_NEAR(g[2], 0.5, 1e-15);
  EXPECT_FALSE(notes.empty());
  // Fused composite equals normalise-then-aggregate for every method.
  Eigen::MatrixXd X = RandomMatrix(100, 4, 9);
  X(3, 2) = kNaN;
  X(50, 0) = kNaN;
  const std::vector<bool> cost = {true, false, false, true};
  for (const Normalization m :
       {Normalization::kMinMax, Normalization::kVector, Normalization::kZScore,
        Normalization::kRank, Normalization::kDistanceToBest}) {
    ExpectNear(CompositeArithmetic(X, cost, Vec({1, 2, 3, 4}), m),
               WeightedArithmetic(Normalize(X, cost, m), Vec({1, 2, 3, 4})), 1e-12);
  }
  const Eigen::VectorXd none = WeightedArithmetic(Rows({{kNaN}}), {}, &notes);
  EXPECT_TRUE(std::isnan(none[0]));
}

// ---------------------------------------------------------------------------
// AHP matrix reader
// ---------------------------------------------------------------------------

TEST(AhpMatrixReader, HeaderNamesFractionsBomCrlf) {
  const std::string text =
      "\xEF\xBB\xBF,price,quality,service\r\n"
      "price, 1 ,3,5\r\n"
      "\r\n"
      "quality,1/3,1,2\r\n"
      "service,0.2,1/2,1";
  const AhpMatrix m = ParseAhpMatrix(text, "m.csv");
  EXPECT_EQ(m.names, (std::vector<std::string>{"price", "quality", "service"}));
  EXPECT_DOUBLE_EQ(m.values(1, 0), 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.values(2, 0), 0.2);
  EXPECT_DOUBLE_EQ(m.values(0, 2), 5.0);
  // Bare matrix: names C1..Cn.
  const AhpMatrix bare = ParseAhpMatrix("1,2\n0.5,1\n", "b.csv");
  EXPECT_EQ(bare.names, (std::vector<std::string>{"C1", "C2"}));
  // Header only, no name column.
  const AhpMatrix h = ParseAhpMatrix("a,b\n1,4\n1/4,1\n", "h.csv");
  EXPECT_EQ(h.names, (std::vector<std::string>{"a", "b"}));
  // Names only, no header.
  const AhpMatrix r = ParseAhpMatrix("x,1,4\ny,0.25,1\n", "r.csv");
  EXPECT_EQ(r.names, (std::vector<std::string>{"x", "y"}));
  // 0.333 for 1/3 is within the default tolerance.
  EXPECT_NO_THROW(ParseAhpMatrix("1,3\n0.333,1\n", "t.csv"));
}

std::string ErrorOf(const std::string& text) {
  try {
    ParseAhpMatrix(text, "m.csv");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(AhpMatrixReader, Errors) {
  EXPECT_EQ(ErrorOf("1,2\n1/2,x\n").substr(0, 11), "m.csv:2:5: ");
  EXPECT_NE(ErrorOf("1,2\n1/2,x\n").find("cell (2, 2): found \"x\""), std::string::npos);
  EXPECT_NE(ErrorOf("1,2,3\n1/2,1,1\n").find("expected 2"), std::string::npos);
  EXPECT_NE(ErrorOf("1,-2\n-0.5,1\n")
                .find("m.csv:1:3: cell (1, 2): found \"-2\"; expected a "
                      "number > 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf("1,2\n1/0,1\n").find("m.csv:2:1: cell (2, 1): found \"1/0\""),
            std::string::npos);
  const std::string rec = ErrorOf(",a,b\na,1,3\nb,0.5,1\n");
  EXPECT_EQ(rec.substr(0, 11), "m.csv:3:3: ") << rec;
  EXPECT_NE(rec.find("cell (2, 1) [b vs a] is 0.5 but cell (1, 2) (line 2, column 5) is 3"),
            std::string::npos)
      << rec;
  EXPECT_NE(ErrorOf("2,1\n1,1\n").find("diagonal"), std::string::npos);
  EXPECT_NE(ErrorOf("").find("empty"), std::string::npos);
  EXPECT_NE(ErrorOf(",a,b\na,1,2\nc,0.5,1\n").find("the names must be in the same order"),
            std::string::npos);
  EXPECT_NE(ErrorOf("a,b\n").find("no rows"), std::string::npos);
}

TEST(AhpMatrixReader, ReadsFile) {
  const std::string path = testing::TempDir() + "/mcda_test_ahp.csv";
  {
    std::ofstream out(path);
    out << ",x,y\nx,1,2\ny,1/2,1\n";
  }
  const AhpMatrix m = ReadAhpMatrix(path);
  EXPECT_EQ(m.names, (std::vector<std::string>{"x", "y"}));
  const AhpResult r = Ahp(m.values);
  ExpectNear(r.weights, Vec({2.0 / 3, 1.0 / 3}), 1e-14);
  std::remove(path.c_str());
  EXPECT_THROW(ReadAhpMatrix(path), InputError);
}

}  // namespace
}  // namespace evalsim::mcda
