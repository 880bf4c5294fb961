//! Two-sample Kolmogorov-Smirnov test, as `scipy.stats.ks_2samp(method="auto")`.

use super::kstwo::kstwo_sf;
use super::report::{KsMethod, KsResult};

/// Above this sample size (of either side) scipy's `auto` mode uses the asymptotic
/// p-value (`MAX_AUTO_N` in `ks_2samp`).
pub const KS_MAX_EXACT_N: usize = 10_000;

/// The KS statistic of two sorted samples without missing values.
///
/// # Formula
/// `D = max_x |F_a(x) - F_b(x)|` over the pooled values, with right-continuous ECDFs
/// (`F(x) = #{v <= x} / n`), so tied values step both ECDFs at once, exactly as scipy's
/// `searchsorted(side="right")` construction. Computed by one merge of the sorted
/// samples, O(n + m). Empty input gives 0.
///
/// # Errors
/// None.
///
/// # Examples
/// ```
/// let d = scorewatch_core::ks_statistic(&[1.0, 2.0, 3.0], &[2.0, 3.0, 4.0]);
/// assert!((d - 1.0 / 3.0).abs() < 1e-15);
/// ```
#[must_use]
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return 0.0;
    }
    let (fn1, fn2) = (n1 as f64, n2 as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut max_diff = 0.0f64;
    let mut min_diff = 0.0f64;
    while i < n1 && j < n2 {
        let x = if a[i].total_cmp(&b[j]).is_le() {
            a[i]
        } else {
            b[j]
        };
        while i < n1 && a[i].total_cmp(&x).is_le() {
            i += 1;
        }
        while j < n2 && b[j].total_cmp(&x).is_le() {
            j += 1;
        }
        let diff = i as f64 / fn1 - j as f64 / fn2;
        max_diff = max_diff.max(diff);
        min_diff = min_diff.min(diff);
    }
    // Once one side is exhausted the difference moves monotonically to 0, so the
    // extremes are already seen.
    max_diff.max((-min_diff).clamp(0.0, 1.0))
}

/// Two-sample KS test of two sorted samples without missing values, as
/// `scipy.stats.ks_2samp(a, b, method="auto")`. `None` when a sample is empty.
///
/// # Formula
/// D as in [`ks_statistic`]. When `max(n, m) <= 10000` the p-value `P(D_{n,m} >= D)` is
/// exact: with `g = gcd(n, m)`, `L = n m / g` and `h = round(D L)` (D itself is reported
/// as `h / L`, as scipy does), path counting after Hodges (1958) via scipy's
/// `_compute_prob_outside_square` when `n = m` and the Viehmann (2021) "inside" recursion
/// `_compute_outer_prob_inside_method` otherwise; both are weighted averages that cannot
/// overflow. If the exact value is not a probability, scipy falls back to the asymptotic
/// one and so does this. Otherwise the p-value is `kstwo.sf(D, round(n m / (n + m)))`
/// (see the `kstwo` module). D = 0 gives p = 1.
///
/// # Errors
/// None; empty input gives `None`.
///
/// # Examples
/// ```
/// use scorewatch_core::{ks_2samp, KsMethod};
/// let a = [0.1, 0.4, 0.7];
/// let r = ks_2samp(&a, &a).unwrap();
/// assert_eq!((r.statistic, r.p_value, r.method), (0.0, 1.0, KsMethod::Exact));
/// ```
#[must_use]
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Option<KsResult> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let d = ks_statistic(a, b);
    if n1.max(n2) <= KS_MAX_EXACT_N
        && let Some((statistic, p_value)) = exact_p(n1 as u64, n2 as u64, d)
    {
        return Some(KsResult {
            statistic,
            p_value,
            method: KsMethod::Exact,
        });
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = m * n / (m + n);
    // en <= min(n1, n2), so it fits in u64.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let effective_n = (en.round_ties_even() as u64).max(1);
    Some(KsResult {
        statistic: d,
        p_value: kstwo_sf(effective_n, d).clamp(0.0, 1.0),
        method: KsMethod::Asymptotic,
    })
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's `_attempt_exact_2kssamp` for the two-sided alternative: `(D, p)` or `None`
/// when scipy would fall back to the asymptotic p-value.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn exact_p(n1: u64, n2: u64, d: f64) -> Option<(f64, f64)> {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    // d is in [0, 1], so h is in [0, lcm].
    let h = (d * lcm as f64).round_ties_even() as u64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return Some((d, 1.0));
    }
    let p = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        outer_prob_inside_method(n1, n2, g, h)
    };
    (0.0..=1.0).contains(&p).then_some((d, p))
}

/// `P(D_{n,n} >= h/n)`, scipy's `_compute_prob_outside_square`: the alternating sum
/// `2 sum_k (-1)^(k+1) C(2n, n - k h) / C(2n, n)` evaluated Horner-style,
/// `2 A0 (1 - A1 (1 - A2 (...)))`, to avoid cancellation. O(n + h) steps.
#[allow(clippy::cast_possible_wrap)]
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0f64;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0f64;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// `1 - P(|x/m - y/n| < h/lcm for the whole lattice path)`, scipy's
/// `_compute_outer_prob_inside_method` (Viehmann 2021, arXiv:2102.08037): one sliding
/// column of the path-count matrix, each entry a weighted average, so no rescaling.
/// O(m * window) steps, window <= n + 1.
#[allow(
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn outer_prob_inside_method(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (m, n, g, h) = (m as i64, n as i64, g as i64, h as i64);
    let mg = m / g;
    let ng = n / g;
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    // scipy sizes this min(2 maxj + 2, n + 1); the extra slots, never read there, are
    // harmless here and spare bounds juggling.
    let mut a = vec![1.0f64; (n + 2) as usize];
    for slot in &mut a[minj as usize..maxj as usize] {
        *slot = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (((ng * i - h) as f64 / mg as f64).floor() as i64 + 1).max(0);
        minj = minj.min(n);
        maxj = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let fi = i as f64;
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            val = (a[(jj + minj - lastminj) as usize] * fi + val * j as f64) / (fi + j as f64);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = curlen as usize;
            let end = ((maxj - minj + (lastlen - curlen)) as usize).min(a.len());
            for slot in &mut a[start..end] {
                *slot = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}
