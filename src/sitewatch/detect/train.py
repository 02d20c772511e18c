"""Train the default detector from ``../shared/data`` with a fixed seed, and export it to ONNX.

Needs the ``train`` extra (torch, onnx). Crops are drawn at the model GSD from every source,
with 90° rotations and flips for axis-aligned labels (an arbitrary rotation would make their
boxes wrong) and arbitrary rotations for oriented labels. Oriented labels supervise length,
width and angle (long side first); axis-aligned labels supervise what they can say (see
``_label_mode``): the box (width, height) at 0° for aircraft, the hull along x or y for
elongated ship and vehicle boxes, only the envelope for near-square ones — so the model
reports the envelope where only envelopes were labelled (aircraft) and the orientation where
it was labelled or follows from the box (ships, vehicles). The learning rate warms up, stays
constant, and falls to zero over the last ``anneal_steps`` (:func:`lr_factor`); the exported
weights are an exponential moving average.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import pickle
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from sitewatch.detect.boxes import envelope
from sitewatch.detect.classes import CLASSES, MODEL_GSD_M
from sitewatch.detect.decode import STRIDE
from sitewatch.detect.labels import LabelledImage
from sitewatch.detect.trainset import load_sets
from sitewatch.errors import InputError

__all__ = ["TrainConfig", "parse_scale_range", "train"]

MAX_OBJ = 160
SOURCE_WEIGHTS = {"airbus": 0.45, "gdit": 0.15, "ships-aerial": 0.28, "dota8": 0.12}
#: scale jitter of the shipped recipe (see ``TrainConfig.scale_range``)
SCALE_RANGE = (0.85, 1.18)
#: the largest crop scale a range may reach
MAX_SCALE = 4.0
#: the source whose crops ``TrainConfig.small_craft_scale`` applies to
SMALL_CRAFT_SOURCE = "ships-aerial"


@dataclass
class TrainConfig:
    """Everything that decides the trained weights."""

    steps: int = 15000
    #: the last this many steps lower the rate to zero along a half cosine; every step before
    #: them is independent of ``steps``
    anneal_steps: int = 6000
    batch: int = 12
    crop: int = 192
    lr: float = 2e-3
    seed: int = 2024
    #: one thread: on a shared 2-core machine a 2-thread torch step ran 8× slower (spinning)
    threads: int = 1
    width: int = 1
    #: output stride of the heads, 4 or 2; 2 adds a pyramid level from the stem for small
    #: craft. Full recipe, measured: ship AP50 on the ships-aerial training crops 0.660 vs
    #: 0.604, on the held-out crops mixed (0.546 vs 0.573 read once, 0.621 vs 0.589 twice),
    #: aircraft 0.971 vs 0.984, at 2.3× the inference time — not the default (model card)
    stride: int = STRIDE
    checkpoint_every: int = 250
    warmup: int = 200
    ema_decay: float = 0.998
    #: stop (and export) after this many steps; ``None`` runs all ``steps``.
    stop_at: int | None = None
    #: smoke runs (CI) read only this many images per source, so loading takes seconds
    max_images_per_source: int | None = None
    #: near-square axis-aligned ship/vehicle boxes (diagonal hulls, angle unknown):
    #: ``envelope_only`` compares only the predicted box's envelope, so a diagonal hull may
    #: come out as the diagonal box it is (as DOTA labels it); ``envelope_box`` learns the
    #: envelope as a box at 0°, as for aircraft, which contradicts the oriented labels
    near_square_hulls: str = "envelope_only"
    #: weight of a GIoU loss between the envelope of each predicted box (centre included)
    #: and the label's envelope, on top of the L1 terms; 0 turns it off
    envelope_giou: float = 0.0
    #: 1: the box head learns at each object's centre cell only (CenterNet); 3: also at the
    #: eight cells around it, length, width and angle only (their weight, Gaussian, sums to
    #: that of the centre), so a small boat's few cells all learn its box
    reg_cells: int = 1
    #: the ships-aerial fold kept out of training (0: the held-out split; others for
    #: cross-validation, ``scripts/ships_cv.py``)
    ships_holdout: int = 0
    #: share of crops drawn from each source
    source_weights: dict[str, float] = field(default_factory=lambda: dict(SOURCE_WEIGHTS))
    #: range of the random scale applied to each crop, around the model GSD; 1.2 draws the
    #: objects 1.2× larger than they are at the model GSD
    scale_range: tuple[float, float] = SCALE_RANGE
    #: the same for crops from ``ships-aerial`` (small craft, a few pixels long): the model
    #: reads them best at 1.2–1.4× their size (``--zooms``), so training may show them larger
    small_craft_scale: tuple[float, float] = SCALE_RANGE
    #: a state dict (``sitewatch-det.pt`` of an earlier run or checkpoint) to start from
    #: instead of random weights: fine-tuning; the optimiser and the schedule start afresh
    init: str | None = None


def parse_scale_range(spec: str, field: str = "--small-craft-scale") -> tuple[float, float]:
    """A crop scale range from ``"LOW,HIGH"`` (``0 < LOW <= HIGH <= 4``).

    >>> parse_scale_range("0.85,1.7")
    (0.85, 1.7)
    >>> try:
    ...     parse_scale_range("1.7,0.85")
    ... except InputError as e:
    ...     print(e.message, "/", e.expected)
    '1.7,0.85' is not a scale range / LOW,HIGH with 0 < LOW <= HIGH <= 4, e.g. 0.85,1.7
    """
    try:
        lo, hi = (float(p) for p in spec.split(","))
    except ValueError:
        lo = hi = math.nan
    return _checked_scale_range(lo, hi, field, shown=repr(spec))


def _checked_scale_range(
    lo: float, hi: float, field: str, shown: str | None = None
) -> tuple[float, float]:
    if not 0 < lo <= hi <= MAX_SCALE:
        raise InputError(
            f"{shown or f'{lo:g},{hi:g}'} is not a scale range",
            field=field,
            expected=f"LOW,HIGH with 0 < LOW <= HIGH <= {MAX_SCALE:g}, e.g. 0.85,1.7",
        )
    return lo, hi


class _Images:
    """Decoded training images kept in memory, grouped by source."""

    def __init__(self, images: list[LabelledImage]) -> None:
        self.by_source: dict[str, list[tuple[LabelledImage, npt.NDArray[np.uint8], float]]] = {}
        for img in images:
            arr = cv2.imread(str(img.path), cv2.IMREAD_COLOR)
            if arr is None:
                raise ValueError(f"cannot read {img.path}")
            # Images finer than the model GSD are area-averaged down once, as the engine's
            # resampling read does; warping them with point sampling would alias and teach the
            # network textures it never sees at inference.
            f = 1.0
            if img.gsd_m is not None and img.gsd_m < MODEL_GSD_M * 0.9:
                f = img.gsd_m / MODEL_GSD_M
                size = (max(1, round(arr.shape[1] * f)), max(1, round(arr.shape[0] * f)))
                arr = cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
            rgb: npt.NDArray[np.uint8] = np.ascontiguousarray(arr[:, :, ::-1], dtype=np.uint8)
            self.by_source.setdefault(img.source, []).append((img, rgb, f))


def _to_crop(m: npt.NDArray[Any], x: float, y: float) -> tuple[float, float]:
    """Map a point in continuous coordinates through ``m``, an affine on pixel indices.

    >>> flip = np.array([[-1.0, 0.0, 9.0], [0.0, 1.0, 0.0]])  # mirror a 10-px-wide image
    >>> _to_crop(flip, 0.0, 2.5)  # the left edge becomes the right edge
    (10.0, 2.5)
    """
    u, v = m @ np.array([x - 0.5, y - 0.5, 1.0])
    return float(u) + 0.5, float(v) + 0.5


def _sample(
    rng: random.Random,
    data: _Images,
    crop: int,
    weights: dict[str, float],
    scales: dict[str, tuple[float, float]] | None = None,
) -> tuple[npt.NDArray[np.uint8], list[tuple[int, float, float, float, float, float, bool, bool]]]:
    sources = [s for s in weights if s in data.by_source]
    src = rng.choices(sources, [weights[s] for s in sources])[0]
    img, arr, f = rng.choice(data.by_source[src])
    assert img.gsd_m is not None
    lo, hi = (scales or {}).get(src, SCALE_RANGE)
    s = img.gsd_m / MODEL_GSD_M / f * rng.uniform(lo, hi)
    real = [b for b in img.boxes if not b.ignore]
    if real and rng.random() < 0.8:
        b = rng.choice(real).box
        cx = b.cx * f + rng.uniform(-0.4, 0.4) * crop / s
        cy = b.cy * f + rng.uniform(-0.4, 0.4) * crop / s
    else:
        cx = rng.uniform(0, arr.shape[1])
        cy = rng.uniform(0, arr.shape[0])
    oriented_src = any(b.oriented for b in img.boxes)
    rot = rng.uniform(0, 360) if oriented_src else 90.0 * rng.randrange(4)
    flip = rng.random() < 0.5
    # affine: source → crop; rotate about (cx, cy), scale s, centre in crop, optional x-flip.
    # cv2 works in pixel indices (a pixel's centre is an integer); the labels are in
    # continuous coordinates (a pixel spans [i, i + 1)), so they go through the same matrix
    # shifted by half a pixel (see _to_crop). Mixing the two put every label a random 0-1.4 px
    # off its object (0.5 px up-left on average), as much as a tenth of a small boat.
    m = cv2.getRotationMatrix2D((cx, cy), rot, s)
    m[0, 2] += crop / 2 - cx
    m[1, 2] += crop / 2 - cy
    if flip:
        m = np.array([[-1, 0, crop - 1], [0, 1, 0]], np.float64) @ np.vstack([m, [0, 0, 1]])
    out_f = cv2.warpAffine(arr, m, (crop, crop), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    # photometric jitter: sensors and processing differ between sources
    alpha = rng.uniform(0.75, 1.25)
    beta = rng.uniform(-25, 25)
    out: npt.NDArray[np.uint8] = np.clip(out_f.astype(np.float32) * alpha + beta, 0, 255).astype(
        np.uint8
    )
    if rng.random() < 0.2:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
    objs = []
    for g in img.boxes:
        x, y = _to_crop(m, g.box.cx * f, g.box.cy * f)
        if not (0 <= x < crop and 0 <= y < crop):
            continue
        # cv2 rotates counter-clockwise on screen for positive angles (y down)
        ang = g.box.angle_deg - rot
        if flip:
            ang = 180.0 - ang
        ang %= 180.0
        objs.append(
            (
                CLASSES.index(g.class_name),
                float(x),
                float(y),
                g.box.length * f * s,
                g.box.width * f * s,
                ang,
                g.oriented,
                g.ignore,
            )
        )
    return out, objs


#: how a label supervises the box head (``ori`` in the targets)
MODE_ENVELOPE_BOX = 0.0  # axis-aligned aircraft: the envelope as a box at 0°
MODE_ORIENTED = 1.0  # length, width (long side first) and angle
MODE_ENVELOPE_ONLY = 2.0  # near-square axis-aligned hull: only the predicted box's envelope
#: an axis-aligned ship or vehicle box this elongated lies along x or y
ELONGATED = 1.5


def _label_mode(cls: str, oriented: bool, ew: float, eh: float, near_square: str) -> float:
    """Which supervision an object's label allows (see the ``MODE_*`` constants).

    >>> _label_mode("ship", False, 30, 8, "envelope_box")
    1.0
    >>> _label_mode("ship", False, 20, 18, "envelope_only")
    2.0
    >>> _label_mode("ship", False, 20, 18, "envelope_box")
    0.0
    >>> _label_mode("aircraft", False, 60, 55, "envelope_only")
    0.0
    >>> _label_mode("ship", True, 20, 18, "envelope_only")
    1.0
    """
    if oriented:
        return MODE_ORIENTED
    if cls in ("ship", "vehicle"):
        # a diagonal hull has a near-square envelope: its angle is unknown (about 45°), so
        # only the envelope of whatever box the head predicts is compared
        long, short = max(ew, eh), max(1e-6, min(ew, eh))
        if long / short >= ELONGATED:
            return MODE_ORIENTED
        return MODE_ENVELOPE_ONLY if near_square == "envelope_only" else MODE_ENVELOPE_BOX
    return MODE_ENVELOPE_BOX


def _targets(
    objs: list[tuple[int, float, float, float, float, float, bool, bool]],
    crop: int,
    near_square: str,
    stride: int = STRIDE,
    reg_cells: int = 1,
) -> dict[str, npt.NDArray[Any]]:
    h = w = crop // stride
    heat = np.zeros((len(CLASSES), h, w), np.float32)
    weight = np.ones((len(CLASSES), h, w), np.float32)
    ind = np.zeros(MAX_OBJ, np.int64)
    mask = np.zeros(MAX_OBJ, np.float32)
    ori = np.zeros(MAX_OBJ, np.float32)
    tgt = np.zeros((MAX_OBJ, 8), np.float32)
    # cells around a centre that also learn its box: (distance², cell, Gaussian, object slot)
    around: dict[int, tuple[float, float, int]] = {}
    k = 0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for c, x, y, L, W, a, oriented, ignore in objs:
        u, v = x / stride, y / stride
        ew, eh = envelope(L, W, a)
        sx = max(0.7, float(ew) / stride / 6)
        sy = max(0.7, float(eh) / stride / 6)
        iu, iv = min(int(u), w - 1), min(int(v), h - 1)
        g = np.exp(-((xx - iu) ** 2) / (2 * sx * sx) - ((yy - iv) ** 2) / (2 * sy * sy))
        if ignore:
            weight[c][g > 0.1] = 0.0
            continue
        heat[c] = np.maximum(heat[c], g)
        heat[c, iv, iu] = 1.0
        if k < MAX_OBJ:
            ind[k] = iv * w + iu
            mask[k] = 1.0
            mode = _label_mode(CLASSES[c], oriented, float(ew), float(eh), near_square)
            ori[k] = mode
            if mode == MODE_ENVELOPE_BOX:
                # An axis-aligned aircraft label is learnt as the box (width=ew, height=eh) at
                # 0°, with no long-side-first rule. Matching only the envelope of a free
                # oriented box let the angle collapse to 45° (square envelopes: AP50 0.55 on
                # Airbus val); "long side first at 0°/90°" made near-square aircraft flip
                # between the two (AP50 0.44). The model so outputs the envelope for aircraft.
                L, W, a = float(ew), float(eh), 0.0
            elif mode == MODE_ORIENTED and not oriented:
                # An elongated axis-aligned hull lies along x or y: that is its orientation, in
                # the same long-side-first convention as the oriented DOTA ships. Learning it
                # as (width, height) at 0° contradicted them (a vertical hull was (6, 13) at 0°
                # in VOC and (13, 6) at 90° in DOTA) and the head averaged the two: boxes came
                # out square and 0.6× too small (ship AP50 0.11).
                L, W = max(float(ew), float(eh)), min(float(ew), float(eh))
                a = 0.0 if ew >= eh else 90.0
            t2 = math.radians(2 * a)
            tgt[k] = [
                u - iu,
                v - iv,
                math.log(max(L, 1) / stride),
                math.log(max(W, 1) / stride),
                math.sin(t2),
                math.cos(t2),
                math.log(max(float(ew), 1) / stride),
                math.log(max(float(eh), 1) / stride),
            ]
            if reg_cells == 3:
                _claim_around(around, g, u, v, iu, iv, w, h, k)
            k += 1
    out: dict[str, npt.NDArray[Any]] = {
        "heat": heat,
        "weight": weight,
        "ind": ind,
        "mask": mask,
        "ori": ori,
        "tgt": tgt,
    }
    if reg_cells == 3:
        out = _with_around(out, around, k)
    return out


def _claim_around(
    around: dict[int, tuple[float, float, int]],
    g: npt.NDArray[np.float32],
    u: float,
    v: float,
    iu: int,
    iv: int,
    w: int,
    h: int,
    slot: int,
) -> None:
    """Offer the eight cells around centre cell (iu, iv) to object ``slot``; nearest wins."""
    cells = [
        (iu + dx, iv + dy)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if (dx or dy) and 0 <= iu + dx < w and 0 <= iv + dy < h
    ]
    total = sum(float(g[y, x]) for x, y in cells)
    for x, y in cells:
        d2 = (x + 0.5 - u) ** 2 + (y + 0.5 - v) ** 2
        cell = y * w + x
        if cell not in around or around[cell][0] > d2:
            around[cell] = (d2, float(g[y, x]) / max(total, 1e-6), slot)


def _with_around(
    t: dict[str, npt.NDArray[Any]], around: dict[int, tuple[float, float, int]], k: int
) -> dict[str, npt.NDArray[Any]]:
    """Targets extended by the cells around each centre (size and angle only, weighted).

    ``mask`` then weighs each sample, ``centre`` marks the centre cells, which alone learn the
    sub-cell offset and count the objects. A cell that is some object's centre keeps that role.
    """
    n = MAX_OBJ * 9
    centres = {int(c) for c in t["ind"][:k]}
    ind = np.zeros(n, np.int64)
    mask = np.zeros(n, np.float32)
    centre = np.zeros(n, np.float32)
    ori = np.zeros(n, np.float32)
    tgt = np.zeros((n, 8), np.float32)
    ind[:k], mask[:k], centre[:k] = t["ind"][:k], 1.0, 1.0
    ori[:k], tgt[:k] = t["ori"][:k], t["tgt"][:k]
    j = k
    for cell, (_, wt, slot) in sorted(around.items()):
        if cell in centres or j >= n:
            continue
        ind[j], mask[j], ori[j], tgt[j] = cell, wt, t["ori"][slot], t["tgt"][slot]
        j += 1
    return {**t, "ind": ind, "mask": mask, "centre": centre, "ori": ori, "tgt": tgt}


def _batches(cfg: TrainConfig, data: _Images, rng: random.Random) -> Iterator[dict[str, Any]]:
    scales = {s: (cfg.scale_range[0], cfg.scale_range[1]) for s in cfg.source_weights}
    scales[SMALL_CRAFT_SOURCE] = (cfg.small_craft_scale[0], cfg.small_craft_scale[1])
    while True:
        imgs, tg = [], []
        for _ in range(cfg.batch):
            im, objs = _sample(rng, data, cfg.crop, cfg.source_weights, scales)
            imgs.append(im)
            tg.append(_targets(objs, cfg.crop, cfg.near_square_hulls, cfg.stride, cfg.reg_cells))
        batch: dict[str, Any] = {k: np.stack([t[k] for t in tg]) for k in tg[0]}
        batch["image"] = np.stack(imgs)
        yield batch


def _loss(
    heat_logit: Any, reg: Any, b: dict[str, Any], envelope_giou: float = 0.0
) -> tuple[Any, dict[str, float]]:
    import torch

    p = torch.sigmoid(heat_logit).clamp(1e-4, 1 - 1e-4)
    gt, wt = b["heat"], b["weight"]
    pos = (gt == 1.0).float()
    neg = (1 - pos) * wt
    pos_l = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_l = -(torch.log(1 - p) * p**2 * (1 - gt) ** 4 * neg).sum()
    n = pos.sum().clamp(min=1.0)
    focal = (pos_l + neg_l) / n
    bsz = reg.shape[0]
    r = reg.view(bsz, 6, -1).permute(0, 2, 1)  # B, HW, 6
    idx = b["ind"].unsqueeze(-1).expand(-1, -1, 6)
    pr = r.gather(1, idx)  # B, M, 6
    m, ori, t = b["mask"], b["ori"], b["tgt"]
    # with ``reg_cells`` 3, ``mask`` weighs the cells around each centre too and ``centre``
    # marks the centres, which alone learn the offset and count the objects
    mc = b.get("centre", m)
    mn = mc.sum().clamp(min=1.0)
    off = 0.5 + 0.5 * torch.tanh(pr[..., :2])
    off_l = ((off - t[..., :2]).abs().sum(-1) * mc).sum() / mn
    raw = pr[..., 4:6]
    norm = raw.norm(dim=-1, keepdim=True).clamp(min=1e-6)
    sc = raw / norm
    env_only = (ori == MODE_ENVELOPE_ONLY).float()
    oriented = (ori == MODE_ORIENTED).float()
    box_m = m * (1 - env_only)
    size_o = ((pr[..., 2:4] - t[..., 2:4]).abs().sum(-1) * box_m).sum()
    # The raw (sin 2θ, cos 2θ) pair is regressed onto the unit circle, not its direction
    # alone: a loss on the normalised pair leaves the length free, and under Adam it grew
    # until the angle froze (cos 2θ ≈ −55 at every ship: all ships came out at 90°).
    ang_o = ((raw - t[..., 4:6]).abs().sum(-1) * box_m).sum()
    ang_o = ang_o + ((norm.squeeze(-1) - 1.0).abs() * m * env_only).sum()
    # axis-aligned labels: compare the envelope of the predicted oriented box
    c2 = sc[..., 1]
    cos_t = torch.sqrt(((1 + c2) / 2).clamp(min=1e-6))
    sin_t = torch.sqrt(((1 - c2) / 2).clamp(min=1e-6))
    L, W = torch.exp(pr[..., 2].clamp(-3, 6)), torch.exp(pr[..., 3].clamp(-3, 6))
    env = torch.stack([L * cos_t + W * sin_t, L * sin_t + W * cos_t], -1)
    # only for near-square hulls: matching envelopes alone for every aircraft let the angle
    # collapse to 45° (see _targets); a minority of such labels learn from the rest
    size_a = ((torch.log(env) - t[..., 6:8]).abs().sum(-1) * m * env_only).sum()
    # L >= W keeps the angle meaningful
    order = (torch.relu(pr[..., 3] - pr[..., 2]) * m * oriented).sum()
    reg_l = (size_o + size_a + 0.5 * ang_o + order) / mn
    total = focal + off_l + reg_l
    if envelope_giou > 0:
        total = total + envelope_giou * (_envelope_giou_loss(off, env, t) * mc).sum() / mn
    return total, {
        "focal": float(focal.detach()),
        "offset": float(off_l.detach()),
        "reg": float(reg_l.detach()),
    }


def _envelope_giou_loss(off: Any, env: Any, t: Any) -> Any:
    """1 − GIoU of the predicted envelope (cell offset ``off``, size ``env``) and the label's.

    The L1 terms weigh a centre error and a size error alike whatever the object's size; the
    IoU the evaluation asks for weighs them by the size, which is what a 12 px boat needs.
    """
    import torch

    g_wh = torch.exp(t[..., 6:8])
    p_lo, p_hi = off - env / 2, off + env / 2
    g_lo, g_hi = t[..., :2] - g_wh / 2, t[..., :2] + g_wh / 2
    inter = (torch.minimum(p_hi, g_hi) - torch.maximum(p_lo, g_lo)).clamp(min=0).prod(-1)
    union = env.prod(-1) + g_wh.prod(-1) - inter
    hull = (torch.maximum(p_hi, g_hi) - torch.minimum(p_lo, g_lo)).prod(-1)
    giou = inter / union.clamp(min=1e-6) - (hull - union) / hull.clamp(min=1e-6)
    return 1.0 - giou


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Learning-rate multiplier after ``step`` optimiser steps: warm-up, constant, anneal.

    >>> cfg = TrainConfig(steps=1000, warmup=100, anneal_steps=400)
    >>> [round(lr_factor(i, cfg), 3) for i in (0, 99, 600, 800, 1000)]
    [0.01, 1.0, 1.0, 0.5, 0.0]
    """
    anneal = min(cfg.anneal_steps, cfg.steps)
    start = cfg.steps - anneal
    warm = min(1.0, (step + 1) / max(1, cfg.warmup))
    if anneal <= 0 or step < start:
        return warm
    t = min(1.0, (step - start) / anneal)
    return warm * 0.5 * (1.0 + math.cos(math.pi * t))


def train(
    data_root: Path,
    out_dir: Path,
    cfg: TrainConfig | None = None,
    *,
    log: Callable[[str], None] = print,
    progress: Callable[[int, int, dict[str, float]], None] | None = None,
) -> Path:
    """Train, export ``out_dir/sitewatch-det.onnx`` (+ ``.json`` sidecar); return the ONNX path."""
    import torch

    from sitewatch.detect.net import SiteNet

    cfg = cfg or TrainConfig()
    if cfg.reg_cells not in (1, 3):
        raise ValueError(f"reg_cells must be 1 or 3, not {cfg.reg_cells}")
    for name in ("scale_range", "small_craft_scale"):
        lo, hi = getattr(cfg, name)
        _checked_scale_range(lo, hi, name)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    sets = load_sets(data_root, ships_holdout=cfg.ships_holdout)
    train_images = sets.train
    if cfg.max_images_per_source is not None:
        seen: dict[str, int] = {}
        train_images = []
        for img in sets.train:
            seen[img.source] = seen.get(img.source, 0) + 1
            if seen[img.source] <= cfg.max_images_per_source:
                train_images.append(img)
    data = _Images(train_images)
    log(f"training images: { {k: len(v) for k, v in data.by_source.items()} }")
    net = SiteNet(len(CLASSES), cfg.width, cfg.stride)
    if cfg.init is not None:
        try:
            state = torch.load(cfg.init, map_location="cpu", weights_only=True)
            net.load_state_dict(state)
        except (OSError, RuntimeError, TypeError, pickle.UnpicklingError, EOFError) as exc:
            # load_state_dict's message lists every key; the first line says which kind
            why = str(exc).splitlines()[0] if isinstance(exc, RuntimeError) else "unreadable"
            raise InputError(
                f"not weights of this network ({why})",
                path=cfg.init,
                field="--init",
                expected=f"sitewatch-det.pt of a run with width {cfg.width}, stride {cfg.stride}",
            ) from None
        log(f"starting from {cfg.init}")
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    # Linear warm-up, a constant rate, then a half-cosine down to zero over the last
    # ``anneal_steps``; the exported weights are an exponential moving average. Before the
    # anneal nothing depends on the total number of steps, so the checkpoints of runs of
    # different lengths agree up to there (a constant rate to the end left ship AP swinging
    # between 0.43 and 0.50 from one checkpoint to the next; annealing settles it).
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_factor(i, cfg))
    ema = copy.deepcopy(net)
    for p in ema.parameters():
        p.requires_grad_(False)
    rng = random.Random(cfg.seed)
    batches = _batches(cfg, data, rng)
    net.train()
    t0 = time.time()
    stats: dict[str, float] = {}
    last = min(cfg.steps, cfg.stop_at) if cfg.stop_at else cfg.steps
    for step in range(1, last + 1):
        b = next(batches)
        x = torch.from_numpy(b["image"]).permute(0, 3, 1, 2).float() / 255.0
        tb = {k: torch.from_numpy(v) for k, v in b.items() if k != "image"}
        heat, reg = net(x)
        loss, stats = _loss(heat, reg, tb, cfg.envelope_giou)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        opt.step()
        sched.step()
        d = min(cfg.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pn in zip(ema.state_dict().values(), net.state_dict().values(), strict=True):
                if pe.dtype.is_floating_point:
                    pe.mul_(d).add_(pn, alpha=1 - d)
                else:
                    pe.copy_(pn)
        if progress is not None:
            progress(step, cfg.steps, stats)
        if step % 50 == 0 or step == last:
            log(f"step {step}/{cfg.steps} loss {loss.item():.3f} {stats} {time.time() - t0:.0f}s")
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < last:
            _export(ema, out_dir / f"checkpoint-{step}", cfg, stats, time.time() - t0, log, step)
    onnx_path = _export(ema, out_dir, cfg, stats, time.time() - t0, log, last)
    return onnx_path


def _export(
    net: Any,
    out_dir: Path,
    cfg: TrainConfig,
    stats: dict[str, float],
    seconds: float,
    log: Callable[[str], None],
    step: int | None = None,
) -> Path:
    import torch

    from sitewatch.detect.net import ExportWrapper

    was_training = net.training
    net.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), out_dir / "sitewatch-det.pt")
    onnx_path = out_dir / "sitewatch-det.onnx"
    dummy = torch.zeros(1, 256, 256, 3, dtype=torch.uint8)
    torch.onnx.export(
        ExportWrapper(net),
        (dummy,),
        str(onnx_path),
        input_names=["image"],
        output_names=["peaks", "reg"],
        opset_version=17,
        dynamic_axes={
            "image": {0: "n", 1: "h", 2: "w"},
            "peaks": {0: "n", 2: "hh", 3: "ww"},
            "reg": {0: "n", 2: "hh", 3: "ww"},
        },
        dynamo=False,
    )
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    meta = {
        "name": "sitewatch-det",
        "version": f"sitewatch-det-{datetime.now(UTC):%Y%m%d}-{digest[:8]}",
        "sha256": digest,
        "classes": list(CLASSES),
        "gsd_m": MODEL_GSD_M,
        "stride": cfg.stride,
        "input": "image: uint8 NHWC RGB, H and W multiples of 32",
        "train_config": asdict(cfg),
        "trained_steps": step or cfg.steps,
        "train_seconds": round(seconds),
        "final_loss": stats,
    }
    (out_dir / "sitewatch-det.json").write_text(json.dumps(meta, indent=2) + "\n")
    log(
        f"exported {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB), version {meta['version']}"
    )
    if was_training:
        net.train()
    return onnx_path
