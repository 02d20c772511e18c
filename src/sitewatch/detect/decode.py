"""Turn the network's peak map and regression channels into oriented boxes (NumPy only)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["STRIDE", "STRIDES", "RawBox", "decode"]

#: output stride of the default network (the model's sidecar says which one it has)
STRIDE = 4
#: output strides the network can be built with
STRIDES = (2, 4)


@dataclass(frozen=True)
class RawBox:
    """A decoded box in the network input's pixel frame."""

    class_index: int
    score: float
    cx: float
    cy: float
    length: float
    width: float
    angle_deg: float


def decode(
    peaks: npt.NDArray[np.float32],
    reg: npt.NDArray[np.float32],
    *,
    threshold: float = 0.2,
    max_boxes: int = 2000,
    stride: int = STRIDE,
) -> list[RawBox]:
    """Boxes from one image's ``peaks`` (C, h, w) and ``reg`` (6, h, w) at output ``stride``.

    >>> pk = np.zeros((1, 8, 8), np.float32); pk[0, 2, 3] = 0.9
    >>> rg = np.zeros((6, 8, 8), np.float32); rg[2, 2, 3] = np.log(5); rg[3, 2, 3] = np.log(2)
    >>> rg[5, 2, 3] = 1.0  # cos 2θ = 1 → θ = 0
    >>> b = decode(pk, rg)[0]
    >>> (b.cx, b.cy, round(b.length, 3), round(b.width, 3), b.angle_deg)
    (14.0, 10.0, 20.0, 8.0, 0.0)
    """
    c, ys, xs = np.nonzero(peaks >= threshold)
    if c.size == 0:
        return []
    scores = peaks[c, ys, xs]
    order = np.argsort(-scores, kind="stable")[:max_boxes]
    c, ys, xs, scores = c[order], ys[order], xs[order], scores[order]
    r = reg[:, ys, xs]
    cx = (xs + 0.5 + np.tanh(r[0]) * 0.5) * stride
    cy = (ys + 0.5 + np.tanh(r[1]) * 0.5) * stride
    length = np.exp(np.clip(r[2], -3, 6)) * stride
    width = np.exp(np.clip(r[3], -3, 6)) * stride
    angle = np.degrees(np.arctan2(r[4], r[5]) / 2.0) % 180.0
    out = []
    for i in range(c.size):
        L, W, a = float(length[i]), float(width[i]), float(angle[i])
        if W > L:
            L, W, a = W, L, (a + 90.0) % 180.0
        out.append(
            RawBox(
                int(c[i]),
                float(scores[i]),
                float(cx[i]),
                float(cy[i]),
                L,
                W,
                0.0 if math.isclose(a, 180.0) else a,
            )
        )
    return out
