"""The tuning sweep's selection rule."""

from __future__ import annotations

import math

from mdpo.benchmarks.tuning import select_settings, sweep_report


def _row(name, kind, hv, hv_judges, rho, rho_judges):
    return {
        "task": "t",
        "method": name,
        "config": {"kind": kind, "lr": 0.001},
        "hv": hv,
        "rho": rho,
        "degenerate": 0.1,
        "kl": 2.0,
        "hv_judges": hv_judges,
        "rho_judges": rho_judges,
    }


def test_the_rule_drops_reversed_or_flat_fronts_before_comparing_hypervolumes():
    rows = [
        # The largest HV, but the judges see dimension 0 follow λ backwards.
        _row("p-big", "panacea", 1.10, 1.05, [0.9, 1.0], [-0.7, 1.0]),
        _row("p-good", "panacea", 0.95, 0.90, [0.9, 1.0], [0.6, 1.0]),
        _row("p-ok", "panacea", 0.96, 0.85, [1.0, 1.0], [0.9, 1.0]),
        _row("rs-nan", "rs", 0.99, 0.99, [0.9, math.nan], [0.9, 1.0]),
        _row("rs-flat", "rs", 0.90, 0.90, [0.4, 1.0], [0.9, 1.0]),
        _row("rs-low", "rs", 0.50, 0.40, [0.5, 0.5], [0.5, 0.5]),
        _row("dps-none", "dps", 0.80, 0.80, [0.9, None], [0.9, 0.9]),
        _row("mod-flat", "mod", 0.70, 0.60, [0.1, 0.2], [0.3, -0.1]),
        _row("mod-flatter", "mod", 0.60, 0.60, [0.0, 0.2], [0.3, -0.1]),
    ]
    chosen = select_settings(rows)
    assert {k: r["method"] for k, r in chosen.items()} == {"panacea": "p-good", "rs": "rs-low"}
    # Without the floor, the largest sum wins.
    assert select_settings(rows, min_rho=-1.0)["panacea"]["method"] == "p-big"
    report = sweep_report(rows)
    assert "- **panacea**: `p-good`" in report and "- **rs**: `rs-low`" in report
    assert "dps-none" in report and "**dps**" not in report  # undefined ρ: never taken
    # MOD has no setting above the floor: the report names what the rule without it takes.
    assert "- **mod**: no setting reaches ρ ≥ 0.5" in report
    assert "without the floor the rule takes `mod-flat`" in report
    assert "ρ 0.10/0.20, ρ (judges) 0.30/-0.10" in report
