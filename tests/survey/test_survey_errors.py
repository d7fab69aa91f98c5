"""The error model: the astrometric error formula."""

import pytest

from halo_utils.survey import astrometric_error


def test_astrometric_error_formula():
    assert astrometric_error(18.0) == pytest.approx(0.125)
    assert astrometric_error(13.0) == pytest.approx(0.015 + 0.11 * 10 ** -2.0)
