// _evalsim: the C++ side of the Python package (python/evalsim/__init__.py
// holds the pandas-facing API). Every entry point does its work on a worker
// thread with the GIL released, while the calling thread polls Python's
// signals: a KeyboardInterrupt there sets the core's interrupt flag, the
// work unwinds at its next check (InterruptedError) and the call raises
// KeyboardInterrupt. InputError becomes ValueError (the command line's
// message), any other failure RuntimeError.
//
// The package stands beside sim/cli, not on it: it calls the same functions
// the commands call (sim/experiments/run_directory.h, sim/run/score_input.h,
// sim/run/generate_files.h, sim/experiments/sweep.h, sim/report/report.h).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <future>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/experiments/resample.h"
#include "sim/experiments/run_directory.h"
#include "sim/experiments/sweep.h"
#include "sim/io/csv.h"
#include "sim/io/files.h"
#include "sim/io/preflib.h"
#include "sim/io/ratings_columns.h"
#include "sim/report/report.h"
#include "sim/run/generate_files.h"
#include "sim/run/outputs.h"
#include "sim/run/score_input.h"
#include "sim/run/tally.h"
#include "sim/scenario/overrides.h"
#include "sim/scenario/scenario.h"

namespace py = pybind11;

namespace evalsim {
namespace {

// Runs `work` on its own thread with the GIL released; raises
// KeyboardInterrupt when a signal arrives meanwhile (after the work has
// stopped). Called with the GIL held.
template <class Work>
auto Interruptible(Work&& work) -> decltype(work()) {
  auto done = std::async(std::launch::async, std::forward<Work>(work));
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) {  // KeyboardInterrupt is now pending
        interrupted = true;
        RequestInterrupt(true);
        break;
      }
    }
    done.wait();
  }
  if (!interrupted) return done.get();
  RequestInterrupt(false);
  try {
    done.get();
  } catch (const std::exception&) {
    // InterruptedError, or whatever stopped the work: the signal wins.
  }
  throw py::error_already_set();
}

NumberColumn ColumnOf(const py::handle& h, const char* name) {
  NumberColumn c;
  if (h.is_none()) return c;
  const auto a = py::reinterpret_borrow<py::array>(h);
  if (a.ndim() != 1 || !(a.flags() & py::array::c_style))
    throw std::runtime_error(fmt::format("column {}: expected a contiguous 1-d array", name));
  const char kind = a.dtype().kind();
  const auto size = a.itemsize();
  if (kind == 'i' && size == 4) {
    c.type = NumberColumn::Type::kInt32;
  } else if (kind == 'i' && size == 8) {
    c.type = NumberColumn::Type::kInt64;
  } else if (kind == 'f' && size == 4) {
    c.type = NumberColumn::Type::kFloat32;
  } else if (kind == 'f' && size == 8) {
    c.type = NumberColumn::Type::kFloat64;
  } else {
    throw std::runtime_error(fmt::format("column {}: unsupported dtype", name));
  }
  c.data = a.data();
  c.size = static_cast<size_t>(a.shape(0));
  return c;
}

// The columns of a data frame (codes and names from pandas.factorize); the
// arrays stay owned by `arrays` and are read in place.
RatingColumns ColumnsOf(const py::dict& arrays, const py::dict& names) {
  RatingColumns c;
  const auto get = [&](const char* key) {
    return arrays.contains(key) ? py::handle(arrays[key]) : py::handle(py::none());
  };
  c.rater = ColumnOf(get("rater"), "rater");
  c.ratee = ColumnOf(get("ratee"), "ratee");
  c.grade = ColumnOf(get("grade"), "grade");
  c.group = ColumnOf(get("group"), "group");
  c.weight = ColumnOf(get("weight"), "weight");
  const auto list = [&](const char* key) {
    return names.contains(key) ? names[key].cast<std::vector<std::string>>()
                               : std::vector<std::string>{};
  };
  c.rater_names = list("rater");
  c.ratee_names = list("ratee");
  c.group_names = list("group");
  return c;
}

// Where a score() call's ballots come from: a file, CSV text, or columns.
struct ScoreSource {
  std::string path, text;  // one of them, or `columns`
  std::optional<RatingColumns> columns;
  std::string format = "ratings";
  std::string name = "DataFrame (as CSV)";  // names `text`, or `columns` as their source
};

void ReadScoreSource(const ScoreSource& src, const RatingsReadOptions& read, ScoreInput& in) {
  if (!src.path.empty()) return ReadScoreInput(src.path, src.format, read, in);
  if (src.columns) {
    in.ratings = RatingsFromColumns(*src.columns, read);
    return UseRatings(in);
  }
  if (src.format == "ratings") {
    in.ratings = ParseRatingsCsv(src.text, src.name, read);
    return UseRatings(in);
  }
  if (src.format == "pairwise") {
    in.pairwise = ParsePairwiseCsv(src.text, src.name);
    in.names = in.pairwise.ratee_names;
    in.sources.pairwise = &in.pairwise;
  } else if (src.format == "indicators") {
    in.indicators = ParseIndicatorsCsv(src.text, src.name);
    in.names = in.indicators.ratee_names;
    in.sources.indicators = &in.indicators;
  } else {
    throw InputError(
        fmt::format("format {}: a data frame holds ratings, pairwise or indicators "
                    "(read PrefLib files from their path)",
                    src.format));
  }
}

struct ScoreRequest {
  std::string model, ties = "split";
  std::vector<std::string> sets;  // param=value, TOML values
  int bootstrap = 0;
  uint64_t seed = 1;
  int threads = 0;
};

const ModelSpec& FindModel(const ScoreRequest& r, const std::string& format) {
  const ModelSpec* spec = Models().Find(r.model);
  if (!spec)
    throw InputError(fmt::format("--model {}: unknown model; available models: {}", r.model,
                                 fmt::join(Models().Names(), ", ")));
  if (r.bootstrap > 0 && (format != "ratings" || spec->input != InputKind::kRatings))
    throw InputError(
        fmt::format("--model {}: --bootstrap refits ratings models on ratings "
                    "ballots only; {} reads {} input",
                    r.model, r.model, InputKindName(spec->input)));
  return *spec;
}

// The scores table exactly as `evalsim score` prints it, and its notes.
std::pair<std::string, std::vector<std::string>> ScoreBallots(const ScoreSource& src,
                                                              const ScoreRequest& r) {
  const ModelSpec& spec = FindModel(r, src.format);
  toml::table options = ParseSets(r.sets);
  RatingsReadOptions read;
  ReadLevelsOption(options, src.format, "--set", read);
  ScoreInput in;
  ReadScoreSource(src, read, in);
  in.sources.ties = r.ties == "drop" ? TiePolicy::kDrop : TiePolicy::kSplit;
  if (src.format == "ratings" && !read.levels)
    CheckGradesUsed(in.ratings,
                    !src.path.empty() ? src.path
                    : src.columns     ? src.columns->source
                                      : src.name,
                    !src.path.empty());
  ModelContext ctx(in.ratings.levels, in.ratings.group_names, in.indicators.names);
  ctx.item_names = in.ratings.item_names;
  const auto m = Models().Create(r.model, options, ctx, "--set", "", {"levels"});
  std::vector<std::string> notes;
  if (r.bootstrap > 0) {
    ResampleOptions ro;
    ro.bootstrap = r.bootstrap;
    ro.seed = r.seed;
    ro.threads = r.threads;
    ResampleResult rr = Resample(*m, in.ratings, ro);
    notes = rr.full.notes;
    for (auto& line : ResampleSummaryLines(in.ratings, rr)) notes.push_back(line);
    for (auto& note : rr.notes) notes.push_back(note);
    return {ResampleScoresCsv(in.names, rr), notes};
  }
  InputSet inputs(in.sources);
  const ScoreResult result = m->Score(inputs.For(spec.input, false, "--model " + r.model));
  notes = result.notes;
  for (const auto& [name, value] : result.parameters)
    notes.push_back(fmt::format("{} = {}", name, value));
  return {ScoresCsv(in.names, result), notes};
}

py::tuple Score(const py::object& path, const py::object& text, const py::dict& arrays,
                const py::dict& names, const std::string& format, const ScoreRequest& r) {
  ScoreSource src;
  src.format = format;
  if (!path.is_none()) src.path = path.cast<std::string>();
  if (!text.is_none()) src.text = text.cast<std::string>();
  if (path.is_none() && text.is_none()) src.columns = ColumnsOf(arrays, names);
  const auto [csv, notes] = Interruptible([&] { return ScoreBallots(src, r); });
  return py::make_tuple(py::bytes(csv), notes);
}

// What run(), generate() and sweep() share: the scenario and its flags.
struct ScenarioRequest {
  std::string path;
  std::vector<std::string> overrides;  // set=..., then seed and replicates
  int threads = 0;
  std::string out;  // the private directory the files are written to
};

Scenario Load(const ScenarioRequest& q, std::vector<std::string>& warnings) {
  Scenario s = LoadScenario(q.path, q.overrides);
  warnings = s.warnings;
  return s;
}

// `evalsim run` into q.out; returns the scenario's warnings.
std::vector<std::string> RunToDirectory(const ScenarioRequest& q,
                                        const std::vector<std::string>& models) {
  RunRequest request;
  std::vector<std::string> warnings;
  Scenario s = Load(q, warnings);
  KeepModels(s, SelectedModels(s, models));
  const Preflight preflight{"run", &s, AvailableMemory(std::nullopt), q.threads, false};
  request.overrides = q.overrides;
  request.threads = q.threads;
  // The steps of the command line's RunScenarioCommand, without its stdout.
  preflight.Check(nullptr);
  StagedDirectory dir(q.out);
  RunResult result;
  std::string table;
  const nlohmann::ordered_json manifest =
      WriteRunDirectory(&dir, s, request, preflight, result, table);
  WriteTextFile(dir.File("manifest.json"), manifest.dump(2) + "\n");
  WriteReport(dir.Path(), dir.File("report.html"));
  dir.Commit();
  return warnings;
}

std::vector<std::string> GenerateToDirectory(const ScenarioRequest& q, int replicate) {
  std::vector<std::string> warnings;
  const Scenario s = Load(q, warnings);
  GenerateRequest g;
  g.overrides = q.overrides;
  g.replicate = replicate;
  g.threads = q.threads;
  g.memory = AvailableMemory(std::nullopt);
  WriteGeneratedFiles(q.out, s, g);
  return warnings;
}

std::vector<std::string> SweepToDirectory(const ScenarioRequest& q,
                                          const std::vector<std::string>& vary) {
  std::vector<std::string> warnings;
  Load(q, warnings);  // the base scenario's warnings, once
  SweepOptions o;
  o.memory = AvailableMemory(std::nullopt);
  o.scenario = q.path;
  o.overrides = q.overrides;
  o.vary = vary;
  o.out = q.out;
  o.threads = q.threads;
  o.finish = [](const std::filesystem::path& dir) { WriteSweepReports(dir); };
  const SweepOutcome r = RunSweep(o);
  if (r.interrupted) throw InterruptedError();
  return warnings;
}

void TranslateErrors(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const py::builtin_exception& e) {
    e.set_error();
  } catch (const InterruptedError&) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
  } catch (const InputError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, "out of memory");
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, fmt::format("internal error: {}", e.what()).c_str());
  }
}

py::list ModelTable() {
  py::list out;
  for (const ModelSpec& spec : Models().Specs()) {
    py::list params;
    for (const ParamDoc& p : spec.params)
      params.append(py::dict(py::arg("name") = p.name, py::arg("type") = p.type,
                             py::arg("default") = p.default_value, py::arg("doc") = p.doc));
    out.append(py::dict(py::arg("name") = spec.name,
                        py::arg("input") = std::string(InputKindName(spec.input)),
                        py::arg("summary") = spec.summary, py::arg("params") = params));
  }
  return out;
}

ScenarioRequest Request(std::string path, std::vector<std::string> overrides, int threads,
                        std::string out) {
  return {std::move(path), std::move(overrides), threads, std::move(out)};
}

}  // namespace
}  // namespace evalsim

PYBIND11_MODULE(_evalsim, m) {
  using namespace evalsim;
  m.doc() = "The C++ core of evalsim (use the evalsim package, not this module).";
  py::register_exception_translator(&TranslateErrors);
  m.attr("version") = EVALSIM_VERSION;
  m.attr("git_describe") = EVALSIM_GIT_DESCRIBE;
  m.def("models", &ModelTable, "The model registry: name, input, summary, params.");
  m.def(
      "score",
      [](const py::object& path, const py::object& text, const py::dict& arrays,
         const py::dict& names, const std::string& format, const std::string& model,
         const std::vector<std::string>& sets, const std::string& ties, int bootstrap,
         uint64_t seed, int threads) {
        ScoreRequest r{model, ties, sets, bootstrap, seed, threads};
        return Score(path, text, arrays, names, format, r);
      },
      "Scores ballots; returns (scores CSV bytes, notes).");
  m.def(
      "run",
      [](std::string path, std::vector<std::string> overrides, int threads, std::string out,
         std::vector<std::string> models) {
        const ScenarioRequest q = Request(path, overrides, threads, out);
        return Interruptible([&] { return RunToDirectory(q, models); });
      },
      "Runs a scenario into `out` as `evalsim run --out` does; returns its warnings.");
  m.def(
      "generate",
      [](std::string path, std::vector<std::string> overrides, int threads, std::string out,
         int replicate) {
        const ScenarioRequest q = Request(path, overrides, threads, out);
        return Interruptible([&] { return GenerateToDirectory(q, replicate); });
      },
      "Writes one replicate's ballots into `out` as `evalsim generate` does.");
  m.def(
      "sweep",
      [](std::string path, std::vector<std::string> overrides, int threads, std::string out,
         std::vector<std::string> vary) {
        const ScenarioRequest q = Request(path, overrides, threads, out);
        return Interruptible([&] { return SweepToDirectory(q, vary); });
      },
      "Runs a sweep into `out` as `evalsim sweep` does; returns the warnings.");
}
