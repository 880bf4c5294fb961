//! Drift statistics against reference values from scipy 1.17 / numpy 2.4.
//!
//! The samples are built from integer arithmetic so that Python and Rust see the same
//! numbers: `A(n, k, m, s, d) = [((i * k) % m) / d + s for i in range(n)]`.
// Helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use scorewatch_core::{KsMethod, chi2_homogeneity, decile_edges, ks_2samp, psi};

/// KS statistic agreement (scipy rounds D to h / lcm(n, m) on the exact path).
const STAT_TOL: f64 = 1e-12;
/// Relative agreement of exact KS p-values and of chi-square results.
const EXACT_REL_TOL: f64 = 1e-9;
/// Relative agreement promised for asymptotic KS p-values >= 1e-6.
const ASYMP_REL_TOL: f64 = 0.01;

/// `A(n, k, m, s, d)` from the module docs, sorted as `ks_2samp` needs.
fn a(n: u64, k: u64, m: u64, shift: f64, div: f64) -> Vec<f64> {
    let mut v: Vec<f64> = (0..n).map(|i| ((i * k) % m) as f64 / div + shift).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

fn check_exact(x: &[f64], y: &[f64], statistic: f64, p: f64) {
    let r = ks_2samp(x, y).unwrap();
    assert_eq!(r.method, KsMethod::Exact);
    assert!(
        (r.statistic - statistic).abs() < STAT_TOL,
        "D {} vs {statistic}",
        r.statistic
    );
    assert!(
        rel(r.p_value, p) < EXACT_REL_TOL,
        "p {:e} vs {p:e}",
        r.p_value
    );
}

#[test]
fn ks_exact_with_ties_and_equal_sizes() {
    // ks_2samp(A(60,7,13), A(60,5,11,1.0), method="auto")
    check_exact(
        &a(60, 7, 13, 0.0, 1.0),
        &a(60, 5, 11, 1.0, 1.0),
        0.083_333_333_333_333_33,
        0.986_653_284_965_015_1,
    );
}

#[test]
fn ks_exact_with_unequal_sizes() {
    // ks_2samp(A(80,37,101,0,10.0), A(55,29,97,0.5,10.0), method="auto")
    check_exact(
        &a(80, 37, 101, 0.0, 10.0),
        &a(55, 29, 97, 0.5, 10.0),
        0.081_818_181_818_181_82,
        0.965_568_313_654_788_3,
    );
    // ks_2samp(A(300,7,13), A(170,5,11,0.0), method="auto")
    check_exact(
        &a(300, 7, 13, 0.0, 1.0),
        &a(170, 5, 11, 0.0, 1.0),
        0.153_333_333_333_333_32,
        0.010_642_766_238_878_564,
    );
}

#[test]
fn ks_exact_tiny_p_values() {
    let range = |lo: u32, hi: u32| (lo..hi).map(f64::from).collect::<Vec<_>>();
    // ks_2samp(range(500), range(400, 900), method="auto")
    check_exact(
        &range(0, 500),
        &range(400, 900),
        0.8,
        4.724_623_735_236_384_6e-160,
    );
    // ks_2samp(range(600), range(450, 950), method="auto")
    check_exact(
        &range(0, 600),
        &range(450, 950),
        0.75,
        1.799_950_973_575_102_8e-150,
    );
}

#[test]
fn ks_exact_at_the_size_limit() {
    // ks_2samp(A(10000,7919,10007,0,10007.0), A(9000,104729,9973,0.01,9973.0), method="auto")
    check_exact(
        &a(10_000, 7919, 10_007, 0.0, 10_007.0),
        &a(9000, 104_729, 9973, 0.01, 9973.0),
        0.0101,
        0.714_594_458_486_950_4,
    );
}

#[test]
fn ks_identical_samples_give_zero_and_one() {
    // ks_2samp(A(40,3,17), A(40,3,17), method="auto") -> (0.0, 1.0)
    check_exact(&a(40, 3, 17, 0.0, 1.0), &a(40, 3, 17, 0.0, 1.0), 0.0, 1.0);
    let big = a(50_000, 7919, 10_007, 0.0, 1.0);
    let r = ks_2samp(&big, &big).unwrap();
    assert_eq!(
        (r.statistic, r.p_value, r.method),
        (0.0, 1.0, KsMethod::Asymptotic)
    );
}

#[test]
fn ks_asymptotic_above_ten_thousand() {
    let cases = [
        // ks_2samp(A(20000,7919,10007,0,10007.0), A(15000,104729,9973,0.01,9973.0))
        (
            20_000,
            7919,
            10_007,
            15_000,
            104_729,
            9973,
            0.01,
            0.0101,
            0.343_898_101_155_266_87,
        ),
        // ks_2samp(A(20000,7919,10007,0,10007.0), A(15000,104729,9973,0.02,9973.0))
        (
            20_000,
            7919,
            10_007,
            15_000,
            104_729,
            9973,
            0.02,
            0.0201,
            0.001_937_733_869_107_710_1,
        ),
        // ks_2samp(A(30000,7919,30011,0,30011.0), A(25000,104729,24989,0.012,24989.0))
        (
            30_000,
            7919,
            30_011,
            25_000,
            104_729,
            24_989,
            0.012,
            0.012_086_666_666_666_69,
            0.036_917_108_162_580_09,
        ),
    ];
    for (n1, k1, m1, n2, k2, m2, shift, d, p) in cases {
        let x = a(n1, k1, m1, 0.0, m1 as f64);
        let y = a(n2, k2, m2, shift, m2 as f64);
        let r = ks_2samp(&x, &y).unwrap();
        assert_eq!(r.method, KsMethod::Asymptotic);
        assert!(
            (r.statistic - d).abs() < STAT_TOL,
            "D {} vs {d}",
            r.statistic
        );
        assert!(
            rel(r.p_value, p) < ASYMP_REL_TOL,
            "p {:e} vs {p:e}",
            r.p_value
        );
    }
}

fn check_chi2(reference: &[u64], current: &[u64], statistic: f64, p: f64, dof: u32) {
    let r = chi2_homogeneity(reference, current).unwrap();
    assert_eq!(r.dof, dof);
    assert!(
        rel(r.statistic, statistic) < EXACT_REL_TOL,
        "{} vs {statistic}",
        r.statistic
    );
    assert!(
        rel(r.p_value, p) < EXACT_REL_TOL,
        "{:e} vs {p:e}",
        r.p_value
    );
}

#[test]
fn chi2_without_yates() {
    // chi2_contingency([[10,20,30],[15,25,5]])
    check_chi2(
        &[10, 20, 30],
        &[15, 25, 5],
        17.629_629_629_629_633,
        0.000_148_516_452_469_971_3,
        2,
    );
    // chi2_contingency([[300,100,7],[100,300,9]])
    check_chi2(
        &[300, 100, 7],
        &[100, 300, 9],
        200.246_300_979_797_3,
        3.289_033_004_071_690_3e-44,
        2,
    );
}

#[test]
fn chi2_with_yates() {
    // chi2_contingency([[12,30],[25,18]])
    check_chi2(
        &[12, 30],
        &[25, 18],
        6.401_846_588_074_783_5,
        0.011_400_172_800_365_725,
        1,
    );
    // chi2_contingency([[300,100],[100,300]])
    check_chi2(
        &[300, 100],
        &[100, 300],
        198.005,
        5.691_099_965_684_614e-45,
        1,
    );
}

#[test]
fn chi2_drops_categories_empty_on_both_sides() {
    // chi2_contingency([[10,30],[15,5]]): the same table with an empty middle column
    check_chi2(
        &[10, 0, 30],
        &[15, 0, 5],
        11.734_285_714_285_715,
        0.000_613_591_297_459_049_5,
        1,
    );
}

/// numpy implementation of the PSI rule (PRODUCT.md "Statistics"):
///
/// ```python
/// def psi_rule(ref, cur):
///     ref = np.asarray(ref, float); cur = np.asarray(cur, float)
///     rf = ref[np.isfinite(ref)]; edges = np.unique(np.quantile(rf, np.arange(1, 10) / 10))
///     def counts(x):
///         miss = ~np.isfinite(x)
///         idx = np.searchsorted(edges, x[~miss], side='right')
///         c = np.bincount(idx, minlength=len(edges) + 1).astype(float)
///         return np.append(c, miss.sum())
///     e = counts(ref) / len(ref); a = counts(cur) / len(cur)
///     e = np.where(e == 0, 1e-4, e); a = np.where(a == 0, 1e-4, a)
///     return np.sum((a - e) * np.log(a / e)), edges
/// ```
fn rust_psi(reference: &[f64], current: &[f64]) -> (f64, Vec<f64>) {
    let mut finite: Vec<f64> = reference
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    finite.sort_unstable_by(f64::total_cmp);
    let edges = decile_edges(&finite);
    let counts = |x: &[f64]| {
        let mut c = vec![0u64; edges.len() + 2];
        for &v in x {
            if v.is_finite() {
                c[scorewatch_core::numeric_bin(&edges, v)] += 1;
            } else {
                c[edges.len() + 1] += 1;
            }
        }
        c
    };
    (psi(&counts(reference), &counts(current)).unwrap(), edges)
}

#[test]
fn psi_matches_numpy_rule_with_missing_values() {
    let reference: Vec<f64> = (0..1000u64)
        .map(|i| {
            if i % 50 == 0 {
                f64::NAN
            } else {
                ((i * 7919) % 10_007) as f64 / 100.0
            }
        })
        .collect();
    let current: Vec<f64> = (0..800u64)
        .map(|i| {
            if i % 40 == 0 {
                f64::INFINITY
            } else {
                ((i * 104_729) % 9973) as f64 / 100.0 + 5.0
            }
        })
        .collect();
    let (value, edges) = rust_psi(&reference, &current);
    // psi_rule(ref, cur) with ref = A(1000,7919,10007,0,100.0) with every 50th NaN,
    // cur = A(800,104729,9973,5.0,100.0) with every 40th inf
    assert!(
        rel(value, 0.048_200_576_757_312_465) < EXACT_REL_TOL,
        "{value}"
    );
    let numpy_edges = [
        10.09,
        19.990_000_000_000_002,
        30.18,
        40.080_000_000_000_005,
        49.980_000_000_000_004,
        60.076,
        70.07,
        80.070_000_000_000_01,
        90.069,
    ];
    assert_eq!(edges, numpy_edges, "edges must equal numpy's bit for bit");
}

#[test]
fn psi_matches_numpy_rule_with_duplicate_edges() {
    let reference: Vec<f64> = (0..300u64).map(|i| ((i * 7) % 5) as f64).collect();
    let current: Vec<f64> = (0..250u64).map(|i| ((i * 3) % 7) as f64).collect();
    let (value, edges) = rust_psi(&reference, &current);
    // psi_rule([float((i*7)%5) for i in range(300)], [float((i*3)%7) for i in range(250)])
    assert!(
        rel(value, 0.250_052_908_907_323_35) < EXACT_REL_TOL,
        "{value}"
    );
    let numpy_edges = [
        0.0,
        0.800_000_000_000_004_3,
        1.0,
        1.600_000_000_000_008_5,
        2.0,
        2.400_000_000_000_005_7,
        3.0,
        3.200_000_000_000_017,
        4.0,
    ];
    assert_eq!(edges, numpy_edges);
}
