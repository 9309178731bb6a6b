#!/usr/bin/env python3
"""Print pip constraints holding every install requirement to its oldest release series.

Reads ``install_requires`` from setup.cfg, so the pins never drift from the bounds we
declare. A lower bound ``>=X.Y`` admits the ``X.Y`` series first, so it becomes
``==X.Y.*`` (the newest X.Y patch: patches only fix bugs); ``>=X`` becomes ``==X.*``
(the bound names a major series, so its newest release is the oldest admitted
series at the precision the bound is written). A requirement with no lower bound is
printed as a comment and left to the resolver.

Usage: python .ci/oldest_constraints.py [path/to/setup.cfg] > constraints.txt
"""

import configparser
import re
import sys
from pathlib import Path

_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)"
)
_LOWER = re.compile(r">=\s*(?P<version>\d+(?:\.\d+)*)")


def oldest_pins(setup_cfg):
    """``(name, pin or None)`` for every ``install_requires`` line of ``setup_cfg``."""
    config = configparser.ConfigParser()
    config.read(setup_cfg)
    lines = config.get("options", "install_requires", fallback="").splitlines()
    pins = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = _REQUIREMENT.match(line)
        if match is None:
            raise SystemExit(f"cannot parse the requirement {line!r} in {setup_cfg}")
        lower = _LOWER.search(match["spec"])
        if lower is None:
            pins.append((match["name"], None))
            continue
        parts = lower["version"].split(".")
        # ">=1.26.2" names a patch: keep major.minor, the release series it belongs to
        series = ".".join(parts[:2])
        pins.append((match["name"], f"{match['name']}=={series}.*"))
    return pins


def main(argv):
    setup_cfg = (
        Path(argv[1]) if len(argv) > 1 else Path(__file__).parents[1] / "setup.cfg"
    )
    if not setup_cfg.is_file():
        raise SystemExit(f"no setup.cfg at {setup_cfg}")
    print(f"# oldest admitted release series, from {setup_cfg.name} install_requires")
    for name, pin in oldest_pins(setup_cfg):
        print(pin if pin else f"# {name}: no lower bound, left to the resolver")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
