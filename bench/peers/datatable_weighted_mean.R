# weighted_mean with data.table: fread a ratings CSV (rater,ratee,grade), then
# the mean of the points 0, 60, 80, 100 per ratee, blank grades left out
# (the grouping is data.table's factor step).
#
#   Rscript datatable_weighted_mean.R RATINGS.csv OUT.csv THREADS
suppressPackageStartupMessages(library(data.table))
args <- commandArgs(trailingOnly = TRUE)
setDTthreads(as.integer(args[3]))
t0 <- proc.time()[["elapsed"]]
dt <- fread(args[1], select = c("ratee", "grade"), colClasses = list(character = "ratee"))
t1 <- proc.time()[["elapsed"]]
points <- c(0, 60, 80, 100)
scores <- dt[!is.na(grade), .(score = mean(points[grade + 1L])), by = ratee]
t2 <- proc.time()[["elapsed"]]
fwrite(scores, args[2])
message(sprintf("fread %.3f s, group %.3f s (%d threads)", t1 - t0, t2 - t1, getDTthreads()))
