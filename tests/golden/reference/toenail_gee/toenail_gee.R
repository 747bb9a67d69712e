# Reference values for mirabal_stats.panel.gee on the toenail trial (De Backer et al. 1998).
# Run from the repository root:
#   Rscript tests/golden/reference/toenail_gee/toenail_gee.R > tests/golden/reference/toenail_gee/output.csv
# Reads the CSV bundled with the package (HSAUR3::toenail exported unchanged), so R and Python fit
# exactly the same rows. Output: one row per (correlation, scale, term) with the estimate, the robust
# (sandwich) SE, the working correlation parameter and the scale, printed with 12 significant digits.
suppressPackageStartupMessages(library(geepack))

raw <- read.csv("mirabal_stats/datasets/files/toenail_hsaur3.csv")
toenail <- data.frame(
  patient = raw$patientID,
  visit = raw$visit,
  time = raw$time,
  trt = as.integer(raw$treatment == "terbinafine"),
  y = as.integer(raw$outcome == "moderate or severe")
)
toenail <- toenail[order(toenail$patient, toenail$visit), ]

rows <- list()
for (corstr in c("exchangeable", "independence", "ar1")) {
  for (scale_fix in c(FALSE, TRUE)) {
    # waves = visit: the AR(1) lag is the difference in visit number, so a missed visit counts.
    fit <- geeglm(y ~ trt * time, id = patient, waves = visit, data = toenail,
                  family = binomial, corstr = corstr, scale.fix = scale_fix)
    s <- summary(fit)
    alpha <- if (corstr == "independence") 0 else unname(fit$geese$alpha[1])
    rows[[length(rows) + 1]] <- data.frame(
      correlation = corstr,
      scale_fix = scale_fix,
      term = rownames(s$coefficients),
      estimate = unname(coef(fit)),
      std_error = s$coefficients[, "Std.err"],
      alpha = alpha,
      scale = unname(fit$geese$gamma[1])
    )
  }
}
out <- do.call(rbind, rows)
cat(sprintf("# R %s, geepack %s\n", getRversion(), packageVersion("geepack")))
write.csv(format(out, digits = 12), stdout(), row.names = FALSE, quote = FALSE)
