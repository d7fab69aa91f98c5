"""Figures of halo_utils.plotting: what a reader sees instead of log lines."""

import logging

import matplotlib
import healpy as hp
import numpy as np
import pytest
from astropy.table import Table, vstack

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from halo_utils import plotting, reflex as rf  # noqa: E402
from halo_utils.lmc import MassPosterior, predictive_check  # noqa: E402
from halo_utils.mock import GSE_TRUTH, reflex_truth_vector  # noqa: E402
from halo_utils.plotting import nice_limit, nice_range, plot_corner  # noqa: E402


def test_corner_with_too_few_samples_says_so_on_the_figure_and_logs_nothing(caplog):
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(6, 3))   # far too few for corner's 2D density contours
    with caplog.at_level(logging.WARNING):
        fig = plot_corner(samples, ["a", "b", "c"])
    assert not [r for r in caplog.records if "contours" in r.getMessage()]
    notes = [t.get_text() for t in fig.texts if "too few samples" in t.get_text()]
    assert notes and notes[0].startswith("3 panel(s)")  # the three 2D panels of three parameters
    assert logging.getLogger().filters == []            # the filter is removed afterwards


def test_corner_with_enough_samples_has_no_note():
    samples = np.random.default_rng(2).normal(size=(4000, 2))
    fig = plot_corner(samples, ["a", "b"])
    assert not [t for t in fig.texts if "too few samples" in t.get_text()]


# ---------------------------------------------------------------- nice colour limits


def test_nice_limit_rounds_up_to_one_two_two_and_a_half_or_five_times_a_power_of_ten():
    cases = {21.0941: 25.0, -21.0941: 25.0, 1.0: 1.0, 0.3: 0.5, 7.0: 10.0, 100.0: 100.0, 101.0: 200.0,
             0.011: 0.02, 2.4: 2.5, 2.6: 5.0, 53.31: 100.0, 4.2e-7: 5e-7, 0.0: 0.0}
    for x, want in cases.items():
        assert nice_limit(x) == pytest.approx(want, rel=1e-12), x
    assert nice_limit(250.00000000001) == 250.0  # already nice, up to rounding
    with pytest.raises(ValueError):
        nice_limit(float("nan"))


def test_nice_range_widens_to_multiples_of_a_nice_step():
    assert nice_range(51.3, 187.9) == (50.0, 200.0)
    assert nice_range(0.02, 1.0) == (0.0, 1.0)
    lo, hi = nice_range(-21.0941, 3.2)
    assert lo == -25.0 and hi == 5.0
    assert nice_range(3.0, 3.0) == (0.0, 5.0)  # an empty range gets a step each side, not below zero
    with pytest.raises(ValueError):
        nice_range(2.0, 1.0)


def _ticks(cax):
    """The ticks a colour bar shows (inside its colour limits)."""
    lo, hi = cax._colorbar.mappable.get_clim()
    return [t for t in cax._colorbar.get_ticks() if lo - 1e-9 <= t <= hi + 1e-9]


def _is_round(values):
    """Whether every value is a whole multiple of the smallest nice step between them."""
    values = np.asarray(values, float)
    step = np.min(np.diff(values))
    return step > 0 and np.allclose(values / step, np.round(values / step)) and nice_limit(step) == pytest.approx(step)


def test_add_colorbar_ticks_are_round_numbers_from_a_max_n_locator():
    fig, ax = plt.subplots()
    im = ax.imshow(np.linspace(-21.0941, 21.0941, 100).reshape(10, 10), vmin=-21.0941, vmax=21.0941)
    cbar = plotting.add_colorbar(im, ax=ax, label="v [km/s]")
    assert isinstance(cbar.locator, MaxNLocator)
    assert cbar.ax.get_ylabel() == "v [km/s]"
    ticks = [t for t in cbar.get_ticks() if -21.0941 <= t <= 21.0941]
    assert len(ticks) >= 3 and _is_round(ticks)
    plt.close(fig)


def _colorbars(fig):
    """The colour bars of a figure (axes that hold a colour bar), with their labels."""
    return [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]


def _colorbar_label(cax):
    return cax.get_xlabel() or cax.get_ylabel()


def test_mollview_panel_has_a_labelled_colour_bar_with_round_ticks():
    fig = plt.figure()
    values = np.linspace(0, 53.31, hp.nside2npix(2))
    plotting.mollview_panel(values, fig=fig, sub=(1, 1, 1), title="counts", vmin=0, vmax=60, unit="stars / pixel")
    (cax,) = _colorbars(fig)
    assert _colorbar_label(cax) == "stars / pixel"
    ticks = _ticks(cax)
    assert len(ticks) >= 3 and _is_round(ticks) and 53.31 not in ticks
    assert cax.get_xscale() == "linear"  # a linear bar: no tick beyond the limits pinned to its ends
    plt.close(fig)


# ---------------------------------------------------------------- chapter 1


def test_footprint_colour_limits_are_nice_and_labelled():
    tiles = Table({"RA": np.linspace(0, 350, 40), "DEC": np.linspace(-80, 80, 40), "f_rank2": np.linspace(0.023, 0.97, 40)})
    ax = plotting.plot_footprint(tiles, label="rank-2 fibre sampling fraction", title="survey tiles")
    assert ax.get_title() == "survey tiles"
    sc = ax.collections[-1]
    assert sc.norm.vmin == 0.0 and sc.norm.vmax == 1.0
    (cax,) = _colorbars(ax.figure)
    assert _colorbar_label(cax) == "rank-2 fibre sampling fraction"
    plt.close(ax.figure)


def test_velocity_errors_takes_a_title():
    r = np.linspace(10, 60, 500)
    ax = plotting.plot_velocity_errors(r, {"V_r": 3 + 0 * r, "V_phi": 0.4 * r}, n_bins=10, title="halo sample")
    assert ax.get_title() == "halo sample" and "km/s" in ax.get_ylabel() and "kpc" in ax.get_xlabel()
    plt.close(ax.figure)


# ---------------------------------------------------------------- chapter 2


def _grid_result(rng, n=11):
    centres = np.linspace(-30, 30, n)
    median = rng.uniform(61.7, 187.2, (n, n))
    median[0, :] = np.nan  # masked cells
    return {"centers_u": centres, "centers_w": centres, "median": median}


def test_dispersion_maps_default_limits_are_nice():
    rng = np.random.default_rng(3)
    results = {"all": _grid_result(rng), "accreted": _grid_result(rng)}
    stars = {k: (rng.uniform(-30, 30, 50), rng.uniform(-30, 30, 50)) for k in results}
    fig, axes = plotting.plot_dispersion_maps(results, stars, "xz")
    (cax,) = _colorbars(fig)
    assert "km/s" in _colorbar_label(cax)
    vmin, vmax = cax._colorbar.mappable.get_clim()
    assert (vmin, vmax) == nice_range(vmin, vmax) and vmin <= 61.7 and vmax >= 187.2
    assert axes[1, 0].get_xlabel() == "X [kpc]" and axes[0, 0].get_ylabel() == "Z [kpc]"
    plt.close(fig)


def test_healpix_maps_have_nice_limits_and_round_ticks():
    npix = hp.nside2npix(2)
    maps_ = {"all": np.linspace(52.3, 191.8, npix), "in-situ": np.full(npix, np.nan)}
    maps_["in-situ"][:5] = 70.0
    fig = plotting.plot_healpix_maps(maps_)
    bars = _colorbars(fig)
    assert len(bars) == 2
    for cax in bars:
        assert _colorbar_label(cax) == "$\\sigma_r$ [km/s]"
        assert cax._colorbar.mappable.get_clim() == (50.0, 200.0)
        assert _is_round(_ticks(cax))
    plt.close(fig)


def _profile(rng, r_mid, centre):
    med = centre + rng.normal(0, 3, r_mid.size)
    return {"r_mid": r_mid, "median": med, "p16": med - 5, "p84": med + 5, "p2_5": med - 10, "p97_5": med + 10}


def test_sigma_beta_vs_accreted_fraction_labels_both_panels():
    rng = np.random.default_rng(4)
    frac = rng.uniform(0.5, 1, 30)
    fig = plotting.plot_sigma_beta_vs_accreted_fraction(frac, 100 + 80 * frac, 0.5 + 0.3 * frac, rng.integers(10, 90, 30),
                                                        rho_sigma=0.48, rho_beta=0.68)
    left, right = fig.axes
    assert left.get_ylabel() == "$\\sigma_r$ [km/s]" and right.get_ylabel() == "$\\beta$"
    assert all("accreted fraction" in ax.get_xlabel() for ax in fig.axes)
    assert "0.48" in left.texts[0].get_text() and "0.68" in right.texts[0].get_text()
    plt.close(fig)


def test_radial_profiles_and_band_widths():
    rng = np.random.default_rng(5)
    r_mid = np.linspace(12, 75, 12)
    sigma = {name: {"bootstrap": _profile(rng, r_mid, c), "drop": _profile(rng, r_mid, c)}
             for name, c in (("accreted", 150.0), ("in-situ", 75.0))}
    beta = {name: {"bootstrap": _profile(rng, r_mid, 0.8), "drop": _profile(rng, r_mid, 0.8)}
            for name in ("whole sky", "l<180, b>0", "l>=180, b>0")}
    fig = plotting.plot_radial_profiles(sigma, beta, sigma_truth={"accreted": r_mid * 0 + 150, "in-situ": None})
    left, right = fig.axes
    assert left.get_ylabel() == "$\\sigma_r$ [km/s]" and right.get_ylabel() == "$\\beta$"
    assert all(ax.get_xlabel() == "$r_{\\rm Gal}$ [kpc]" for ax in fig.axes)
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert legend[:2] == ["accreted", "in-situ"] and "truth (same stars)" in legend
    assert [t.get_text() for t in right.get_legend().get_texts()] == list(beta)
    plt.close(fig)
    fig = plotting.plot_radial_profiles(sigma, beta, published=True)  # S000 figs 9-10's literature
    left, right = fig.axes
    assert {"Cunningham+19 (published)", "Bird+19 (published)", "Kafle+12 (published)"} <= {
        t.get_text() for t in right.get_legend().get_texts()}
    assert "Sirko+04 (published)" in [t.get_text() for t in left.get_legend().get_texts()]
    # Sirko+04's sigma_r = 101.4 +- 2.8 km/s, drawn at its sample's median distance
    point = [c for c in left.containers if hasattr(c, "lines")][0]
    assert (float(point.lines[0].get_xdata()[0]), float(point.lines[0].get_ydata()[0])) == (25.0, 101.4)
    plt.close(fig)
    ax = plotting.plot_band_widths(sigma, {"accreted": "tab:red", "in-situ": "tab:blue"})
    assert "km/s" in ax.get_ylabel() and len(ax.get_lines()) == 4
    plt.close(ax.figure)


# ---------------------------------------------------------------- chapters 3 and 4


def test_isodensity_planes_and_sky_residuals():
    truth = {**GSE_TRUTH, "log10_mass": 9.0}
    stars = np.random.default_rng(6).normal(0, 15, (3, 300))
    fig = plotting.plot_isodensity_planes(truth, "triaxial_double_break", stars=stars,
                                          truth=(truth, "triaxial_double_break"), extent=30.0)
    xy, xz = fig.axes
    assert (xy.get_xlabel(), xy.get_ylabel(), xz.get_ylabel()) == ("X [kpc]", "Y [kpc]", "Z [kpc]")
    assert "truth" in [t.get_text() for t in xy.get_legend().get_texts()]
    plt.close(fig)

    npix = hp.nside2npix(2)
    data = np.random.default_rng(7).poisson(30, npix).astype(float)
    fig = plotting.plot_sky_residuals(data, {"fitted": np.full(npix, 30.0), "untilted": np.full(npix, 25.0)})
    bars = _colorbars(fig)
    assert len(bars) == 6
    counts = [cax for cax in bars if _colorbar_label(cax) == "stars / pixel"]
    top = np.percentile(data, 99)
    assert len(counts) == 4 and all(cax._colorbar.mappable.get_clim() == nice_range(0.0, top) for cax in counts)
    assert all(_is_round(_ticks(cax)) for cax in bars)
    plt.close(fig)


def _coverage_table(params=("p", "q", "r1")):
    n = len(params)
    return Table({"parameter": list(params), "n_mocks": [4] * n, "coverage_68": [0.5, 0.75, 0.5],
                  "binomial_sigma_68": [0.2] * n, "coverage_95": [1.0, 0.75, 1.0], "profile_coverage_68": [0.75] * n,
                  "profile_coverage_95": [1.0] * n, "mean_pull": [0.3, -0.2, 1.1], "std_pull": [1.0, 0.9, 1.4]})


def test_coverage_panels_and_mean_pulls():
    tables = {"plain": _coverage_table(), "folded": _coverage_table()}
    fig = plotting.plot_coverage_panels(tables, 4, titles={"plain": "observed positions"})
    left, right = fig.axes
    assert left.get_title() == "observed positions" and right.get_title() == "folded"
    assert left.get_ylabel() == "fraction of mocks with truth inside"
    plt.close(fig)
    ax = plotting.plot_mean_pulls(tables, labels={"plain": "full pipeline"})
    assert "pull" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["full pipeline", "folded"]
    plt.close(ax.figure)


# ---------------------------------------------------------------- chapter 5


def _binned(rng, x_mid, level=0.0):
    return Table({"x_mid": x_mid, "mean": level + rng.normal(0, 5, x_mid.size), "err": np.full(x_mid.size, 4.0),
                  "n": np.full(x_mid.size, 30)})


def test_outer_halo_data_figures():
    rng = np.random.default_rng(8)
    l, b, r = rng.uniform(0, 360, 200), rng.uniform(-80, 80, 200), rng.uniform(40, 160, 200)
    fig = plotting.plot_outer_halo_sample(l, b, r, {"H3": r[:120], "MagE": r[120:]}, r_range=(40.0, 160.0))
    sky, counts = fig.axes[:2]
    (cax,) = _colorbars(fig)
    assert _colorbar_label(cax) == "$r_{\\rm gal}$ [kpc]" and cax._colorbar.mappable.get_clim() == (40.0, 160.0)
    assert sky.get_xlabel() == "$\\ell$ [deg]" and counts.get_yscale() == "log"
    plt.close(fig)

    npix = hp.nside2npix(4)
    vmap = np.linspace(-21.0941, 18.2, npix)
    fig = plotting.plot_vgsr_sky({"data": vmap, "truth model": 0.5 * vmap}, l, b)
    bars = _colorbars(fig)
    assert len(bars) == 2
    for cax in bars:
        assert cax._colorbar.mappable.get_clim() == (-25.0, 25.0)
        assert "km/s" in _colorbar_label(cax) and _is_round(_ticks(cax))
    plt.close(fig)

    x_mid = np.array([45, 55, 65, 75, 85, 95, 110, 130, 150.0])
    quads = {"LMC": _binned(rng, x_mid, -20), "opposite": _binned(rng, x_mid, 20)}
    fig = plotting.plot_quadrant_profiles(quads, _binned(rng, x_mid), v_gsr_truth=quads, v_b_truth=_binned(rng, x_mid))
    left, right = fig.axes
    assert "km/s" in left.get_ylabel() and "km/s" in right.get_ylabel() and "kpc" in left.get_xlabel()
    assert "truth model" in [t.get_text() for t in left.get_legend().get_texts()]
    plt.close(fig)

    p_out = rng.uniform(0, 1, 300)
    components = np.array(["halo"] * 280 + ["outlier"] * 20)
    ax = plotting.plot_outlier_probabilities(p_out, components)
    assert ax.get_xlabel() == "outlier probability"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["halo (280)", "outlier (20)"]
    plt.close(ax.figure)
    residuals = {c: rng.standard_t(3, 300) for c in ("z_vlos", "z_mu_l", "z_mu_b")}
    fig = plotting.plot_standardized_residuals(residuals, outliers=p_out > 0.9)
    assert [ax.get_xlabel().split(", ")[0] for ax in fig.axes] == ["standardised residual"] * 3
    plt.close(fig)


def _fake_reflex_fit(n=400, seed=9):
    """A ReflexFit of the mock's truth vector with a little scatter (no sampler run)."""
    model = rf.ReflexModel("linear", rf.R_NODES, None)
    theta = reflex_truth_vector()
    samples = theta + 0.02 * np.random.default_rng(seed).normal(size=(n, theta.size))
    return rf.ReflexFit(model, samples, theta, 0.0, "mle", 500, {}), rf.ReflexFit.point(model, theta)


def test_reflex_fit_figures():
    fit, truth = _fake_reflex_fit()
    radii = np.linspace(40, 120, 9)
    fig = plotting.plot_travel_profiles(fit, radii, truth=truth)
    assert [ax.get_ylabel() for ax in fig.axes] == ["$v_{\\rm travel}$ [km/s]", "$\\ell_{\\rm apex}$ [deg]",
                                                    "$b_{\\rm apex}$ [deg]"]
    assert "truth" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    fig = plotting.plot_travel_profiles(fit, radii, truth=truth, published=True)
    sources = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Petersen & Peñarrubia 21, distance-independent (published)" in sources
    assert "Chandra+24 (S004): GC19 LMC3 simulation" in sources and len(sources) == len(set(sources))
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["continuity fit (16-84 %)", "truth"]
    plt.close(fig)
    fig = plotting.plot_kinematic_profiles(fit, radii, published=True)
    assert "Cunningham+19 (published)" in [t.get_text() for t in fig.axes[2].get_legend().get_texts()]
    plt.close(fig)
    fig = plotting.plot_kinematic_profiles(fit, radii)
    assert [ax.get_ylabel() for ax in fig.axes] == ["mean velocity [km/s]", "intrinsic dispersion [km/s]", "$\\beta$"]
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["$\\sigma_{\\rm los}$", "$\\sigma_\\ell$",
                                                                             "$\\sigma_b$"]
    plt.close(fig)

    rng = np.random.default_rng(10)
    kept = rng.uniform(size=100) > 0.2
    rows = {label: {f"v_travel_{c}": (v, v - 5, v + 4) for c, v in zip("xyz", (-10.0, 20.0, -30.0))}
            for label in ("with Sgr cut", "without Sgr cut")}
    fig = plotting.plot_sgr_contamination(rng.uniform(0, 360, 100), rng.normal(0, 100, 100), kept, ~kept, rows)
    assert fig.axes[0].get_ylabel() == "$v_{\\rm GSR}$ [km/s]" and "km/s" in fig.axes[1].get_xlabel()
    assert len(fig.axes[1].get_legend().get_texts()) == 4
    plt.close(fig)
    ax = plotting.plot_travel_subsamples({"all": fit, "north": _fake_reflex_fit(seed=11)[0]}, truth=truth)
    assert ax.get_xlabel() == "$v_{\\rm travel,y}$ at 100 kpc [km/s]"
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["all (500)", "north (500)", "truth"]
    plt.close(ax.figure)


# ---------------------------------------------------------------- chapter 6


def _orbits(masses=(1e11, 2.5e11)):
    t = np.linspace(-3000, 0, 50)
    rows = []
    for m in masses:
        phase = t / 1000.0
        rows.append(Table({"lmc_mass": np.full(t.size, m), "t": t, "x_lmc": 50 + 200 * np.cos(phase),
                           "y_lmc": 100 * np.sin(phase), "z_lmc": -30 - 100 * phase, "x_mw": 0.01 * m / 1e11 * t,
                           "y_mw": 0 * t, "z_mw": 0.005 * t}))
    return vstack(rows)


def _shells(masses=(0.0, 1e11, 2.5e11)):
    r_mid = np.arange(15.0, 250.0, 10.0)
    return {m: Table({"r_mid": r_mid, "v_travel": 30 * m / 2.5e11 * r_mid / 100, "v_travel_err": np.full(r_mid.size, 2.0),
                      "l_apex": np.full(r_mid.size, 60.0), "b_apex": np.full(r_mid.size, -60.0),
                      "v_travel_x": np.full(r_mid.size, -10.0), "v_travel_y": np.full(r_mid.size, 20.0),
                      "v_travel_z": np.full(r_mid.size, -25.0)}) for m in masses}


def test_lmc_figures():
    fig = plotting.plot_lmc_orbits(_orbits(), [0.0, 1e11, 2.5e11])
    top, bottom = fig.axes
    assert "kpc" in top.get_ylabel() and "kpc" in bottom.get_ylabel() and bottom.get_xlabel() == "time [Gyr]"
    assert len(top.get_lines()) == 2  # no curve for the run without the LMC
    plt.close(fig)
    shells = _shells()
    fig = plotting.plot_simulated_reflex(shells, fit_range=(40.0, 120.0))
    assert [ax.get_ylabel() for ax in fig.axes] == ["$v_{\\rm travel}$ [km/s]", "apex $\\ell$ [deg]", "apex $b$ [deg]"]
    assert "no LMC" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)

    fit, _ = _fake_reflex_fit()
    fig = plotting.plot_fit_vs_simulation(fit, np.linspace(40, 120, 5), simulation=shells[2.5e11])
    assert "km/s" in fig.axes[0].get_ylabel() and "simulation" in fig.axes[2].get_xlabel()
    plt.close(fig)
    fig = plotting.plot_fit_vs_simulation(fit, np.linspace(40, 120, 5))  # real data: no simulation
    assert "simulation" not in fig.axes[2].get_xlabel()
    plt.close(fig)

    rng = np.random.default_rng(12)
    x = np.arange(-135.0, 150.0, 30.0)
    panels = [{"data": _binned(rng, x), "model": _binned(rng, x), "simulations": {m: _binned(rng, x) for m in shells},
               "xlabel": "$L_{\\rm MS}$ [deg]", "ylabel": "mean $v_{\\rm GSR}$"} for _ in range(3)]
    fig = plotting.plot_ms_signature(panels)
    assert len(fig.axes) == 3 and all("[km/s]" in ax.get_ylabel() for ax in fig.axes)
    plt.close(fig)

    draws = fit.draws_at(100.0)
    ax = plotting.plot_apex_and_lmc_orbit(draws["l_apex"], draws["b_apex"], _orbits(), shells, track_mass=2.5e11)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "LMC today (from the GC)" in labels and "simulated apex at 100 kpc" in labels
    plt.close(ax.figure)

    grid = np.linspace(0, 2.5e11, 101)
    posterior = MassPosterior(grid, np.exp(-0.5 * ((grid - 1.5e11) / 0.3e11) ** 2) / (np.sqrt(2 * np.pi) * 0.3e11))
    names = ("v_travel_x", "v_travel_y", "v_travel_z")
    calibration = Table({"lmc_mass": np.repeat([0.0, 1e11, 2.5e11], 3), **{n: rng.normal(0, 20, 9) for n in names}})
    fig = plotting.plot_lmc_mass_posterior(calibration, [1.0, 2.0, 3.0], posterior, names=names, true_mass=1.8e11)
    left, right = fig.axes
    assert "km/s" in left.get_ylabel() and "M_{\\rm LMC}" in right.get_xlabel()
    assert "the mock's mass" in [t.get_text() for t in right.get_legend().get_texts()]

def test_published_values_are_drawn_with_their_errors_and_labelled_as_published():
    import matplotlib.pyplot as plt
    from halo_utils.plotting import draw_published_vs_radius, published_apex_markers, published_values

    fig, ax = plt.subplots()
    ax.set_xlim(0, 160)
    rows = draw_published_vs_radius(ax, "v_travel")
    assert {str(r["where"]) for r in rows} >= {"S004 table 1", "S004 table 2", "PP21 abstract (S004 fig 8)"}
    labels = [t for t in ax.get_legend_handles_labels()[1]]
    assert all(label.endswith(("(published)", "simulation")) for label in labels), labels
    assert len(labels) == len(set(labels))  # one entry per source and model
    assert "Chandra+24 (S004): GC19 LMC3 simulation" in labels
    # S004 table 1's 40-kpc point, drawn at its value with its printed errors (6 -4 +5 km/s)
    points = [c for c in ax.containers if hasattr(c, "lines")]
    ys = {round(float(c.lines[0].get_ydata()[0]), 3) for c in points}
    assert {6.0, 47.0, 37.0} <= ys
    markers = published_apex_markers()
    assert [(m[0], m[1]) for m in markers] == [(-80.0, -59.0), (-86.0, -73.0), (56.0, -34.0)]
    assert published_values(["v_travel_x", "v_travel_y", "v_travel_z", "beta"], bibkey="Chandra2024",
                            where="S004 table 2") == [3.0, -17.0, -31.0, None]
    plt.close(fig)


def test_vgsr_sky_in_distance_bins_shares_one_nice_symmetric_scale():
    rng = np.random.default_rng(4)
    npix = hp.nside2npix(4)
    bins = {f"{lo}-{hi} kpc": (rng.normal(0, 10 * (i + 1), npix), rng.uniform(0, 360, 20), rng.uniform(-60, 60, 20))
            for i, (lo, hi) in enumerate(((40, 60), (60, 80), (80, 100)))}
    fig = plotting.plot_vgsr_sky_bins(bins)
    maps = [ax for ax in fig.axes if ax.get_images()]
    assert len(maps) == 3 and [ax.get_title().split(" (")[0] for ax in maps] == list(bins)
    limits = {tuple(ax.get_images()[0].get_clim()) for ax in maps}
    (lo, hi), = limits
    assert lo == -hi and hi == nice_limit(max(np.abs(m).max() for m, _, _ in bins.values()))
    plt.close(fig)


def test_published_density_profiles_are_read_as_printed():
    from halo_utils.plotting import published_density_profiles

    profiles = {p.bibkey: p for p in published_density_profiles()}
    assert set(profiles) == {"Deason2011", "Sesar2011", "Xue2015", "Kafle2014", "Deason2014", "Slater2016"}
    xue = profiles["Xue2015"]  # alpha_in = 2.1 +- 0.3, alpha_out = 3.8 +- 0.1, r_break = 18 +- 1 kpc
    assert (xue.alphas, xue.breaks, xue.alpha_errors, xue.break_errors) == ((2.1, 3.8), (18.0,), (0.3, 0.1), (1.0,))
    assert (xue.r_min, xue.r_max) == (10.0, 80.0)
    assert profiles["Kafle2014"].alphas == () and profiles["Kafle2014"].break_errors == (1.05,)  # -1.0, +1.1
    assert profiles["Slater2016"].alphas == (3.5,) and profiles["Slater2016"].breaks == ()
    assert np.isnan(profiles["Deason2011"].break_errors[0])  # none printed


def test_profile_vs_literature_draws_every_source_over_its_range_and_the_fit():
    rng = np.random.default_rng(3)
    names = ["alpha1", "alpha2", "alpha3", "r1", "r2", "p"]
    centre = np.array([GSE_TRUTH[k] for k in names])
    samples = centre + 0.05 * centre * rng.standard_normal((500, len(names)))
    fig = plotting.plot_profile_vs_literature(samples, names, truth=GSE_TRUTH, r_range=(6.0, 60.0))
    breaks, shapes, slopes = fig.axes
    labels = breaks.get_legend_handles_labels()[1]
    for source in ("Deason+11", "Sesar+11", "Xue+15", "Kafle+14", "Han+22 (S001), rounded"):
        assert any(label.startswith(source) and label.endswith("(published)") for label in labels), source
    # every broken power law with slopes is on panels (b) and (c); Kafle+14 prints a break only
    for ax in (shapes, slopes):
        drawn = ax.get_legend_handles_labels()[1]
        assert {"Deason+11 (published)", "Sesar+11 (published)", "Xue+15 (published)", "Deason+14 (published)",
                "Slater+16 (published)"} <= set(drawn) and "Kafle+14 (published)" not in drawn
    # Slater+16's r^-3.5 is drawn from 30 kpc to the panel's edge (its sample ends at 80 kpc)
    slater = [line for line in slopes.get_lines() if line.get_label() == "Slater+16 (published)"][0]
    assert slater.get_xdata().min() == pytest.approx(30.0) and slater.get_xdata().max() == pytest.approx(60.0)
    assert np.allclose(slater.get_ydata(), 3.5)
    # Xue+15's index ramps from 2.1 to 3.8 across 18 +- 1 kpc
    xue = [line for line in slopes.get_lines() if line.get_label() == "Xue+15 (published)"][0]
    x, y = xue.get_xdata(), xue.get_ydata()
    assert np.allclose(y[x < 17.0], 2.1) and np.allclose(y[x > 19.0], 3.8)
    # the fit's median index: alpha1 inside r1, alpha3 beyond r2 (truth 1.7 and 4.6)
    fit = [line for line in slopes.get_lines() if line.get_label() == "this fit (16-84 %)"][0]
    assert fit.get_ydata()[0] == pytest.approx(1.7, abs=0.05) and fit.get_ydata()[-1] == pytest.approx(4.6, abs=0.1)
    with pytest.raises(ValueError, match="missing \\['r2'\\]"):
        plotting.plot_profile_vs_literature(samples[:, :4], names[:4])
    plt.close(fig)


def test_reflex_3d_shows_stars_disc_arrow_and_lmc_orbit():
    from halo_utils.lmc import KMS_TO_KPC_MYR

    rng = np.random.default_rng(4)
    xyz = rng.normal(0.0, 50.0, (3, 300))
    v_gsr = rng.normal(0.0, 20.0, 300)
    track = np.vstack([np.linspace(100, -1, 50), np.linspace(-200, -41, 50), np.linspace(50, -28, 50)])
    fig = plotting.plot_reflex_3d(xyz.T, v_gsr, [3.0, -17.0, -31.0], lmc_track=track)  # (n, 3) is accepted too
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:1] == ["Sun"] and "LMC past orbit" in labels and "LMC today" in labels
    assert any(label.startswith("$v_{\\rm travel}$ (35 km/s) x 500 Myr") for label in labels)
    # 35.5 km/s for 500 Myr is 18 kpc: the arrow's tip
    arrow = [c for c in ax.collections if c.get_label().startswith("$v_{\\rm travel}$")][0]
    tip = np.linalg.norm(np.concatenate([np.asarray(seg) for seg in arrow._segments3d]), axis=1).max()
    assert tip == pytest.approx(np.linalg.norm([3.0, -17.0, -31.0]) * 500 * KMS_TO_KPC_MYR, rel=1e-6)
    stars = ax.collections[0]
    limit = stars.get_clim()[1]
    assert stars.get_clim()[0] == -limit and limit % 10 == 0
    assert limit - 10 < np.percentile(np.abs(v_gsr), 98) <= limit
    assert ax.get_xlim() == ax.get_zlim() and ax.get_xlim()[1] % 20 == 0
    with pytest.raises(ValueError, match="v_gsr must have one value per star"):
        plotting.plot_reflex_3d(xyz, v_gsr[:10], [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="travel_vector must be"):
        plotting.plot_reflex_3d(xyz, v_gsr, [0.0, 1.0])
    plt.close(fig)


def test_predictive_check_plot_draws_every_statistic_and_refuses_other_names():
    """One point per statistic with a z (grouped by kind, marked by quadrant), those beyond all
    simulations in red; names that are not the suite's statistics are refused by name."""
    names = [f"all-sky:{kind}[{q}, {shell}]" for kind in ("v_gsr_mean", "v_l_std") for q in ("LMC", "opposite")
             for shell in ("40-60", "60-80", "80-100")]
    rng = np.random.default_rng(3)
    predictive = rng.normal(size=(10, len(names)))
    observed = rng.normal(size=len(names))
    observed[0] = 10.0  # beyond all
    check = predictive_check(observed, predictive, names)
    fig = plotting.plot_predictive_check(check)
    ax = fig.axes[0]
    offsets = np.concatenate([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert len(offsets) == len(names)
    plt.close(fig)
    with pytest.raises(ValueError, match="statistic 0"):
        plotting.plot_predictive_check(predictive_check(observed, predictive))
