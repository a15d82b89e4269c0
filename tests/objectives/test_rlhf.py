import pytest
import torch

from mdpo.conditioning import AdapterConditioning, Conditioning
from mdpo.objectives import RLHFObjective
from mdpo.scorers import LengthScorer

PROMPTS = [{"prompt": "Hi"}, {"prompt": [{"role": "user", "content": "Go"}]}]
LAM = torch.tensor([[0.3, 0.7], [1.0, 0.0]])


class Recorder:
    """A scorer that records its inputs and scores by character count."""

    def __init__(self):
        self.calls = []

    def __call__(self, prompts, completions):
        self.calls.append((list(prompts), list(completions)))
        return torch.tensor([float(len(c)) for c in completions])


class SpyConditioning(AdapterConditioning):
    """Adapter conditioning that records the λ rows every activation receives."""

    def __init__(self):
        self.seen = []

    def activate(self, model, preferences):
        self.seen.append(preferences.clone())
        return super().activate(model, preferences)


def run(model, tok, scorers, *, generator=None, conditioning=None, k=3, max_new_tokens=6):
    obj = RLHFObjective(scorers=scorers, k=k, max_new_tokens=max_new_tokens, beta=0.1)
    return obj(
        model,
        PROMPTS,
        LAM,
        tokenizer=tok,
        conditioning=conditioning or AdapterConditioning(),
        generator=generator,
    )


def test_rlhf_with_length_scorer_value_and_metrics(tok, make_panacea):
    model = make_panacea(2)
    model.train()
    rec = Recorder()
    out = run(
        model,
        tok,
        {"concise": LengthScorer(unit="chars"), "long": rec},
        generator=torch.Generator().manual_seed(0),
    )
    assert out.losses.shape == (2, 2) and out.mask.all()
    assert model.training  # sampling ran in eval mode, the caller's mode is restored
    prompts, completions = rec.calls[0]
    assert prompts == ["Hi"] * 3 + ["Go"] * 3  # raw prompt text, repeated per sample
    assert len(completions) == 6
    lengths = torch.tensor([float(len(c)) for c in completions]).view(2, 3)
    assert "rlhf/concise+long/length" in out.metrics
    kl = out.metrics["rlhf/long/kl"]
    assert torch.equal(kl, out.metrics["rlhf/concise/kl"])
    assert kl != 0  # the perturbed adapter differs from the reference
    # concise = −length, long = +length: the loss value is −(mean reward − β·KL_b).
    diff = out.losses[:, 0] + out.losses[:, 1]  # = 2·β·KL_b per prompt
    torch.testing.assert_close(out.losses[:, 1] + lengths.mean(1), diff / 2)
    torch.testing.assert_close((diff / 2).mean() / 0.1, kl, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(out.metrics["rlhf/long/reward"], lengths.mean())
    out.losses[:, 1].sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.adapter_parameters())


def test_samples_share_their_prompts_lambda(tok, make_panacea):
    model = make_panacea(2)
    spy = SpyConditioning()
    run(
        model,
        tok,
        {"a": Recorder(), "b": Recorder()},
        conditioning=spy,
        generator=torch.Generator().manual_seed(0),
    )
    # Generation sees one λ per prompt (Panacea repeats it per sample); the policy
    # forward sees each prompt's λ repeated k = 3 times, in sample order.
    assert torch.equal(spy.seen[0], LAM)
    assert torch.equal(spy.seen[1], LAM.repeat_interleave(3, dim=0))


def test_sampling_is_seeded_by_the_generator_and_leaves_global_rng(tok, make_panacea):
    model = make_panacea(2)
    recs = [Recorder() for _ in range(3)]

    def sample(i, seed):
        scorers = {"a": recs[i], "b": LengthScorer()}
        gen = torch.Generator().manual_seed(seed)
        return run(model, tok, scorers, generator=gen, k=2, max_new_tokens=3)

    state = torch.get_rng_state()
    a = sample(0, seed=1)
    assert torch.equal(torch.get_rng_state(), state)
    b, c = sample(1, seed=2), sample(2, seed=1)
    assert recs[0].calls[0][1] != recs[1].calls[0][1]
    assert recs[0].calls[0][1] == recs[2].calls[0][1]
    torch.testing.assert_close(a.losses, c.losses)
    assert not torch.allclose(a.losses, b.losses)


def test_rlhf_refusals(tok, make_panacea):
    with pytest.raises(ValueError, match="k must be an int >= 2"):
        RLHFObjective("a", LengthScorer(), k=1)
    with pytest.raises(ValueError, match="top_p must be a float in"):
        RLHFObjective("a", LengthScorer(), top_p=0.0)
    with pytest.raises(ValueError, match="one scorer was given for 2 dimensions"):
        RLHFObjective(["a", "b"], LengthScorer())
    with pytest.raises(ValueError, match=r"dim_names \['a'\] must equal the scorers keys"):
        RLHFObjective("a", {"b": LengthScorer()})
    with pytest.raises(TypeError, match="scorer for 'a' must be callable"):
        RLHFObjective(scorers={"a": "length"})
    with pytest.raises(ValueError, match="missing column 'prompt'"):
        RLHFObjective("a", LengthScorer(), prompts=[{"text": "x"}])
    model = make_panacea(2)
    with pytest.raises(ValueError, match="has no scorers"):
        RLHFObjective(["a", "b"])(
            model, PROMPTS, LAM, tokenizer=tok, conditioning=AdapterConditioning()
        )

    def wrong_shape(prompts, completions):
        return torch.zeros(len(completions), 2)

    with pytest.raises(ValueError, match=r"scorer for 'a' must return a tensor of shape \[6\]"):
        run(model, tok, {"a": wrong_shape, "b": LengthScorer()}, generator=torch.Generator())
    assert issubclass(SpyConditioning, Conditioning)
