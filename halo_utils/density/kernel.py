"""The density log-likelihood compiled with JAX (float64): the hot path of the emcee chains.

ln L = sum_i ln n(x_i) - sum_k w_k n(x_k) over the stars i and the selection nodes k
(conventions §8) is one pass over ~2e5 nodes per call, and a chain makes ~10^5 calls. numpy
makes that pass as five or six separate array operations (matrix-vector product, log, the
profile's segments, exp, weighted sum), each reading and writing the whole array; XLA fuses
them into one loop. The parameter-dependent numbers (the quadratic form c of the geometry,
the amplitude ln A, the profile's break knots and slopes) are computed by the numpy model as
always, so the kernel holds no model logic beyond the profile's piecewise-linear shape in
ln r_q^2: it serves the power-law family (`~halo_utils.density.profiles.PowerLaw`,
`~halo_utils.density.profiles.BrokenPowerLaw`), every geometry, and equals
`~halo_utils.density.likelihood.log_probability` to rounding (tested to 1e-10 relative).
Other profiles (e.g. `~halo_utils.density.profiles.Einasto`) use the numpy path.

JAX runs here on the CPU. `CompiledLogProbability.batch` evaluates many parameter vectors in
one compiled call (the vmap of the same function): emcee's vectorised mode hands it half of
the ensemble at each move, and the ~0.3 ms of Python and dispatch that every single call
pays is then paid once per batch. Importing this module switches on JAX's 64-bit mode (``jax_enable_x64``), a
process-wide setting: float64 is what the likelihood needs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .likelihood import Stars, log_probability
from .models import get_model, log_amplitude
from .profiles import BrokenPowerLaw, PowerLaw
from .selection import SelectionGrid

__all__ = ["supports_kernel", "CompiledLogProbability"]

jax.config.update("jax_enable_x64", True)


def supports_kernel(model) -> bool:
    """Whether ``model``'s profile is one the compiled kernel evaluates (the power-law family)."""
    return isinstance(get_model(model).profile, (PowerLaw, BrokenPowerLaw))


@jax.jit
def _log_likelihood(star_mono, star_ln_weight, node_mono, node_weight, c, ln_amp, knots, slopes):
    """sum ln n(stars) - sum w n(nodes) for ln n = ln A - (1/2) sum_j slopes_j * (part of u in segment j).

    u = ln r_q^2 = ln(c . m) for the monomials m, shape (6, N) (one row per monomial); the
    segments of u are split at ``knots`` (ln r_b^2 of the breaks; none for a single power
    law, whose ln f is -alpha/2 u). ``star_ln_weight`` (N, K) folds K points into each star's
    term, ln sum_k w_k n_k (`~halo_utils.density.likelihood.Stars`); with K = 1 (observed
    positions, weights zero) the term is ln n itself.
    """
    def ln_n(mono):
        u = jnp.log(c @ mono)
        if knots.shape[0] == 0:  # shapes are static: one compiled kernel per number of breaks
            return ln_amp - 0.5 * slopes[0] * u
        total = slopes[0] * jnp.minimum(u - knots[0], 0.0)
        for i in range(1, knots.shape[0]):
            total = total + slopes[i] * jnp.clip(u - knots[i - 1], 0.0, knots[i] - knots[i - 1])
        total = total + slopes[-1] * jnp.maximum(u - knots[-1], 0.0)
        return ln_amp - 0.5 * total
    ln_s = ln_n(star_mono)
    if star_ln_weight.shape[1] == 1:  # static: the observed positions compile without the sum over points
        star_term = jnp.sum(ln_s)
    else:
        star_term = jnp.sum(jax.scipy.special.logsumexp(ln_s.reshape(star_ln_weight.shape) + star_ln_weight, axis=1))
    return star_term - node_weight @ jnp.exp(ln_n(node_mono))


#: `_log_likelihood` over a batch of parameter sets (one row of c, ln_amp, knots, slopes each).
_batched_log_likelihood = jax.jit(jax.vmap(_log_likelihood, in_axes=(None, None, None, None, 0, 0, 0, 0)))


class CompiledLogProbability:
    """ln prior + ln L of a free-parameter vector through the compiled kernel; picklable.

    Same contract as `~halo_utils.density.likelihood.log_probability` (-inf outside the
    prior, never NaN). The star and node arrays are handed to JAX once, on the first call in
    each process (a pickled copy carries only the numpy arrays).

    Parameters
    ----------
    stars : Stars
    grid : SelectionGrid
    model : str or DensityModel
        A model of the power-law family (`supports_kernel`).
    """

    def __init__(self, stars: Stars, grid: SelectionGrid, model):
        self.model = get_model(model)
        if not supports_kernel(self.model):
            raise ValueError(f"the compiled kernel serves the power-law profiles, not {self.model.profile!r}; "
                             "use halo_utils.density.log_probability")
        self.stars, self.grid = stars, grid
        self._arrays = None

    def __getstate__(self):
        return {**self.__dict__, "_arrays": None}

    def _device_arrays(self):
        if self._arrays is None:
            ln_weight = self.stars.ln_weight if self.stars.folded else np.zeros((len(self.stars), 1))
            self._arrays = (jnp.asarray(self.stars.mono.T), jnp.asarray(ln_weight), jnp.asarray(self.grid._mono.T),
                            jnp.asarray(self.grid._w))
        return self._arrays

    def _arguments(self, vector):
        """The kernel's parameter arguments (c, ln A, knots, slopes) of ``vector``, or None
        outside the prior."""
        m = self.model
        params = m.params(vector)
        if m.problems(params):
            return None
        full = m.complete(params)
        slopes, breaks = m.profile.alphas_breaks(full)
        knots = np.array([2.0 * np.log(r) for r in breaks], float)
        return (m.geometry.quadratic_form(full), log_amplitude(full, m, self.grid.giants_per_msun), knots,
                np.asarray(slopes, float))

    def __call__(self, vector) -> float:
        args = self._arguments(vector)
        if args is None:
            return -np.inf
        # small numpy arguments go straight in: jnp.asarray of each would cost more than the pass
        return float(_log_likelihood(*self._device_arrays(), *args))

    def batch(self, vectors) -> np.ndarray:
        """ln prior + ln L of each row of ``vectors`` (shape (n, ndim)) in one compiled call.

        Equals ``[self(v) for v in vectors]`` to rounding (-inf outside the prior). Rows
        outside the prior are evaluated as a copy of an inside row and then set to -inf, so
        a batch of ``n`` rows always runs the kernel compiled for ``n``.
        """
        vectors = np.asarray(vectors, float)
        if vectors.ndim != 2 or vectors.shape[1] != self.model.ndim:
            raise ValueError(f"vectors must have shape (n, {self.model.ndim}), got {vectors.shape}")
        args = [self._arguments(v) for v in vectors]
        inside = np.array([a is not None for a in args], bool)
        out = np.full(len(vectors), -np.inf)
        if not inside.any():
            return out
        filler = args[int(np.argmax(inside))]
        stacked = [np.stack([(a if a is not None else filler)[j] for a in args]) for j in range(4)]
        values = np.asarray(_batched_log_likelihood(*self._device_arrays(), *stacked))
        out[inside] = values[inside]
        return out

    def reference(self, vector) -> float:
        """The same value from numpy (`~halo_utils.density.likelihood.log_probability`)."""
        return log_probability(vector, self.stars, self.grid, self.model)
