import numpy as np
import pytest

from optix.data.synthetic.sampling import AliasSampler, CategoricalTable


def test_alias_sampler_draws_in_proportion_to_weights():
    w = np.array([0.0, 1.0, 2.0, 7.0, 0.0, 90.0])
    draws = AliasSampler(w).sample(np.random.default_rng(3), 1_000_000)
    freq = np.bincount(draws, minlength=w.size) / draws.size
    p = w / w.sum()
    se = np.sqrt(p * (1 - p) / draws.size)
    assert np.all(np.abs(freq - p) <= 5 * se + 1e-12)
    assert freq[0] == 0 and freq[4] == 0  # zero weight is never drawn


def test_categorical_table_is_exact_to_its_resolution():
    table = CategoricalTable(np.array([10, 20, 30]), [0.5, 0.3, 0.2], resolution=1000)
    draws = table.sample(np.random.default_rng(4), 500_000)
    freq = np.array([np.mean(draws == v) for v in (10, 20, 30)])
    np.testing.assert_allclose(freq, [0.5, 0.3, 0.2], atol=1 / 1000 + 0.004)


@pytest.mark.parametrize("weights", [[], [-1.0, 2.0], [0.0, 0.0], [np.nan, 1.0]])
def test_samplers_reject_bad_weights(weights):
    with pytest.raises(ValueError):
        AliasSampler(weights)
