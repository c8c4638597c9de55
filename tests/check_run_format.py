"""Checks a run file against docs/run-format.md, as a user reading it with h5py would.

Usage: check_run_format.py RUN.h5 [RUN.h5 ...]
Prints one line per file ("ok: ..." or "FAIL: ...: what broke its promise") and exits 1 when any
file breaks one. Checks, per experiment, what the page promises: provenance attributes; a stored
config that Python's strict INI parser reads, with one section each and the experiment named; the
/train series of equal length (and loss_per_t where documented); final_epoch_loss as the mean of
the last epoch's /train/loss; the metrics each experiment writes; no empty /params or /metrics
group; samples of the documented shapes, unit-norm pixel images (zeros only where kept_shots is 0),
labels -1 for unconditioned models, the count of rows asked for; raw counts that add up to the shots
and decode with the bit map; journal entries with the documented attributes.
"""
import configparser
import json
import sys

import h5py
import numpy as np

ROOT_ATTRS = ["schema_version", "qdm_version", "git_revision", "build_type", "host", "created",
              "experiment", "backend", "seed", "config", "status"]
QDM = {"pixel", "latent", "conditioned-latent"}
# The metrics each experiment writes when training completes (docs/run-format.md, /metrics).
METRICS = {
    "qdm": ["final_loss", "final_epoch_loss", "train_seconds", "train_steps", "seconds_per_epoch",
            "train_samples_per_second", "parameter_count"],
    "classical-ddpm": ["final_loss", "final_epoch_loss", "train_seconds", "train_steps",
                       "seconds_per_epoch", "train_samples_per_second", "parameter_count"],
    "mixed": ["final_loss", "final_epoch_loss", "train_seconds", "train_steps",
              "seconds_per_epoch", "train_samples_per_second", "parameter_count"],
    "autoencoder": ["best_epoch", "best_validation_loss", "final_loss", "final_validation_loss",
                    "train_seconds", "train_steps", "seconds_per_epoch", "train_images",
                    "validation_images", "parameter_count"],
}
JOB_ATTRS = ["provider", "device", "base_url", "nonce", "fingerprint", "job_id", "status",
             "detail", "circuits", "shots", "created", "updated", "circuit_kind", "bit_map"]


def check(path):
    f = h5py.File(path, "r")
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)

    for a in ROOT_ATTRS:
        need(a in f.attrs, f"root attribute {a} missing")
    if problems:
        return problems
    exp = f.attrs["experiment"]
    status = f.attrs["status"]
    need(status in ("running", "complete", "failed"), f"status {status!r}")
    need(f.attrs["schema_version"] == 1, "schema_version is not 1")

    # The stored config: one [section] each (strict parser), the experiment named, keys valid.
    text = f.attrs["config"]
    lines = text.splitlines()
    first = next((l for l in lines if l.strip() and not l.startswith("#")), "")
    need(first.replace(" ", "") == f"experiment={exp}",
         f"config does not start with 'experiment = {exp}' (first line {first!r})")
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    try:
        parser.read_string("[run]\n" + text)
    except configparser.Error as e:
        problems.append(f"config rejected by Python's strict INI parser: {e}".splitlines()[0])

    kind = "qdm" if exp in QDM else exp
    if "train" in f:
        train = f["train"]
        rows = train["step"].shape[0]
        for d in ["step", "epoch", "loss", "lr", "wall_time"]:
            need(d in train and train[d].shape[0] == rows, f"/train/{d} missing or not {rows} rows")
        if kind in ("qdm", "mixed"):
            need("loss_per_t" in train and train["loss_per_t"].shape[0] == rows,
                 "/train/loss_per_t missing or of another length")
        config = dict(parser.items("model")) if parser.has_section("model") else {}
        if kind == "qdm" and config.get("leaky_relu", "false") != "true" and rows:
            need("kept_per_t" in train and train["kept_per_t"].shape == train["loss_per_t"].shape,
                 "/train/kept_per_t missing or not shaped like loss_per_t")
            if "kept_per_t" in train:
                kept = train["kept_per_t"][:]
                need(bool(np.all((kept > 0) & (kept <= 1 + 1e-9))), "kept_per_t outside (0, 1]")
                if status == "complete":
                    for m in ("kept_per_step", "kept_chain"):
                        need("metrics" in f and m in f["metrics"], f"/metrics/{m} missing")
        if rows and status == "complete" and "metrics" in f and "final_epoch_loss" in f["metrics"]:
            epochs = train["epoch"][:]
            last = train["loss"][:][epochs == epochs[-1]]
            want = float(np.mean(last))
            got = float(f["metrics/final_epoch_loss"][()])
            need(abs(got - want) <= 1e-9 * max(1.0, abs(want)),
                 f"final_epoch_loss {got:.6f} is not the last epoch's mean {want:.6f}")
    for group in ("params", "metrics"):
        if group in f:
            need(len(f[group]) > 0, f"/{group} exists but is empty")
    if status == "complete":
        need("params" in f and "values" in f["params"], "complete run without /params/values")
        for m in METRICS.get(kind, []):
            need("metrics" in f and m in f["metrics"], f"/metrics/{m} missing")
    else:
        need("params" not in f, f"a {status} run holds /params")

    for name, s in (f["samples"].items() if "samples" in f else []):
        where = f"/samples/{name}"
        images = s["images"]
        labels = s["labels"][:]
        n = len(labels)
        need(images.shape[0] == n, f"{where}: {images.shape[0]} images for {n} labels")
        need("count" in s.attrs, f"{where}: no count attribute")
        asked = int(s.attrs.get("count", n))
        rows_per_sample = 2 if exp == "autoencoder" else 1
        need(n == rows_per_sample * asked,
             f"{where}: {n} rows for --count {asked} ({rows_per_sample} per sample)")
        if exp in ("pixel", "latent", "mixed"):
            need((labels == -1).all(), f"{where}: unconditioned samples with labels other than -1")
        elif exp in ("conditioned-latent", "autoencoder"):
            need(((labels >= 0) & (labels <= 9)).all(), f"{where}: labels outside 0..9")
        else:
            need(((labels >= -1) & (labels <= 9)).all(), f"{where}: labels outside -1..9")
        kept = s["kept_shots"][:] if "kept_shots" in s else None
        if exp == "pixel":
            norms = np.sqrt((images[:].reshape(n, -1) ** 2).sum(1))
            ok = np.abs(norms - 1) < 1e-6
            if kept is not None:
                ok |= (kept == 0) & (norms == 0)
            need(ok.all(), f"{where}: images not of unit norm: {norms[~ok][:3]}")
        if "latents" in s:
            z = s["latents"][:]
            norms = np.sqrt((z ** 2).sum(1))
            ok = np.abs(norms - 1) < 1e-6
            if kept is not None:
                ok |= (kept == 0) & (norms == 0)
            need(ok.all(), f"{where}: latents not of unit norm")
        if kept is not None and "count_offsets" in s:
            off = s["count_offsets"][:]
            vals = s["count_values"][:]
            shots = s.attrs["shots"]
            totals = np.array([vals[off[b]:off[b + 1]].sum() for b in range(n)])
            need(len(off) == n + 1 and np.allclose(totals, shots),
                 f"{where}: raw counts do not add up to {shots} shots per sample")
            bits = json.loads(s.attrs["bit_map"])["bits"]
            need(len(bits) > 0 and all(b["role"] in ("data", "ancilla", "label", "sampled")
                                       for b in bits), f"{where}: bad bit map")
            need((kept <= totals + 1e-9).all(), f"{where}: more kept than measured shots")
    for name, j in (f["jobs"].items() if "jobs" in f else []):
        for a in JOB_ATTRS:
            need(a in j.attrs, f"/jobs/{name}: attribute {a} missing")
        if "bit_map" in j.attrs and j.attrs["bit_map"]:
            json.loads(j.attrs["bit_map"])
    return problems


def main():
    failed = 0
    for path in sys.argv[1:]:
        try:
            problems = check(path)
        except (OSError, KeyError, ValueError) as e:
            problems = [f"unreadable: {e}"]
        if problems:
            failed += 1
            print(f"FAIL: {path}: " + "; ".join(problems))
        else:
            print(f"ok: {path} keeps docs/run-format.md's promises")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
