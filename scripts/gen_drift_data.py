#!/usr/bin/env python3
"""Writes a reference and a current CSV for the drift benchmark (docs/performance.md).

20 numeric columns (x00..x19) and 3 categorical ones (c0..c2), with a few missing cells;
the current file shifts some columns so that the report has something to find.

    python3 scripts/gen_drift_data.py --rows 500000 --seed 7 --out /tmp/drift-bench
"""
import argparse
import os

import numpy as np

CATEGORIES = [
    ["employed", "self_employed", "retired", "student", "unemployed"],
    ["rent", "own", "mortgage", "family"],
    [f"region_{i:02d}" for i in range(27)],
]


def write(path, rows, rng, shift):
    columns = []
    for j in range(20):
        kind = j % 4
        if kind == 0:
            col = rng.normal(50 + shift * j, 10, rows)
        elif kind == 1:
            col = rng.lognormal(8 + shift / 5, 0.6, rows)
        elif kind == 2:
            col = rng.integers(0, 40, rows).astype(float)  # ties on purpose
        else:
            col = rng.uniform(0, 1 + shift, rows)
        text = np.char.mod("%.6g", col)
        text[rng.random(rows) < 0.01] = ""  # 1% missing
        columns.append(text)
    for cats in CATEGORIES:
        p = np.linspace(1, 2 + shift * 3, len(cats))
        idx = rng.choice(len(cats), rows, p=p / p.sum())
        text = np.array(cats, dtype=object)[idx].astype(str)
        text[rng.random(rows) < 0.005] = ""
        columns.append(text)
    header = [f"x{j:02d}" for j in range(20)] + ["c0", "c1", "c2"]
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        matrix = np.stack(columns, axis=1)
        for start in range(0, rows, 50000):
            block = matrix[start:start + 50000]
            f.write("\n".join(",".join(r) for r in block))
            f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="/tmp/drift-bench")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    write(os.path.join(args.out, "reference.csv"), args.rows, rng, 0.0)
    write(os.path.join(args.out, "current.csv"), args.rows, rng, 0.3)
    print(f"wrote {args.out}/reference.csv and {args.out}/current.csv, {args.rows} rows each")


if __name__ == "__main__":
    main()
