# Golden values for mirabal_stats.survival.effects_from_counts: Rossi arrests by week 52
# (48 of 216 with financial aid, 66 of 216 without). Base R only.
# Run from the repo root: Rscript tests/golden/reference/counts_rossi52/counts.R > tests/golden/reference/counts_rossi52/output.txt
x1 <- 48; n1 <- 216; x0 <- 66; n0 <- 216
ft <- fisher.test(matrix(c(x1, n1 - x1, x0, n0 - x0), 2, byrow = TRUE))
w1 <- prop.test(x1, n1, correct = FALSE)$conf.int   # Wilson score interval
w0 <- prop.test(x0, n0, correct = FALSE)$conf.int
rd <- prop.test(c(x1, x0), c(n1, n0), correct = FALSE)$conf.int  # Wald difference
cp1 <- binom.test(x1, n1)$conf.int                   # Clopper-Pearson
vals <- c(or_exact_lower = ft$conf.int[1], or_exact_upper = ft$conf.int[2],
          wilson_treated_lower = w1[1], wilson_treated_upper = w1[2],
          wilson_control_lower = w0[1], wilson_control_upper = w0[2],
          rd_wald_lower = rd[1], rd_wald_upper = rd[2],
          cp_treated_lower = cp1[1], cp_treated_upper = cp1[2])
for (nm in names(vals)) cat(sprintf("%s,%.10g\n", nm, vals[[nm]]))
