"""Command line: write the embedded mocks.

``python -m halo_utils.mock --outdir data --seed N [--config overrides.json] [--overwrite]``
writes the survey (`write_survey`) and makes the outer-halo mock current
(`ensure_outer_halo`) in ``--outdir``. ``--config`` is a JSON file of `MockConfig`
overrides; a component dict given there is merged into the default one.
"""

import argparse
import json
import time

from .config import DEFAULT_SEED, MockConfig, config_from_dict, config_to_dict
from .files import ensure_outer_halo, write_survey


def _main(argv=None):
    """Run the command line with arguments ``argv`` (default: ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(prog="python -m halo_utils.mock",
                                     description="Generate the mock H3-like survey and the outer-halo mock "
                                                 "(conventions §4).")
    parser.add_argument("--outdir", default="data", help="output directory (default: data)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--config", help="JSON file with MockConfig overrides")
    parser.add_argument("--overwrite", action="store_true", help="replace existing mock files in --outdir")
    args = parser.parse_args(argv)
    config = MockConfig()
    if args.config:
        with open(args.config) as fh:
            overrides = json.load(fh)
        base = config_to_dict(config)
        for key, value in overrides.items():
            base[key] = {**base[key], **value} if isinstance(base.get(key), dict) else value
        config = config_from_dict(base)
    start = time.perf_counter()
    paths = write_survey(args.outdir, args.seed, config, overwrite=args.overwrite)
    paths.update({f"outer_halo_{k}": v for k, v in ensure_outer_halo(args.outdir, args.seed).items()})
    print(f"mock survey (seed {args.seed}) written in {time.perf_counter() - start:.1f} s:")
    for key, path in paths.items():
        print(f"  {key}: {path}")


if __name__ == "__main__":
    _main()
