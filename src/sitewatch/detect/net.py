"""The detector network (PyTorch; only needed for training and export).

A light anchor-free, centre-based oriented-box detector: a depthwise-separable backbone down
to stride 32, a small feature pyramid back up to stride 4 (or 2: ``SiteNet(stride=2)``, one
more level from the stem, for small objects at 2.75× the inference time), and two heads on
that map —
a per-class centre heatmap and six regression channels (sub-cell offset x/y, log length,
log width in output cells, sin 2θ, cos 2θ). The exported graph also returns the heatmap's
peaks so decoding needs no framework: the 3×3 local maxima, and for the small-object classes
(:data:`sitewatch.detect.classes.NEAR_PEAK_CLASSES`) every cell within
:data:`NEAR_PEAK_RATIO` of its 3×3 maximum too, left for the engine's rotated-IoU NMS.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sitewatch.detect.classes import CLASSES, NEAR_PEAK_CLASSES
from sitewatch.detect.decode import STRIDE, STRIDES

__all__ = ["NEAR_PEAK_RATIO", "STRIDE", "SiteNet"]

#: For NEAR_PEAK_CLASSES, objects a few output cells across, a cell is a peak when it scores at
#: least this share of its 3×3 maximum. Two boats moored side by side put their centres in
#: neighbouring cells, and a strict 3×3 maximum keeps only the stronger: on the
#: 1,049 ships-aerial training boats AP50 0.560 with the strict rule, 0.604 keeping every cell
#: at least half its neighbourhood's maximum (0.607 keeping every cell; 0.594 at 0.7), val
#: 0.565 → 0.573. Aircraft span 8–18 cells, where the extra cells are only duplicates for the
#: NMS to remove (with the rule on every class the bench mosaic's merge took 0.14 s, not
#: 0.04 s), and gain nothing: they keep the strict rule.
NEAR_PEAK_RATIO = 0.5


def _cbr(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class _DW(nn.Module):
    """Depthwise 3×3 then pointwise 1×1; residual when the shape is kept."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = _cbr(cin, cin, 3, stride, groups=cin)
        self.pw = _cbr(cin, cout, 1)
        self.res = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        y: Tensor = self.pw(self.dw(x))
        return x + y if self.res else y


class SiteNet(nn.Module):
    """Centre-heatmap oriented-box detector; input RGB float in [0, 1], any size ÷ 32."""

    def __init__(self, num_classes: int, width: int = 1, stride: int = STRIDE) -> None:
        super().__init__()
        if stride not in STRIDES:
            raise ValueError(f"output stride must be one of {STRIDES}, not {stride}")
        self.stride = stride
        c = [16 * width, 32 * width, 64 * width, 112 * width, 176 * width]
        self.stem = _cbr(3, c[0], 3, 2)
        self.s4 = nn.Sequential(_DW(c[0], c[1], 2), _DW(c[1], c[1]))
        self.s8 = nn.Sequential(_DW(c[1], c[2], 2), _DW(c[2], c[2]), _DW(c[2], c[2]))
        self.s16 = nn.Sequential(_DW(c[2], c[3], 2), _DW(c[3], c[3]), _DW(c[3], c[3]))
        self.s32 = nn.Sequential(_DW(c[3], c[4], 2), _DW(c[4], c[4]), _DW(c[4], c[4]))
        f = 48
        self.l32 = _cbr(c[4], f, 1)
        self.l16 = _cbr(c[3], f, 1)
        self.l8 = _cbr(c[2], f, 1)
        self.l4 = _cbr(c[1], f, 1)
        self.m16 = _DW(f, f)
        self.m8 = _DW(f, f)
        self.m4 = nn.Sequential(_DW(f, f), _DW(f, f))
        if stride == 2:
            self.l2 = _cbr(c[0], f, 1)
            self.m2 = _DW(f, f)
        self.heat = nn.Sequential(_DW(f, f), nn.Conv2d(f, num_classes, 1))
        self.reg = nn.Sequential(_DW(f, f), nn.Conv2d(f, 6, 1))
        last = self.heat[-1]
        assert isinstance(last, nn.Conv2d) and last.bias is not None
        nn.init.constant_(last.bias, -2.19)  # prior 0.1: the heatmap starts almost empty

    def features(self, x: Tensor) -> Tensor:
        """The feature map at the output stride."""
        x2 = self.stem(x)
        x4 = self.s4(x2)
        x8 = self.s8(x4)
        x16 = self.s16(x8)
        x32 = self.s32(x16)
        p = self.l32(x32)
        p = self.m16(self.l16(x16) + F.interpolate(p, scale_factor=2.0, mode="nearest"))
        p = self.m8(self.l8(x8) + F.interpolate(p, scale_factor=2.0, mode="nearest"))
        result: Tensor = self.m4(self.l4(x4) + F.interpolate(p, scale_factor=2.0, mode="nearest"))
        if self.stride == 2:
            up = F.interpolate(result, scale_factor=2.0, mode="nearest")
            result = self.m2(self.l2(x2) + up)
        return result

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Heatmap logits (N, C, H/s, W/s) and regression (N, 6, H/s, W/s), s the stride."""
        f = self.features(x)
        return self.heat(f), self.reg(f)


class ExportWrapper(nn.Module):
    """What goes into the ONNX file: uint8 NHWC in; the heatmap's peak scores (zero elsewhere)
    and the box regression out."""

    def __init__(self, net: SiteNet, classes: tuple[str, ...] = CLASSES) -> None:
        super().__init__()
        self.net = net
        near = torch.tensor([float(c in NEAR_PEAK_CLASSES) for c in classes])
        self.near_peak: Tensor
        self.register_buffer("near_peak", near.view(1, -1, 1, 1), persistent=False)

    def forward(self, image: Tensor) -> tuple[Tensor, Tensor]:
        x = image.permute(0, 3, 1, 2).float() / 255.0
        logits, reg = self.net(x)
        heat = torch.sigmoid(logits)
        top = F.max_pool2d(heat, 3, 1, 1)
        # float masks, not torch.where: ONNX Runtime's CPU Where has no boolean kernel
        near = self.near_peak.to(heat.dtype)
        keep = near * (heat >= NEAR_PEAK_RATIO * top).float() + (1 - near) * (heat == top).float()
        return heat * keep, reg
