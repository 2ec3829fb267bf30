#include "sim/core/distribute.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/interrupt.h"

namespace evalsim {
namespace {

TEST(Distribute, BytesRoundTripEveryKind) {
  ByteWriter w;
  w.Put(3.25);
  w.Put(std::vector<int>{4, -1, 7});
  w.Put(std::string("好,较好"));
  w.Put(std::vector<std::string>{"a", "", "bc"});
  w.Put(std::vector<std::pair<std::string, double>>{{"tau", 0.5}});
  Eigen::VectorXd v(2);
  v << 1.5, -2.0;
  w.Put(v);
  const std::string bytes = w.Take();
  ByteReader in(bytes);
  double d = 0;
  std::vector<int> ints;
  std::string s;
  std::vector<std::string> strings;
  std::vector<std::pair<std::string, double>> pairs;
  Eigen::VectorXd back;
  in.Get(d);
  in.Get(ints);
  in.Get(s);
  in.Get(strings);
  in.Get(pairs);
  in.Get(back);
  EXPECT_TRUE(in.Done());
  EXPECT_EQ(d, 3.25);
  EXPECT_EQ(ints, (std::vector<int>{4, -1, 7}));
  EXPECT_EQ(s, "好,较好");
  EXPECT_EQ(strings, (std::vector<std::string>{"a", "", "bc"}));
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].first, "tau");
  EXPECT_EQ(back, v);
}

TEST(Distribute, TruncatedBytesAreAnInternalError) {
  ByteWriter w;
  w.Put(std::vector<double>{1, 2, 3});
  std::string bytes = w.Take();
  bytes.resize(bytes.size() - 1);
  ByteReader in(bytes);
  std::vector<double> v;
  EXPECT_ANY_THROW(in.Get(v));
}

// A process of a job of `size` processes that keeps its own items (no
// transfer): enough to check the split and the error's wording.
class FakeProcess final : public Distribution {
 public:
  FakeProcess(int rank, int size) : rank_(rank), size_(size) {}
  int Rank() const override { return rank_; }
  int Size() const override { return size_; }
  std::vector<std::string> GatherItems(int, std::vector<ItemResult> local,
                                       std::string_view) override {
    std::vector<std::string> out;
    for (ItemResult& r : local) out.push_back(std::move(r.bytes));
    return out;
  }
  void SumToRoot(std::vector<uint64_t>&) override {}
  void Broadcast(std::string&) override {}
  std::vector<double> ChainSum(std::vector<double> values,
                               const std::function<void(std::vector<double>&)>& add) override {
    add(values);
    return values;
  }
  int64_t SumAll(int64_t v) override { return v; }
  void Barrier() override {}

 private:
  int rank_, size_;
};

TEST(Distribute, ItemsGoRoundRobinAndCoverEveryItemOnce) {
  std::vector<int> seen(11, 0);
  for (int rank = 0; rank < 3; ++rank) {
    const std::vector<int> owned = FakeProcess(rank, 3).OwnedItems(11);
    for (int i : owned) {
      EXPECT_EQ(i % 3, rank);
      ++seen[i];
    }
  }
  EXPECT_EQ(seen, std::vector<int>(11, 1));
  EXPECT_EQ(FakeProcess(2, 3).OwnedItems(2), std::vector<int>{});
}

TEST(Distribute, OneProcessRunsEveryItemInOrderAndRethrowsTheErrorItself) {
  const std::vector<std::string> out = DistributeItems(
      SingleProcess(), 5, [](int i) { return std::to_string(i * i); }, "item");
  EXPECT_EQ(out, (std::vector<std::string>{"0", "1", "4", "9", "16"}));
  try {
    DistributeItems(
        SingleProcess(), 4,
        [](int i) -> std::string {
          if (i == 2) throw InputError("f.csv:3: grade: expected 0..3");
          return "";
        },
        "item");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "f.csv:3: grade: expected 0..3");  // unchanged with one process
  }
}

TEST(Distribute, FirstFailedItemNamesItsProcessAndKeepsItsKind) {
  std::vector<ItemResult> all(6);
  all[1].status = ItemResult::Status::kSkipped;
  all[4].status = ItemResult::Status::kInputError;
  all[4].bytes = "bad grade";
  all[5].status = ItemResult::Status::kError;
  all[5].bytes = "later";
  try {
    ThrowFirstError(all, 3, "replicate");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "replicate 5 on process 1: bad grade");
  }
  all[4].status = ItemResult::Status::kInterrupted;
  EXPECT_THROW(ThrowFirstError(all, 3, "replicate"), InterruptedError);
  all[4].status = ItemResult::Status::kOk;
  EXPECT_THROW(ThrowFirstError(all, 3, "replicate"), std::runtime_error);
  all[5].status = ItemResult::Status::kOk;
  all[1].status = ItemResult::Status::kOk;
  EXPECT_NO_THROW(ThrowFirstError(all, 3, "replicate"));
}

TEST(Distribute, AProcessRunsOnlyItsOwnItems) {
  FakeProcess p(1, 3);
  const std::vector<std::string> out = DistributeItems(
      p, 7, [](int i) { return std::to_string(i); }, "item");
  EXPECT_EQ(out, (std::vector<std::string>{"1", "4"}));
}

TEST(Distribute, OnRootWithOneProcessIsTheCall) {
  EXPECT_EQ(OnRoot(SingleProcess(), [] { return std::string("x"); }), "x");
  EXPECT_THROW(OnRoot(SingleProcess(), []() -> std::string { throw InputError("no"); }),
               InputError);
}

}  // namespace
}  // namespace evalsim
