"""The generator's checker is an oracle that is checked, not trusted: it must agree with every golden
case of every template in its declared scope, and the templates it cannot state are declared with a
reason (``checker.SCOPE``)."""

from __future__ import annotations

import pytest

from medaudit.rules.golden import GOLDEN_DIR, GoldenCase, load_cases
from medaudit.rules.loader import load_templates
from medaudit.synth.checker import SCOPE, Params
from medaudit.synth.oracle import checker_findings

IN_SCOPE = sorted(t for t, why in SCOPE.items() if why is None)
CASES = [c for t in IN_SCOPE for c in load_cases(t)]
IDS = [f"{c.template}:{sum(1 for d in CASES[:k] if d.template == c.template)}" for k, c in enumerate(CASES)]


def test_scope_names_every_template_and_few_are_out() -> None:
    assert set(SCOPE) == set(load_templates()), set(SCOPE) ^ set(load_templates())
    out = {t: why for t, why in SCOPE.items() if why is not None}
    assert len(out) <= 4, sorted(out)
    assert all(len(why) > 20 for why in out.values())  # each exclusion states its reason
    # every in-scope template has golden cases to agree with
    assert all((GOLDEN_DIR / f"{t}.yaml").exists() and load_cases(t) for t in IN_SCOPE)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_checker_agrees_with_golden_case(case: GoldenCase) -> None:
    got = {(m, ln) for t, m, ln in checker_findings(case.knowledge, case.claims, Params.of(case.template, case.params))
           if t == case.template}
    want = {(e["mdtrt_id"], e.get("line_id")) for e in case.expect}
    assert got == want, f"{case.name}: checker only {sorted(got - want)}, golden only {sorted(want - got)}"


@pytest.mark.parametrize("which", ["region", "stay_region"])
def test_checker_on_the_generated_tables_finds_exactly_the_labels(which: str, request: pytest.FixtureRequest) -> None:
    """The same checker, reading the written tables (not the generator's state), finds every
    must-fire label of its scope and nothing else — near-misses included as must-not-fire."""
    from medaudit.knowledge import default_knowledge
    from medaudit.synth import SynthResult

    region: SynthResult = request.getfixturevalue(which)
    labels = region.labels.to_pylist()
    got = {k for k in checker_findings(dict(default_knowledge().tables), region.tables) if SCOPE.get(k[0], "") is None}
    want = {(r["violation_type"], r["mdtrt_id"], r["line_id"]) for r in labels
            if r["kind"] != "near_miss" and SCOPE.get(r["violation_type"], "") is None}
    near = {(r["violation_type"], r["mdtrt_id"], r["line_id"]) for r in labels if r["kind"] == "near_miss"}
    assert len(want) >= 10 and len(near) >= 10
    assert got == want, (sorted(got - want)[:5], sorted(want - got)[:5])
    assert not got & near
