#!/usr/bin/env python3
"""Prints NannyML 0.13.1's CBPE numbers that crates/core/src/estimate/tests.rs checks.

The data come from splitmix64, which the Rust test reproduces bit for bit, so no data
file is needed. Scores are overconfident (P(positive | s) = s^2) so that NannyML decides
the scores need calibration; the current data shift towards high scores.

    python3 -m venv /tmp/nml && /tmp/nml/bin/pip install nannyml==0.13.1 'pandas<3'
    NML_DISABLE_USAGE_LOGGING=1 /tmp/nml/bin/python scripts/nannyml_reference.py
"""
import os
import warnings

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
warnings.filterwarnings("ignore")

import nannyml as nml  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

MASK = (1 << 64) - 1
METRICS = ["roc_auc", "accuracy", "precision", "recall", "f1"]


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def uniform(self):
        """A float in [0, 1) from the top 53 bits, as the Rust test."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        return (z >> 11) * 2.0**-53


def sample(rows, seed, power):
    """Scores u^power; label positive with probability score^2."""
    rng = SplitMix64(seed)
    scores, labels = [], []
    for _ in range(rows):
        s = rng.uniform() ** power
        scores.append(s)
        labels.append(int(rng.uniform() < s * s))
    df = pd.DataFrame({"score": scores, "label": labels})
    df["y_pred"] = (df["score"] >= 0.5).astype(int)
    return df


def timed(df, start, minutes):
    """Adds `ts`: row i at `start` + i * `minutes` minutes (UTC)."""
    df = df.copy()
    df["ts"] = pd.Timestamp(start) + pd.to_timedelta(np.arange(len(df)) * minutes, unit="min")
    return df


def run(reference, analysis, chunk_size=None, chunk_period=None):
    chunking = {"chunk_size": chunk_size}
    if chunk_period is not None:
        chunking = {"chunk_period": chunk_period, "timestamp_column_name": "ts"}
    cbpe = nml.CBPE(
        problem_type="classification_binary",
        y_pred_proba="score",
        y_pred="y_pred",
        y_true="label",
        metrics=METRICS,
        **chunking,
    )
    cbpe.fit(reference)
    assert cbpe.needs_calibration, "the data must make NannyML calibrate"
    df = cbpe.estimate(analysis).to_df()
    # to_df() also returns the reference period's chunks.
    return df[df[("chunk", "period")] == "analysis"]


def main():
    reference = sample(2000, 1, 1.0)
    analysis = sample(1500, 2, 0.7)
    print("# whole analysis file: run(reference, analysis, 1500), one chunk")
    whole = run(reference, analysis, 1500)
    for m in METRICS:
        print(f"{m} estimated {whole[(m, 'value')].iloc[0].item()!r}")
    print("# chunks: run(reference, analysis, 500)")
    chunks = run(reference, analysis, 500)
    print_chunks(chunks)
    print("# shifted to high scores: run(reference, sample(1000, 3, 0.2), 500)")
    print_chunks(run(reference, sample(1000, 3, 0.2), 500))
    print("# chunk_period='D': reference rows 30 min apart from 2026-01-01T00:00Z, analysis")
    print("# rows 20 min apart from 2026-03-01T07:00Z; first 2 and last chunk")
    by_day = run(
        timed(reference, "2026-01-01T00:00Z", 30),
        timed(analysis, "2026-03-01T07:00Z", 20),
        chunk_period="D",
    )
    print(f"{len(by_day)} chunks; rows of the first 2 and last:",
          [int(by_day[("chunk", "end_index")].iloc[i] - by_day[("chunk", "start_index")].iloc[i] + 1)
           for i in (0, 1, len(by_day) - 1)])
    print_chunks(by_day.iloc[[0, 1, len(by_day) - 1]])


def print_chunks(chunks):
    for i in range(len(chunks)):
        row = chunks.iloc[i]
        for m in METRICS:
            fields = ["value", "sampling_error", "lower_confidence_boundary",
                      "upper_confidence_boundary", "lower_threshold", "upper_threshold",
                      "alert", "realized"]
            print(f"chunk {i} {m} " + " ".join(f"{f}={row[(m, f)].item()!r}" for f in fields))


if __name__ == "__main__":
    main()
