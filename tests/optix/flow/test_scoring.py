import math

import pytest

from optix.flow.events import EventType, FlowEvent
from optix.flow.scoring import ScoringConfig, Severity, alert_id, score_event


def _event(premium=100_000.0, n=1, confidence=0.5, kind=EventType.BLOCK, seq0=10):
    return FlowEvent(kind, "SPY", None, math.nan, 1, 0, 1, tuple(range(seq0, seq0 + n)),
                     "option", (3,), 10 * n, premium, 1, 1, confidence)


def test_score_is_the_sum_of_its_three_bounded_parts():
    a = score_event(_event(premium=1_000_000.0, n=8, confidence=0.8, kind=EventType.SWEEP))
    assert a.premium_score == pytest.approx(50 * math.log(100) / math.log(500))
    assert a.confidence_score == pytest.approx(24.0)
    assert a.count_score == pytest.approx(20 * math.log(8) / math.log(32))
    assert a.score == pytest.approx(a.premium_score + a.confidence_score + a.count_score)
    top = score_event(_event(premium=1e9, n=1000, confidence=1.0))
    assert top.score == pytest.approx(100.0)
    bottom = score_event(_event(premium=1.0, n=1, confidence=0.0))
    assert bottom.score == 0.0 and bottom.severity is Severity.INFO


@pytest.mark.parametrize(("score", "severity"), [
    (70.0, Severity.CRITICAL), (69.99, Severity.HIGH), (50.0, Severity.HIGH),
    (49.99, Severity.MEDIUM), (30.0, Severity.MEDIUM), (29.99, Severity.LOW),
    (15.0, Severity.LOW), (14.99, Severity.INFO)])
def test_severity_cut_offs_on_both_sides(score, severity):
    assert ScoringConfig().severity(score) is severity


def test_alert_id_depends_only_on_what_caused_the_event():
    a, b = _event(seq0=10), _event(seq0=10, premium=5.0, confidence=0.9)
    assert alert_id(a) == alert_id(b)  # same prints, same id, whatever the scores
    assert alert_id(a) != alert_id(_event(seq0=11))
    assert alert_id(a) != alert_id(_event(seq0=10, kind=EventType.SWEEP))
    assert alert_id(a).startswith("block-") and len(alert_id(a)) == len("block-") + 16
    # the same seqs on another contract or at another time (feeds number per publisher)
    other_strike = FlowEvent(EventType.BLOCK, "SPY", None, 105.0, 1, 0, 1, a.seqs, "option",
                             (3,), 10, 1.0, 1, 1, 0.5)
    later = FlowEvent(EventType.BLOCK, "SPY", None, math.nan, 1, 86_400, 86_401, a.seqs,
                      "option", (3,), 10, 1.0, 1, 1, 0.5)
    assert len({alert_id(a), alert_id(other_strike), alert_id(later)}) == 3


def test_config_is_validated():
    with pytest.raises(ValueError, match="premium_floor"):
        ScoringConfig(premium_floor=0.0)
    with pytest.raises(ValueError, match="cut-offs"):
        ScoringConfig(high=80.0)
    with pytest.raises(ValueError, match="confidence"):
        _event(confidence=1.5)
