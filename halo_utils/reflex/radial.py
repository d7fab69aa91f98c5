"""How the nine reflex parameters depend on Galactocentric radius (conventions §11; S004 section 4).

The reflex model has nine *base* parameters (`BASE_NAMES`): the travel velocity, its apex
in Magellanic Stream coordinates, the three mean velocities and the three log dispersions.
A radial dependence holds them at ``n_nodes`` nodes and gives their values at any radius:

* `ConstantInRadius`: one node, the same values at every radius (PP21; S004 appendix E);
* `LinearInRadius`: the S004 continuity model, every parameter linear in r_gal between its
  values at two node radii (default `R_NODES`, 40 and 120 kpc): the dispersions linear in
  ln sigma, the apex linear in (L_MS, B_MS) with L_MS along the shorter arc; outside the
  nodes the parameters are extrapolated.

`~halo_utils.reflex.ReflexModel` composes one of them with the priors and the optional
outlier mixture. A new variant (e.g. piecewise linear over more nodes) is a new subclass
of `RadialDependence` that sets ``kind`` and ``n_nodes`` and implements `node_names` and
`values`; the priors, the likelihood and the fits then work with it unchanged. If it is
linear in its nodes it also implements `RadialDependence.offset_weights`, and its maximum-likelihood
fits use the exact gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..frames import wrap_longitude
from ..validation import check_interval

__all__ = ["BASE_NAMES", "R_NODES", "RADIAL_KINDS", "RadialDependence", "ConstantInRadius", "LinearInRadius",
           "radial_dependence"]

#: Parameters of one node (the constant model), in sampling order.
BASE_NAMES = ("v_travel", "L_MS", "B_MS", "vr_mean", "vphi_mean", "vtheta_mean",
              "ln_sigma_los", "ln_sigma_l", "ln_sigma_b")
#: Position of the periodic apex longitude L_MS among `BASE_NAMES`.
_L_MS = BASE_NAMES.index("L_MS")
#: Node radii of the continuity model (kpc, S004).
R_NODES = (40.0, 120.0)


class RadialDependence:
    """How the nine `BASE_NAMES` parameters vary with radius, from their values at nodes.

    Subclasses set ``kind`` (the name `ReflexModel` and its messages use) and ``n_nodes``,
    and implement `node_names` and `values`. Node arrays have the layout of
    `ReflexModel.nodes`: shape (..., n_nodes, 9).
    """

    #: Name of the variant, e.g. ``"linear"``.
    kind: ClassVar[str] = ""
    #: Number of nodes, each holding the nine base parameters.
    n_nodes: ClassVar[int] = 0

    def node_names(self) -> tuple:
        """Names of the ``9 * n_nodes`` halo parameters, in sampling order."""
        raise NotImplementedError

    def values(self, nodes, r, wrap: bool = True) -> np.ndarray:
        """The nine base parameters at radius ``r`` (kpc): an array (9, ...) over the leading
        axes of ``nodes`` (..., n_nodes, 9) and then the shape of ``r``; L_MS wrapped to
        [-180, 180) where it is interpolated, unless ``wrap=False``."""
        raise NotImplementedError

    def star_values(self, nodes, r) -> np.ndarray:
        """The base parameters the likelihood needs for stars at radii ``r``, from the nodes
        (n_nodes, 9) of one parameter vector: by default `values` at ``r`` without wrapping."""
        return self.values(nodes, r, wrap=False)

    def offset_weights(self, r) -> np.ndarray:
        """Weights (n_nodes - 1, ...) over ``r`` (kpc) of a dependence *linear in its nodes*:
        ``values(nodes, r, wrap=False)`` equals node 0 plus the sum over k >= 1 of
        ``w[k - 1] * (node k - node 0)``, with the L_MS difference wrapped to [-180, 180).

        The exact gradient (`~halo_utils.reflex.gradient`) differentiates through this form;
        a dependence that is not linear in its nodes leaves it unimplemented
        (NotImplementedError), and its fits use derivative-free maximisation.
        """
        raise NotImplementedError(f"{type(self).__name__} is not linear in its nodes")

    def fingerprint_items(self) -> tuple:
        """What identifies this dependence in a checkpoint fingerprint: its kind and node radii."""
        return (self.kind, [])


@dataclass(frozen=True)
class ConstantInRadius(RadialDependence):
    """One node: the same nine parameters at every radius (PP21; S004 appendix E)."""

    kind: ClassVar[str] = "constant"
    n_nodes: ClassVar[int] = 1

    def node_names(self) -> tuple:
        return BASE_NAMES

    def values(self, nodes, r, wrap: bool = True) -> np.ndarray:
        v = np.moveaxis(nodes, -1, 0)[..., 0]
        return v if np.ndim(r) == 0 else v[..., None] * np.ones(np.shape(r))

    def star_values(self, nodes, r) -> np.ndarray:
        """The node's nine values (9,), shared by every star (one apex for all)."""
        return nodes[0]

    def offset_weights(self, r) -> np.ndarray:
        """No weights (shape (0, ...)): the one node holds at every radius."""
        return np.zeros((0,) + np.shape(r))


@dataclass(frozen=True)
class LinearInRadius(RadialDependence):
    """The S004 continuity model: every parameter linear in r_gal between two node radii.

    Parameters
    ----------
    r_nodes : (float, float)
        The node radii, kpc (two increasing positive numbers; default `R_NODES`). The
        parameters of the first node carry the suffix ``_<r_nodes[0]>``, e.g. ``v_travel_40``.
    """

    r_nodes: tuple = R_NODES
    kind: ClassVar[str] = "linear"
    n_nodes: ClassVar[int] = 2

    def __post_init__(self):
        r0, r1 = check_interval("r_nodes", self.r_nodes, low=0, unit="kpc")
        if r0 == 0:
            raise ValueError(f"r_nodes must be two increasing positive radii (kpc), got {self.r_nodes}")
        object.__setattr__(self, "r_nodes", (float(r0), float(r1)))

    def node_names(self) -> tuple:
        return tuple(f"{n}_{r:g}" for r in self.r_nodes for n in BASE_NAMES)

    def values(self, nodes, r, wrap: bool = True) -> np.ndarray:
        nodes = np.moveaxis(nodes, -1, 0)  # (9, ..., n_nodes)
        r0, r1 = self.r_nodes
        t = (np.asarray(r, float) - r0) / (r1 - r0)
        lo, hi = nodes[..., 0], nodes[..., 1]
        delta = hi - lo
        delta[_L_MS] = wrap_longitude(delta[_L_MS])
        if np.ndim(t):
            lo, delta = lo[..., None], delta[..., None]
        out = lo + t * delta
        if wrap:
            out[_L_MS] = wrap_longitude(out[_L_MS])
        return out

    def star_values(self, nodes, r) -> np.ndarray:
        """`values` (9, ...) at ``r`` for the nodes (2, 9) of one parameter vector, unwrapped:
        the same numbers, without the generality (leading axes, wrapping) the samplers'
        hot path does not need."""
        r0, r1 = self.r_nodes
        lo = nodes[0]
        delta = nodes[1] - lo
        delta[_L_MS] = wrap_longitude(delta[_L_MS])
        return lo[:, None] + (np.asarray(r, float) - r0) / (r1 - r0) * delta[:, None]

    def offset_weights(self, r) -> np.ndarray:
        """t = (r - r_0) / (r_1 - r_0), shape (1, ...): `values` is node 0 + t (node 1 - node 0)."""
        r0, r1 = self.r_nodes
        return ((np.asarray(r, float) - r0) / (r1 - r0))[None]

    def fingerprint_items(self) -> tuple:
        return (self.kind, [float(r) for r in self.r_nodes])


#: The radial dependences `ReflexModel` accepts by name.
RADIAL_KINDS = ("constant", "linear")


def radial_dependence(kind: str, r_nodes=None) -> RadialDependence:
    """The radial dependence named ``kind``: ``"constant"`` (`ConstantInRadius`; ``r_nodes``
    is not used) or ``"linear"`` (`LinearInRadius` at ``r_nodes``, default `R_NODES`)."""
    if kind == "constant":
        return ConstantInRadius()
    if kind == "linear":
        return LinearInRadius(R_NODES if r_nodes is None else r_nodes)
    raise ValueError(f"model must be 'constant' or 'linear' (or a RadialDependence), got {kind!r}")
