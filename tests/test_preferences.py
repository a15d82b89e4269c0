import math

import numpy as np
import pytest
import torch

from mdpo.preferences import check_preference, preference_grid, sample_preferences
from mdpo.seeding import derive_seed, keyed_generator


class TestCheckPreference:
    @pytest.mark.parametrize(
        "p", [[0.2, 0.8], np.array([0.2, 0.8]), torch.tensor([0.2, 0.8], dtype=torch.float64)]
    )
    def test_accepts_list_array_tensor(self, p):
        out = check_preference(p, 2)
        assert isinstance(out, torch.Tensor) and out.is_floating_point()
        torch.testing.assert_close(out.double(), torch.tensor([0.2, 0.8], dtype=torch.float64))

    def test_renormalises_exactly_within_atol(self):
        out = check_preference([0.50004, 0.50004], 2, atol=1e-4)
        assert out.sum().item() == pytest.approx(1.0, abs=1e-7)
        assert out[0].item() == pytest.approx(0.5, abs=1e-7)

    def test_batched(self):
        p = torch.tensor([[[0.1, 0.9], [1.0, 0.0]], [[0.5, 0.5], [0.3, 0.7]]])
        out = check_preference(p, 2)
        assert out.shape == (2, 2, 2)
        torch.testing.assert_close(out.sum(-1), torch.ones(2, 2))

    def test_keeps_float64_and_device(self):
        out = check_preference(torch.tensor([0.5, 0.5], dtype=torch.float64), 2)
        assert out.dtype == torch.float64
        assert check_preference([1, 0], 2).dtype == torch.float32

    def test_normalize(self):
        out = check_preference([1, 1, 2], 3, normalize=True)
        torch.testing.assert_close(out, torch.tensor([0.25, 0.25, 0.5]))

    @pytest.mark.parametrize(
        ("p", "m", "match"),
        [
            ([0.5, 0.5], 3, r"length m=3.*shape \(2,\)"),
            ([1.5, -0.5], 2, "non-negative"),
            ([float("nan"), 1.0], 2, "finite"),
            ([float("inf"), 0.0], 2, "finite"),
            ([0.3, 0.3], 2, r"sum to 1.*0\.6"),
            (torch.tensor(0.5), 1, "length m=1"),
        ],
    )
    def test_rejects(self, p, m, match):
        with pytest.raises(ValueError, match=match):
            check_preference(p, m)

    def test_normalize_rejects_zero_sum_and_negative(self):
        with pytest.raises(ValueError, match="positive sum"):
            check_preference([0, 0], 2, normalize=True)
        with pytest.raises(ValueError, match="non-negative"):
            check_preference([2, -1], 2, normalize=True)

    @pytest.mark.parametrize("p", ["0.5,0.5", None, {"a": 1}, [["a", "b"]]])
    def test_type_errors(self, p):
        with pytest.raises(TypeError, match="preference"):
            check_preference(p, 2)

    def test_bad_m(self):
        with pytest.raises(TypeError, match="m must be an int"):
            check_preference([1.0], 1.0)
        with pytest.raises(ValueError, match="m must be an int >= 1, got 0"):
            check_preference([], 0)

    def test_error_names_custom_parameter(self):
        with pytest.raises(ValueError, match="^weights must"):
            check_preference([0.1, 0.1], 2, name="weights")


class TestSamplePreferences:
    def test_on_simplex_and_seeded(self):
        a = sample_preferences(500, 3, generator=torch.Generator().manual_seed(1))
        b = sample_preferences(500, 3, generator=torch.Generator().manual_seed(1))
        c = sample_preferences(500, 3, generator=torch.Generator().manual_seed(2))
        assert a.shape == (500, 3) and a.dtype == torch.float32
        assert (a >= 0).all()
        torch.testing.assert_close(a.sum(-1), torch.ones(500))
        assert torch.equal(a, b)
        assert not torch.equal(a, c)

    def test_uniform_marginals(self):
        # Under the flat Dirichlet on m=3, λ_1 ~ Beta(1, 2): mean 1/3, P(λ_1 > 1/2) = 1/4.
        lam = sample_preferences(40_000, 3, generator=torch.Generator().manual_seed(0))
        assert lam[:, 0].mean().item() == pytest.approx(1 / 3, abs=0.01)
        assert (lam[:, 0] > 0.5).float().mean().item() == pytest.approx(0.25, abs=0.01)
        # Kolmogorov–Smirnov against the Beta(1, 2) cdf 1 - (1 - x)^2.
        x = torch.sort(lam[:, 1].double()).values
        cdf = 1 - (1 - x) ** 2
        emp = torch.arange(1, len(x) + 1, dtype=torch.float64) / len(x)
        assert (emp - cdf).abs().max().item() < 0.01

    def test_vertex_prob(self):
        lam = sample_preferences(
            4000, 3, generator=torch.Generator().manual_seed(0), vertex_prob=0.3
        )
        is_vertex = (lam == 1.0).any(-1)
        assert is_vertex.float().mean().item() == pytest.approx(0.3, abs=0.03)
        counts = torch.bincount(lam[is_vertex].argmax(-1), minlength=3).float()
        assert (counts / counts.sum() - 1 / 3).abs().max().item() < 0.05
        assert (sample_preferences(50, 2, vertex_prob=1.0) == 1.0).any(-1).all()
        assert not (sample_preferences(50, 2, vertex_prob=0.0) == 1.0).any()

    @pytest.mark.parametrize(
        ("kwargs", "exc", "match"),
        [
            ({"n": -1, "m": 2}, ValueError, "n must be"),
            ({"n": 2.0, "m": 2}, TypeError, "n must be"),
            ({"n": 2, "m": 0}, ValueError, "m must be"),
            ({"n": 2, "m": 2, "vertex_prob": 1.5}, ValueError, "vertex_prob.*1.5"),
            ({"n": 2, "m": 2, "generator": 3}, TypeError, "generator"),
        ],
    )
    def test_rejects(self, kwargs, exc, match):
        with pytest.raises(exc, match=match):
            sample_preferences(**kwargs)


class TestPreferenceGrid:
    @pytest.mark.parametrize(("m", "n"), [(2, 4), (3, 2), (3, 20), (10, 3), (10, 2)])
    def test_count_and_simplex(self, m, n):
        g = preference_grid(m, n)
        assert g.shape == (math.comb(n + m - 1, m - 1), m)
        torch.testing.assert_close(g.sum(-1), torch.ones(len(g)))
        assert torch.allclose(g * n, (g * n).round(), atol=1e-5)
        assert len({tuple(r) for r in g.tolist()}) == len(g)

    def test_das_dennis_sizes_used_by_dps(self):
        assert len(preference_grid(2, 4)) == 5
        assert len(preference_grid(3, 2)) == 6
        assert len(preference_grid(10, 2)) == 55

    def test_matches_pymoo(self):
        from pymoo.util.ref_dirs import get_reference_directions

        ours = {tuple(round(v, 6) for v in r) for r in preference_grid(3, 6).tolist()}
        ref = get_reference_directions("das-dennis", 3, n_partitions=6)
        theirs = {tuple(round(float(v), 6) for v in r) for r in ref}
        assert ours == theirs

    def test_rejects(self):
        with pytest.raises(ValueError, match="n_partitions"):
            preference_grid(2, 0)
        with pytest.raises(TypeError, match="m must be"):
            preference_grid("2", 3)


class TestSeeding:
    def test_pure_function_of_keys(self):
        a = torch.rand(3, generator=keyed_generator(7, "lambda", 5, 2))
        b = torch.rand(3, generator=keyed_generator(7, "lambda", 5, 2))
        c = torch.rand(3, generator=keyed_generator(7, "lambda", 5, 3))
        assert torch.equal(a, b) and not torch.equal(a, c)
        assert derive_seed(1, "x") != derive_seed(1, "y")
        assert derive_seed(1, 2) != derive_seed(1, "2")

    def test_rejects(self):
        with pytest.raises(TypeError, match=r"keys\[0\]"):
            derive_seed(1, 1.5)
        with pytest.raises(TypeError, match="seed"):
            derive_seed(None)
