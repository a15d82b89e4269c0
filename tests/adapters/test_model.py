import pytest
import torch

LAM = (0.5, 0.5)


def test_delegates_to_the_wrapped_model(make):
    model = make()
    base = model.base_model
    assert model.config is base.config
    assert model.main_input_name == "input_ids"
    assert model.can_generate()
    assert model.get_input_embeddings() is base.get_input_embeddings()
    assert callable(model.prepare_inputs_for_generation)
    assert model.panacea_config.r == 4 and model.n_dims == 2
    with pytest.raises(AttributeError):
        _ = model.no_such_attribute


def test_trainable_parameter_counts(capsys, make):
    model = make()
    trainable, total = model.get_nb_trainable_parameters()
    per_layer = {
        n: (layer.in_features, layer.out_features) for n, layer in model.panacea_layers().items()
    }
    expected = sum(6 * (i + o) + 4 + 1 for i, o in per_layer.values())
    assert trainable == expected and total > trainable
    model.merge([0.5, 0.5])
    assert model.get_nb_trainable_parameters() == (trainable, total)
    model.unmerge()
    model.print_trainable_parameters()
    assert f"trainable params: {expected:,d}" in capsys.readouterr().out


def test_holder_follows_dtype_and_device_moves(make):
    model = make()
    model.set_preference(LAM)
    model.to("cpu")
    assert model.holder.value.device.type == "cpu"
    assert "holder.value" not in model.state_dict()


def test_trainer_accepts_the_model(tmp_path, make):
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments

    model = make(random=False)
    model.set_preference(LAM)
    ids = [[1, 40, 41, 42, 43, 44]] * 4
    data = Dataset.from_dict({"input_ids": ids, "labels": ids})
    args = TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=2,
        per_device_train_batch_size=2,
        learning_rate=1e-2,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        remove_unused_columns=False,
    )
    before = [p.detach().clone() for p in model.adapter_parameters()]
    Trainer(model=model, args=args, train_dataset=data).train()
    changed = [not torch.equal(b, p) for b, p in zip(before, model.adapter_parameters())]
    assert any(changed)
