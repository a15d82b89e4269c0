import pytest
import torch

from mdpo.objectives import LossOutput


def test_dim_means_use_only_rows_with_signal():
    losses = torch.tensor([[1.0, 5.0], [3.0, 0.0]], requires_grad=True)
    mask = torch.tensor([[True, True], [True, False]])
    out = LossOutput(losses, mask, preferences=torch.full((2, 2), 0.5))
    assert out.n_dims == 2
    means = out.dim_means()
    assert means.tolist() == [2.0, 5.0]
    means.sum().backward()
    assert losses.grad.tolist() == [[0.5, 1.0], [0.5, 0.0]]


def test_loss_output_refusals():
    with pytest.raises(ValueError, match=r"losses must be a \[B, m\] tensor"):
        LossOutput(torch.zeros(3), torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask must be a bool tensor, got torch.float32"):
        LossOutput(torch.zeros(2, 2), torch.ones(2, 2))
    with pytest.raises(ValueError, match=r"mask shape \(2, 1\) must equal losses shape \(2, 2\)"):
        LossOutput(torch.zeros(2, 2), torch.ones(2, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"preferences shape \(2, 3\) must equal"):
        LossOutput(torch.zeros(2, 2), torch.ones(2, 2, dtype=torch.bool), {}, torch.zeros(2, 3))
