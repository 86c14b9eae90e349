/**
 * The runnable example of an edge bundle (predict.py): it needs only ONNX Runtime, reads an E4 Connect session
 * folder or a folder of CSVs as "emoheal export csv" writes them, cuts back-to-back windows as the app does for a
 * session without reports (each stream linearly interpolated onto its rate's grid from the window start, a
 * window with a hole skipped), and prints one probability per window. Kept here as text so that the bundle
 * writer needs no file beside the bundled app; test/engine/onnx-edge-bundle.test.ts runs it.
 */
export const pythonExample = String.raw`"""Runs an EmoHeal model exported as ONNX on a recorded session and prints one probability per window.

Needs only ONNX Runtime (pip install onnxruntime; it brings numpy). The model file says which streams it reads,
at which rates, over how long a window: see its metadata, or MODEL_CARD.md beside it.

Usage: python predict.py MODEL.onnx SESSION_DIR [--all-classes]
  SESSION_DIR: an Empatica E4 Connect session folder (ACC.csv, BVP.csv, EDA.csv, HR.csv, TEMP.csv: first row the
  start time in UNIX seconds, second row the rate in Hz, then one sample a row), or a folder of CSVs as
  "emoheal export csv" writes them (<stream>.csv with a time_ms column, then one column per channel).
Prints per window: its end (UNIX seconds) and the probability of the last class (e.g. "high"), tab-separated;
with --all-classes every class's probability. Windows are back to back from the latest stream start; a window
where a stream has a hole (more than 3 samples, at least 1.1 s) is reported as skipped.
"""
import csv
import json
import math
import os
import sys

import numpy as np
import onnxruntime as ort


def read_e4(path, channels):
    """E4 Connect: (times in ms, samples [n, channels]) or None."""
    with open(path, newline="") as f:
        rows = [row for row in csv.reader(f) if row]
    if len(rows) < 3:
        return None
    start = float(rows[0][0])
    rate = float(rows[1][0])
    samples = np.array([[float(v) for v in row[:channels]] for row in rows[2:]], dtype=np.float64)
    times = start * 1000.0 + np.arange(len(samples)) * 1000.0 / rate
    return times, samples


def read_export(path, channels):
    """"emoheal export csv": time_ms, then one column per channel."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[0].strip() != "time_ms":
            raise SystemExit(f"{path}: the first column is {header[0]!r}, not time_ms")
        rows = [row for row in reader if row]
    times = np.array([float(row[0]) for row in rows], dtype=np.float64)
    samples = np.array([[float(v) for v in row[1 : 1 + channels]] for row in rows], dtype=np.float64)
    order = np.argsort(times, kind="stable")
    return times[order], samples[order]


def read_stream(folder, name, channels):
    for candidate in (name.upper() + ".csv", name + ".csv"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            with open(path, newline="") as f:
                first = f.readline()
            if first.startswith("time_ms"):
                return read_export(path, channels)
            return read_e4(path, channels)
    return None


def covered(times, start, end, tolerance):
    inside = times[(times >= start) & (times < end)]
    if len(inside) < 2:
        return False
    if inside[0] - start > tolerance or end - inside[-1] > tolerance:
        return False
    return bool(np.all(np.diff(inside) <= tolerance))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        raise SystemExit(__doc__)
    model_file, folder = args
    options = ort.SessionOptions()
    # uint8 files: dequantize the weights once at load rather than at every run.
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    session = ort.InferenceSession(model_file, options, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    streams = json.loads(meta["emoheal.inputs"])
    labels = json.loads(meta["emoheal.labels"])
    window_ms = float(meta["emoheal.window_seconds"]) * 1000.0
    data = {}
    for stream in streams:
        loaded = read_stream(folder, stream["name"], stream["channels"])
        if loaded is None or len(loaded[0]) < 2:
            raise SystemExit(f"{folder}: no {stream['name']} stream ({stream['name'].upper()}.csv)")
        data[stream["name"]] = loaded
    first = max(times[0] for times, _ in data.values())
    last = min(times[-1] for times, _ in data.values())
    ends = []
    end = first + window_ms
    while end <= last + 1e-6:
        ends.append(end)
        end += window_ms
    feeds = {s["name"]: [] for s in streams}
    kept = []
    for end in ends:
        start = end - window_ms
        ok = True
        for stream in streams:
            times, _ = data[stream["name"]]
            if not covered(times, start, end, max(3000.0 / stream["rateHz"], 1100.0)):
                ok = False
        if not ok:
            print(f"{end / 1000:.3f}\tskipped (a stream has a hole)")
            continue
        for stream in streams:
            times, samples = data[stream["name"]]
            inside = (times >= start) & (times < end)
            grid = start + np.arange(stream["samples"]) * 1000.0 / stream["rateHz"]
            columns = [np.interp(grid, times[inside], samples[inside, c]) for c in range(stream["channels"])]
            feeds[stream["name"]].append(np.stack(columns, axis=1))
        kept.append(end)
    if not kept:
        raise SystemExit("no complete window")
    inputs = {name: np.asarray(windows, dtype=np.float32) for name, windows in feeds.items()}
    (probabilities,) = session.run(["probabilities"], inputs)
    for end, row in zip(kept, probabilities):
        if "--all-classes" in sys.argv:
            print(f"{end / 1000:.3f}\t" + "\t".join(f"{labels[i]}={p:.6f}" for i, p in enumerate(row)))
        else:
            print(f"{end / 1000:.3f}\t{row[-1]:.6f}")


if __name__ == "__main__":
    main()
`
