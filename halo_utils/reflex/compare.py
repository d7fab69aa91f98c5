"""Side-by-side fits for chapter 5's comparison tables: how outliers are treated, which part
of the sky is fitted, which solar frame is assumed."""

from __future__ import annotations

from astropy.table import Table

from ..validation import check_flags, check_real, make_generator
from ..frames import wrap_longitude
from .fit import NoCleanMaximum, fit_reflex, fit_reflex_clipped
from .model import OutlierMixture, ReflexModel
from .radial import RADIAL_KINDS
from .result import AT_NAMES, ReflexFit

__all__ = ["SUMMARY_QUANTITIES", "FIT_SETTINGS", "summary_row", "compare_outlier_treatments"]

#: Quantities of the comparison tables (at one radius).
SUMMARY_QUANTITIES = ("v_travel", "l_apex", "b_apex", "v_travel_x", "v_travel_y", "v_travel_z", "sigma_los",
                      "sigma_l", "sigma_b")
#: Settings `compare_outlier_treatments` passes on to every fit.
FIT_SETTINGS = ("start", "n_starts", "n_draws", "r_nodes", "distance_term", "n_distance_nodes", "distance_prior",
                "frame")


def summary_row(fit: ReflexFit, label: str, r_kpc: float = 100.0, truth: ReflexFit | None = None,
                quantities=SUMMARY_QUANTITIES) -> dict:
    """One table row: ``label``, star count, median and half 16-84 width of each quantity at
    ``r_kpc``, f_out for a mixture, and with ``truth`` each quantity's pull
    ((median - truth) / half width, longitudes on the short arc). ``quantities`` are
    `~halo_utils.reflex.AT_NAMES` names; ``r_kpc`` > 0."""
    for name, value in (("fit", fit), ("truth", truth)):
        if not isinstance(value, ReflexFit) and not (name == "truth" and value is None):
            raise TypeError(f"{name} must be a ReflexFit{' or None' if name == 'truth' else ''}, "
                            f"got {type(value).__name__}")
    r_kpc = check_real("r_kpc", r_kpc, low=0, low_open=True, unit="kpc")
    if isinstance(quantities, str) or not all(isinstance(q, str) for q in quantities):
        raise TypeError(f"quantities must be a collection of names from {AT_NAMES}, got {quantities!r}")
    unknown = [q for q in quantities if q not in AT_NAMES]
    if unknown:
        raise ValueError(f"unknown quantities {unknown}; expected names from {AT_NAMES}")
    quantities = tuple(quantities)
    at = fit.at(r_kpc)
    ref = truth.at(r_kpc) if truth is not None else None
    row = {"fit": label, "n_stars": fit.n_stars}
    for q in quantities + (("f_out",) if "f_out" in at else ()):
        p50, p16, p84 = at[q]
        row[q], row[f"{q}_err"] = p50, 0.5 * (p84 - p16)
        if ref is not None and q in ref:
            diff = p50 - ref[q][0]
            diff = wrap_longitude(diff) if q in ("l_apex", "L_MS") else diff
            row[f"{q}_pull"] = float(diff / row[f"{q}_err"]) if row[f"{q}_err"] > 0 else float("nan")
    return row


def compare_outlier_treatments(table: Table, prefit_clipped, model="linear", rng=None, *, r_kpc: float = 100.0,
                               truth: ReflexFit | None = None, n_sigma: float = 3.0, outliers=OutlierMixture(),
                               **fit_kwargs) -> tuple:
    """Maximum-likelihood fits of one sample under four outlier treatments.

    * ``"Gaussian, no cleaning"``: every star of ``table``, the plain likelihood;
    * ``"Gaussian, binned 3.5-sigma pre-clip (S004 2.3)"``: the stars where ``prefit_clipped``
      is True (the selection with S004's clipping in distance bins);
    * ``"Gaussian, iterative 3-sigma model clip (S004 5.1)"``: `fit_reflex_clipped`;
    * ``"outlier mixture"``: every star, `OutlierMixture`.

    Returns ``(table_of_rows, fits)`` with `summary_row` rows and the fits by label (the
    clipped fit's kept-star mask is in ``fits[...].info["kept"]``). A treatment whose
    likelihood has no clean maximum on the sample (`NoCleanMaximum`: minus the Hessian not
    positive definite, which outliers can cause in the plain Gaussian likelihood) gets a row
    of NaN and ``None`` in ``fits``; only when no treatment has one does it raise. ``fit_kwargs`` (any of
    `FIT_SETTINGS`, e.g. ``start``, ``n_starts``, ``distance_prior``, ``frame``) go to
    every fit. ``prefit_clipped`` holds one boolean per row of ``table``; ``n_sigma`` > 0;
    ``outliers`` is the `OutlierMixture` of the mixture fit.
    """
    unknown = sorted(set(fit_kwargs) - set(FIT_SETTINGS))
    if unknown:
        raise TypeError(f"unknown fit setting(s) {unknown}; expected names from {FIT_SETTINGS}")
    if not isinstance(table, Table):
        raise TypeError(f"table must be an astropy Table, got {type(table).__name__}")
    if not (isinstance(model, ReflexModel) or model in RADIAL_KINDS):
        raise ValueError(f"model must be 'constant', 'linear' or a ReflexModel, got {model!r}")
    if not isinstance(outliers, OutlierMixture):
        raise TypeError(f"outliers must be an OutlierMixture (the mixture fit's), got {type(outliers).__name__}")
    check_real("n_sigma", n_sigma, low=0, low_open=True)
    check_real("r_kpc", r_kpc, low=0, low_open=True, unit="kpc")
    prefit_clipped = check_flags("prefit_clipped", prefit_clipped)
    if prefit_clipped.shape != (len(table),):
        raise ValueError(f"prefit_clipped must hold one boolean per row of table ({len(table)}), "
                         f"got shape {prefit_clipped.shape}")
    rng = make_generator("rng", rng)

    def clipped_fit():
        fit, keep, n_iter = fit_reflex_clipped(table, model, rng, n_sigma=n_sigma, **fit_kwargs)
        fit.info.update(kept=keep, clip_iterations=n_iter)
        return fit

    treatments = {
        "Gaussian, no cleaning": (len(table), lambda: fit_reflex(table, model, "mle", rng, outliers=None,
                                                                 **fit_kwargs)),
        "Gaussian, binned 3.5-sigma pre-clip (S004 2.3)": (
            int(prefit_clipped.sum()),
            lambda: fit_reflex(table[prefit_clipped], model, "mle", rng, outliers=None, **fit_kwargs)),
        f"Gaussian, iterative {n_sigma:g}-sigma model clip (S004 5.1)": (len(table), clipped_fit),
        "outlier mixture": (len(table), lambda: fit_reflex(table, model, "mle", rng, outliers=outliers,
                                                           **fit_kwargs)),
    }
    fits, rows = {}, {}
    for label, (n_stars, fit) in treatments.items():
        try:
            fits[label] = fit()
        except NoCleanMaximum:
            # a result, not a failure of the comparison: outliers can leave the plain
            # likelihood without a clean maximum; the row says so with NaN values
            fits[label] = None
            continue
        rows[label] = summary_row(fits[label], label, r_kpc, truth)
    if not rows:
        raise NoCleanMaximum("no outlier treatment has a clean maximum-likelihood fit on this sample")
    template = next(iter(rows.values()))
    for label, (n_stars, _) in treatments.items():
        if label not in rows:
            rows[label] = {k: label if k == "fit" else n_stars if k == "n_stars" else float("nan") for k in template}
    return Table(rows=[rows[label] for label in treatments]), fits
