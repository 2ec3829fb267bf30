#!/usr/bin/env Rscript
# Peer for evalsim's `rating_scale` model: eRm's RSM (Andrich's rating scale
# model, item parameters by conditional maximum likelihood) and its
# person.parameter (person abilities by maximum likelihood given the item
# parameters) on a ratings CSV (rater,ratee,grade[,group][,weight]), with
# raters as items and ratees as persons.
#
# Usage:
#   Rscript bench/peers/erm_rating_scale.R BALLOTS.csv [--compare SCORES.csv]
#   Rscript bench/peers/erm_rating_scale.R --simulate OUT.csv [RATEES RATERS SEED]
#
# The first form prints the fit time (seconds, elapsed, RSM + person.parameter
# calls only) and the number of persons eRm estimates; with --compare it reads
# the scores file that `evalsim score --model rating_scale` wrote
# (ratee,score,rank[,...]) and prints, over the ratees whose raw score is not
# extreme, the Pearson and Spearman correlations of the two ability
# estimates and the largest absolute difference after aligning the origins
# (the mean difference is removed: eRm centres the items, evalsim the
# raters, and the two place the threshold origin differently).
#
# The second form writes a complete design drawn from the model itself
# (theta ~ N(0, 1), severity ~ N(0, 0.5^2), thresholds -1.5, 0, 1.5; default
# 200 ratees, 20 raters, seed 1), the shape RSM expects: every rater rates
# every ratee. Blank grades are read as missing; eRm needs a complete or
# nearly complete matrix to be fast. Weights and groups are ignored (RSM has
# no case weights). With eRm 1.0-2 (Debian 12), RSM's optimiser (nlm, and
# optim when `fitctrl <- "optim"`) fitted 250 and 300 ratees x 10 raters but
# diverged from 400 x 10 on (positive log-likelihood, singular Hessian), so
# keep the peer comparison at the default size.
#
# The estimators differ: evalsim fits joint maximum likelihood, eRm
# conditional maximum likelihood for the raters; JML abilities are slightly
# more spread out for short tests, so the comparison expects correlations
# near 1 and differences of a few hundredths of a logit, not identity.

args <- commandArgs(trailingOnly = TRUE)

if (length(args) >= 2 && args[1] == "--simulate") {
  out <- args[2]
  n <- if (length(args) >= 3) as.integer(args[3]) else 200L
  raters <- if (length(args) >= 4) as.integer(args[4]) else 20L
  seed <- if (length(args) >= 5) as.integer(args[5]) else 1L
  set.seed(seed)
  tau <- c(-1.5, 0, 1.5)
  cum <- c(0, cumsum(tau))
  theta <- rnorm(n)
  delta <- rnorm(raters, sd = 0.5)
  rows <- vector("list", n)
  for (i in seq_len(n)) {
    grade <- integer(raters)
    for (j in seq_len(raters)) {
      lp <- (0:3) * (theta[i] - delta[j]) - cum
      p <- exp(lp - max(lp))
      grade[j] <- sample.int(4L, 1L, prob = p / sum(p)) - 1L
    }
    rows[[i]] <- data.frame(rater = sprintf("r%03d", seq_len(raters)),
                            ratee = sprintf("e%05d", i), grade = grade)
  }
  write.csv(do.call(rbind, rows), out, row.names = FALSE, quote = FALSE)
  cat(sprintf("wrote %s: %d ratees x %d raters\n", out, n, raters))
  quit(save = "no")
}

suppressPackageStartupMessages(library(eRm))

compare <- NULL
at <- match("--compare", args)
if (!is.na(at)) {
  if (at == length(args)) stop("--compare needs a scores file")
  compare <- args[at + 1]
  args <- args[-c(at, at + 1)]
}
if (length(args) != 1) {
  stop("usage: erm_rating_scale.R BALLOTS.csv [--compare SCORES.csv]")
}

ratings <- read.csv(args[1], colClasses = c(rater = "character", ratee = "character"),
                    check.names = FALSE, strip.white = TRUE, encoding = "UTF-8")
for (col in c("rater", "ratee", "grade")) {
  if (!col %in% names(ratings)) stop(sprintf("%s: no '%s' column", args[1], col))
}
ratings <- ratings[!is.na(ratings$grade), ]
ratees <- sort(unique(ratings$ratee))
raters <- sort(unique(ratings$rater))
x <- matrix(NA_integer_, length(ratees), length(raters), dimnames = list(ratees, raters))
x[cbind(match(ratings$ratee, ratees), match(ratings$rater, raters))] <- ratings$grade
cat(sprintf("ballots %d, ratees %d, raters %d, missing cells %d\n", nrow(ratings),
            length(ratees), length(raters), sum(is.na(x))))

timing <- system.time({
  fit <- RSM(x)
  persons <- person.parameter(fit)
})
theta <- coef(persons)  # named by ratee; extreme raw scores are extrapolated
cat(sprintf("eRm RSM + person.parameter: %.3f s, %d persons\n", timing[["elapsed"]],
            length(theta)))

if (!is.null(compare)) {
  ours <- read.csv(compare, colClasses = c(ratee = "character"), check.names = FALSE)
  ours <- setNames(ours$score, ours$ratee)
  max_score <- rowSums(!is.na(x)) * (max(x, na.rm = TRUE))
  raw <- rowSums(x, na.rm = TRUE)
  inner <- names(raw)[raw > 0 & raw < max_score]
  inner <- intersect(inner, intersect(names(theta), names(ours)))
  a <- theta[inner]
  b <- ours[inner]
  shift <- mean(b - a)
  cat(sprintf("non-extreme ratees compared: %d\n", length(inner)))
  cat(sprintf("pearson %.6f  spearman %.6f\n", cor(a, b), cor(a, b, method = "spearman")))
  cat(sprintf("max |evalsim - eRm| after aligning the origin: %.4f logits (mean shift %.4f)\n",
              max(abs(b - a - shift)), shift))
  cat(sprintf("sd ratio evalsim / eRm: %.4f\n", sd(b) / sd(a)))
}
