# Laplace fit of the toenail logistic model with a correlated random intercept and time slope.
# Run from the repository root:
#   Rscript tests/golden/reference/toenail_glmm_slopes/toenail_glmm_slopes.R > tests/golden/reference/toenail_glmm_slopes/output.txt
# Laplace (nAGQ = 1) is the only option lme4 offers for vector random effects; on this design
# (~6.5 binary visits per patient) it is biased (see toenail_glmm/README.md), so these values are
# a point of comparison for the docs, not a target the Bayesian fit must hit.
suppressPackageStartupMessages(library(lme4))
d <- read.csv("mirabal_stats/datasets/files/toenail_hsaur3.csv")
d$y <- as.integer(d$outcome == "moderate or severe")
d$trt <- as.integer(d$treatment == "terbinafine")
cat("R", R.version$major, R.version$minor, "lme4", as.character(packageVersion("lme4")), "\n")
fit <- glmer(y ~ trt * time + (1 + time | patientID), data = d, family = binomial,
             control = glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
co <- summary(fit)$coefficients
cat(sprintf("logLik=%.6f\n", as.numeric(logLik(fit))))
for (i in seq_len(nrow(co))) cat(sprintf("term=%s estimate=%.6f se=%.6f\n", rownames(co)[i], co[i, 1], co[i, 2]))
vc <- VarCorr(fit)$patientID
cat(sprintf("term=sd(patient) estimate=%.6f\n", attr(vc, "stddev")[1]))
cat(sprintf("term=sd(time|patient) estimate=%.6f\n", attr(vc, "stddev")[2]))
cat(sprintf("term=cor(Intercept,time|patient) estimate=%.6f\n", attr(vc, "correlation")[1, 2]))
cat("messages:", paste(fit@optinfo$conv$lme4$messages, collapse = "; "), "\n")
