# Golden values for the weighted / clustered Kaplan-Meier variance of mirabal_stats.survival.
# Run from the repository root:
#   Rscript tests/golden/reference/weighted_km/weighted_km.R > tests/golden/reference/weighted_km/output.txt
# Writes machine-readable values to tests/golden/reference/weighted_km/values.csv (name, value).
# With non-integer case weights or cluster=, survfit's std.err is the infinitesimal-jackknife
# (robust) standard error of S(t) (survival >= 3.0); conf.type = "log-log" is our interval.
suppressPackageStartupMessages(library(survival))
cat("R", R.version.string, "survival", as.character(packageVersion("survival")), "\n")
out <- list()
keep <- function(prefix, s) {
  for (i in seq_along(s$time)) {
    key <- paste0(prefix, ".", sub(".*=", "", s$strata[i]), ".t", format(s$time[i], digits = 10))
    out[[paste0(key, ".surv")]] <<- s$surv[i]
    out[[paste0(key, ".se")]] <<- s$std.err[i]
    out[[paste0(key, ".lower")]] <<- s$lower[i]
    out[[paste0(key, ".upper")]] <<- s$upper[i]
  }
}
# RMST and its robust SE. print(survfit, rmean=)'s se(rmean) is Greenwood's sum on the weighted
# counts even when std.err is robust (it treats weights as frequencies), so the robust SE of the
# area is computed here from survfit's own influence matrix (influence = TRUE): the influence of
# each cluster on int_0^tau S(t) dt is sum_i infl[, i] * (min(t_{i+1}, tau) - t_i).
rmean <- function(prefix, fit, tau) {
  tab <- summary(fit, rmean = tau)$table
  print(tab)
  strata <- rep(names(fit$strata), fit$strata)
  for (i in seq_len(nrow(tab))) {
    g <- sub(".*=", "", rownames(tab)[i])
    times <- fit$time[strata == rownames(tab)[i]]
    infl <- fit$influence.surv[[i]]
    use <- times <= tau
    widths <- diff(c(times[use], tau))
    area <- infl[, use, drop = FALSE] %*% widths
    out[[paste0(prefix, ".rmst", tau, ".", g)]] <<- tab[i, "rmean"]
    out[[paste0(prefix, ".rmst", tau, ".", g, ".se_greenwood_weighted_counts")]] <<- tab[i, "se(rmean)"]
    out[[paste0(prefix, ".rmst", tau, ".", g, ".se_ij")]] <<- sqrt(sum(area^2))
    cat(prefix, g, "robust (IJ) se of the RMST:", sqrt(sum(area^2)), "\n")
  }
}

# 1. Rossi, deterministic non-integer weights (as rossi_survival.R): robust SE by default.
rossi <- read.csv("mirabal_stats/datasets/files/rossi_lifelines.csv")
n <- nrow(rossi)
rossi$w <- 0.5 + ((seq_len(n) - 1) %% 5) * 0.25
kmw <- survfit(Surv(week, arrest) ~ fin, data = rossi, weights = w, conf.type = "log-log",
               influence = TRUE)
s <- summary(kmw, times = c(1, 8, 13, 26, 52))
print(s)
keep("rossiw", s)
rmean("rossiw", kmw, 52)

# 2. Rossi unweighted, clusters of three consecutive rows: robust SE summed within clusters.
rossi$site <- (seq_len(n) - 1) %/% 3
kmc <- survfit(Surv(week, arrest) ~ fin, data = rossi, cluster = site, conf.type = "log-log",
               influence = TRUE)
s <- summary(kmc, times = c(8, 26, 52))
print(s)
keep("rossic", s)
rmean("rossic", kmc, 52)

# 3. The bundled Mirabal example (police-recorded reoffending) with the ATT propensity weights
#    of mirabal_weights.csv: the first five event times of the comparison group, and 3, 6, 12.
persons <- read.csv("mirabal_stats/datasets/files/mirabal_example_persons.csv")
weights <- read.csv("tests/golden/reference/weighted_km/mirabal_weights.csv")
stopifnot(all(persons$person == weights$person))
persons$w <- weights$w
kmm <- survfit(Surv(reoffend_time, reoffend_event) ~ group, data = persons, weights = w,
               conf.type = "log-log", influence = TRUE)
first <- sort(unique(persons$reoffend_time[persons$group == "comparison" & persons$reoffend_event == 1]))[1:5]
s <- summary(kmm, times = c(first, 3, 6, 12))
print(s)
keep("mirabal", s)
rmean("mirabal", kmm, 12)

values <- data.frame(name = names(out), value = sprintf("%.10g", unlist(out)))
write.csv(values, "tests/golden/reference/weighted_km/values.csv", row.names = FALSE, quote = FALSE)
