// Ratings given as columns (a data frame's, or NumPy arrays) instead of a
// CSV file, read in place: the caller's arrays are only read, never copied,
// and the ballots are laid out once, straight into RatingBallots (the one
// copy the packed, slot-grouped layout needs).
//
// Names arrive as codes: `rater`, `ratee` and `group` hold, per row, an index
// into `rater_names`, `ratee_names` and `group_names` (-1 = missing), as
// pandas.factorize gives them. Ids are renumbered in order of first
// appearance, so the result is the one ReadRatingsCsv gives for the same
// rows written as a CSV file. The rules are the ratings CSV's (sim/io/csv.h):
// a grade is an integer 0..K-1 and NaN is an abstention; a weight is a
// finite number >= 0 and NaN means 1; without a group column every rater is
// in the group "all"; a rater belongs to one group and rates a ratee at most
// once. Every problem throws InputError "SOURCE: row R: column 'C': ..." with
// R the row's 0-based position.
#ifndef EVALSIM_SIM_IO_RATINGS_COLUMNS_H_
#define EVALSIM_SIM_IO_RATINGS_COLUMNS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/io/csv.h"

namespace evalsim {

// A column of numbers in the caller's memory (one of four element types).
struct NumberColumn {
  enum class Type { kInt32, kInt64, kFloat32, kFloat64 };
  const void* data = nullptr;  // nullptr: the column is absent
  Type type = Type::kInt64;
  size_t size = 0;

  bool Present() const { return data != nullptr; }
  bool Integral() const { return type == Type::kInt32 || type == Type::kInt64; }
  double At(size_t i) const {
    switch (type) {
      case Type::kInt32:
        return static_cast<const int32_t*>(data)[i];
      case Type::kInt64:
        return static_cast<double>(static_cast<const int64_t*>(data)[i]);
      case Type::kFloat32:
        return static_cast<const float*>(data)[i];
      case Type::kFloat64:
        break;
    }
    return static_cast<const double*>(data)[i];
  }
};

struct RatingColumns {
  std::string source = "DataFrame";  // names the input in messages
  NumberColumn rater, ratee, grade;  // required, all of one length
  NumberColumn group, weight;        // optional
  std::vector<std::string> rater_names, ratee_names, group_names;
};

// The ballots of `columns`; `options.levels` as for the CSV reader
// (`items` and `grade_labels` do not apply: grades are numbers here).
RatingBallots RatingsFromColumns(const RatingColumns& columns,
                                 const RatingsReadOptions& options = {});

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_RATINGS_COLUMNS_H_
