#!/usr/bin/env Rscript
# Peer for evalsim's `mixed_effects` model: lme4's lmer fit of the crossed
# random-effects model grade = mu + ratee + rater + e (REML, the lme4
# default) on a ratings CSV (rater,ratee,grade[,group][,weight]).
#
# Usage:
#   Rscript bench/peers/lme4_mixed_effects.R BALLOTS.csv [BLUPS_OUT.csv] [--compare SCORES.csv]
#
# Prints the variance components (as standard deviations), the intercept and
# the fit time (seconds, elapsed, lmer call only). Writes the ratee BLUPs as
# CSV `ratee,blup,score` (blup = the ratee's random effect, score = intercept
# + blup, on the scale of evalsim's mixed_effects score) to BLUPS_OUT.csv, or
# to stdout when it is not given. With --compare, reads the scores file that
# `evalsim score --model mixed_effects` wrote (ratee,score,rank[,...]) and
# prints the Spearman correlation of the two sets of BLUPs and the largest
# absolute difference of the scores.
#
# Empty grade cells (abstentions) are dropped. A `weight` column is passed to
# lmer as `weights`, which lme4 treats as precision weights (error variance
# sigma^2 / w): the same model evalsim's mixed_effects fits. The `group`
# column is ignored.

suppressPackageStartupMessages(library(lme4))

args <- commandArgs(trailingOnly = TRUE)
compare <- NULL
at <- match("--compare", args)
if (!is.na(at)) {
  if (at == length(args)) stop("--compare needs a scores file")
  compare <- args[at + 1]
  args <- args[-c(at, at + 1)]
}
if (length(args) < 1 || length(args) > 2) {
  stop("usage: lme4_mixed_effects.R BALLOTS.csv [BLUPS_OUT.csv] [--compare SCORES.csv]")
}

ratings <- read.csv(args[1], colClasses = c(rater = "character", ratee = "character"),
                    check.names = FALSE, strip.white = TRUE, encoding = "UTF-8")
for (col in c("rater", "ratee", "grade")) {
  if (!col %in% names(ratings)) stop(sprintf("%s: no '%s' column", args[1], col))
}
ratings <- ratings[!is.na(ratings$grade), ]
weighted <- "weight" %in% names(ratings)
if (weighted) {
  ratings$weight[is.na(ratings$weight)] <- 1
  ratings <- ratings[ratings$weight > 0, ]
}
ratings$rater <- factor(ratings$rater)
ratings$ratee <- factor(ratings$ratee)

cat(sprintf("ballots %d, ratees %d, raters %d%s\n", nrow(ratings), nlevels(ratings$ratee),
            nlevels(ratings$rater), if (weighted) ", weighted" else ""))

timing <- system.time({
  fit <- if (weighted) {
    lmer(grade ~ 1 + (1 | rater) + (1 | ratee), data = ratings, weights = weight)
  } else {
    lmer(grade ~ 1 + (1 | rater) + (1 | ratee), data = ratings)
  }
})

vc <- as.data.frame(VarCorr(fit))
sd_of <- function(name) vc$sdcor[vc$grp == name]
mu <- unname(fixef(fit)[1])
cat(sprintf("sigma_ratee %.6g\nsigma_rater %.6g\nsigma_error %.6g\nmu %.6g\n",
            sd_of("ratee"), sd_of("rater"), sd_of("Residual"), mu))
cat(sprintf("fit_seconds %.3f\n", timing[["elapsed"]]))

re <- ranef(fit)$ratee
blups <- data.frame(ratee = rownames(re), blup = re[, 1], score = mu + re[, 1])
if (length(args) == 2) {
  write.csv(blups, args[2], row.names = FALSE, quote = TRUE)
  cat(sprintf("wrote %d BLUPs to %s\n", nrow(blups), args[2]))
} else {
  write.csv(blups, stdout(), row.names = FALSE, quote = TRUE)
}

if (!is.null(compare)) {
  ours <- read.csv(compare, colClasses = c(ratee = "character"))
  both <- merge(blups, ours[, c("ratee", "score")], by = "ratee", suffixes = c("_lme4", "_evalsim"))
  cat(sprintf("compared %d ratees (lme4 has %d, %s has %d)\n", nrow(both), nrow(blups), compare,
              nrow(ours)))
  cat(sprintf("spearman %.8f\n", cor(both$score_lme4, both$score_evalsim, method = "spearman")))
  cat(sprintf("max_abs_score_diff %.6g\n", max(abs(both$score_lme4 - both$score_evalsim))))
}
