"""Per-value agreement of two shot-estimated sample sets of one run file, in standard deviations.

Each set holds, per sample, magnitudes sqrt(p) estimated from `kept_shots` shots (latents for the
latent models, images for the pixel model). For every value the two frequencies are compared
with the pooled binomial standard deviation sqrt(p (1 - p) (1/k1 + 1/k2)); prints the largest
and mean |z| and exits 1 when the largest reaches LIMIT (default 5).
Usage: compare_shot_samples.py RUN.h5 REFERENCE_SET OTHER_SET [LIMIT]"""
import sys

import h5py
import numpy as np


def frequencies(group):
    values = group["latents"] if "latents" in group else group["images"]
    p = np.asarray(values).reshape(len(group["labels"]), -1) ** 2
    return p, np.asarray(group["kept_shots"], dtype=float)


def main():
    path, ref_name, other_name = sys.argv[1:4]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    samples = h5py.File(path, "r")["samples"]
    p0, k0 = frequencies(samples[ref_name])
    p1, k1 = frequencies(samples[other_name])
    if p0.shape != p1.shape:
        sys.exit(f"sets differ in shape: {p0.shape} vs {p1.shape}")
    if k0.min() == 0 or k1.min() == 0:
        sys.exit("a sample kept no shot: nothing to compare")
    pooled = (p0 * k0[:, None] + p1 * k1[:, None]) / (k0 + k1)[:, None]
    sd = np.sqrt(pooled * (1 - pooled) * (1 / k0 + 1 / k1)[:, None])
    z = np.abs(p1 - p0)[sd > 0] / sd[sd > 0]
    print(f"{samples[other_name].attrs['backend']} vs {samples[ref_name].attrs['backend']}: "
          f"{len(k0)} samples, kept shots {k1.mean():.0f} vs {k0.mean():.0f} per sample, "
          f"{z.size} values: max |z| {z.max():.2f}, mean |z| {z.mean():.2f} (limit {limit:g})")
    sys.exit(0 if z.max() < limit else 1)


if __name__ == "__main__":
    main()
