// The fast path of the ratings, pairwise and indicators readers (sim/io/csv.h):
// the file's records are read in chunks on every core (csv_chunks.h), each
// chunk numbering the names it meets in its own IdTable (id_table.h), and
// the chunks are merged in file order, so that names keep their order of
// first appearance and the result is the exact reader's, byte for byte.
//
// Each function returns nullopt when the text is not plainly valid
// (anything the exact reader would refuse, or might: bad quoting, a bad
// cell, a rater in two groups, a repeated pair, limits); the caller then
// reads it the exact way, which reports the error with its file:line:col.
#ifndef EVALSIM_SIM_IO_CSV_FAST_H_
#define EVALSIM_SIM_IO_CSV_FAST_H_

#include <optional>
#include <string_view>

#include "sim/io/csv.h"
#include "sim/io/csv_chunks.h"

namespace evalsim {

std::optional<RatingBallots> FastRatings(std::string_view text, const RatingsReadOptions& options,
                                         const ChunkOptions& chunking);
std::optional<PairwiseBallots> FastPairwise(std::string_view text, const ChunkOptions& chunking);
std::optional<IndicatorTable> FastIndicators(std::string_view text, const ChunkOptions& chunking);

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_CSV_FAST_H_
