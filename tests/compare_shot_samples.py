"""Per-value agreement of two shot-estimated sample sets of one run file, in standard deviations.

Default: each set holds, per sample, magnitudes sqrt(p) estimated from `kept_shots` shots
(latents for the latent models, images for the pixel model). For every value the two frequencies
are compared with the pooled binomial standard deviation sqrt(p (1 - p) (1/k1 + 1/k2)).

--raw: the sets' raw counts instead (`count_*` datasets): per sample, the frequency of every
classical bit reading 1 and of every value of the data register, over all shots, compared the
same way (both sets must hold every shot to its end: `rejected_shots_truncated` 0).

Prints the largest and mean |z| and exits 1 when the largest reaches LIMIT (default 5).
Usage: compare_shot_samples.py RUN.h5 REFERENCE_SET OTHER_SET [LIMIT] [--raw]"""
import json
import sys

import h5py
import numpy as np


def frequencies(group):
    values = group["latents"] if "latents" in group else group["images"]
    p = np.asarray(values).reshape(len(group["labels"]), -1) ** 2
    return p, np.asarray(group["kept_shots"], dtype=float)


def raw_frequencies(group):
    """Per sample: P(bit k = 1) for every bit, then P(data register = v) for every v."""
    if group.attrs["rejected_shots_truncated"]:
        sys.exit(f"{group.name}: rejected shots were stopped early (qpu.skip_rejected); "
                 "sample with --set qpu.skip_rejected=false for raw comparisons")
    bits_map = json.loads(group.attrs["bit_map"])["bits"]
    data = [b["bit"] for b in sorted((b for b in bits_map if b["role"] == "data"),
                                     key=lambda b: b["index"])]
    off = group["count_offsets"][:]
    keys = group["count_bits"][:].astype(np.uint64)
    vals = group["count_values"][:]
    rows, shots = [], []
    for s in range(len(off) - 1):
        k, v = keys[off[s]:off[s + 1]], vals[off[s]:off[s + 1]]
        total = v.sum()
        ones = [(v * ((k >> np.uint64(b)) & np.uint64(1))).sum() / total for b in range(len(bits_map))]
        reg = np.zeros(len(k), dtype=np.uint64)
        for i, b in enumerate(data):
            reg |= ((k >> np.uint64(b)) & np.uint64(1)) << np.uint64(i)
        dist = np.bincount(reg.astype(np.int64), weights=v, minlength=1 << len(data)) / total
        rows.append(np.concatenate([ones, dist]))
        shots.append(total)
    return np.array(rows), np.array(shots)


def main():
    args = [a for a in sys.argv[1:] if a != "--raw"]
    raw = "--raw" in sys.argv
    path, ref_name, other_name = args[:3]
    limit = float(args[3]) if len(args) > 3 else 5.0
    samples = h5py.File(path, "r")["samples"]
    read = raw_frequencies if raw else frequencies
    p0, k0 = read(samples[ref_name])
    p1, k1 = read(samples[other_name])
    if p0.shape != p1.shape:
        sys.exit(f"sets differ in shape: {p0.shape} vs {p1.shape}")
    if k0.min() == 0 or k1.min() == 0:
        sys.exit("a sample kept no shot: nothing to compare")
    pooled = (p0 * k0[:, None] + p1 * k1[:, None]) / (k0 + k1)[:, None]
    sd = np.sqrt(pooled * (1 - pooled) * (1 / k0 + 1 / k1)[:, None])
    z = np.abs(p1 - p0)[sd > 0] / sd[sd > 0]
    what = "raw shots" if raw else "kept shots"
    print(f"{samples[other_name].attrs['backend']} vs {samples[ref_name].attrs['backend']}: "
          f"{len(k0)} samples, {what} {k1.mean():.0f} vs {k0.mean():.0f} per sample, "
          f"{z.size} values: max |z| {z.max():.2f}, mean |z| {z.mean():.2f} (limit {limit:g})")
    sys.exit(0 if z.max() < limit else 1)


if __name__ == "__main__":
    main()
