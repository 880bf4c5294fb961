//! Population stability index on frozen bins.
//!
//! The bins are decided once, on the reference, and stored in the profile: every later
//! window is counted into the same bins, so PSI values from different windows compare.
//! (Evidently re-bins on reference and current together, so its bins move with every
//! batch; scorewatch does not.)

use super::error::DriftError;
use super::report::PsiBand;

/// A zero share on either side is replaced by this, without renormalising the others,
/// so that PSI stays finite when a bin is empty.
pub const PSI_SHARE_FLOOR: f64 = 1e-4;

/// The quantiles whose values become interior numeric edges: 10%, 20%, ..., 90%.
const DECILES: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// PSI below this is stable.
const MODERATE_FROM: f64 = 0.1;
/// PSI at or above this is significant.
const SIGNIFICANT_FROM: f64 = 0.25;

impl PsiBand {
    /// The band of a PSI value: `< 0.1` stable, `0.1 to < 0.25` moderate, `>= 0.25`
    /// significant.
    ///
    /// # Examples
    /// ```
    /// use scorewatch_core::PsiBand;
    /// assert_eq!(PsiBand::from_psi(0.1), PsiBand::Moderate);
    /// ```
    #[must_use]
    pub fn from_psi(psi: f64) -> Self {
        if psi >= SIGNIFICANT_FROM {
            Self::Significant
        } else if psi >= MODERATE_FROM {
            Self::Moderate
        } else {
            Self::Stable
        }
    }
}

/// Interior bin edges of a numeric reference: its 10th, 20th, ..., 90th percentiles with
/// duplicates removed.
///
/// # Formula
/// numpy's default `"linear"` quantile (Hyndman & Fan type 7): for quantile q of n sorted
/// values, `v = q (n - 1)`, `i = floor(v)`, `g = v - i`, and the value is
/// `a[i] + (a[i+1] - a[i]) g`, evaluated as `a[i+1] - (a[i+1] - a[i]) (1 - g)` when
/// `g >= 0.5`, exactly as numpy's `_lerp`, so the edges equal
/// `np.unique(np.quantile(ref, np.arange(1, 10) / 10))` bit for bit.
///
/// # Errors
/// None: an empty input gives no edges (one open bin).
///
/// # Examples
/// ```
/// let values: Vec<f64> = (1..=11).map(f64::from).collect();
/// let edges = scorewatch_core::decile_edges(&values);
/// assert_eq!(edges, vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
/// ```
#[must_use]
pub fn decile_edges(sorted: &[f64]) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let mut edges: Vec<f64> = DECILES
        .iter()
        .map(|&q| linear_quantile(sorted, q))
        .collect();
    edges.dedup();
    edges
}

fn linear_quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let virtual_index = (last as f64) * q;
    // `virtual_index` lies in [0, last], so the cast neither truncates nor wraps.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let previous = (virtual_index.floor() as usize).min(last);
    let next = (previous + 1).min(last);
    let gamma = virtual_index - previous as f64;
    let (a, b) = (sorted[previous], sorted[next]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// Whether a numeric value counts as missing: NaN and +-inf do.
#[must_use]
pub fn is_missing(value: f64) -> bool {
    !value.is_finite()
}

/// The bin of a non-missing value: the number of edges `<= value`, so bins are left-closed
/// `[lo, hi)` and a value equal to an edge belongs to the bin that starts at that edge.
#[must_use]
pub fn numeric_bin(edges: &[f64], value: f64) -> usize {
    edges.partition_point(|&edge| edge <= value)
}

/// Counts sorted, non-missing values into the `edges.len() + 1` bins of [`numeric_bin`].
///
/// Edges out of order (only a corrupt reference profile has them) give the out-of-order
/// bins a count of 0 rather than an underflow; the counts still add up to `sorted.len()`.
#[must_use]
pub fn count_sorted(edges: &[f64], sorted: &[f64]) -> Vec<u64> {
    let mut counts = Vec::with_capacity(edges.len() + 1);
    let mut below_previous = 0usize;
    for &edge in edges {
        let below = sorted.partition_point(|&v| v < edge).max(below_previous);
        counts.push((below - below_previous) as u64);
        below_previous = below;
    }
    counts.push((sorted.len() - below_previous) as u64);
    counts
}

/// Human labels of numeric bins: `(-inf, e1)`, `[e1, e2)`, ..., `[ek, +inf)`.
#[must_use]
pub fn numeric_labels(edges: &[f64]) -> Vec<String> {
    if edges.is_empty() {
        return vec!["(-inf, +inf)".to_owned()];
    }
    let mut labels = Vec::with_capacity(edges.len() + 1);
    labels.push(format!("(-inf, {})", edges[0]));
    for pair in edges.windows(2) {
        labels.push(format!("[{}, {})", pair[0], pair[1]));
    }
    labels.push(format!("[{}, +inf)", edges[edges.len() - 1]));
    labels
}

/// Share of each bin in a count vector; all zeros when the total is zero.
#[must_use]
pub fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return vec![0.0; counts.len()];
    }
    counts.iter().map(|&c| c as f64 / total as f64).collect()
}

/// Population stability index of two count vectors over the same bins (the missing bin
/// included).
///
/// # Formula
/// `PSI = sum_i (a_i - e_i) ln(a_i / e_i)` with `e_i` the reference share and `a_i` the
/// current share of bin i; a zero share is replaced by [`PSI_SHARE_FLOOR`] (1e-4) and the
/// shares are not renormalised. Siddiqi, *Credit Risk Scorecards* (2006), ch. 8; the
/// floor keeps the index finite where some toolkits return infinity.
///
/// # Errors
/// [`DriftError::BinMismatch`] when the vectors differ in length,
/// [`DriftError::EmptySide`] when a side has no rows at all.
///
/// # Examples
/// ```
/// let psi = scorewatch_core::psi(&[50, 50], &[50, 50]).unwrap();
/// assert_eq!(psi, 0.0);
/// ```
pub fn psi(reference: &[u64], current: &[u64]) -> Result<f64, DriftError> {
    if reference.len() != current.len() {
        return Err(DriftError::BinMismatch {
            reference: reference.len(),
            current: current.len(),
        });
    }
    if reference.iter().all(|&c| c == 0) || current.iter().all(|&c| c == 0) {
        return Err(DriftError::EmptySide);
    }
    Ok(psi_of_shares(&shares(reference), &shares(current)))
}

/// [`psi`] on shares that are already known to be over the same bins.
pub(crate) fn psi_of_shares(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(&e, &a)| {
            let e = if e == 0.0 { PSI_SHARE_FLOOR } else { e };
            let a = if a == 0.0 { PSI_SHARE_FLOOR } else { a };
            (a - e) * (a / e).ln()
        })
        .sum()
}
