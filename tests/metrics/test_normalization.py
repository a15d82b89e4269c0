import json

import numpy as np
import pytest
import torch

from mdpo.metrics import REF_MARGIN, hypervolume, normalize_fronts


def test_union_normalisation_and_reference_point():
    nf = normalize_fronts({"a": [[0, 10], [2, 30]], "b": [[4, 20]]})
    assert nf.method == "union"
    # Union ideal (max) = (4, 30), nadir (min) = (0, 10): range (4, 20).
    assert nf.ideal.tolist() == [4.0, 30.0]
    assert nf.nadir.tolist() == [0.0, 10.0]
    assert nf.fronts["a"].tolist() == [[0.0, 0.0], [0.5, 1.0]]
    assert nf.fronts["b"].tolist() == [[1.0, 0.5]]
    assert REF_MARGIN == 0.1
    assert nf.ref_point.tolist() == [-0.1, -0.1]
    # Raw reference: nadir - 10 % of the range.
    assert nf.raw_ref_point.tolist() == pytest.approx([-0.4, 8.0])
    assert nf.true_front is None


def test_known_front_normalisation_uses_the_true_front_not_the_union():
    true_front = [[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]]
    method_pts = {"ls": [[0.5, 0.5], [2.0, 0.0]], "tche": [[0.0, 0.5]]}
    known = normalize_fronts(method_pts, true_front=true_front)
    union = normalize_fronts(method_pts)
    assert known.method == "true_front"
    assert known.ideal.tolist() == [1.0, 1.0]
    assert known.nadir.tolist() == [0.0, 0.0]
    # A point beyond the true front leaves [0, 1] under the known-front scaling...
    assert known.fronts["ls"].tolist() == [[0.5, 0.5], [2.0, 0.0]]
    assert known.true_front.tolist() == true_front
    # ...but the union scaling squeezes it to 1.
    assert union.ideal.tolist() == [2.0, 0.5]
    assert union.fronts["ls"][1].tolist() == [1.0, 0.0]
    assert not np.allclose(known.fronts["tche"], union.fronts["tche"])


def test_hypervolume_is_invariant_to_affine_rescaling_under_the_protocol():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(size=(6, 2)), rng.uniform(size=(6, 2))
    nf = normalize_fronts({"a": a, "b": b})
    scale, shift = np.array([10.0, 0.01]), np.array([-3.0, 5.0])
    nf2 = normalize_fronts({"a": a * scale + shift, "b": b * scale + shift})
    hv1 = hypervolume(nf.fronts["a"], nf.ref_point)
    hv2 = hypervolume(nf2.fronts["a"], nf2.ref_point)
    assert hv1 > 0
    assert hv1 == pytest.approx(hv2)


def test_degenerate_range_is_not_divided_by_zero():
    nf = normalize_fronts({"a": [[1.0, 5.0], [2.0, 5.0]]})
    assert nf.degenerate == (1,)
    assert nf.scale.tolist() == [1.0, 1.0]
    assert np.isfinite(nf.fronts["a"]).all()
    assert nf.fronts["a"].tolist() == [[0.0, 0.0], [1.0, 0.0]]


def test_normalize_applies_the_same_map_and_to_dict_is_json():
    nf = normalize_fronts({"a": torch.tensor([[0.0, 10.0], [2.0, 30.0]])})
    assert nf.normalize([[1.0, 20.0]]).tolist() == [[0.5, 0.5]]
    d = json.loads(json.dumps(nf.to_dict()))
    assert d["method"] == "union"
    assert d["ref_point"] == [-0.1, -0.1]
    assert d["ideal"] == [2.0, 30.0]
    assert d["nadir"] == [0.0, 10.0]
    assert d["margin"] == 0.1


def test_custom_margin_and_empty_front():
    nf = normalize_fronts({"a": [[0.0, 0.0], [1.0, 1.0]], "empty": np.empty((0, 2))}, margin=0.2)
    assert nf.ref_point.tolist() == [-0.2, -0.2]
    assert nf.fronts["empty"].shape == (0, 2)


def test_validation():
    with pytest.raises(TypeError, match=r"fronts must be a mapping"):
        normalize_fronts([[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"fronts\['b'\] must have m=2"):
        normalize_fronts({"a": [[0.0, 1.0]], "b": [[0.0, 1.0, 2.0]]})
    with pytest.raises(ValueError, match=r"at least one point in total"):
        normalize_fronts({"a": np.empty((0, 2))})
    with pytest.raises(ValueError, match=r"margin must be a finite float >= 0, got -0.1"):
        normalize_fronts({"a": [[0.0, 1.0]]}, margin=-0.1)
    with pytest.raises(ValueError, match=r"fronts\['a'\] must be finite"):
        normalize_fronts({"a": [[np.nan, 1.0]]})
    with pytest.raises(ValueError, match=r"true_front must hold at least 1 point"):
        normalize_fronts({"a": [[0.0, 1.0]]}, true_front=np.empty((0, 2)))
