# Reference fits of the toenail random-intercept logistic model with lme4.
# Run from the repository root:
#   Rscript tests/golden/reference/toenail_glmm/toenail_glmm.R > tests/golden/reference/toenail_glmm/output.txt
# Data: the CSV bundled with mirabal_stats (HSAUR3::toenail exported unchanged), with
# y = 1 for "moderate or severe" and trt = 1 for terbinafine, as load_toenail() derives them.
suppressPackageStartupMessages(library(lme4))
d <- read.csv("mirabal_stats/datasets/files/toenail_hsaur3.csv")
d$y <- as.integer(d$outcome == "moderate or severe")
d$trt <- as.integer(d$treatment == "terbinafine")
cat("R", R.version$major, R.version$minor, "lme4", as.character(packageVersion("lme4")), "\n")
cat("n_obs", nrow(d), "n_patient", length(unique(d$patientID)), "\n")
for (q in c(1, 25, 50)) {
  fit <- glmer(y ~ trt * time + (1 | patientID), data = d, family = binomial, nAGQ = q,
               control = glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
  co <- summary(fit)$coefficients
  cat(sprintf("nAGQ=%d logLik=%.6f\n", q, as.numeric(logLik(fit))))
  for (i in seq_len(nrow(co))) {
    cat(sprintf("nAGQ=%d term=%s estimate=%.6f se=%.6f\n", q, rownames(co)[i], co[i, 1], co[i, 2]))
  }
  cat(sprintf("nAGQ=%d term=sd(patient) estimate=%.6f se=NA\n", q, attr(VarCorr(fit)$patientID, "stddev")))
}
