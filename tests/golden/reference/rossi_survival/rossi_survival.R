# Golden values for mirabal_stats.survival on the Rossi recidivism data.
# Run from the repository root:
#   Rscript tests/golden/reference/rossi_survival/rossi_survival.R > tests/golden/reference/rossi_survival/output.txt
# Writes machine-readable values to tests/golden/reference/rossi_survival/values.csv
# (name, value); output.txt is the human-readable raw R print-out.
suppressPackageStartupMessages(library(survival))
cat("R", R.version.string, "survival", as.character(packageVersion("survival")), "\n")
rossi <- read.csv("mirabal_stats/datasets/files/rossi_lifelines.csv")
# The same data as carData::Rossi (check, so the golden values are for the published data set).
stopifnot(all(rossi$week == carData::Rossi$week), all(rossi$arrest == carData::Rossi$arrest),
          all(rossi$prio == carData::Rossi$prio))
n <- nrow(rossi)
# Deterministic weights (no RNG so Python can rebuild them exactly): 0.5, 0.75, 1, 1.25, 1.5, ...
rossi$w <- 0.5 + ((seq_len(n) - 1) %% 5) * 0.25
out <- list()
put <- function(prefix, x) { for (nm in names(x)) out[[paste0(prefix, nm)]] <<- unname(x[[nm]]) }

f <- Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio
cox <- coxph(f, data = rossi, ties = "efron")
print(summary(cox))
put("cox.coef.", coef(cox)); put("cox.se.", sqrt(diag(vcov(cox))))
out[["cox.loglik"]] <- cox$loglik[2]; out[["cox.concordance"]] <- cox$concordance[["concordance"]]

cox_r <- coxph(f, data = rossi, ties = "efron", robust = TRUE)
print(summary(cox_r))
put("coxrobust.se.", sqrt(diag(vcov(cox_r))))

cox_b <- coxph(f, data = rossi, ties = "breslow", robust = TRUE)
put("coxbreslow.coef.", coef(cox_b)); put("coxbreslowrobust.se.", sqrt(diag(vcov(cox_b))))

cox_w <- coxph(f, data = rossi, ties = "efron", weights = w)   # robust is the default with weights
print(summary(cox_w))
put("coxw.coef.", coef(cox_w)); put("coxw.robustse.", sqrt(diag(vcov(cox_w))))
put("coxw.naivese.", setNames(sqrt(diag(cox_w$naive.var)), names(coef(cox_w))))

cox_fin <- coxph(Surv(week, arrest) ~ fin, data = rossi, weights = w, robust = TRUE)
put("coxwfin.coef.", coef(cox_fin)); put("coxwfin.robustse.", sqrt(diag(vcov(cox_fin))))

zph <- cox.zph(cox, transform = "km")
print(zph)
put("zph.km.p.", zph$table[, "p"])
zph_r <- cox.zph(cox, transform = "rank")
put("zph.rank.p.", zph_r$table[, "p"])

km <- survfit(Surv(week, arrest) ~ fin, data = rossi)
s <- summary(km, times = c(13, 26, 52))
print(s)
for (i in seq_along(s$time)) {
  key <- paste0("km.fin", sub("fin=", "", s$strata[i]), ".t", s$time[i])
  out[[paste0(key, ".surv")]] <- s$surv[i]; out[[paste0(key, ".se")]] <- s$std.err[i]
}
rm <- summary(km, rmean = 52)$table
print(rm)
out[["rmst52.fin0"]] <- rm[1, "rmean"]; out[["rmst52.fin1"]] <- rm[2, "rmean"]
out[["rmst52.fin0.se"]] <- rm[1, "se(rmean)"]; out[["rmst52.fin1.se"]] <- rm[2, "se(rmean)"]

kmw <- survfit(Surv(week, arrest) ~ fin, data = rossi, weights = w)
sw <- summary(kmw, times = c(13, 26, 52))
for (i in seq_along(sw$time)) {
  key <- paste0("kmw.fin", sub("fin=", "", sw$strata[i]), ".t", sw$time[i])
  out[[paste0(key, ".surv")]] <- sw$surv[i]
}

wb <- survreg(f, data = rossi, dist = "weibull")
print(summary(wb))
put("weibull.coef.", coef(wb)); put("weibull.se.", sqrt(diag(vcov(wb))))
out[["weibull.loglik"]] <- wb$loglik[2]; out[["weibull.logscale"]] <- log(wb$scale)
ll <- survreg(f, data = rossi, dist = "loglogistic")
put("loglogistic.coef.", coef(ll)); put("loglogistic.se.", sqrt(diag(vcov(ll))))
out[["loglogistic.loglik"]] <- ll$loglik[2]; out[["loglogistic.logscale"]] <- log(ll$scale)

# Interval censoring: pretend arrests were only seen at "waves" every 8 weeks (0, 8, ..., 48, 52);
# an arrest in week t is known to lie in (previous wave, first wave >= t]; lower bound 0 included.
waves <- c(0, 8, 16, 24, 32, 40, 48, 52)
up <- sapply(rossi$week, function(t) min(waves[waves >= t]))
lo <- sapply(rossi$week, function(t) max(waves[waves < t]))
rossi$lower <- ifelse(rossi$arrest == 1, lo, 52)
rossi$upper <- ifelse(rossi$arrest == 1, up, Inf)
# interval2 coding: NA upper = right-censored; NA lower = left-censored. survreg rejects a lower
# bound of exactly 0 for log-time distributions, and (0, u] is the same as left-censored at u.
rossi$upper_r <- ifelse(is.finite(rossi$upper), rossi$upper, NA)
rossi$lower_r <- ifelse(rossi$lower > 0, rossi$lower, NA)
fi <- Surv(lower_r, upper_r, type = "interval2") ~ fin + age + race + wexp + mar + paro + prio
iw <- survreg(fi, data = rossi, dist = "weibull")
print(summary(iw))
put("iweibull.coef.", coef(iw)); put("iweibull.se.", sqrt(diag(vcov(iw))))
out[["iweibull.loglik"]] <- iw$loglik[2]; out[["iweibull.logscale"]] <- log(iw$scale)
il <- survreg(fi, data = rossi, dist = "loglogistic")
put("iloglogistic.coef.", coef(il)); put("iloglogistic.se.", sqrt(diag(vcov(il))))
out[["iloglogistic.loglik"]] <- il$loglik[2]; out[["iloglogistic.logscale"]] <- log(il$scale)
iww <- survreg(fi, data = rossi, dist = "weibull", weights = w)
put("iweibullw.coef.", coef(iww)); out[["iweibullw.logscale"]] <- log(iww$scale)
# Turnbull / NPMLE by fin (survfit uses the EM algorithm of Turnbull 1976 for interval2 data)
tb <- survfit(Surv(lower_r, upper_r, type = "interval2") ~ fin, data = rossi)
st <- summary(tb, times = c(8, 16, 24, 32, 40, 48, 52))
print(st)
for (i in seq_along(st$time)) {
  out[[paste0("turnbull.fin", sub("fin=", "", st$strata[i]), ".t", st$time[i])]] <- st$surv[i]
}
tbw <- survfit(Surv(lower_r, upper_r, type = "interval2") ~ fin, data = rossi, weights = w)
stw <- summary(tbw, times = c(8, 16, 24, 32, 40, 48, 52))
for (i in seq_along(stw$time)) {
  out[[paste0("turnbullw.fin", sub("fin=", "", stw$strata[i]), ".t", stw$time[i])]] <- stw$surv[i]
}
# Overlapping intervals (a real test of the EM): odd rows are surveyed every 8 weeks, even rows
# every 12 weeks (0, 12, 24, 36, 48, 52), so the Turnbull innermost intervals are not the waves.
waves2 <- c(0, 12, 24, 36, 48, 52)
odd <- seq_len(n) %% 2 == 1
up2 <- ifelse(odd, up, sapply(rossi$week, function(t) min(waves2[waves2 >= t])))
lo2 <- ifelse(odd, lo, sapply(rossi$week, function(t) max(waves2[waves2 < t])))
rossi$lower2 <- ifelse(rossi$arrest == 1, lo2, 52)
rossi$upper2 <- ifelse(rossi$arrest == 1, up2, Inf)
write.csv(rossi[, c("lower", "upper", "lower2", "upper2")],
          "tests/golden/reference/rossi_survival/rossi_waves.csv", row.names = FALSE)
rossi$l2 <- ifelse(rossi$lower2 > 0, rossi$lower2, NA)
rossi$u2 <- ifelse(is.finite(rossi$upper2), rossi$upper2, NA)
tb2 <- survfit(Surv(l2, u2, type = "interval2") ~ fin, data = rossi)
st2 <- summary(tb2, times = c(8, 12, 16, 24, 32, 36, 40, 48, 52))
print(st2)
for (i in seq_along(st2$time)) {
  out[[paste0("turnbull2.fin", sub("fin=", "", st2$strata[i]), ".t", st2$time[i])]] <- st2$surv[i]
}
iw2 <- survreg(Surv(l2, u2, type = "interval2") ~ fin + age + race + wexp + mar + paro + prio,
               data = rossi, dist = "weibull")
put("iweibull2.coef.", coef(iw2)); put("iweibull2.se.", sqrt(diag(vcov(iw2))))
out[["iweibull2.loglik"]] <- iw2$loglik[2]; out[["iweibull2.logscale"]] <- log(iw2$scale)
vals <- data.frame(name = names(out), value = sprintf("%.10g", unlist(out)))
write.csv(vals, "tests/golden/reference/rossi_survival/values.csv", row.names = FALSE, quote = FALSE)
