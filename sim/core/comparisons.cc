#include "sim/core/comparisons.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string_view>
#include <utility>

#include "sim/core/check.h"
#include "sim/core/errors.h"

namespace evalsim {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

// AggregatePairwise uses a dense table of wins up to this many cells.
constexpr uint64_t kMaxDenseCells = uint64_t{1} << 24;

uint64_t PairKey(uint32_t lo, uint32_t hi) { return (static_cast<uint64_t>(lo) << 32) | hi; }

// Unordered pair key -> dense index, by open addressing with linear probing.
// The table doubles when half full, so a probe is short on average; it holds
// only the distinct pairs, which in ballots from many small meetings are far
// fewer than the comparisons.
class PairIndex {
 public:
  explicit PairIndex(size_t expected) {
    size_t capacity = 64;
    while (capacity < 2 * expected) capacity *= 2;
    slots_.assign(capacity, Slot{kEmpty, 0});
  }

  // The index of `key`; a new key gets index `size()` and *inserted = true.
  uint32_t FindOrInsert(uint64_t key, bool* inserted) {
    size_t mask = slots_.size() - 1;
    for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i].key == key) {
        *inserted = false;
        return slots_[i].value;
      }
      if (slots_[i].key == kEmpty) {
        const uint32_t value = static_cast<uint32_t>(size_);
        slots_[i] = Slot{key, value};
        ++size_;
        *inserted = true;
        if (2 * size_ > slots_.size()) Grow();
        return value;
      }
    }
  }

  size_t size() const { return size_; }

 private:
  // A pair's key has lo < hi, so it is never all ones.
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key;
    uint32_t value;
  };

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2, Slot{kEmpty, 0});
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      size_t i = Mix(s.key) & mask;
      while (slots_[i].key != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// One rater's graded ratees, in ratee order: the ballots of `r` regrouped by
// rater (a counting sort over slots, which are in ratee order), abstentions
// left out. Raters' lists are [begin[r], begin[r + 1]).
struct ByRater {
  std::vector<uint64_t> begin;
  std::vector<uint32_t> ratee;
  std::vector<uint8_t> grade;
};

ByRater GroupByRater(const RatingBallots& r) {
  ByRater out;
  const uint32_t num_raters = r.num_raters;
  out.begin.assign(static_cast<size_t>(num_raters) + 1, 0);
  for (uint32_t w : r.ballot)
    if (IsGrade(BallotGrade(w))) ++out.begin[BallotRater(w) + 1];
  for (uint32_t k = 0; k < num_raters; ++k) out.begin[k + 1] += out.begin[k];
  out.ratee.resize(out.begin.back());
  out.grade.resize(out.begin.back());
  std::vector<uint64_t> next(out.begin.begin(), out.begin.end() - 1);
  const int groups = r.NumGroups();
  const int num_slots = r.NumRatees() * groups;
  for (int s = 0; s < num_slots; ++s) {
    const uint32_t ratee = static_cast<uint32_t>(s / groups);
    for (uint32_t w : r.SlotBallots(s)) {
      const uint8_t g = BallotGrade(w);
      if (!IsGrade(g)) continue;
      const uint64_t at = next[BallotRater(w)]++;
      out.ratee[at] = ratee;
      out.grade[at] = g;
    }
  }
  return out;
}

// A conversion whose sequence would not fit is refused with a message
// rather than left to fail in the allocator.
void CheckSequenceSize(uint64_t total, const char* from) {
  if (total <= kMaxComparisons) return;
  throw InputError(fmt::format(
      "converting {} to pairwise comparisons would give {} comparisons; the limit is {}{}", from,
      total, kMaxComparisons,
      std::string_view(from) == "rankings"
          ? " (in a ranking every listed candidate beats every unranked one, so orders that "
            "list few of many candidates give many comparisons)"
          : ""));
}

}  // namespace

// ---------------------------------------------------------------------------
// PairwiseBallots

double PairwiseBallots::TotalWeight() const {
  double total = 0.0;
  for (size_t p = 0; p < first.size(); ++p) total += first_wins[p] + second_wins[p];
  return total;
}

void PairwiseBallots::CheckInvariants() const {
  const char* t = "PairwiseBallots";
  const size_t n = ratee_names.size();
  EVALSIM_CHECK(second.size() == first.size() && first_wins.size() == first.size() &&
                    second_wins.size() == first.size(),
                "{}: aggregate arrays differ in size", t);
  for (size_t p = 0; p < first.size(); ++p) {
    EVALSIM_CHECK(first[p] < second[p], "{}: a pair does not have first < second", t);
    EVALSIM_CHECK(second[p] < n, "{}: ratee id out of range in a pair", t);
    EVALSIM_CHECK(!(p > 0 && PairKey(first[p - 1], second[p - 1]) >= PairKey(first[p], second[p])),
                  "{}: pairs not sorted and unique", t);
    EVALSIM_CHECK(first_wins[p] >= 0.0 && second_wins[p] >= 0.0 && std::isfinite(first_wins[p]) &&
                      std::isfinite(second_wins[p]),
                  "{}: wins negative or not finite", t);
  }
  EVALSIM_CHECK(!(seq_loser.size() != seq_winner.size() || seq_weight.size() != seq_winner.size()),
                "{}: sequence arrays differ in size", t);
  for (size_t i = 0; i < seq_winner.size(); ++i) {
    EVALSIM_CHECK(!(seq_winner[i] >= n || seq_loser[i] >= n),
                  "{}: ratee id out of range in the sequence", t);
    EVALSIM_CHECK(seq_winner[i] != seq_loser[i], "{}: a ratee compared with itself", t);
    EVALSIM_CHECK(seq_weight[i] >= 0.0f && std::isfinite(seq_weight[i]),
                  "{}: sequence weight negative or not finite", t);
  }
  if (seq_winner.empty()) return;
  // The aggregate must be the sequence's, summed.
  PairwiseBallots again;
  again.ratee_names.resize(n);
  again.seq_winner = seq_winner;
  again.seq_loser = seq_loser;
  again.seq_weight = seq_weight;
  AggregatePairwise(&again);
  EVALSIM_CHECK(!(again.first != first || again.second != second),
                "{}: aggregate pairs differ from the sequence's", t);
  for (size_t p = 0; p < first.size(); ++p) {
    const double tol = 1e-9 * (1.0 + again.first_wins[p] + again.second_wins[p]);
    EVALSIM_CHECK(std::abs(again.first_wins[p] - first_wins[p]) <= tol &&
                      std::abs(again.second_wins[p] - second_wins[p]) <= tol,
                  "{}: aggregate wins differ from the sequence's", t);
  }
}

void AggregatePairwise(PairwiseBallots* b) {
  const size_t num = b->seq_winner.size();
  EVALSIM_CHECK(!(b->seq_loser.size() != num || b->seq_weight.size() != num),
                "AggregatePairwise: sequence arrays differ in size");
  b->first.clear();
  b->second.clear();
  b->first_wins.clear();
  b->second_wins.clear();
  const uint64_t n = b->ratee_names.size();
  if (n * n <= std::min<uint64_t>(kMaxDenseCells, 2 * static_cast<uint64_t>(num) + 65536)) {
    // Few ratees for many comparisons: a dense n x n table of wins, read
    // back in (first, second) order.
    std::vector<double> wins(n * n, 0.0);
    for (size_t i = 0; i < num; ++i) {
      const uint32_t w = b->seq_winner[i], l = b->seq_loser[i];
      EVALSIM_CHECK(w != l, "AggregatePairwise: a ratee compared with itself");
      EVALSIM_CHECK(!(w >= n || l >= n), "AggregatePairwise: ratee id out of range");
      wins[w * n + l] += b->seq_weight[i];
    }
    for (uint32_t i = 0; i < n; ++i) {
      for (uint32_t j = i + 1; j < n; ++j) {
        const double ij = wins[i * n + j], ji = wins[j * n + i];
        if (ij + ji == 0.0) continue;
        b->first.push_back(i);
        b->second.push_back(j);
        b->first_wins.push_back(ij);
        b->second_wins.push_back(ji);
      }
    }
    return;
  }
  // Otherwise a hash table of the pairs that occur: wins of the lower and the
  // higher id of each pair, in order of first appearance, then sorted.
  // wins[2k] and wins[2k + 1] are pair k's lower and higher id's wins.
  constexpr uint32_t kNoPair = ~uint32_t{0};
  std::vector<uint64_t> keys;
  std::vector<double> wins;
  std::vector<uint32_t> follower;  // of each pair: the pair that came next last time
  uint32_t prev = kNoPair;
  PairIndex index(std::min<size_t>(num, size_t{1} << 20));
  for (size_t i = 0; i < num; ++i) {
    const uint32_t w = b->seq_winner[i], l = b->seq_loser[i];
    EVALSIM_CHECK(w != l, "AggregatePairwise: a ratee compared with itself");
    EVALSIM_CHECK(!(w >= n || l >= n), "AggregatePairwise: ratee id out of range");
    const uint64_t key = PairKey(std::min(w, l), std::max(w, l));
    // Sequences repeat runs of pairs (each rater of a meeting compares the
    // same ratees in the same order), so the pair that followed the previous
    // one last time is tried before the hash table.
    uint32_t at = prev == kNoPair ? kNoPair : follower[prev];
    if (at == kNoPair || keys[at] != key) {
      bool inserted;
      at = index.FindOrInsert(key, &inserted);
      if (inserted) {
        keys.push_back(key);
        follower.push_back(kNoPair);
        wins.resize(wins.size() + 2, 0.0);
      }
      if (prev != kNoPair) follower[prev] = at;
    }
    prev = at;
    wins[2 * static_cast<size_t>(at) + (w > l ? 1 : 0)] += b->seq_weight[i];
  }
  std::vector<uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return keys[x] < keys[y]; });
  b->first.reserve(order.size());
  b->second.reserve(order.size());
  b->first_wins.reserve(order.size());
  b->second_wins.reserve(order.size());
  for (uint32_t k : order) {
    const double lo = wins[2 * static_cast<size_t>(k)], hi = wins[2 * static_cast<size_t>(k) + 1];
    if (lo + hi == 0.0) continue;  // only zero-weight comparisons
    b->first.push_back(static_cast<uint32_t>(keys[k] >> 32));
    b->second.push_back(static_cast<uint32_t>(keys[k]));
    b->first_wins.push_back(lo);
    b->second_wins.push_back(hi);
  }
}

Eigen::MatrixXd PairwiseMatrix(const PairwiseBallots& b) {
  const int n = b.NumRatees();
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
  for (size_t p = 0; p < b.NumPairs(); ++p) {
    m(b.first[p], b.second[p]) += b.first_wins[p];
    m(b.second[p], b.first[p]) += b.second_wins[p];
  }
  return m;
}

// ---------------------------------------------------------------------------
// RankingBallots

double RankingBallots::NumVoters() const {
  double total = 0.0;
  for (double c : count) total += c;
  return total;
}

void RankingBallots::CheckInvariants() const {
  const char* t = "RankingBallots";
  const size_t n = ratee_names.size();
  EVALSIM_CHECK(order_begin.size() == count.size() + 1, "{}: order_begin size", t);
  EVALSIM_CHECK(!(order_begin.front() != 0 || order_begin.back() != candidate.size()),
                "{}: order_begin ends", t);
  EVALSIM_CHECK(tier.size() == candidate.size(), "{}: tier size", t);
  std::vector<size_t> seen(n, SIZE_MAX);
  for (size_t o = 0; o < count.size(); ++o) {
    EVALSIM_CHECK(order_begin[o + 1] >= order_begin[o], "{}: order_begin not sorted", t);
    EVALSIM_CHECK(count[o] >= 0.0 && std::isfinite(count[o]), "{}: count negative or not finite",
                  t);
    for (uint64_t i = order_begin[o]; i < order_begin[o + 1]; ++i) {
      EVALSIM_CHECK(candidate[i] < n, "{}: candidate id out of range", t);
      EVALSIM_CHECK(seen[candidate[i]] != o, "{}: a candidate listed twice in one order", t);
      seen[candidate[i]] = o;
      if (i == order_begin[o]) {
        EVALSIM_CHECK(tier[i] == 0, "{}: an order's first tier is not 0", t);
      } else {
        EVALSIM_CHECK(tier[i] == tier[i - 1] || tier[i] == tier[i - 1] + 1,
                      "{}: tiers do not step by 0 or 1", t);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// RankingBuilder

RankingBuilder::RankingBuilder(std::vector<std::string> ratee_names)
    : names_(std::move(ratee_names)), seen_(names_.size(), 0) {}

void RankingBuilder::Add(std::span<const uint32_t> candidates, std::span<const uint32_t> tiers,
                         double count) {
  const char* t = "RankingBuilder::Add";
  EVALSIM_CHECK(!(!tiers.empty() && tiers.size() != candidates.size()),
                "{}: tiers and candidates differ", t);
  EVALSIM_CHECK(count >= 0.0 && std::isfinite(count), "{}: count negative or not finite", t);
  const size_t len = candidates.size();
  ++stamp_;
  if (stamp_ == 0) {  // wrapped around: clear the marks
    std::fill(seen_.begin(), seen_.end(), 0);
    stamp_ = 1;
  }
  // The canonical form: tiers renumbered 0, 1, ... without gaps, candidates
  // sorted by id within a tier.
  key_cand_.assign(candidates.begin(), candidates.end());
  key_tier_.resize(len);
  uint32_t dense = 0;
  for (size_t i = 0; i < len; ++i) {
    EVALSIM_CHECK(candidates[i] < names_.size(), "{}: candidate id out of range", t);
    EVALSIM_CHECK(seen_[candidates[i]] != stamp_, "{}: a candidate listed twice in one order", t);
    seen_[candidates[i]] = stamp_;
    if (!tiers.empty() && i > 0) {
      EVALSIM_CHECK(tiers[i] >= tiers[i - 1], "{}: tiers decrease", t);
      if (tiers[i] != tiers[i - 1]) ++dense;
    } else if (i > 0) {
      ++dense;
    }
    key_tier_[i] = dense;
  }
  for (size_t i = 0; i < len;) {
    size_t j = i + 1;
    while (j < len && key_tier_[j] == key_tier_[i]) ++j;
    if (j - i > 1) std::sort(key_cand_.begin() + i, key_cand_.begin() + j);
    i = j;
  }

  uint64_t hash = Mix(len);
  for (size_t i = 0; i < len; ++i)
    hash = Mix(hash ^ ((static_cast<uint64_t>(key_cand_[i]) << 32) | key_tier_[i]));

  const auto [it, inserted] =
      first_with_hash_.try_emplace(hash, static_cast<uint32_t>(count_.size()));
  if (!inserted) {
    for (uint32_t o = it->second; o != kNone; o = next_with_hash_[o]) {
      const uint64_t b = begin_[o];
      if (begin_[o + 1] - b != len) continue;
      if (std::equal(key_cand_.begin(), key_cand_.end(), cand_.begin() + b) &&
          std::equal(key_tier_.begin(), key_tier_.end(), tier_.begin() + b)) {
        count_[o] += count;
        return;
      }
    }
  }
  // A new order; it heads the chain of its hash.
  const uint32_t o = static_cast<uint32_t>(count_.size());
  next_with_hash_.push_back(inserted ? kNone : it->second);
  it->second = o;
  cand_.insert(cand_.end(), key_cand_.begin(), key_cand_.end());
  tier_.insert(tier_.end(), key_tier_.begin(), key_tier_.end());
  begin_.push_back(cand_.size());
  count_.push_back(count);
}

RankingBallots RankingBuilder::Finish() {
  RankingBallots r;
  r.ratee_names = std::move(names_);
  r.order_begin = std::move(begin_);
  r.candidate = std::move(cand_);
  r.tier = std::move(tier_);
  r.count = std::move(count_);
  names_.clear();
  begin_.assign(1, 0);
  cand_.clear();
  tier_.clear();
  count_.clear();
  first_with_hash_.clear();
  next_with_hash_.clear();
  seen_.clear();
  return r;
}

// ---------------------------------------------------------------------------
// Conversions

PairwiseBallots RatingsToPairwise(const RatingBallots& r, TiePolicy ties) {
  const ByRater by = GroupByRater(r);
  const bool split = ties == TiePolicy::kSplit;
  const uint32_t num_raters = static_cast<uint32_t>(by.begin.size() - 1);

  // Count the comparisons first, so that the (possibly very long) sequence
  // is allocated once: k graded ratees give k(k-1)/2 pairs, and each tied
  // pair gives a second entry when split.
  uint64_t total = 0;
  {
    std::vector<uint64_t> per_grade(256, 0);
    for (uint32_t k = 0; k < num_raters; ++k) {
      const uint64_t b = by.begin[k], e = by.begin[k + 1];
      if (e - b >= 2) total += (e - b) * (e - b - 1) / 2;
      if (!split) continue;
      for (uint64_t i = b; i < e; ++i) total += per_grade[by.grade[i]]++;
      for (uint64_t i = b; i < e; ++i) per_grade[by.grade[i]] = 0;
    }
  }

  CheckSequenceSize(total, "ratings");
  PairwiseBallots out;
  out.ratee_names = r.ratee_names;
  out.seq_winner.reserve(total);
  out.seq_loser.reserve(total);
  out.seq_weight.reserve(total);
  auto push = [&out](uint32_t w, uint32_t l, float weight) {
    out.seq_winner.push_back(w);
    out.seq_loser.push_back(l);
    out.seq_weight.push_back(weight);
  };
  for (uint32_t k = 0; k < num_raters; ++k) {
    const uint64_t b = by.begin[k], e = by.begin[k + 1];
    for (uint64_t i = b; i < e; ++i) {
      const uint32_t a = by.ratee[i];
      const uint8_t ga = by.grade[i];
      for (uint64_t j = i + 1; j < e; ++j) {
        const uint32_t c = by.ratee[j];
        const uint8_t gc = by.grade[j];
        if (a == c) continue;  // the same ratee twice (not from a valid file)
        if (ga > gc) {
          push(a, c, 1.0f);
        } else if (ga < gc) {
          push(c, a, 1.0f);
        } else if (split) {
          push(a, c, 0.5f);
          push(c, a, 0.5f);
        }
      }
    }
  }
  AggregatePairwise(&out);
  return out;
}

RankingBallots RatingsToRankings(const RatingBallots& r) {
  const ByRater by = GroupByRater(r);
  RankingBuilder builder(r.ratee_names);
  std::vector<std::pair<int, uint32_t>> graded;  // (-grade, ratee)
  std::vector<uint32_t> cand, tier;
  for (size_t k = 0; k + 1 < by.begin.size(); ++k) {
    const uint64_t b = by.begin[k], e = by.begin[k + 1];
    if (b == e) continue;
    graded.clear();
    for (uint64_t i = b; i < e; ++i)
      graded.emplace_back(-static_cast<int>(by.grade[i]), by.ratee[i]);
    std::sort(graded.begin(), graded.end());
    cand.clear();
    tier.clear();
    uint32_t t = 0;
    for (size_t i = 0; i < graded.size(); ++i) {
      if (i > 0 && graded[i].second == graded[i - 1].second) continue;  // a repeated ratee
      if (i > 0 && graded[i].first != graded[i - 1].first) ++t;
      cand.push_back(graded[i].second);
      tier.push_back(t);
    }
    builder.Add(cand, tier, 1.0);
  }
  RankingBallots out = builder.Finish();
  out.unranked_below = false;  // a rater ranks only the ratees it graded
  return out;
}

PairwiseBallots RankingsToPairwise(const RankingBallots& r, TiePolicy ties) {
  const bool split = ties == TiePolicy::kSplit;
  const size_t n = r.ratee_names.size();
  PairwiseBallots out;
  out.ratee_names = r.ratee_names;

  // Exact size of the sequence: listed-vs-listed pairs in different tiers,
  // listed-vs-unranked pairs, and two entries per tied pair when split.
  uint64_t total = 0;
  for (size_t o = 0; o < r.NumOrders(); ++o) {
    if (r.count[o] == 0.0) continue;
    const auto tier = r.Tiers(o);
    const uint64_t len = tier.size();
    uint64_t tied = 0;
    for (size_t i = 0; i < len;) {
      size_t j = i + 1;
      while (j < len && tier[j] == tier[i]) ++j;
      tied += (j - i) * (j - i - 1) / 2;
      i = j;
    }
    const uint64_t listed_pairs = len >= 2 ? len * (len - 1) / 2 : 0;
    const uint64_t with_unranked = r.unranked_below ? len * (n - len) : 0;
    total += listed_pairs - tied + with_unranked + (split ? 2 * tied : 0);
  }
  CheckSequenceSize(total, "rankings");
  out.seq_winner.reserve(total);
  out.seq_loser.reserve(total);
  out.seq_weight.reserve(total);
  auto push = [&](uint32_t w, uint32_t l, float weight) {
    out.seq_winner.push_back(w);
    out.seq_loser.push_back(l);
    out.seq_weight.push_back(weight);
  };

  std::vector<size_t> stamp(n, SIZE_MAX);
  std::vector<uint32_t> unranked;
  unranked.reserve(n);
  for (size_t o = 0; o < r.NumOrders(); ++o) {
    if (r.count[o] == 0.0) continue;
    const float w = static_cast<float>(r.count[o]);
    const auto cand = r.Candidates(o);
    const auto tier = r.Tiers(o);
    unranked.clear();
    if (r.unranked_below) {
      for (uint32_t c : cand) stamp[c] = o;
      for (size_t c = 0; c < n; ++c)
        if (stamp[c] != o) unranked.push_back(static_cast<uint32_t>(c));
    }
    for (size_t i = 0; i < cand.size(); ++i) {
      for (size_t j = i + 1; j < cand.size(); ++j) {
        if (tier[i] != tier[j]) {
          push(cand[i], cand[j], w);
        } else if (split) {
          push(cand[i], cand[j], 0.5f * w);
          push(cand[j], cand[i], 0.5f * w);
        }
      }
      for (uint32_t u : unranked) push(cand[i], u, w);
    }
  }
  AggregatePairwise(&out);
  return out;
}

}  // namespace evalsim
