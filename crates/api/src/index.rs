//! The in-memory index of prediction ids and whether each has an outcome.
//!
//! It holds one entry per logged prediction, so its size per row is the server's memory
//! floor with a large log. A hash map of `u128 -> bool` costs 32-byte buckets at up to
//! 7/8 load plus control bytes and doubling: 40 to 75 bytes per row. Here the sorted
//! keys are split: the low 64 bits of each as a `u64`, the high 64 bits as a `u32`
//! offset from the base of the run of keys it belongs to, and one bit for the outcome
//! flag: 12 bytes and one bit per row, and exact (every key is stored whole).
//!
//! The high half of a UUID v7 is its millisecond timestamp followed by 16 bits, so a
//! run (keys whose high halves lie within `u32::MAX` of its first) spans about 65 s of
//! predictions; a run costs 16 bytes, which at one prediction a second or more is under
//! a quarter of a byte per row.
//!
//! Prediction ids are UUID v7, so new ids nearly always sort after every known one and
//! are pushed at the end. An id a little behind the newest (two workers racing within
//! one millisecond) is put in its place, moving at most a few thousand entries. One
//! further back (non-UUID ids, whose key is a hash) goes to a small sorted side
//! buffer that is merged into the main arrays when it fills, so no insert moves more
//! than the buffer.

use std::cmp::Ordering;
use std::ops::ControlFlow;

use scorewatch_core::{Store, prediction_key};
use time::OffsetDateTime;

/// How far from the end an out-of-order id is put in place directly (moving at most this
/// many entries), rather than held aside: two workers racing within a millisecond insert
/// their ids a few places out of order, thousands of times a second under load, and each
/// merge of the side buffer is a pass over (and a second copy of) the whole index.
const NEAR_END: usize = 4096;

/// Out-of-order ids held aside before a merge: a merge costs one pass over the index,
/// so this bounds the amortised cost of a random-order insert to 1/`PENDING_LIMIT` of it.
const PENDING_LIMIT: usize = 4096;

/// A growable bitset.
#[derive(Debug, Default, Clone)]
struct Bits {
    words: Vec<u64>,
}

impl Bits {
    fn with_len(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
        }
    }

    fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    /// Inserts `value` at `i` of the first `len` bits, moving `i..len` up by one.
    fn insert(&mut self, i: usize, len: usize, value: bool) {
        for j in (i..len).rev() {
            let moved = self.get(j);
            self.set(j + 1, moved);
        }
        self.set(i, value);
    }

    fn set(&mut self, i: usize, value: bool) {
        if i / 64 >= self.words.len() {
            self.words.resize(i / 64 + 1, 0);
        }
        let mask = 1_u64 << (i % 64);
        if value {
            self.words[i / 64] |= mask;
        } else {
            self.words[i / 64] &= !mask;
        }
    }
}

/// Keys whose high halves are `base ..= base + u32::MAX`, from position `start` on.
#[derive(Debug, Clone, Copy)]
struct Run {
    base: u64,
    start: usize,
}

fn split(key: u128) -> (u64, u64) {
    // Truncation is the point: the two halves of the key.
    #[allow(clippy::cast_possible_truncation)]
    ((key >> 64) as u64, key as u64)
}

/// Strictly increasing keys, 12 bytes each.
///
/// Invariant: a new run starts only when a key's high half is above the current run's
/// `base + u32::MAX`, so the runs' ranges are disjoint and increasing, and the run a
/// key could be in is found by its high half alone.
#[derive(Debug, Default)]
struct Keys {
    low: Vec<u64>,
    /// High half minus its run's base.
    high: Vec<u32>,
    runs: Vec<Run>,
}

impl Keys {
    fn with_capacity(n: usize) -> Self {
        Self {
            low: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            runs: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.low.len()
    }

    fn run_end(&self, r: usize) -> usize {
        self.runs
            .get(r + 1)
            .map_or(self.low.len(), |next| next.start)
    }

    fn last(&self) -> Option<u128> {
        // The last key is in the last run.
        let run = self.runs.last()?;
        let high = run.base + u64::from(*self.high.last()?);
        Some((u128::from(high) << 64) | u128::from(*self.low.last()?))
    }

    /// Appends `key`, which must be above [`Keys::last`].
    fn push(&mut self, key: u128) {
        let (high, low) = split(key);
        let offset = self
            .runs
            .last()
            .and_then(|run| u32::try_from(high - run.base).ok());
        let offset = offset.unwrap_or_else(|| {
            self.runs.push(Run {
                base: high,
                start: self.low.len(),
            });
            0
        });
        self.high.push(offset);
        self.low.push(low);
    }

    /// The position of `key`, if present.
    fn find(&self, key: u128) -> Option<usize> {
        let (high, low) = split(key);
        let r = self
            .runs
            .partition_point(|run| run.base <= high)
            .checked_sub(1)?;
        let offset = u32::try_from(high - self.runs[r].base).ok()?;
        let (mut lo, mut hi) = (self.runs[r].start, self.run_end(r));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match (self.high[mid], self.low[mid]).cmp(&(offset, low)) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Puts `key` (not present) in its place when that place is among the last
    /// [`NEAR_END`] keys and inside the last run; returns the position, or `None` (and
    /// changes nothing) when it is not.
    fn insert_near_end(&mut self, key: u128) -> Option<usize> {
        let (high, low) = split(key);
        let run = self.runs.last()?;
        let offset = u32::try_from(high.checked_sub(run.base)?).ok()?;
        let start = run.start.max(self.len().saturating_sub(NEAR_END));
        let (mut place, mut end) = (start, self.len());
        while place < end {
            let mid = place + (end - place) / 2;
            if (self.high[mid], self.low[mid]) < (offset, low) {
                place = mid + 1;
            } else {
                end = mid;
            }
        }
        if place == start && start > run.start {
            // The key may belong further back than the window looked at.
            return None;
        }
        self.high.insert(place, offset);
        self.low.insert(place, low);
        Some(place)
    }

    /// Every key in order.
    fn iter(&self) -> impl Iterator<Item = u128> + '_ {
        self.runs.iter().enumerate().flat_map(move |(r, run)| {
            (run.start..self.run_end(r)).map(move |i| {
                let high = run.base + u64::from(self.high[i]);
                (u128::from(high) << 64) | u128::from(self.low[i])
            })
        })
    }

    fn shrink_to_fit(&mut self) {
        self.low.shrink_to_fit();
        self.high.shrink_to_fit();
        self.runs.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        self.low.capacity() * size_of::<u64>()
            + self.high.capacity() * size_of::<u32>()
            + self.runs.capacity() * size_of::<Run>()
    }
}

/// Prediction ids of every logged prediction, each with whether its outcome arrived.
///
/// Inserting a known id clears its outcome flag, as re-inserting into a map would.
#[derive(Debug, Default)]
pub struct OutcomeIndex {
    /// Sorted, no duplicates.
    keys: Keys,
    /// `seen[i]`: the `i`th key has an outcome.
    seen: Bits,
    /// Sorted, no duplicates, none in `keys`; every one is below `keys`' last.
    pending: Vec<(u128, bool)>,
}

impl OutcomeIndex {
    /// Builds the index from the logs: every prediction stamped at or after `since` (the
    /// outcome horizon's start, see [`crate::horizon`]), in the archived prediction logs
    /// (older feature sets, earlier days) as in the current one, so that a late outcome
    /// for a prediction made before a feature-set switch or a rotation is still accepted
    /// after a restart. Archives that ended before `since` are not read.
    ///
    /// The logs, oldest first, are in id order but for rare races, so keys are packed as
    /// they are read; the few out of order are sorted and merged in once at the end (no
    /// 16-byte-per-row vector of every key is ever held).
    ///
    /// # Errors
    /// When a log row is corrupt.
    pub fn build(store: &Store, since: OffsetDateTime) -> anyhow::Result<Self> {
        let mut keys = Keys::default();
        let mut stragglers = Vec::new();
        store.predictions().scan_since(since, &mut |record| {
            let key = prediction_key(&record.prediction_id);
            if keys.last().is_none_or(|last| last < key) {
                keys.push(key);
            } else {
                stragglers.push(key);
            }
            Ok(ControlFlow::Continue(()))
        })?;
        let mut index = Self::from_parts(keys, stragglers);
        store.outcomes().scan(&mut |record| {
            index.mark_key(prediction_key(&record.prediction_id));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(index)
    }

    /// An index of `keys` in any order, none with an outcome yet.
    #[must_use]
    pub fn from_keys(keys: Vec<u128>) -> Self {
        Self::from_parts(Keys::default(), keys)
    }

    /// `ordered` plus `others` (any order, duplicates allowed), none with an outcome.
    fn from_parts(ordered: Keys, mut others: Vec<u128>) -> Self {
        let mut keys = if others.is_empty() {
            ordered
        } else {
            others.sort_unstable();
            others.dedup();
            let mut merged = Keys::with_capacity(ordered.len() + others.len());
            let mut rest = others.into_iter().peekable();
            for key in ordered.iter() {
                while let Some(other) = rest.next_if(|&other| other < key) {
                    merged.push(other);
                }
                rest.next_if_eq(&key);
                merged.push(key);
            }
            rest.for_each(|other| merged.push(other));
            merged
        };
        keys.shrink_to_fit();
        Self {
            seen: Bits::with_len(keys.len()),
            keys,
            pending: Vec::new(),
        }
    }

    /// Records new predictions.
    pub fn insert_predictions<'a>(&mut self, ids: impl Iterator<Item = &'a str>) {
        for id in ids {
            self.insert_key(prediction_key(id));
        }
    }

    /// Records one prediction by key.
    pub fn insert_key(&mut self, key: u128) {
        if self.keys.last().is_none_or(|last| last < key) {
            // Every pending key is below the old last, so `key` is new.
            self.seen.set(self.keys.len(), false);
            self.keys.push(key);
            return;
        }
        if let Some(i) = self.keys.find(key) {
            self.seen.set(i, false);
            return;
        }
        let held = self.pending.binary_search_by_key(&key, |&(k, _)| k);
        if let Ok(i) = held {
            self.pending[i].1 = false;
            return;
        }
        let len = self.keys.len();
        if let Some(place) = self.keys.insert_near_end(key) {
            self.seen.insert(place, len, false);
            return;
        }
        if let Err(i) = held {
            self.pending.insert(i, (key, false));
            if self.pending.len() >= PENDING_LIMIT {
                self.merge_pending();
            }
        }
    }

    fn merge_pending(&mut self) {
        let total = self.keys.len() + self.pending.len();
        let mut keys = Keys::with_capacity(total);
        let mut seen = Bits::with_len(total);
        let mut pending = std::mem::take(&mut self.pending).into_iter().peekable();
        for (i, key) in self.keys.iter().enumerate() {
            while let Some((p, flag)) = pending.next_if(|&(p, _)| p < key) {
                seen.set(keys.len(), flag);
                keys.push(p);
            }
            seen.set(keys.len(), self.seen.get(i));
            keys.push(key);
        }
        for (p, flag) in pending {
            seen.set(keys.len(), flag);
            keys.push(p);
        }
        self.keys = keys;
        self.seen = seen;
    }

    /// `None` for an unknown id, else whether an outcome was recorded.
    #[must_use]
    pub fn outcome_recorded(&self, id: &str) -> Option<bool> {
        self.recorded_key(prediction_key(id))
    }

    fn recorded_key(&self, key: u128) -> Option<bool> {
        if let Some(i) = self.keys.find(key) {
            return Some(self.seen.get(i));
        }
        self.pending
            .binary_search_by_key(&key, |&(k, _)| k)
            .ok()
            .map(|i| self.pending[i].1)
    }

    /// Marks an outcome as recorded; an unknown id is ignored.
    pub fn mark(&mut self, id: &str) {
        self.mark_key(prediction_key(id));
    }

    /// [`OutcomeIndex::mark`] by key.
    pub fn mark_key(&mut self, key: u128) {
        if let Some(i) = self.keys.find(key) {
            self.seen.set(i, true);
        } else if let Ok(i) = self.pending.binary_search_by_key(&key, |&(k, _)| k) {
            self.pending[i].1 = true;
        }
    }

    /// Known prediction ids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len() + self.pending.len()
    }

    /// Whether no prediction is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held (capacity, not length): what the index adds to resident memory.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.keys.heap_bytes()
            + self.seen.words.capacity() * size_of::<u64>()
            + self.pending.capacity() * size_of::<(u128, bool)>()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A small deterministic generator (xorshift64*), so the tests need no RNG crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    /// Drives the index and a `HashMap` (the previous implementation) with the same
    /// operations and compares every answer.
    fn agree_with_map(keys: &[u128], rng: &mut Rng) {
        let mut index = OutcomeIndex::default();
        let mut map: HashMap<u128, bool> = HashMap::new();
        for (n, &key) in keys.iter().enumerate() {
            index.insert_key(key);
            map.insert(key, false);
            if rng.next().is_multiple_of(3) {
                let target = keys[usize::try_from(rng.next()).unwrap() % (n + 1)];
                index.mark_key(target);
                if let Some(seen) = map.get_mut(&target) {
                    *seen = true;
                }
            }
            if n.is_multiple_of(97) {
                // An id never inserted.
                let absent = (u128::from(rng.next()) << 64) | 1;
                assert_eq!(index.recorded_key(absent), map.get(&absent).copied());
                index.mark_key(absent);
            }
        }
        assert_eq!(index.len(), map.len());
        for (&key, &seen) in &map {
            assert_eq!(index.recorded_key(key), Some(seen), "key {key:x}");
        }
    }

    #[test]
    fn ordered_ids_match_a_map() {
        let mut rng = Rng(7);
        let keys: Vec<u128> = (0..20_000_u128).map(|i| (i << 80) | 5).collect();
        agree_with_map(&keys, &mut rng);
    }

    #[test]
    fn nearly_ordered_ids_with_duplicates_match_a_map() {
        let mut rng = Rng(11);
        let mut keys: Vec<u128> = (0..20_000_u128).map(|i| i * 3).collect();
        for i in (1..keys.len()).step_by(5) {
            keys.swap(i - 1, i);
        }
        // Re-inserted ids must lose their outcome flag, as with a map.
        keys.extend_from_within(100..200);
        agree_with_map(&keys, &mut rng);
    }

    #[test]
    fn ids_a_few_places_out_of_order_go_in_place_not_aside() {
        let mut rng = Rng(17);
        // Two workers racing: every id lands up to 8 places from where it belongs.
        let mut keys: Vec<u128> = (1..50_000_u128).map(|i| (i << 70) | 9).collect();
        for chunk in keys.chunks_mut(8) {
            chunk.reverse();
        }
        // One id before them all opens the run (an id below the first run's base goes
        // aside: the run cannot start lower without rebasing it).
        keys.insert(0, 1);
        let mut index = OutcomeIndex::default();
        for &key in &keys {
            index.insert_key(key);
        }
        assert!(
            index.pending.is_empty(),
            "{} held aside",
            index.pending.len()
        );
        agree_with_map(&keys, &mut rng);
        // Flags move with their keys when a key goes in before them.
        let mut index = OutcomeIndex::default();
        index.insert_key(10);
        index.insert_key(30);
        index.mark_key(30);
        index.insert_key(20);
        assert_eq!(index.recorded_key(10), Some(false));
        assert_eq!(index.recorded_key(20), Some(false));
        assert_eq!(index.recorded_key(30), Some(true));
    }

    #[test]
    fn an_id_further_back_than_the_window_is_held_aside_and_found() {
        let mut index = OutcomeIndex::default();
        for i in 0..(2 * NEAR_END as u128) {
            index.insert_key((i + 1) * 4);
        }
        index.insert_key(2);
        assert_eq!(index.pending.len(), 1);
        assert_eq!(index.recorded_key(2), Some(false));
        assert_eq!(index.len(), 2 * NEAR_END + 1);
    }

    #[test]
    fn random_order_ids_merge_the_side_buffer() {
        let mut rng = Rng(13);
        let keys: Vec<u128> = (0..3 * PENDING_LIMIT)
            .map(|_| (u128::from(rng.next()) << 64) | u128::from(rng.next()))
            .collect();
        agree_with_map(&keys, &mut rng);
    }

    #[test]
    fn built_from_keys_sorts_and_dedups() {
        let mut index = OutcomeIndex::from_keys(vec![9, 3, 9, 1]);
        assert_eq!(index.len(), 3);
        index.mark_key(3);
        assert_eq!(index.recorded_key(3), Some(true));
        assert_eq!(index.recorded_key(9), Some(false));
        assert_eq!(index.recorded_key(4), None);
        index.insert_key(2);
        assert_eq!(index.recorded_key(2), Some(false));
        assert_eq!(index.len(), 4);
    }

    #[test]
    fn uuids_key_by_their_bits_and_other_ids_by_hash() {
        let id = "01890a5d-ac96-774b-bcce-b302099a8057";
        assert_eq!(
            prediction_key(id),
            0x0189_0a5d_ac96_774b_bcce_b302_099a_8057
        );
        assert_ne!(prediction_key("order-1"), prediction_key("order-2"));
        assert_eq!(prediction_key("order-1"), prediction_key("order-1"));
    }

    #[test]
    fn heap_is_about_twelve_bytes_per_built_row() {
        // UUID-like keys: high halves 1 ms (1 << 16) apart, so a run holds 65,536.
        let index = OutcomeIndex::from_keys((0..100_000_u128).map(|i| (i << 80) | i).collect());
        let bytes = index.heap_bytes();
        // 12 B per key, two 16 B runs, one bit per flag rounded up to whole words.
        assert_eq!(index.keys.runs.len(), 2);
        assert!(
            bytes <= 100_000 * 12 + 2 * 16 + 100_000 / 8 + 8,
            "{bytes} bytes"
        );
    }

    #[test]
    fn runs_split_exactly_at_the_offset_limit() {
        let base = 7_u128 << 64;
        let limit = u128::from(u32::MAX) << 64;
        // In the first run: base and base + u32::MAX; the next high half starts a run.
        let keys = [base | 3, (base + limit) | 1, (base + limit + (1 << 64)) | 2];
        let mut index = OutcomeIndex::default();
        for &key in &keys {
            index.insert_key(key);
        }
        assert_eq!(index.keys.runs.len(), 2);
        for &key in &keys {
            assert_eq!(index.recorded_key(key), Some(false), "{key:x}");
        }
        // Absent: same low half in another high half, high halves between or past runs.
        for absent in [
            base | 1,
            (base + limit) | 3,
            (base + limit + (2 << 64)) | 2,
            3,
            u128::MAX,
        ] {
            assert_eq!(index.recorded_key(absent), None, "{absent:x}");
        }
        assert_eq!(index.keys.iter().collect::<Vec<_>>(), keys);
    }

    #[test]
    fn ids_far_apart_in_time_match_a_map() {
        // Every key its own run (high halves 2^36 apart), inserted mostly in order.
        let mut rng = Rng(17);
        let mut keys: Vec<u128> = (1..5_000_u128)
            .map(|i| (i << 100) | u128::from(rng.next()))
            .collect();
        for i in (2..keys.len()).step_by(7) {
            keys.swap(i - 2, i);
        }
        agree_with_map(&keys, &mut rng);
    }

    #[test]
    fn built_from_ordered_keys_and_stragglers() {
        let mut ordered = Keys::default();
        for key in [10_u128 << 64, 20 << 64, (1 << 100) | 5] {
            ordered.push(key);
        }
        let index = OutcomeIndex::from_parts(ordered, vec![15 << 64, 20 << 64, 1, 15 << 64]);
        assert_eq!(
            index.keys.iter().collect::<Vec<_>>(),
            [1, 10 << 64, 15 << 64, 20 << 64, (1 << 100) | 5]
        );
        assert_eq!(index.recorded_key(15 << 64), Some(false));
        assert_eq!(index.recorded_key(16 << 64), None);
    }
}
