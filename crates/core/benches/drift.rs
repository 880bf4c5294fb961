//! Per-feature drift statistics at 10k, 100k and 1M rows per side.
//!
//! `cargo bench -p scorewatch-core --bench drift`; figures in `docs/performance.md`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use scorewatch_core::{
    NumericProfile, NumericValues, chi2_homogeneity, count_sorted, ks_2samp, psi,
};

/// Deterministic pseudo-random values in [0, 1) (`SplitMix64`), so runs compare.
fn values(n: usize, seed: u64, shift: f64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64 + shift
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("drift_feature");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(2));
    for n in [10_000usize, 100_000, 1_000_000] {
        let reference = values(n, 1, 0.0);
        let current = values(n, 2, 0.01);
        group.bench_with_input(BenchmarkId::new("profile_sort_deciles", n), &n, |b, _| {
            b.iter(|| NumericProfile::from_values(NumericValues::from_raw(reference.clone())));
        });
        let profile = NumericProfile::from_values(NumericValues::from_raw(reference.clone()));
        let mut sorted_current = current.clone();
        sorted_current.sort_unstable_by(f64::total_cmp);
        group.bench_with_input(BenchmarkId::new("psi_binned", n), &n, |b, _| {
            b.iter(|| {
                let mut counts = count_sorted(&profile.edges, &sorted_current);
                counts.push(0);
                let mut reference_counts = profile.bin_counts.clone();
                reference_counts.push(0);
                psi(&reference_counts, &counts)
            });
        });
        group.bench_with_input(BenchmarkId::new("ks_2samp", n), &n, |b, _| {
            b.iter(|| ks_2samp(&profile.sorted_values, &sorted_current));
        });
        let table: Vec<u64> = (0..30u64).map(|i| (n as u64 / 30) + i).collect();
        let shifted: Vec<u64> = table.iter().rev().copied().collect();
        group.bench_with_input(BenchmarkId::new("chi2_30_categories", n), &n, |b, _| {
            b.iter(|| chi2_homogeneity(&table, &shifted));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
