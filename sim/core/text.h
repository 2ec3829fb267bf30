// UTF-8 checks, the one-line rendering of a bad value in an error message and
// the AHP judgement syntax, shared by the file readers (csv.cc, preflib.cc,
// ahp_matrix.cc) and the models that read judgements from a scenario.
#ifndef EVALSIM_SIM_CORE_TEXT_H_
#define EVALSIM_SIM_CORE_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace evalsim {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not a valid
// one (overlong forms, surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i);

// Offset of the first byte of `s` that is not part of valid UTF-8, or npos.
size_t InvalidUtf8At(std::string_view s);

inline bool IsValidUtf8(std::string_view s) { return InvalidUtf8At(s) == std::string_view::npos; }

// `s` in double quotes as a message shows it: quotes, backslashes, control
// characters and bytes that are not valid UTF-8 escaped (\", \\, \xNN), so
// that the message stays one line of text, and cut with "..." after `limit`
// bytes.
std::string ShownInMessage(std::string_view s, size_t limit = 40);

// An AHP judgement: a decimal ("0.2", "3", "1e-1") or a fraction "p/q" of two
// decimals ("1/3", q != 0). Spaces and tabs around the text and around p and q
// are ignored. nullopt when the text is neither; the sign and finiteness are
// not checked here. The one parser of this syntax, for the AHP matrix file and
// for judgements written as strings in a scenario.
std::optional<double> ParseAhpJudgement(std::string_view text);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_TEXT_H_
