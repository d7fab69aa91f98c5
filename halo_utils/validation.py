"""Argument checks shared by the public functions of the package.

Every bad argument gets the same kind of message: the parameter's name, what was expected
and what was given, raised at the public boundary before any work. The bottom layer: it
imports nothing from the package.
"""

from __future__ import annotations

import numbers

import numpy as np
import astropy.units as u
from astropy.table import Table

__all__ = ["describe_value", "check_integer", "check_real", "check_interval", "check_array", "check_generator",
           "make_generator", "check_bool", "check_choice", "check_flags", "check_table"]



def describe_value(value) -> str:
    """``value`` for a message: its repr (shortened) and its type."""
    text = repr(value)
    return f"{text if len(text) <= 60 else text[:57] + '...'} ({type(value).__name__})"


def _range_text(low, high, low_open=False, high_open=False) -> str:
    """``"in [0, 1)"``, ``">= 2"``, ``"positive"``, ... (empty without bounds)."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return "positive" if (low == 0 and low_open) else f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""


def _outside(values, low, high, low_open=False, high_open=False):
    """Boolean mask of ``values`` outside the range (NaN counts as outside)."""
    inside = np.ones(np.shape(values), bool)
    if low is not None:
        inside &= (values > low) if low_open else (values >= low)
    if high is not None:
        inside &= (values < high) if high_open else (values <= high)
    return ~inside


def _note(unit=None, why: str = "") -> str:
    """`` (kpc; why)`` for a message, or nothing."""
    parts = [str(p) for p in (unit, why) if p]
    return f" ({'; '.join(parts)})" if parts else ""


def check_integer(name: str, value, *, low=None, high=None, why: str = "") -> int:
    """``value`` as an int: TypeError unless it is an integer (numpy integers are fine;
    bool, float and str are refused), ValueError outside ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {describe_value(value)}")
    value = int(value)
    if _outside(value, low, high):
        raise ValueError(f"{name} must be {_range_text(low, high)}{_note(None, why)}, got {value}")
    return value


def check_real(name: str, value, *, low=None, high=None, low_open: bool = False, high_open: bool = False,
               unit=None, why: str = "") -> float:
    """``value`` as a finite float within the given range.

    An astropy Quantity is converted to ``unit`` (a str or Unit) first. TypeError for
    anything that is not a real number (bool and str are refused), ValueError for NaN, inf or
    a value outside the range; the message names ``name`` and the unit.
    """
    if isinstance(value, u.Quantity) and unit is not None and np.ndim(value) == 0:
        try:
            value = value.to_value(unit)
        except u.UnitsError as exc:
            raise ValueError(f"{name} must be in {unit}, got {value} ({exc})") from exc
    elif isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number{_note(unit)}, got {describe_value(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number{_note(unit)}, got {value}")
    if _outside(value, low, high, low_open, high_open):
        raise ValueError(f"{name} must be {_range_text(low, high, low_open, high_open)}{_note(unit, why)}, "
                         f"got {value:g}")
    return value


def check_interval(name: str, value, *, low=None, unit=None) -> tuple:
    """``value`` as two finite increasing floats ``(lo, hi)``, ``lo >= low`` when given
    (e.g. a radius range in kpc)."""
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers (low, high){_note(unit)}, got {value!r}") from None
    lo = check_real(f"{name}[0]", lo, low=low, unit=unit)
    hi = check_real(f"{name}[1]", hi, low=lo, low_open=True, unit=unit, why=f"above {name}[0]")
    return lo, hi


def _plural(n: int, noun: str = "value") -> str:
    return f"{n} {noun}{'s are' if n != 1 else ' is'}"


def check_array(name: str, values, *, ndim=None, shape=None, finite: bool = True, low=None, high=None,
                low_open: bool = False, high_open: bool = False, unit=None, min_size: int = 0,
                noun: str = "value") -> np.ndarray:
    """``values`` as a float ndarray, checked.

    Parameters
    ----------
    name : str
        The parameter's name, for the messages.
    values : array_like
        Numbers (a list, ndarray, table column; a Quantity is converted to ``unit``).
        Strings, objects and booleans are refused (TypeError), so are masked entries.
    ndim : int, optional
        Required number of dimensions.
    shape : tuple, optional
        Required shape; None entries match any length.
    finite : bool
        Refuse NaN and inf (ValueError counting them).
    low, high, low_open, high_open
        Allowed range of every value (ValueError counting the values outside).
    unit : str, optional
        Unit for the messages and for converting a Quantity.
    min_size : int
        Minimum number of values.
    noun : str
        What one value is, for the counts in the messages (``"tile"``: "3 tiles are NaN").
    """
    if isinstance(values, u.Quantity) and unit is not None:
        try:
            values = values.to_value(unit)
        except u.UnitsError as exc:
            raise ValueError(f"{name} must be in {unit}, got values in {values.unit}") from exc
    if np.ma.is_masked(values):
        raise ValueError(f"{name}: {_plural(int(np.ma.count_masked(values)), noun)} masked, expected numbers")
    raw = np.asarray(values)
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers{_note(unit)}, got an array of dtype {raw.dtype}")
    arr = raw.astype(float, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if shape is not None and (arr.ndim != len(shape)
                              or any(s is not None and s != a for s, a in zip(shape, arr.shape))):
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {want}, got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} value{'s' if min_size != 1 else ''}, "
                         f"got {arr.size}")
    if finite:
        n_bad = int(np.count_nonzero(~np.isfinite(arr)))
        if n_bad:
            raise ValueError(f"{name}: {_plural(n_bad, noun)} NaN or inf")
    if low is not None or high is not None:
        n_bad = int(np.count_nonzero(_outside(arr, low, high, low_open, high_open) & ~np.isnan(arr)))
        if n_bad:
            if low is not None and high is not None:
                what = f"outside {_range_text(low, high, low_open, high_open)[3:]}"
            elif low is not None:
                what = "negative" if (low == 0 and not low_open) else f"{'<=' if low_open else '<'} {low:g}"
            else:
                what = f"{'>=' if high_open else '>'} {high:g}"
            raise ValueError(f"{name}: {_plural(n_bad, noun)} {what}, expected "
                             f"{_range_text(low, high, low_open, high_open)}{_note(unit)}")
    return arr


def check_generator(name: str, rng, why: str = "") -> np.random.Generator:
    """``rng`` itself; TypeError unless it is a `numpy.random.Generator`."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} must be a numpy.random.Generator{_note(None, why)}, e.g. "
                        f"numpy.random.default_rng(seed); got {describe_value(rng)}")
    return rng


def make_generator(name: str, seed) -> np.random.Generator:
    """`numpy.random.default_rng` of ``seed`` (a non-negative integer or a Generator).

    None is refused: every random draw of the package is seeded, so that the same seed gives
    the same outputs; numpy's default (fresh entropy) would make reruns differ silently.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name} must be a non-negative integer seed or a numpy.random.Generator (every random "
                        f"draw is seeded), got {describe_value(seed)}")
    return np.random.default_rng(int(seed))


def check_bool(name: str, value) -> bool:
    """``value`` as a bool; TypeError unless it is True or False (a str such as "False"
    would silently count as true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe_value(value)}")
    return bool(value)


def check_choice(name: str, value, choices):
    """``value`` itself; ValueError unless it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {describe_value(value)}")
    return value


def check_flags(name: str, values) -> np.ndarray:
    """``values`` as a bool ndarray: booleans, or integers that are all 0 or 1."""
    raw = np.asarray(values)
    if raw.dtype.kind == "b":
        return raw
    if raw.dtype.kind in "iu" and np.all((raw == 0) | (raw == 1)):
        return raw.astype(bool)
    raise TypeError(f"{name} must hold booleans (or 0/1 integers), got an array of dtype {raw.dtype}"
                    + (" with values other than 0 and 1" if raw.dtype.kind in "iu" else ""))


def check_table(name: str, table, columns=(), *, min_rows: int = 0, error=ValueError) -> Table:
    """``table`` itself; TypeError unless an astropy Table, ``error`` naming the missing
    ``columns`` or when it has fewer than ``min_rows`` rows."""
    if not isinstance(table, Table):
        raise TypeError(f"{name} must be an astropy Table, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.colnames]
    if missing:
        raise error(f"{name} lacks column{'s' if len(missing) > 1 else ''} "
                    + ", ".join(repr(c) for c in missing))
    if len(table) < min_rows:
        raise error(f"{name} has {len(table)} rows, expected at least {min_rows}")
    return table


# ------------------------------------------------------------------ the schema
