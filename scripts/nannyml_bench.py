#!/usr/bin/env python3
"""Times NannyML 0.13.1's CBPE on the benchmark files of docs/performance.md
("Label-free estimate"), for comparison with `scorewatch estimate`.

    /usr/bin/time -v python scripts/nannyml_bench.py REF.csv CUR.csv CHUNK_SIZE
"""
import os
import sys
import time
import warnings

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
warnings.filterwarnings("ignore")

import nannyml as nml  # noqa: E402
import pandas as pd  # noqa: E402

METRICS = ["roc_auc", "accuracy", "precision", "recall", "f1"]

start = time.time()
reference = pd.read_csv(sys.argv[1])
current = pd.read_csv(sys.argv[2])
for data in (reference, current):
    data["y_pred"] = (data["score"] >= 0.5).astype(int)
cbpe = nml.CBPE(problem_type="classification_binary", y_pred_proba="score", y_pred="y_pred",
                y_true="label", metrics=METRICS, chunk_size=int(sys.argv[3]))
cbpe.fit(reference)
result = cbpe.estimate(current).to_df()
result = result[result[("chunk", "period")] == "analysis"]
print(f"read + fit + estimate: {time.time() - start:.2f} s; calibrated: {cbpe.needs_calibration}")
print({m: float(result[(m, "value")].iloc[0]) for m in METRICS})
