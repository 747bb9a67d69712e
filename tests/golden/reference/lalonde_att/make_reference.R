# Golden values for mirabal_stats.weighting on the 614-row MatchIt Lalonde data.
# Run from the repository root:
#   Rscript tests/golden/reference/lalonde_att/make_reference.R > tests/golden/reference/lalonde_att/raw_output.txt
# Writes reference_values.csv (quantity,estimand,covariate,value) next to this script.
# Uses only base R, survey and (for nothing but printing versions) sessionInfo(); WeightIt and cobalt
# are not packaged in Debian, so their conventions are written out by hand below and checked against
# the numbers published in the WeightIt documentation (see README.md).
suppressPackageStartupMessages(library(survey))
options(digits = 12)
here <- "tests/golden/reference/lalonde_att"
d <- read.csv("mirabal_stats/datasets/files/lalonde_matchit.csv")
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
n <- nrow(d)
a <- d$treat
ps_fit <- glm(treat ~ age + educ + race + married + nodegree + re74 + re75,
              data = d, family = binomial(),
              control = glm.control(epsilon = 1e-14, maxit = 100))
print(summary(ps_fit))
p <- fitted(ps_fit)
Z <- model.matrix(ps_fit)

weights_for <- function(estimand) {
  switch(estimand,
         ATT = ifelse(a == 1, 1, p / (1 - p)),
         ATE = ifelse(a == 1, 1 / p, 1 / (1 - p)),
         ATO = ifelse(a == 1, 1 - p, p))
}

# Covariates as cobalt expands them: factor levels become 0/1 columns, one per level.
X <- data.frame(age = d$age, educ = d$educ,
                race_black = as.numeric(d$race == "black"),
                race_hispan = as.numeric(d$race == "hispan"),
                race_white = as.numeric(d$race == "white"),
                married = d$married, nodegree = d$nodegree, re74 = d$re74, re75 = d$re75)
is_binary <- sapply(X, function(x) all(x %in% c(0, 1)))

wmean <- function(x, w) sum(w * x) / sum(w)
# cobalt's weighted variance: the unbiased "reliability weights" form.
wvar <- function(x, w) {
  m <- wmean(x, w)
  sum(w) / (sum(w)^2 - sum(w^2)) * sum(w * (x - m)^2)
}
# Unweighted variance: p(1 - p) for binary covariates (Austin 2009), sample variance otherwise.
uvar <- function(x, binary) if (binary) mean(x) * (1 - mean(x)) else var(x)
wks <- function(x, w1, w0, x1, x0) {
  grid <- sort(unique(c(x1, x0)))
  F1 <- sapply(grid, function(g) sum(w1[x1 <= g]) / sum(w1))
  F0 <- sapply(grid, function(g) sum(w0[x0 <= g]) / sum(w0))
  max(abs(F1 - F0))
}

rows <- list()
add <- function(quantity, estimand, covariate, value) {
  rows[[length(rows) + 1]] <<- data.frame(quantity = quantity, estimand = estimand,
                                          covariate = covariate, value = value)
}
add("propensity_coef", "none", colnames(Z), coef(ps_fit))
add("propensity_first5", "none", as.character(1:5), p[1:5])

for (estimand in c("ATT", "ATE", "ATO")) {
  w <- weights_for(estimand)
  add("weight_first5", estimand, as.character(1:5), w[1:5])
  add("weight_control_max", estimand, "", max(w[a == 0]))
  add("weight_treated_max", estimand, "", max(w[a == 1]))
  ess <- function(v) sum(v)^2 / sum(v^2)
  add("ess_treated", estimand, "", ess(w[a == 1]))
  add("ess_control", estimand, "", ess(w[a == 0]))
  for (v in names(X)) {
    x <- X[[v]]
    b <- is_binary[[v]]
    x1 <- x[a == 1]; x0 <- x[a == 0]
    s2 <- if (estimand == "ATT") uvar(x1, b) else (uvar(x1, b) + uvar(x0, b)) / 2
    s <- sqrt(s2)
    d_un <- mean(x1) - mean(x0)
    d_adj <- wmean(x1, w[a == 1]) - wmean(x0, w[a == 0])
    add("smd_un", estimand, v, d_un / s)
    add("smd_adj", estimand, v, d_adj / s)
    add("diff_un", estimand, v, d_un)
    add("diff_adj", estimand, v, d_adj)
    if (!b) {
      add("vr_un", estimand, v, var(x1) / var(x0))
      add("vr_adj", estimand, v, wvar(x1, w[a == 1]) / wvar(x0, w[a == 0]))
    }
    add("ks_un", estimand, v, wks(x, rep(1, sum(a)), rep(1, sum(1 - a)), x1, x0))
    add("ks_adj", estimand, v, wks(x, w[a == 1], w[a == 0], x1, x0))
  }
  d$w <- w
  des <- svydesign(ids = ~1, weights = ~w, data = d)
  fit <- svyglm(re78 ~ treat, design = des)
  cat("\n====", estimand, "svyglm(re78 ~ treat)\n")
  print(summary(fit))
  add("svyglm_estimate", estimand, "treat", coef(fit)[["treat"]])
  add("svyglm_se", estimand, "treat", sqrt(vcov(fit)["treat", "treat"]))
  fit_x <- svyglm(re78 ~ treat + age + educ + race + married + nodegree + re74 + re75, design = des)
  cat("\n====", estimand, "svyglm(re78 ~ treat + covariates)\n")
  print(summary(fit_x))
  add("svyglm_cov_estimate", estimand, "treat", coef(fit_x)[["treat"]])
  add("svyglm_cov_se", estimand, "treat", sqrt(vcov(fit_x)["treat", "treat"]))

  # Stacked M-estimation (HC0) for the outcome model re78 ~ treat with weights depending on the
  # propensity coefficients gamma: psi_i = (propensity score_i, w_i(gamma) x_i (y_i - x_i beta)).
  # The Jacobian is taken by central finite differences here, so this check is independent of the
  # analytic derivatives used in Python.
  # The propensity model is re-parametrised on standardised covariates (same fitted values):
  # with raw covariates a finite-difference step of 1e-5 in the re74 coefficient moves the
  # linear predictor by ~0.3 and the Jacobian would be inaccurate.
  Zs <- cbind(1, scale(Z[, -1]))
  gamma_s <- coef(glm.fit(Zs, a, family = binomial(), control = glm.control(epsilon = 1e-14)))
  Xo <- cbind(1, a)
  y <- d$re78
  theta <- c(gamma_s, coef(fit))
  k <- ncol(Zs)
  psi <- function(theta) {
    g <- theta[1:k]; beta <- theta[-(1:k)]
    pp <- plogis(drop(Zs %*% g))
    ww <- switch(estimand,
                 ATT = ifelse(a == 1, 1, pp / (1 - pp)),
                 ATE = ifelse(a == 1, 1 / pp, 1 / (1 - pp)),
                 ATO = ifelse(a == 1, 1 - pp, pp))
    cbind(Zs * (a - pp), Xo * (ww * drop(y - Xo %*% beta)))
  }
  psibar <- function(theta) colSums(psi(theta))
  J <- matrix(0, length(theta), length(theta))
  for (j in seq_along(theta)) {
    h <- 1e-5 * max(1, abs(theta[j]))
    e <- rep(0, length(theta)); e[j] <- h
    J[, j] <- (psibar(theta + e) - psibar(theta - e)) / (2 * h)
  }
  B <- crossprod(psi(theta))
  Jinv <- solve(J)
  V <- Jinv %*% B %*% t(Jinv)
  add("mest_se", estimand, "treat", sqrt(V[k + 2, k + 2]))
  cat("\n====", estimand, "M-estimation SE (HC0) for treat:", sqrt(V[k + 2, k + 2]), "\n")
}

# Entropy balancing for the ATT (Hainmueller 2012): control weights w_i proportional to
# exp(c_i' lambda), with lambda minimising the convex dual log(sum exp(C lambda)) - mean_treated' lambda.
# Solved here with optim(BFGS) on centred, scaled covariates; Python solves the same dual differently.
Cm <- model.matrix(~ age + educ + race + married + nodegree + re74 + re75, data = d)[, -1]
target <- colMeans(Cm[a == 1, ])
Cc <- sweep(Cm[a == 0, ], 2, target)
Cc <- sweep(Cc, 2, apply(Cm, 2, sd), "/")
dual <- function(l) log(sum(exp(drop(Cc %*% l))))
grad <- function(l) { e <- exp(drop(Cc %*% l)); colSums(Cc * e) / sum(e) }
opt <- optim(rep(0, ncol(Cc)), dual, grad, method = "BFGS",
             control = list(reltol = 1e-16, maxit = 10000))
e <- exp(drop(Cc %*% opt$par))
w_eb <- rep(1, n)
w_eb[a == 0] <- e / sum(e) * sum(a == 0)
cat("\n==== entropy balancing: optim convergence", opt$convergence, "\n")
print(colSums(Cm[a == 0, ] * w_eb[a == 0]) / sum(w_eb[a == 0]) - target)
add("ebal_ess_control", "ATT", "", sum(w_eb[a == 0])^2 / sum(w_eb[a == 0]^2))
add("ebal_weight_control_max", "ATT", "", max(w_eb[a == 0]))
d$w <- w_eb
fit_eb <- svyglm(re78 ~ treat, design = svydesign(ids = ~1, weights = ~w, data = d))
add("ebal_svyglm_estimate", "ATT", "treat", coef(fit_eb)[["treat"]])
add("ebal_svyglm_se", "ATT", "treat", sqrt(vcov(fit_eb)["treat", "treat"]))

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "reference_values.csv"), row.names = FALSE)
print(out, digits = 12)
print(sessionInfo())
