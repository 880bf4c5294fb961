//! Chi-square homogeneity test on a 2 x K table of counts.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::report::Chi2Result;

/// Chi-square test of homogeneity of two count vectors over the same categories, as
/// `scipy.stats.chi2_contingency([reference, current])` (default `correction=True`).
/// `None` when a side has no counts.
///
/// # Formula
/// Categories empty on both sides are dropped first (scipy would divide by a zero
/// expected count). With row totals `R_r`, column totals `C_k` and grand total `N`, the
/// expected count is `E_rk = R_r C_k / N` and `chi2 = sum (O_rk - E_rk)^2 / E_rk` over
/// `dof = K - 1` degrees of freedom. When `dof = 1` Yates' correction moves each observed
/// count towards its expected count by `min(0.5, |O - E|)`. The p-value is the chi-square
/// survival function (`statrs` `ChiSquared::sf`, not `1 - cdf`). `dof = 0` gives
/// statistic 0 and p = 1, as scipy.
///
/// # Errors
/// None; a side without counts gives `None`.
///
/// # Examples
/// ```
/// let r = scorewatch_core::chi2_homogeneity(&[10, 20, 30], &[10, 20, 30]).unwrap();
/// assert_eq!((r.statistic, r.dof, r.p_value), (0.0, 2, 1.0));
/// ```
#[must_use]
pub fn chi2_homogeneity(reference: &[u64], current: &[u64]) -> Option<Chi2Result> {
    let columns: Vec<(f64, f64)> = reference
        .iter()
        .zip(current)
        .filter(|&(&r, &c)| r + c > 0)
        .map(|(&r, &c)| (r as f64, c as f64))
        .collect();
    let row_ref: f64 = columns.iter().map(|c| c.0).sum();
    let row_cur: f64 = columns.iter().map(|c| c.1).sum();
    if row_ref == 0.0 || row_cur == 0.0 {
        return None;
    }
    let dof = columns.len().saturating_sub(1);
    if dof == 0 {
        return Some(Chi2Result {
            statistic: 0.0,
            dof: 0,
            p_value: 1.0,
        });
    }
    let total = row_ref + row_cur;
    let yates = dof == 1;
    let mut statistic = 0.0;
    for &(o_ref, o_cur) in &columns {
        let col = o_ref + o_cur;
        for (observed, row) in [(o_ref, row_ref), (o_cur, row_cur)] {
            let expected = row * col / total;
            let observed = if yates {
                let diff = expected - observed;
                observed + diff.abs().min(0.5) * diff.signum() * f64::from(u8::from(diff != 0.0))
            } else {
                observed
            };
            statistic += (observed - expected).powi(2) / expected;
        }
    }
    let dof_f = dof as f64;
    let p_value = ChiSquared::new(dof_f).map_or(f64::NAN, |dist| dist.sf(statistic));
    Some(Chi2Result {
        statistic,
        dof: u32::try_from(dof).unwrap_or(u32::MAX),
        p_value,
    })
}
