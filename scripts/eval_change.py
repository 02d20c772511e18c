"""Evaluate the change stage on the Airbus aircraft images (same airports, other dates).

1. Find the same-ground pairs among the 82 images with the change stage's own
   co-registration (reduced-view SIFT on every pair, then full registration of candidates).
2. Derive ground-truth arrivals/departures from the labelled boxes (``annotations.csv``): a
   labelled aircraft in BEFORE with no labelled aircraft (whole or truncated) within 12.5 m
   (25 px) of its registered position in AFTER departed, and the reverse arrived. Aircraft
   cut by an image edge (``Truncated_airplane``, or a box touching the edge) and aircraft whose
   registered box is not wholly inside the other image never make a ground-truth event.
3. Score predicted departed/arrived events (a prediction counts when it lies within 12.5 m of
   an unclaimed ground-truth event of the same kind) for several detection sources. Pairs
   with an image that has no label at all are registered but not scored: the three such
   images show 20+ unlabelled airliners each, so their "ground truth" would be wrong.

   * ``labels`` — the labelled boxes themselves (tests matching and event logic);
   * ``labels-5%-missed`` — labelled boxes with 5 % of them removed at random in each pass
     (a stand-in for a detector's misses while no model exists), naive vs verified;
   * ``model`` — the detector end to end, when ``src/sitewatch/models/sitewatch-det.onnx``
     (or ``SITEWATCH_MODEL``) exists: naive (score cut) vs verified (patch comparison and a
     low-threshold second look).

Usage::

    nice -n 15 python scripts/eval_change.py [--data DIR] [--json OUT.json] [--pairs N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from sitewatch.change.boxes import Box, boxes_from_detections, dedupe_boxes, read_boxes
from sitewatch.change.events import ChangeResult, Verifier, detect_changes
from sitewatch.change.pairs import CandidatePair, find_candidate_pairs, image_features
from sitewatch.change.register import Registration, RegistrationError, register_files
from sitewatch.change.verify import (
    AnyVerifier,
    BoxVerifier,
    Image,
    PatchVerifier,
    nodata_fraction,
    registered_patches,
)
from sitewatch.config import Settings, data_dir
from sitewatch.detect.trainset import airbus_split
from sitewatch.imagery.reader import RasterReader, Window

GSD = 0.5
RADIUS_PX = 12.5 / GSD


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def scores(self) -> dict[str, float | int]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
        }


def _inside(box: Box, m: np.ndarray, size: tuple[int, int], margin: float = 2.0) -> bool:
    pts = np.asarray(box.corners())
    hom = np.hstack([pts, np.ones((4, 1))]) @ m.T
    xy = hom[:, :2] / hom[:, 2:3]
    return bool(
        (xy >= margin).all()
        and (xy[:, 0] <= size[0] - margin).all()
        and (xy[:, 1] <= size[1] - margin).all()
    )


def _edge(box: Box, size: tuple[int, int], margin: float = 2.0) -> bool:
    x0, y0, x1, y1 = box.bounds()
    return x0 <= margin or y0 <= margin or x1 >= size[0] - margin or y1 >= size[1] - margin


def ground_truth(
    a: Sequence[Box],
    b: Sequence[Box],
    reg: Registration,
    ra: Image,
    rb: Image,
) -> tuple[dict[str, list[tuple[float, float]]], int]:
    """Ground-truth departures (BEFORE pixels) and arrivals (AFTER pixels).

    Also returns how many label-derived events were set aside because the other image has
    no imagery (black fill) where the aircraft would be.
    """
    out: dict[str, list[tuple[float, float]]] = {"departed": [], "arrived": []}
    fill = 0
    for kind, own, other, m, own_size, other_size, ro, rt in (
        ("departed", a, b, reg.m, reg.before_size, reg.after_size, ra, rb),
        ("arrived", b, a, np.linalg.inv(reg.m), reg.after_size, reg.before_size, rb, ra),
    ):
        oth = np.array([[o.cx, o.cy] for o in other]) if other else np.zeros((0, 2))
        for box in own:
            if box.truncated or _edge(box, own_size) or not _inside(box, m, other_size):
                continue
            _, patch, mask = registered_patches(ro, rt, box, m)
            if nodata_fraction(patch, mask) > 0.3:
                fill += 1
                continue
            p = np.array([box.cx, box.cy, 1.0]) @ m.T
            p = p[:2] / p[2]
            if len(oth) == 0 or np.min(np.linalg.norm(oth - p, axis=1)) > RADIUS_PX:
                out[kind].append((box.cx, box.cy))
    return out, fill


def score(result: ChangeResult, gt: dict[str, list[tuple[float, float]]]) -> Counts:
    """One-to-one matching of predicted to ground-truth events within 12.5 m, per kind."""
    c = Counts()
    for kind in ("departed", "arrived"):
        pred = [(e.before_xy if kind == "departed" else e.after_xy) for e in result.by_kind(kind)]
        truth = gt[kind]
        if not pred or not truth:
            c.fp += len(pred)
            c.fn += len(truth)
            continue
        d = np.linalg.norm(
            np.array(pred, dtype=float)[:, None, :] - np.array(truth, dtype=float)[None], axis=2
        )
        cost = np.where(d <= RADIUS_PX, d, 1e9)
        rows, cols = linear_sum_assignment(cost)
        tp = int(sum(cost[i, j] < 1e9 for i, j in zip(rows, cols, strict=True)))
        c.tp += tp
        c.fp += len(pred) - tp
        c.fn += len(truth) - tp
    return c


def drop(boxes: Sequence[Box], rate: float, rng: random.Random) -> list[Box]:
    return [b for b in boxes if rng.random() >= rate]


def _model_boxes(path: Path, model: Any, min_score: float) -> list[Box]:
    from sitewatch.detect import detect_raster

    dets = detect_raster(path, gsd_m=GSD, model=model, threshold=min_score)
    # The ground truth is aircraft only; other classes would all score as false events.
    return [b for b in boxes_from_detections(dets) if b.canonical == "aircraft"]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="write all numbers here")
    ap.add_argument("--pairs", type=int, default=0, help="stop after N pairs (0: all)")
    ap.add_argument("--threshold", type=float, default=0.7, help="patch-verifier threshold")
    ap.add_argument(
        "--score", default="0.5", help="model score cut (naive); a comma list sweeps several"
    )
    ap.add_argument(
        "--low-score", default="0.1", help="second-look score cut; a comma list sweeps several"
    )
    ap.add_argument("--max-seconds", type=float, default=0, help="stop after this long")
    ap.add_argument("--grid", type=int, default=3, help="refinement windows per side")
    ap.add_argument(
        "--cache", type=Path, default=None, help="JSON file keeping pairs and registrations"
    )
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    args = ap.parse_args(argv)
    cuts = [float(x) for x in str(args.score).split(",")]
    lows = [float(x) for x in str(args.low_score).split(",")]
    sweep = len(cuts) > 1 or len(lows) > 1
    root = (args.data or data_dir()) / "airbus-aircraft"
    paths = sorted((root / "images").glob("*.jpg"))
    labels = root / "annotations.csv"
    t0 = time.time()
    cache: dict[str, Any] = {}
    if args.cache and args.cache.is_file():
        cache = json.loads(args.cache.read_text())
    if "candidates" in cache:
        cands = [
            CandidatePair(root / "images" / x["before"], root / "images" / x["after"], 0, 0.0)
            for x in cache["candidates"]
        ]
    else:
        feats = image_features(paths)
        cands = find_candidate_pairs(paths, features=feats, min_inliers=12)
        cache["candidates"] = [{"before": c.before.name, "after": c.after.name} for c in cands]
    print(f"{len(paths)} images, {len(cands)} candidate pairs ({time.time() - t0:.0f} s)")
    regs: dict[str, Any] = cache.setdefault("registrations", {})
    model = args.model or Settings.load().model_path
    use_model = model.is_file()
    # pairs whose two images both come from airports the detector never saw in training
    split = airbus_split()
    held_totals: dict[str, Counts] = {}
    held_pairs = 0
    detector: Any = None
    if use_model:
        from sitewatch.detect import load_model

        detector = load_model(model)
    totals: dict[str, Counts] = {}
    pairs_out: list[dict[str, Any]] = []
    refused: list[dict[str, str]] = []
    for k, c in enumerate(cands):
        if (args.pairs and k >= args.pairs) or (
            args.max_seconds and time.time() - t0 > args.max_seconds
        ):
            print(f"stopped after {k} of {len(cands)} candidate pairs")
            break
        key = f"{c.before.name} {c.after.name}"
        if key in regs and regs[key] is None:
            refused.append({"before": c.before.name, "after": c.after.name, "why": "cached"})
            continue
        if key in regs:
            reg = Registration.from_matrix(
                regs[key]["matrix"],
                (2560, 2560),
                (2560, 2560),
                gsd_m=GSD,
                inliers=regs[key]["inliers"],
                rms_px=regs[key]["rms_px"],
            )
        else:
            try:
                reg = register_files(c.before, c.after, gsd_m=GSD, grid=args.grid)
            except RegistrationError as exc:
                print(f"refused {c.before.name[:8]} {c.after.name[:8]}: {exc}", flush=True)
                regs[key] = None
                refused.append({"before": c.before.name, "after": c.after.name, "why": str(exc)})
                continue
            regs[key] = reg.to_dict()
        # A few images label some aircraft twice; a twice-labelled aircraft is one aircraft.
        a = dedupe_boxes(read_boxes(labels, image=c.before.name))
        b = dedupe_boxes(read_boxes(labels, image=c.after.name))
        row: dict[str, Any] = {
            "before": c.before.name,
            "after": c.after.name,
            "overlap": round(reg.overlap, 4),
            "inliers": reg.inliers,
            "rms_px": round(reg.rms_px, 3),
        }
        if not a or not b:
            # An image without a single label shows unlabelled aircraft, not an empty apron
            # (022f91f0, 22bc9d20, 65825eef: 20+ airliners each): no ground truth here.
            row["unlabelled_image"] = True
            pairs_out.append(row)
            print(f"{k + 1:3d} {c.before.name[:8]} {c.after.name[:8]}: unlabelled image")
            continue
        # A detector stand-in that misses 5 % of aircraft in each pass (seeded per pair).
        rng = random.Random(zlib.crc32(key.encode()))
        da, db = drop(a, 0.05, rng), drop(b, 0.05, rng)
        # Whole 2560² images in memory: this script's second looks read hundreds of patches,
        # and a JPEG window read decodes from the top each time.
        with RasterReader(c.before) as r1, RasterReader(c.after) as r2:
            ra = r1.read(Window(0, 0, r1.width, r1.height))
            rb = r2.read(Window(0, 0, r2.width, r2.height))
        gt, fill = ground_truth(a, b, reg, ra, rb)
        row["gt_departed"] = len(gt["departed"])
        row["gt_arrived"] = len(gt["arrived"])
        row["gt_set_aside_no_imagery"] = fill
        held_out = split.get(c.before.name) == "val" and split.get(c.after.name) == "val"
        held_pairs += held_out
        row["held_out_airport"] = held_out
        patch = PatchVerifier(ra, rb, threshold=args.threshold)
        runs: list[tuple[str, Sequence[Box], Sequence[Box], Verifier | None]] = [
            ("labels", a, b, None),
            ("labels+verify", a, b, patch),
            ("labels-5%-missed-naive", da, db, None),
            ("labels-5%-missed+verify", da, db, patch),
        ]
        if detector is not None:
            ma = _model_boxes(c.before, detector, min(lows))
            mb = _model_boxes(c.after, detector, min(lows))
            for cut in cuts:
                na = [x for x in ma if x.score >= cut]
                nb = [x for x in mb if x.score >= cut]
                tag = f"@{cut:g}" if sweep else ""
                runs += [(f"model-naive{tag}", na, nb, None)]
                if not sweep:
                    runs += [("model+patch", na, nb, patch)]
                for low in lows:
                    la = [x for x in ma if x.score >= low]
                    lb = [x for x in mb if x.score >= low]
                    second = BoxVerifier(la, lb, radius_px=RADIUS_PX)
                    tag2 = f"@{cut:g}/{low:g}" if sweep else ""
                    runs += [(f"model+verify{tag2}", na, nb, AnyVerifier([second, patch]))]
                    if not sweep:
                        runs += [("model+verify+hysteresis", la, lb, AnyVerifier([second, patch]))]
        for name, bx, by, ver in runs:
            # Hysteresis: pair on every detection above the low cut, report only confident
            # arrivals/departures (score ≥ the naive cut).
            hyst = cuts[0] if name.endswith("hysteresis") else 0.0
            res = detect_changes(bx, by, reg, gsd_m=GSD, verifier=ver, event_score=hyst)
            cnt = score(res, gt)
            totals.setdefault(name, Counts()).add(cnt)
            if held_out:
                held_totals.setdefault(name, Counts()).add(cnt)
            row[name] = cnt.scores()
            if ver is not None:
                row[name]["similarities"] = [
                    [e.kind.value, None if e.similarity is None else round(e.similarity, 3)]
                    for e in res.events
                    if e.similarity is not None
                ]
        pairs_out.append(row)
        if args.cache:
            args.cache.write_text(json.dumps(cache, indent=1))
        print(
            f"{k + 1:3d} {c.before.name[:8]} {c.after.name[:8]} overlap {reg.overlap:.2f} "
            f"inliers {reg.inliers:5d} rms {reg.rms_px:.2f} px  gt dep {len(gt['departed'])} "
            f"arr {len(gt['arrived'])} (set aside {fill})  labels F1 {row['labels']['f1']:.3f}",
            flush=True,
        )
    if args.cache:
        args.cache.write_text(json.dumps(cache, indent=1))
    rms = np.array([p["rms_px"] for p in pairs_out]) if pairs_out else np.zeros(1)
    summary = {
        "images": len(paths),
        "candidates": len(cands),
        "pairs": len(pairs_out),
        "full_overlap_pairs": sum(p["overlap"] >= 0.9 for p in pairs_out),
        "partial_overlap_pairs": sum(p["overlap"] < 0.9 for p in pairs_out),
        "refused": refused,
        "rms_px": {
            "mean": round(float(rms.mean()), 3),
            "median": round(float(np.median(rms)), 3),
            "max": round(float(rms.max()), 3),
        },
        "model": str(model) if use_model else None,
        "scores": {k: v.scores() for k, v in totals.items()},
        "pairs_with_an_unlabelled_image": sum(bool(p.get("unlabelled_image")) for p in pairs_out),
        "held_out_airport_pairs": held_pairs,
        "scores_held_out_airports": {k: v.scores() for k, v in held_totals.items()},
        "seconds": round(time.time() - t0, 1),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "pairs": pairs_out}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
