//! L2-regularised logistic regression fitted by IRLS (Newton's method).

use serde::{Deserialize, Serialize};

use super::preprocess::DesignMatrix;

/// Settings of the fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogisticConfig {
    /// Inverse regularisation strength, as scikit-learn's `C`.
    pub c: f64,
    /// Newton iterations at most.
    pub max_iter: usize,
    /// Convergence: relative change of the penalised deviance below this.
    pub tol: f64,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        Self {
            c: 1.0,
            max_iter: 100,
            tol: 1e-12,
        }
    }
}

/// Errors of the fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogisticError {
    /// Rows of the matrix and labels differ.
    #[error("{rows} design-matrix rows but {labels} labels")]
    ShapeMismatch {
        /// Matrix rows.
        rows: usize,
        /// Labels.
        labels: usize,
    },
    /// No rows.
    #[error("no rows to fit on")]
    Empty,
    /// `C` is not a positive finite number.
    #[error("regularisation c must be a positive finite number, got {0}")]
    InvalidC(f64),
    /// The design matrix holds NaN or infinity.
    #[error("design matrix value at row {row}, column {col} is not finite")]
    NonFinite {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
    },
    /// The Newton system is not positive definite (numerically degenerate data).
    #[error("the newton system is not positive definite at iteration {iteration}")]
    Singular {
        /// Iteration.
        iteration: usize,
    },
    /// The caller asked to stop.
    #[error("fit cancelled after {iterations} iterations")]
    Cancelled {
        /// Iterations done.
        iterations: usize,
    },
}

/// A fitted model on a design matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticFit {
    /// Intercept (not penalised).
    pub intercept: f64,
    /// One weight per design-matrix column.
    pub weights: Vec<f64>,
    /// Newton iterations done.
    pub iterations: usize,
    /// Whether the deviance rule was met before `max_iter`.
    pub converged: bool,
    /// Final penalised objective: `sum logloss + ||w||^2 / (2 C)`.
    pub objective: f64,
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// The logistic function.
#[must_use]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

fn linear_predictors(x: &DesignMatrix, beta: &[f64], out: &mut [f64]) {
    for (r, eta) in out.iter_mut().enumerate() {
        let row = &x.values[r * x.cols..(r + 1) * x.cols];
        *eta = beta[0] + row.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>();
    }
}

fn objective(eta: &[f64], y: &[bool], beta: &[f64], lambda: f64) -> f64 {
    let loss: f64 = eta
        .iter()
        .zip(y)
        .map(|(&z, &label)| softplus(z) - if label { z } else { 0.0 })
        .sum();
    loss + 0.5 * lambda * beta[1..].iter().map(|w| w * w).sum::<f64>()
}

/// Solves `a x = b` in place for a symmetric positive definite `a` (row-major `k x k`)
/// by Cholesky; `None` when `a` is not positive definite.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], k: usize) -> Option<()> {
    for j in 0..k {
        let mut d = a[j * k + j];
        for m in 0..j {
            d -= a[j * k + m] * a[j * k + m];
        }
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for m in 0..j {
                s -= a[i * k + m] * a[j * k + m];
            }
            a[i * k + j] = s / d;
        }
    }
    for i in 0..k {
        let mut s = b[i];
        for m in 0..i {
            s -= a[i * k + m] * b[m];
        }
        b[i] = s / a[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for m in i + 1..k {
            s -= a[m * k + i] * b[m];
        }
        b[i] = s / a[i * k + i];
    }
    Some(())
}

/// Most halvings of a Newton step before giving up on decreasing the objective.
const MAX_HALVINGS: usize = 40;

/// Fits an L2-regularised logistic regression with an unpenalised intercept.
///
/// # Formula
/// Minimises `C * sum_i logloss(y_i, sigmoid(b + x_i . w)) + ||w||^2 / 2`, the objective of
/// scikit-learn's `LogisticRegression(C=c)`, divided by `C`. Each Newton (IRLS) step
/// solves `H d = g` with `H = X1' S X1 + diag(0, 1/C, ..., 1/C)`, `S = diag(p(1 - p))` and
/// `X1 = [1 X]`, by Cholesky, then halves the step until the objective does not rise.
/// It stops when the objective's relative change is below `tol`
/// (`|f_old - f_new| < tol * (|f_new| + 0.1)`, the rule of R's `glm.fit`). The penalty
/// keeps the optimum finite on separable data. See Hastie, Tibshirani and Friedman,
/// "The Elements of Statistical Learning", 2nd ed., section 4.4.1.
///
/// `cancelled` is checked before every iteration.
///
/// # Errors
/// Every [`LogisticError`].
///
/// # Examples
/// ```
/// use scorewatch_core::{DesignMatrix, LogisticConfig, fit_logistic};
/// let x = DesignMatrix { values: vec![-2.0, -1.0, 1.0, 2.0], rows: 4, cols: 1 };
/// let fit = fit_logistic(&x, &[false, false, true, true], &LogisticConfig::default(), &|| false)?;
/// assert!(fit.converged && fit.weights[0] > 0.0);
/// # Ok::<(), scorewatch_core::LogisticError>(())
/// ```
pub fn fit_logistic(
    x: &DesignMatrix,
    y: &[bool],
    config: &LogisticConfig,
    cancelled: &dyn Fn() -> bool,
) -> Result<LogisticFit, LogisticError> {
    if x.rows != y.len() {
        return Err(LogisticError::ShapeMismatch {
            rows: x.rows,
            labels: y.len(),
        });
    }
    if x.rows == 0 {
        return Err(LogisticError::Empty);
    }
    if !(config.c > 0.0 && config.c.is_finite()) {
        return Err(LogisticError::InvalidC(config.c));
    }
    if let Some(i) = x.values.iter().position(|v| !v.is_finite()) {
        return Err(LogisticError::NonFinite {
            row: i / x.cols.max(1),
            col: i % x.cols.max(1),
        });
    }
    let lambda = 1.0 / config.c;
    let k = x.cols + 1;
    let n = x.rows;
    let mut beta = vec![0.0; k];
    let positives = y.iter().filter(|&&l| l).count() as f64;
    let rate = (positives / n as f64).clamp(1e-6, 1.0 - 1e-6);
    beta[0] = (rate / (1.0 - rate)).ln();

    let mut eta = vec![0.0; n];
    linear_predictors(x, &beta, &mut eta);
    let mut current = objective(&eta, y, &beta, lambda);
    let mut hessian = vec![0.0; k * k];
    let mut gradient = vec![0.0; k];
    let mut candidate = vec![0.0; k];
    let mut converged = false;
    let mut iterations = 0;
    while iterations < config.max_iter {
        if cancelled() {
            return Err(LogisticError::Cancelled { iterations });
        }
        iterations += 1;
        hessian.fill(0.0);
        gradient.fill(0.0);
        for (r, (&z, &label)) in eta.iter().zip(y).enumerate() {
            let p = sigmoid(z);
            let s = p * (1.0 - p);
            let residual = p - f64::from(u8::from(label));
            let row = &x.values[r * x.cols..(r + 1) * x.cols];
            gradient[0] += residual;
            hessian[0] += s;
            for (a, &xa) in row.iter().enumerate() {
                gradient[a + 1] += residual * xa;
                let sxa = s * xa;
                let h_row = &mut hessian[(a + 1) * k..(a + 1) * k + a + 2];
                h_row[0] += sxa;
                for (h, &xb) in h_row[1..].iter_mut().zip(&row[..=a]) {
                    *h += sxa * xb;
                }
            }
        }
        for a in 1..k {
            gradient[a] += lambda * beta[a];
            hessian[a * k + a] += lambda;
            for b in 0..a {
                hessian[b * k + a] = hessian[a * k + b];
            }
        }
        cholesky_solve(&mut hessian, &mut gradient, k).ok_or(LogisticError::Singular {
            iteration: iterations,
        })?;

        let mut step = 1.0;
        let mut next = f64::INFINITY;
        for _ in 0..=MAX_HALVINGS {
            for ((c, b), d) in candidate.iter_mut().zip(&beta).zip(&gradient) {
                *c = b - step * d;
            }
            linear_predictors(x, &candidate, &mut eta);
            next = objective(&eta, y, &candidate, lambda);
            if next <= current {
                break;
            }
            step *= 0.5;
        }
        if next > current {
            // No step decreases the objective: already at the optimum to rounding.
            linear_predictors(x, &beta, &mut eta);
            converged = true;
            break;
        }
        beta.copy_from_slice(&candidate);
        let change = (current - next).abs();
        current = next;
        if change < config.tol * (current.abs() + 0.1) {
            converged = true;
            break;
        }
    }
    Ok(LogisticFit {
        intercept: beta[0],
        weights: beta[1..].to_vec(),
        iterations,
        converged,
        objective: current,
    })
}

#[cfg(test)]
mod tests {
    // Reference numbers are pasted exactly as Python printed them.
    #![allow(clippy::unreadable_literal)]

    use super::*;

    /// Both fits are converged far below this; it is the issue's agreement bar.
    const COEF_TOL: f64 = 1e-4;

    /// The matrix of the Python reference:
    /// ```python
    /// n, p = 200, 4
    /// i = np.arange(n)[:, None]; j = np.arange(p)[None, :]
    /// X = np.sin(0.37 * i * (j + 1) + j) * (1 + j * 0.5)
    /// v = np.sin(0.11 * i[:, 0]) + 0.8 * X[:, 0] - 0.5 * X[:, 1] + ((i[:, 0] * 7919) % 13) / 13 - 0.5
    /// y = (v > 0).astype(int)   # min |v| = 0.0106, far from rounding
    /// ```
    fn reference_data() -> (DesignMatrix, Vec<bool>) {
        let (n, p) = (200usize, 4usize);
        let mut values = Vec::with_capacity(n * p);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let fi = i as f64;
            let row: Vec<f64> = (0..p)
                .map(|j| {
                    let fj = j as f64;
                    (0.37 * fi * (fj + 1.0) + fj).sin() * (1.0 + fj * 0.5)
                })
                .collect();
            let v = (0.11 * fi).sin() + 0.8 * row[0] - 0.5 * row[1]
                + ((i * 7919) % 13) as f64 / 13.0
                - 0.5;
            y.push(v > 0.0);
            values.extend(row);
        }
        (
            DesignMatrix {
                values,
                rows: n,
                cols: p,
            },
            y,
        )
    }

    fn assert_coefficients(fit: &LogisticFit, intercept: f64, weights: &[f64]) {
        assert!(fit.converged);
        assert!(
            (fit.intercept - intercept).abs() < COEF_TOL,
            "{}",
            fit.intercept
        );
        for (a, b) in fit.weights.iter().zip(weights) {
            assert!((a - b).abs() < COEF_TOL, "{a} vs {b}");
        }
    }

    #[test]
    fn matches_scikit_learn_c_1() {
        let (x, y) = reference_data();
        let fit = fit_logistic(&x, &y, &LogisticConfig::default(), &|| false).unwrap();
        // LogisticRegression(C=1.0, tol=1e-10, max_iter=10000, solver="newton-cg").fit(X, y)
        assert_coefficients(
            &fit,
            0.24313225424848653,
            &[
                1.4947555826705818,
                -0.9730178270866552,
                0.05182714035718017,
                0.013224999818056226,
            ],
        );
    }

    #[test]
    fn matches_scikit_learn_strong_penalty() {
        let (x, y) = reference_data();
        let config = LogisticConfig {
            c: 0.05,
            ..LogisticConfig::default()
        };
        let fit = fit_logistic(&x, &y, &config, &|| false).unwrap();
        // LogisticRegression(C=0.05, tol=1e-10, max_iter=10000, solver="newton-cg").fit(X, y)
        assert_coefficients(
            &fit,
            0.1041485019366769,
            &[
                0.6648538488156714,
                -0.5711174137886911,
                -0.021854101194493412,
                0.030065407826199205,
            ],
        );
    }

    #[test]
    fn separable_data_converges_thanks_to_the_penalty() {
        let x = DesignMatrix {
            values: vec![-2.0, -1.0, 1.0, 2.0],
            rows: 4,
            cols: 1,
        };
        let fit = fit_logistic(
            &x,
            &[false, false, true, true],
            &LogisticConfig::default(),
            &|| false,
        )
        .unwrap();
        // LogisticRegression(C=1.0, tol=1e-10, max_iter=10000, solver="newton-cg")
        //     .fit([[-2.], [-1.], [1.], [2.]], [0, 0, 1, 1])  -> -1.875e-17, 1.0065943147848284
        assert_coefficients(&fit, 0.0, &[1.0065943147848284]);
        assert!(fit.iterations < 20);
    }

    #[test]
    fn cancel_is_checked_between_iterations() {
        let (x, y) = reference_data();
        let calls = std::cell::Cell::new(0);
        let result = fit_logistic(&x, &y, &LogisticConfig::default(), &|| {
            calls.set(calls.get() + 1);
            calls.get() > 2
        });
        assert_eq!(result, Err(LogisticError::Cancelled { iterations: 2 }));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let x = DesignMatrix {
            values: vec![f64::NAN],
            rows: 1,
            cols: 1,
        };
        assert!(matches!(
            fit_logistic(&x, &[true], &LogisticConfig::default(), &|| false),
            Err(LogisticError::NonFinite { row: 0, col: 0 })
        ));
        let config = LogisticConfig {
            c: 0.0,
            ..LogisticConfig::default()
        };
        assert!(matches!(
            fit_logistic(&x, &[true], &config, &|| false),
            Err(LogisticError::InvalidC(_))
        ));
        assert!(matches!(
            fit_logistic(&x, &[], &LogisticConfig::default(), &|| false),
            Err(LogisticError::ShapeMismatch { .. })
        ));
    }
}
