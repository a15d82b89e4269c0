"""``mdpo serve``: the decoding loop, the OpenAI-style endpoint, batching and bad input."""

from __future__ import annotations

import asyncio
import json

import pytest
import torch

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from mdpo.serving.decode import Row, decode  # noqa: E402
from mdpo.serving.protocol import ServingLimits  # noqa: E402

PROMPTS = ["Hello there", "Why?", "Say something nice"]


def _user(text):
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="module")
def panacea(runs):
    from mdpo.policies import load_policy

    return load_policy(runs["panacea"])


def _rows(lams, *, temperature=0.0, max_tokens=8):
    return [
        Row(_user(p), torch.tensor(lam), max_tokens, temperature, seed=7 + i)
        for i, (p, lam) in enumerate(zip(PROMPTS * 3, lams))
    ]


LAMS = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.25, 0.75], [0.9, 0.1], [0.0, 1.0]]


@pytest.mark.parametrize("temperature", [0.0, 1.3])
def test_a_batch_answers_each_row_as_it_would_alone(panacea, temperature):
    policy, tokenizer = panacea
    rows = _rows(LAMS, temperature=temperature)
    together = decode(policy, tokenizer, rows)
    alone = [decode(policy, tokenizer, [row])[0] for row in rows]
    assert [c.text for c in together] == [c.text for c in alone]
    # λ moves the answer of one prompt, so a mixed-up row would show.
    assert len({c.text for c in together}) > 2
    assert all(c.completion_tokens <= 8 for c in together)
    assert {c.finish_reason for c in together} <= {"stop", "length"}


@pytest.mark.parametrize("kind", ["panacea", "prompt"])
def test_greedy_answers_equal_mdpo_generate(runs, kind):
    from mdpo.cli.generate import Decoding, generate_answers
    from mdpo.policies import load_policy

    policy, tokenizer = load_policy(runs[kind])
    lams = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    expected = generate_answers(policy, tokenizer, PROMPTS, lams, Decoding(max_new_tokens=8))
    rows = [Row(_user(p), lam, 8) for p in PROMPTS for lam in lams]
    got = [c.text for c in decode(policy, tokenizer, rows)]
    assert len(set(got)) > 1
    assert got == [text for row in expected for text in row]


def test_sampling_depends_on_the_seed_and_max_tokens_is_per_row(panacea):
    policy, tokenizer = panacea
    lam = torch.tensor([0.5, 0.5])
    a, b, c = decode(
        policy,
        tokenizer,
        [
            Row(_user("Why?"), lam, 12, 1.5, seed=1),
            Row(_user("Why?"), lam, 12, 1.5, seed=2),
            Row(_user("Why?"), lam, 2, 1.5, seed=1),
        ],
    )
    assert a.text != b.text
    assert c.completion_tokens <= 2 and a.completion_tokens > 2
    if c.finish_reason == "length":
        assert a.text.startswith(c.text)


def test_streamed_pieces_join_to_the_answer(panacea):
    policy, tokenizer = panacea
    pieces: list[str] = []
    # This row's answer is plain text early on (the tiny model's bytes often are not).
    row = Row(_user("Hello there"), torch.tensor([0.0, 1.0]), 10, on_text=pieces.append)
    (completion,) = decode(policy, tokenizer, [row])
    assert len(pieces) >= 2
    assert "".join(pieces) == completion.text


def test_a_cancelled_row_leaves_the_batch_and_the_others_are_unchanged(panacea):
    policy, tokenizer = panacea
    lam = torch.tensor([0.0, 1.0])
    keep = Row(_user("Why?"), lam, 10)
    pieces: list[str] = []
    leave = Row(_user("Hello there"), lam, 10)

    def cancel_after_two(piece):
        pieces.append(piece)
        if len(pieces) == 2:
            leave.cancelled = True

    leave.on_text = cancel_after_two
    kept, left = decode(policy, tokenizer, [keep, leave])
    (whole,) = decode(policy, tokenizer, [Row(_user("Hello there"), lam, 10)])
    assert kept.text == decode(policy, tokenizer, [Row(_user("Why?"), lam, 10)])[0].text
    assert left.completion_tokens < whole.completion_tokens
    assert whole.text.startswith("".join(pieces))


@pytest.mark.parametrize("kind", ["rs", "mod", "dps", "prompt", "lora"])
def test_every_policy_kind_batches_like_one_at_a_time(runs, experts, write_manifest, kind):
    from mdpo.policies import load_policy

    fields = {
        "rs": {"experts": {"a": "experts/a", "b": "experts/b"}},
        "mod": {"experts": {"a": "experts/a", "b": "experts/b"}},
        "dps": {"grid": [[0.0, 1.0], [1.0, 0.0]], "adapters": ["experts/b", "experts/a"]},
    }
    if kind in fields:
        run_dir = experts[0]
        write_manifest(run_dir, kind, **fields[kind])
    else:
        run_dir = runs[kind]
    policy, tokenizer = load_policy(run_dir)
    lams = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    if kind in ("rs", "mod", "prompt"):
        lams += [[0.5, 0.5], [0.2, 0.8]]
    if kind == "lora":
        lams = [[1.0, 0.0]] * 3
    rows = _rows(lams, temperature=0.8)
    together = [c.text for c in decode(policy, tokenizer, rows)]
    assert len(set(together)) > 1  # seeds and λ differ, so would a mixed-up answer
    assert together == [decode(policy, tokenizer, [row])[0].text for row in rows]


# --- the HTTP application -------------------------------------------------------------


@pytest.fixture(scope="module")
def client(runs):
    from mdpo.serving.app import load_app

    app = load_app(runs["panacea"], limits=ServingLimits(max_tokens=16, max_prompt_chars=200))
    with TestClient(app) as client:
        yield client


def _chat(client, **body):
    body.setdefault("messages", _user("Hello there"))
    body.setdefault("max_tokens", 8)
    return client.post("/v1/chat/completions", json=body)


def test_chat_completion_in_the_openai_format(client, runs):
    response = _chat(client, preference=[1, 3])
    assert response.status_code == 200
    out = response.json()
    assert out["object"] == "chat.completion" and out["id"].startswith("chatcmpl-")
    assert out["model"] == runs["panacea"].name
    choice = out["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert choice["finish_reason"] in ("stop", "length")
    assert out["preference"] == {"a": 0.25, "b": 0.75}
    usage = out["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert 1 <= usage["completion_tokens"] <= 8


def test_preference_by_name_and_the_answer_moves_with_it(client):
    def text(**body):
        return _chat(client, **body).json()["choices"][0]["message"]["content"]

    answers = {
        p: [text(messages=_user(p), preference=lam) for lam in ([1, 0], [0, 1])] for p in PROMPTS
    }
    assert any(a != b for a, b in answers.values()), answers
    p = PROMPTS[0]
    assert text(messages=_user(p), preference={"b": 5}) == answers[p][1]
    assert text(messages=_user(p), preference={"a": 2, "b": 0}) == answers[p][0]
    assert _chat(client, messages=_user(p), preference={"b": 1}).json()["preference"] == {
        "a": 0.0,
        "b": 1.0,
    }


def test_models_and_info(client, runs):
    models = client.get("/v1/models").json()
    assert [m["id"] for m in models["data"]] == [runs["panacea"].name]
    info = client.get("/info").json()
    assert info["dimension_names"] == ["a", "b"]
    assert info["method"] == "panacea" and info["policy"] == "PanaceaPolicy"
    assert info["supported_preferences"] is None and info["per_row_preference"] is True
    assert info["limits"]["max_tokens"] == 16
    assert info["base_model"] == str(runs["base"])


def test_the_page_ships_without_external_resources(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="sliders"' in page.text
    assert "http://" not in page.text and "https://" not in page.text


def _events(response) -> list:
    events = []
    for block in response.text.split("\n\n"):
        if block.strip():
            assert block.startswith("data: ")
            payload = block[len("data: ") :]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def test_streaming_sends_the_same_answer_as_server_sent_events(client):
    whole = _chat(client, preference=[0, 1], max_tokens=12).json()
    response = _chat(client, preference=[0, 1], max_tokens=12, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    contents = [
        c["choices"][0]["delta"]["content"] for c in chunks if "content" in c["choices"][0]["delta"]
    ]
    assert len(contents) >= 2
    text = "".join(contents)
    assert text == whole["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == whole["choices"][0]["finish_reason"]
    assert len({c["id"] for c in chunks}) == 1


@pytest.mark.parametrize(
    ("body", "status", "param", "words"),
    [
        ({"preference": [1, 2, 3]}, 400, "preference", ["3 weights", "m=2", "(a, b)"]),
        ({"preference": {"c": 1}}, 400, "preference", ["unknown dimension 'c'", "a, b"]),
        ({"preference": [-1, 2]}, 400, "preference", ["non-negative"]),
        ({"preference": [0, 0]}, 400, "preference", ["positive sum"]),
        ({"preference": ["x", 1]}, 400, "preference", ["must be numbers"]),
        ({"preference": "1,3"}, 400, "preference", ["list of 2 weights"]),
        ({"preference": [1e308, 1e308]}, 200, None, []),
        ({"messages": []}, 400, "messages", ["non-empty list"]),
        ({"messages": _user("   ")}, 400, "messages[0].content", ["empty"]),
        ({"messages": _user("x" * 201)}, 413, "messages", ["201 characters", "at most 200"]),
        ({"messages": [{"role": "robot", "content": "hi"}]}, 400, "messages[0].role", ["user"]),
        ({"messages": [{"role": "user", "content": 5}]}, 400, "messages[0].content", ["string"]),
        (
            {"messages": [*_user("hi"), {"role": "assistant", "content": "yo"}]},
            400,
            "messages",
            ["last message"],
        ),
        ({"max_tokens": 17}, 400, "max_tokens", ["between 1 and 16"]),
        ({"max_tokens": 0}, 400, "max_tokens", ["between 1 and 16"]),
        ({"max_tokens": "8"}, 400, "max_tokens", ["integer"]),
        ({"temperature": -0.5}, 400, "temperature", ["[0, 2]"]),
        ({"seed": -1}, 400, "seed", ["[0, 2**63)"]),
        ({"stream": "yes"}, 400, "stream", ["true or false"]),
        ({"n": 2}, 400, "n", ["not supported"]),
        ({"model": "other"}, 404, "model", ["unknown model 'other'"]),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_field(client, body, status, param, words):
    response = _chat(client, **body)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["preference"] == {"a": 0.5, "b": 0.5}
        return
    error = response.json()["error"]
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    for word in words:
        assert word in error["message"]


def test_malformed_json_and_nan_are_refused_and_the_server_keeps_serving(client):
    headers = {"content-type": "application/json"}
    bad = client.post("/v1/chat/completions", content=b"{not json", headers=headers)
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
    body = '{"messages": [{"role": "user", "content": "Hi"}], "preference": [NaN, 1]}'
    nan = client.post("/v1/chat/completions", content=body, headers=headers)
    assert nan.status_code == 400 and nan.json()["error"]["param"] == "preference"
    assert "finite" in nan.json()["error"]["message"]
    assert (
        client.post("/v1/chat/completions", content=b"[1, 2]", headers=headers).status_code == 400
    )
    assert _chat(client, preference=[1, 1]).status_code == 200


def test_a_dps_run_refuses_preferences_it_does_not_have(runs):
    from mdpo.serving.app import load_app

    with TestClient(load_app(runs["lora"])) as client:
        assert client.get("/info").json()["supported_preferences"] == [[1.0, 0.0]]
        assert _chat(client, preference=[1, 0]).status_code == 200
        response = _chat(client, preference=[0.5, 0.5])
        assert response.status_code == 400
        assert "supports only [1, 0]" in response.json()["error"]["message"]
        missing = _chat(client)
        assert missing.status_code == 400 and "preference is required" in missing.text


def test_concurrent_requests_share_a_batch_with_their_own_answers(runs):
    """Requests sent together are decoded in one batch; each gets the answer it would get alone."""
    from mdpo.serving.app import load_app
    from mdpo.serving.background import serve_in_background

    limits = ServingLimits(max_tokens=8, max_batch_size=8, batch_wait_ms=200)
    app = load_app(runs["panacea"], limits=limits)
    bodies = [
        {"messages": _user(p), "preference": lam, "max_tokens": 8, "temperature": t, "seed": s}
        for s, (p, lam, t) in enumerate(zip(PROMPTS * 2, LAMS, [0.0, 0.9, 0.0, 0.9, 0.0, 0.9]))
    ]

    async def send_all(url):
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            replies = await asyncio.gather(
                *(http.post("/v1/chat/completions", json=b) for b in bodies)
            )
        return [r.json()["choices"][0]["message"]["content"] for r in replies]

    with serve_in_background(app) as url:
        together = asyncio.run(send_all(url))
        alone = [
            httpx.post(f"{url}/v1/chat/completions", json=b, timeout=60).json()["choices"][0][
                "message"
            ]["content"]
            for b in bodies
        ]
    assert max(app.state.batcher.batch_sizes) >= 4  # they did share a batch
    assert together == alone


def test_cli_refuses_a_folder_that_is_not_a_run(runs, capsys):
    from mdpo.cli.main import main

    assert main(["serve", str(runs["base"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mdpo serve: error: argument RUN_DIR") and "run.json" in err
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_:
        main(["serve", str(runs["panacea"]), "--max-batch-size", "0"])
    assert exit_.value.code == 2
    assert main(["serve", str(runs["panacea"]), "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["serve", str(runs["panacea"]), "--device", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mdpo serve: error: argument --device: invalid value 'bogus'")


def test_load_test_finds_no_lost_or_mixed_answers(panacea):
    from mdpo.serving.loadtest import load_test

    policy, tokenizer = panacea
    report = load_test(policy, tokenizer, requests=12, concurrency=6, max_tokens=6, timeout=120)
    assert report["answers"] == {
        "total": 12,
        "identical": 12,
        "lost": 0,
        "mismatched": 0,
        "distinct": report["answers"]["distinct"],
    }
    assert report["answers"]["distinct"] > 3  # the answers differ, so a mix-up would show
    assert report["one_at_a_time"]["max_batch_size_seen"] == 1
    assert report["batched"]["max_batch_size_seen"] > 1
    for phase in ("one_at_a_time", "batched"):
        latency = report[phase]["latency_ms"]
        assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"]
        assert report[phase]["requests_per_s"] > 0


def test_load_test_command_line(runs, tmp_path, capsys):
    from mdpo.serving.loadtest import main

    out = tmp_path / "load.json"
    table = tmp_path / "load.md"
    argv = ["--requests", "4", "--concurrency", "2", "--max-tokens", "3", "--json", str(out)]
    code = main([str(runs["panacea"]), *argv, "--markdown", str(table)])
    assert code == 0
    assert "| batched |" in capsys.readouterr().out
    assert table.read_text().startswith("4 requests, 2 concurrent clients, max_tokens 3")
    assert "| one at a time |" in table.read_text()
    assert json.loads(out.read_text())["answers"]["lost"] == 0


def test_mdpo_serve_command_serves_until_stopped(runs):
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [str(Path(sys.executable).parent / "mdpo"), "serve", str(runs["panacea"])]
    proc = subprocess.Popen(
        [*argv, "--port", str(port), "--threads", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                models = httpx.get(f"{url}/v1/models", timeout=1).json()
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert models["data"][0]["id"] == "panacea"
        body = {"messages": _user("Hi"), "preference": {"a": 1}, "max_tokens": 4}
        reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)
        assert reply.status_code == 200 and reply.json()["preference"] == {"a": 1.0, "b": 0.0}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    # uvicorn shuts down cleanly, then re-raises the signal it caught.
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert f"on http://127.0.0.1:{port}/" in err and "Traceback" not in err
