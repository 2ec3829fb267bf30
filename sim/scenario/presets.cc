#include "sim/scenario/presets.h"

namespace evalsim {
namespace {

// Each preset is written as TOML so that it reads exactly like a [[models]]
// entry. `description` is documentation, not a model parameter.
constexpr const char* kPresets = R"toml(
[points_100_80_60_40]
description = "Weighted category mean 好=100, 较好=80, 一般=60, 差=40 over valid votes, bands 优秀 >= 90, 良好 >= 80, else 一般 (docs/sources.md §2: doczj points, Guangdong 2020 bands). Assumes a 4-grade scale."
model = "weighted_mean"
points = [40, 60, 80, 100]
classes = { bands = [ { min = 90, label = "优秀" }, { min = 80, label = "良好" }, { label = "一般" } ] }

[hao_share_legacy]
description = "Share of 好 votes (the old 好票率 method, 海盐 2015), ties broken by the share of 较好; bands >= 0.85 好, >= 0.6 较好, >= 0.4 一般, else 差 (band values are an unsourced guess, docs/sources.md §9.1)."
model = "approval"
top = 1
classes = { bands = [ { min = 0.85, label = "好" }, { min = 0.6, label = "较好" }, { min = 0.4, label = "一般" }, { label = "差" } ] }

[top2_share_gate]
description = "Share of the top two grades with the 2/3 and 1/3 gates (docs/sources.md §4, county assessment plan): top-two share < 2/3 flags a warning talk, lowest-grade share > 1/3 flags an unfit candidate. Assumes a 4-grade scale."
model = "approval"
top = 2
classes = { default_label = "称职", gates = [ { grades = [0], above = 0.3333333333333333, label = "不称职候选" }, { grades = [2, 3], below = 0.6666666666666666, label = "诫勉谈话" } ] }

[quota_forced]
description = "Relative grading: rank by the share of top-grade votes; at most 15 % may be 优秀 (the usual norm for the staff of public institutions, https://dezhou.dzwww.com/dzzt/zcwd/rsgl/201604/t20160429_14220987.html), and the bottom 10 % are ranked from the bottom (倒排) for rectification. The sources set that bottom tranche for grassroots party organisations (5-10 % rectified each year as 软弱涣散, 人民日报 2017: http://big5.chinataiwan.cn/gate/big5/www.taiwan.cn/xwzx/PoliticsNews/201709/t20170912_11841688.htm), not for the secretaries or cadres who report: use it where the evaluees are organisations."
model = "approval"
top = 1
classes = { top_quota = 0.15, top_label = "优秀", bottom_share = 0.10, bottom_label = "倒排整顿", default_label = "合格" }

[trimmed_numeric]
description = "Trimmed mean (docs/sources.md §6, wjx enterprise rule): with more than 5 valid votes drop one highest and one lowest; bands 优秀 >= 90, 称职 >= 70, 基本称职 >= 60, else 不称职. Points 0/60/80/100 per grade."
model = "trimmed_mean"
trim_count = 1
min_votes = 5
classes = { bands = [ { min = 90, label = "优秀" }, { min = 70, label = "称职" }, { min = 60, label = "基本称职" }, { label = "不称职" } ] }

[satisfaction_sd2009]
description = "Public satisfaction (docs/sources.md §2, Shandong 2009): 满意 = 100, 基本满意 = 75, 不满意 = 55 on a 3-grade scale; 不了解 is an abstention."
model = "weighted_mean"
points = [55, 75, 100]

[public_poll_6_4]
description = "A random phone poll of the public and the on-site ballot combined 6 : 4 (docs/sources.md §2, Shandong 2009): rater group `public` on a scale named `satisfaction` (不满意 / 基本满意 / 满意 = 55 / 75 / 100, 不了解 not scored) weighs 0.6, rater group `onsite` on the main 4-grade scale (差 / 一般 / 较好 / 好 = 40 / 60 / 80 / 100) weighs 0.4."
model = "weighted_mean"
points = [40, 60, 80, 100]
scale_points = { satisfaction = [55, 75, 100] }
group_weights = { public = 0.6, onsite = 0.4 }

[ruian_composite_1000]
description = "瑞安 1,000-point scheme for town leaders (瑞委〔2012〕6号, http://wzdkw.gov.cn/system/2012/05/28/011038209_05.shtml): key projects 600 x own / best, ranking by the leaders 200 (rank 1 = 200, -2 % of it per rank), democratic vote 200 banded on the top-grade (优秀) share (>= 0.9 -> 200, >= 0.8 -> 190, >= 0.7 -> 180, >= 0.6 -> 170, else 160, or 130 when the two lowest grades reach 1/3). The model ruian_points with its defaults: every indicator is a key-project indicator (set `projects`), the first rater group ranks (set `leader_groups`) and every group votes (set `vote_groups`). Score in points, at most 1,000; 4-grade scale."
model = "ruian_points"

[village_committee_gate]
description = "Single-category thresholds (docs/sources.md §4, village committee): 优秀 when the top grade share >= 0.9 (modelled as > 0.9 - 1e-9), 不称职 when the lowest grade share >= 0.5. Grades 0 = 不称职, top = 称职."
model = "approval"
top = 1
classes = { default_label = "称职", gates = [ { grades = [0], above = 0.4999999999, label = "不称职" } ], bands = [ { min = 0.8999999999, label = "优秀" }, { label = "称职" } ] }
)toml";

std::vector<RubricPreset> Build() {
  std::vector<RubricPreset> out;
  toml::table all = toml::parse(std::string_view(kPresets), std::string_view("preset"));
  for (auto& [name, node] : all) {
    RubricPreset p;
    p.name = std::string(name.str());
    p.table = *node.as_table();
    if (auto d = p.table["description"].value<std::string>()) p.description = *d;
    p.table.erase("description");
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

const std::vector<RubricPreset>& RubricPresets() {
  static const std::vector<RubricPreset> presets = Build();
  return presets;
}

const RubricPreset* FindRubricPreset(const std::string& name) {
  for (const auto& p : RubricPresets())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace evalsim
