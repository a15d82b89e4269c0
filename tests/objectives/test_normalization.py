import pytest
import torch

from mdpo.objectives import FixedScale, RunningScale, make_normalizer


def test_running_scale_ignores_masked_entries_and_freezes():
    norm = RunningScale(["a", "b"], freeze_after=2)
    losses = torch.tensor([[1.0, -4.0], [3.0, 100.0]])
    mask = torch.tensor([[True, True], [True, False]])
    out = norm(losses, mask)
    assert norm.scales().tolist() == [2.0, 4.0]  # mean |l| over kept entries
    assert out.tolist() == [[0.5, -1.0], [1.5, 25.0]]
    norm(torch.tensor([[5.0, 8.0]]), torch.ones(1, 2, dtype=torch.bool))
    assert norm.scales().tolist() == [3.0, 6.0]
    assert norm.frozen
    norm(torch.tensor([[100.0, 100.0]]), torch.ones(1, 2, dtype=torch.bool))
    assert norm.scales().tolist() == [3.0, 6.0]  # frozen: unchanged


def test_running_scale_state_roundtrip_and_unseen_dimension():
    norm = RunningScale(["a", "b"], freeze_after=None)
    norm(torch.tensor([[2.0, 7.0]]), torch.tensor([[True, False]]))
    assert norm.scales().tolist() == [2.0, 1.0]  # nothing seen for b: scale 1
    other = RunningScale(["a", "b"])
    other.load_state_dict(norm.state_dict())
    assert other.scales().tolist() == norm.scales().tolist()
    assert other.updates == 1
    with pytest.raises(ValueError, match=r"normaliser state is for dimensions \['a', 'b'\]"):
        RunningScale(["x", "y"]).load_state_dict(norm.state_dict())


def test_gradient_is_divided_by_the_detached_scale():
    losses = torch.tensor([[2.0, 8.0]], requires_grad=True)
    out = FixedScale(["a", "b"], {"a": 2.0, "b": 4.0})(losses, torch.ones(1, 2, dtype=torch.bool))
    out.sum().backward()
    assert losses.grad.tolist() == [[0.5, 0.25]]


def test_normalizer_refusals():
    with pytest.raises(ValueError, match="normalize names unknown dimension 'c'"):
        FixedScale(["a"], {"c": 1.0})
    with pytest.raises(ValueError, match=r"normalize\['a'\] must be a finite float > 0, got 0"):
        FixedScale(["a"], {"a": 0})
    with pytest.raises(ValueError, match="normalize must be None, 'running', a {dim: scale}"):
        make_normalizer("zscore", ["a"])
    with pytest.raises(ValueError, match="freeze_after must be None or an int >= 1"):
        RunningScale(["a"], freeze_after=0)
    with pytest.raises(ValueError, match=r"losses must have shape \[B, 1\]"):
        RunningScale(["a"])(torch.zeros(2, 2), torch.ones(2, 2, dtype=torch.bool))
    assert make_normalizer(None, ["a"]) is None
    assert isinstance(make_normalizer("running", ["a"]), RunningScale)
