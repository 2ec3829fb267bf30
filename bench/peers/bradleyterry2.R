#!/usr/bin/env Rscript
# Peer for evalsim's `bradley_terry` model: BradleyTerry2's BTm (maximum
# likelihood by glm's IRLS, binomial logit link) on a pairwise CSV
# (winner,loser[,weight]; a tie is two rows of weight 0.5).
#
# Usage:
#   Rscript bench/peers/bradleyterry2.R simulate OUT.csv [PLAYERS SEED]
#       Writes comparisons drawn from a Bradley-Terry model: abilities
#       N(0, 1); every pair meets with probability min(1, 8 / PLAYERS), 1 to
#       6 times; a cycle of wins over all players keeps the "beat" graph
#       strongly connected (so the maximum-likelihood estimate exists). By
#       default 50 players, seed 1.
#   Rscript bench/peers/bradleyterry2.R citations OUT.csv
#       Writes BradleyTerry2's `citations` data (Stigler 1994: citations
#       among four statistics journals; a citation of j by i is a "win" of j)
#       as a weighted pairwise CSV.
#   Rscript bench/peers/bradleyterry2.R fit PAIRS.csv [--compare SCORES.csv]
#                                                    [--evalsim-test BINARY]
#       Fits BTm(cbind(win1, win2), player1, player2, ~ player) to the
#       aggregated pairs (IRLS to a relative deviance change of 1e-14) and
#       prints the time of the BTm call, the abilities centred to mean 0 (the
#       centring evalsim uses) and their standard errors under the same
#       constraint, C V C with V BTm's covariance (0 for the reference
#       player) and C the centring matrix. With --compare it reads the
#       scores CSV of `evalsim score --model bradley_terry --format pairwise`
#       (ratee,score[,se,...]); with --evalsim-test it runs the peer driver
#       of evalsim's pairwise_models_test binary
#       (PeerDriver.BradleyTerryFromCsv) on the same file instead, which
#       also prints the best of 5 Score() times. Either way it prints the
#       largest absolute differences of the scores and standard errors and
#       the ratio of the fit times.

suppressPackageStartupMessages(library(BradleyTerry2))

args <- commandArgs(trailingOnly = TRUE)
usage <- paste("usage: bradleyterry2.R simulate OUT.csv [PLAYERS SEED] |",
               "citations OUT.csv | fit PAIRS.csv [--compare SCORES.csv] [--evalsim-test BINARY]")
if (length(args) < 2) stop(usage)

take_option <- function(name) {
  at <- match(name, args)
  if (is.na(at)) return(NULL)
  if (at == length(args)) stop(sprintf("%s needs a value", name))
  value <- args[at + 1]
  args <<- args[-c(at, at + 1)]
  value
}

write_pairs <- function(df, path) {
  write.csv(df, path, row.names = FALSE, quote = FALSE)
  cat(sprintf("wrote %d rows (%d players) to %s\n", nrow(df),
              length(unique(c(df$winner, df$loser))), path))
}

if (args[1] == "simulate") {
  players <- if (length(args) >= 3) as.integer(args[3]) else 50L
  seed <- if (length(args) >= 4) as.integer(args[4]) else 1L
  set.seed(seed)
  ability <- rnorm(players)
  names <- sprintf("p%04d", seq_len(players))
  density <- min(1, 8 / players)
  winner <- character(0)
  loser <- character(0)
  for (i in seq_len(players - 1)) {
    for (j in (i + 1):players) {
      if (runif(1) >= density) next
      k <- sample.int(6, 1)
      i_wins <- runif(k) < plogis(ability[i] - ability[j])
      winner <- c(winner, ifelse(i_wins, names[i], names[j]))
      loser <- c(loser, ifelse(i_wins, names[j], names[i]))
    }
  }
  nxt <- c(seq(2, players), 1)
  winner <- c(winner, names)
  loser <- c(loser, names[nxt])
  write_pairs(data.frame(winner = winner, loser = loser), args[2])
  quit(save = "no")
}

if (args[1] == "citations") {
  data(citations, package = "BradleyTerry2")
  # citations[cited, citing]: a citation of `cited` by `citing` is a win of
  # `cited` (countsToBinomial's reading).
  cited <- rownames(citations)
  df <- expand.grid(winner = cited, loser = cited, stringsAsFactors = FALSE)
  df$weight <- mapply(function(w, l) citations[w, l], df$winner, df$loser)
  df <- df[df$winner != df$loser & df$weight > 0, ]
  write_pairs(df, args[2])
  quit(save = "no")
}

if (args[1] != "fit") stop(usage)
compare <- take_option("--compare")
evalsim_test <- take_option("--evalsim-test")
pairs_path <- args[2]

games <- read.csv(pairs_path, colClasses = c(winner = "character", loser = "character"),
                  check.names = FALSE, strip.white = TRUE)
if (!"weight" %in% names(games)) games$weight <- 1
games <- games[games$weight > 0, ]
lo <- pmin(games$winner, games$loser)
hi <- pmax(games$winner, games$loser)
key <- paste(lo, hi, sep = "\r")
agg <- data.frame(p1 = tapply(lo, key, `[`, 1), p2 = tapply(hi, key, `[`, 1),
                  win1 = tapply(games$weight * (games$winner == lo), key, sum),
                  win2 = tapply(games$weight * (games$winner == hi), key, sum))
players <- sort(unique(c(agg$p1, agg$p2)))
agg$player1 <- factor(agg$p1, levels = players)
agg$player2 <- factor(agg$p2, levels = players)
cat(sprintf("%d comparisons (weight), %d pairs, %d players\n", sum(games$weight), nrow(agg),
            length(players)))

timing <- system.time({
  fit <- suppressWarnings(BTm(cbind(win1, win2), player1, player2, ~player, id = "player",
                              data = agg, control = glm.control(epsilon = 1e-14, maxit = 100)))
})
ab <- BTabilities(fit)
theta <- ab[players, "ability"]
centred <- theta - mean(theta)
# Covariance of all abilities (the reference's row and column are 0), then
# of the centred abilities.
m <- length(players)
V <- matrix(0, m, m, dimnames = list(players, players))
est <- paste0("player", players)
inside <- est %in% colnames(vcov(fit))
V[inside, inside] <- vcov(fit)[est[inside], est[inside]]
C <- diag(m) - matrix(1 / m, m, m)
se <- sqrt(pmax(0, diag(C %*% V %*% C)))
btm_seconds <- timing[["elapsed"]]
cat(sprintf("BTm fit_seconds %.4f (converged %s, %d IRLS iterations)\n", btm_seconds,
            fit$converged, fit$iter))
if (m <= 12) print(data.frame(ability = centred, se = se, row.names = players))

ours <- NULL
evalsim_seconds <- NA
if (!is.null(evalsim_test)) {
  out <- tempfile(fileext = ".csv")
  log <- system2(evalsim_test, c("--gtest_filter=PeerDriver.BradleyTerryFromCsv"),
                 env = c(sprintf("EVALSIM_PEER_PAIRS=%s", normalizePath(pairs_path)),
                         sprintf("EVALSIM_PEER_OUT=%s", out)),
                 stdout = TRUE, stderr = TRUE)
  line <- grep("Score\\(\\) best of 5", log, value = TRUE)
  if (length(line) != 1) stop(paste(c("the peer driver did not run:", log), collapse = "\n"))
  cat(paste(grep("^  ", log, value = TRUE), collapse = "\n"), "\n")
  evalsim_seconds <- as.numeric(sub(".*best of 5 ([0-9.eE+-]+) s.*", "\\1", line))
  ours <- read.csv(out, colClasses = c(ratee = "character"))
} else if (!is.null(compare)) {
  ours <- read.csv(compare, colClasses = c(ratee = "character"))
}
if (!is.null(ours)) {
  both <- merge(data.frame(ratee = players, btm = centred, btm_se = se), ours, by = "ratee")
  if (nrow(both) != m) stop(sprintf("matched %d of %d players", nrow(both), m))
  cat(sprintf("max_abs_ability_diff %.3g\n", max(abs(both$btm - both$score))))
  if ("se" %in% names(both)) cat(sprintf("max_abs_se_diff %.3g\n", max(abs(both$btm_se - both$se))))
  if (!is.na(evalsim_seconds)) {
    cat(sprintf("evalsim Score() seconds %.6f; BTm / evalsim time ratio %.0f\n", evalsim_seconds,
                btm_seconds / evalsim_seconds))
  }
}
