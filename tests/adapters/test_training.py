import pytest
import torch

LAM = (0.3, 0.7)


def _loss(model, ids):
    return model(input_ids=ids, labels=ids).loss


def _snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_only_adapter_parameters_change_and_base_grads_stay_none(arch, ids, make):
    model = make(arch, random=False)
    model.train()
    adapter = {id(p) for p in model.adapter_parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert {id(p) for p in trainable} == adapter
    before = _snapshot(model)
    opt = torch.optim.SGD(trainable, lr=1.0)
    lams = torch.tensor([LAM, (0.8, 0.2)])
    grads_at_step = []
    for step in range(3):
        model.set_preference(lams[step % 2])
        opt.zero_grad()
        _loss(model, ids).backward()
        grads_at_step.append(
            {
                n: (p.grad is not None and bool(p.grad.abs().sum() > 0))
                for n, p in model.named_parameters()
                if id(p) in adapter
            }
        )
        opt.step()
    for name, p in model.named_parameters():
        if id(p) in adapter:
            assert not torch.equal(p, before[name]), f"adapter parameter {name} did not change"
        else:
            assert p.grad is None, name
            assert torch.equal(p, before[name]), f"base parameter {name} changed"
    # AdaLoRA init: σ and s get gradients at step 1, U and V only from step 2.
    step1, step2 = grads_at_step[0], grads_at_step[1]
    for name, has_grad in step1.items():
        kind = name.rsplit(".", 1)[-1]
        assert has_grad == (kind in {"lora_E", "lora_s"}), (name, has_grad)
    assert all(step2.values())


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_gradient_checkpointing_gives_the_same_grads(ids, make, use_reentrant):
    def grads(checkpointing):
        model = make("llama")
        model.train()
        if checkpointing:
            kwargs = {"use_reentrant": use_reentrant}
            if use_reentrant:
                with pytest.warns(UserWarning, match="reentrant"):
                    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
            else:
                model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
            assert model.base_model.is_activation_checkpointing
        model.set_preference([LAM, (1.0, 0.0)])
        _loss(model, ids).backward()
        return {n: p.grad for n, p in model.named_parameters() if p.grad is not None}

    plain, ckpt = grads(False), grads(True)
    assert set(plain) == set(ckpt) and len(plain) == 14 * 4
    for name, g in plain.items():
        assert g.abs().sum() > 0
        assert torch.allclose(ckpt[name], g, atol=1e-5), name


def test_checkpoint_recompute_replays_the_forward_lambda(ids, make):
    def grads(checkpointing):
        model = make("llama")
        model.train()
        if checkpointing:
            model.activation_checkpointing_enable()
        model.set_preference((0.9, 0.1))
        with model.preference(LAM):
            loss = _loss(model, ids)
        # Another λ is restored before backward; the recompute must still use LAM.
        assert torch.equal(model.get_preference(), torch.tensor((0.9, 0.1)))
        loss.backward()
        return {n: p.grad for n, p in model.named_parameters() if p.grad is not None}

    plain, ckpt = grads(False), grads(True)
    assert len(plain) == 14 * 4
    for name, g in plain.items():
        assert torch.allclose(ckpt[name], g, atol=1e-5), name


def test_dropout_only_in_training(ids, make):
    model = make(lora_dropout=0.5)
    model.set_preference(LAM)
    model.eval()
    assert torch.equal(model(ids).logits, model(ids).logits)
    model.train()
    assert not torch.allclose(model(ids).logits, model(ids).logits, atol=1e-4)
