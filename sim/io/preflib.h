// PrefLib ordinal files (.soc, .soi, .toc, .toi), in both header formats:
// the current one ("# KEY: value" lines, then "count: order" lines) and the
// older numeric one (number of alternatives, one "id,name" line each, then
// "voters,sum of counts,unique orders", then "count,order" lines). Ties are
// written {a,b}; an incomplete order leaves some alternatives unranked.
#ifndef EVALSIM_SIM_IO_PREFLIB_H_
#define EVALSIM_SIM_IO_PREFLIB_H_

#include <string>
#include <string_view>

#include "sim/core/comparisons.h"

namespace evalsim {

// Ratee names are the alternatives' names as the file gives them. Throws
// InputError (file:line:col, what was expected) on malformed input.
RankingBallots ReadPreflib(const std::string& path);
RankingBallots ParsePreflib(std::string_view text, const std::string& file);

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_PREFLIB_H_
