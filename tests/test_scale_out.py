"""Scale-out mode (scripts/scale_out.py): two real `app.py` replicas behind HAProxy, sharing
one real `chroma run` server, on loopback. Answers through the balancer come from both
replicas; a browser's Gradio session (queue/join, then the event stream queue/data) stays
on one replica through the balancer's cookie, which it needs: the other replica does not
know the session; a stopped replica is taken out by the health check; nothing is left
running at the end."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
try:
    import scale_out as so
finally:
    sys.path.remove(str(ROOT / "scripts"))

pytestmark = [pytest.mark.model, pytest.mark.server, pytest.mark.timeout(600)]

QUESTIONS = [
    "罗湖区要新增多少公办义务教育学位？",
    "幼儿园可以教授小学阶段的课程内容吗？",
    "罗湖区要新增多少公办义务教育学位？",
    "“十四五”期间罗湖区要新增多少所幼儿园？",
    "罗湖区要新增多少公办义务教育学位？",
    "幼儿园可以教授小学阶段的课程内容吗？",
]


@pytest.fixture(scope="module")
def cluster(
    real_settings: Settings, real_index: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[so.Cluster]:
    # `make test` installs it (the `balancer` target): missing, the test fails, it is not skipped.
    assert so.haproxy_executable() is not None, f"HAProxy is not installed: {so.INSTALL_HINT}"
    data_dir = tmp_path_factory.mktemp("scale-out")
    # The session's embedded index seeds the server: the ingest into it is a hash check.
    with so.scale_out(replicas=2, data_dir=data_dir, seed_index=real_settings.index_dir) as running:
        yield running
    pids = [running.balancer_pid, running.chroma_pid, *running.replica_pids]
    assert not [pid for pid in pids if so._alive(pid)], "processes left running after the cluster stopped"
    for url in [running.url, running.chroma_url, *running.replica_urls]:
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)


def chat(url: str, question: str, **kwargs: Any) -> httpx.Response:
    body = {"model": "luohu-assistant", "messages": [{"role": "user", "content": question}]}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=120, **kwargs)


def ask_through_gradio(client: httpx.Client, url: str, question: str) -> tuple[dict[str, Any], list[str]]:
    """One question the way the browser asks it: join the queue, then read the event stream.
    Returns the final event and the replica behind each of the two requests."""
    config = client.get(f"{url}/config")
    fn_index = next(d["id"] for d in config.json()["dependencies"] if d.get("api_name") == "ask")
    session = uuid.uuid4().hex[:11]
    body = {"data": [question, "[]"], "fn_index": fn_index, "session_hash": session}
    joined = client.post(
        f"{url}/gradio_api/queue/join", json={**body, "event_data": None, "trigger_id": None}
    )
    assert joined.status_code == 200, joined.text
    served = [config.headers["x-served-by"], joined.headers["x-served-by"]]
    return read_stream(client, url, session, served), served


def read_stream(client: httpx.Client, url: str, session: str, served: list[str]) -> dict[str, Any]:
    """The last event of the session's stream (process_completed, or an error)."""
    with client.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}) as stream:
        served.append(stream.headers.get("x-served-by", ""))
        for line in stream.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[len("data: ") :])
            if event["msg"] in ("process_completed", "unexpected_error"):
                return event
    raise AssertionError("the event stream ended without a result")


def test_answers_through_the_balancer_come_from_both_replicas(cluster: so.Cluster) -> None:
    served: list[str] = []
    for question in QUESTIONS:
        response = chat(cluster.url, question)  # a fresh connection, no cookie
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["choices"][0]["message"]["content"].strip()
        assert answer["citations"], question
        served.append(response.headers["x-served-by"])
    assert set(served) == {"r1", "r2"}, served
    assert "3.3万" in chat(cluster.url, QUESTIONS[0]).json()["choices"][0]["message"]["content"]
    # each replica is a real app.py process with one embedding thread on this 2-core machine
    assert cluster.threads_per_replica == so.default_threads(2)
    assert all(so._alive(pid) for pid in cluster.replica_pids)


def test_a_gradio_session_stays_on_one_replica_through_the_cookie(cluster: so.Cluster) -> None:
    with httpx.Client(timeout=120) as browser:  # keeps cookies, as a browser does
        page = browser.get(f"{cluster.url}/")
        assert page.status_code == 200
        home = page.headers["x-served-by"]
        assert browser.cookies.get(so.STICKY_COOKIE) == home
        for question in QUESTIONS[:3]:
            event, served = ask_through_gradio(browser, cluster.url, question)
            assert event["msg"] == "process_completed" and event["success"], event
            result = event["output"]["data"][0]
            assert result["answer"].strip() and result["citations"]
            assert served == [home, home, home]

    # Without the cookie the UI requests are spread over both replicas …
    spread = {httpx.get(f"{cluster.url}/config", timeout=30).headers["x-served-by"] for _ in range(4)}
    assert spread == {"r1", "r2"}
    # … and that would break a session: the replica that did not take the join does not know it.
    first, second = cluster.replica_urls
    with httpx.Client(timeout=120) as client:
        config = client.get(f"{first}/config").json()
        fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
        session = uuid.uuid4().hex[:11]
        body = {"data": [QUESTIONS[0], "[]"], "fn_index": fn_index, "session_hash": session}
        assert client.post(f"{first}/gradio_api/queue/join", json=body).status_code == 200
        event = read_stream(client, second, session, [])
        assert event["msg"] == "unexpected_error" and event.get("session_not_found"), event
        assert read_stream(client, first, session, [])["msg"] == "process_completed"


def test_a_stopped_replica_is_taken_out_and_its_sticky_clients_move(cluster: so.Cluster) -> None:
    """Runs last: it stops r2. The health check (every 2 s, down after 2 failures) takes it
    out; API requests and a browser pinned to r2 are served by r1."""
    with httpx.Client(timeout=120) as browser:
        while browser.get(f"{cluster.url}/config").headers["x-served-by"] != "r2":
            browser.cookies.clear()
        assert browser.cookies.get(so.STICKY_COOKIE) == "r2"

        os.killpg(cluster.replica_pids[1], signal.SIGTERM)
        deadline = time.monotonic() + 30
        while so._alive(cluster.replica_pids[1]):
            assert time.monotonic() < deadline, "replica r2 did not stop"
            time.sleep(0.2)
        time.sleep(5)  # two failed checks, two seconds apart

        for question in QUESTIONS[:4]:
            response = chat(cluster.url, question)
            assert response.status_code == 200 and response.headers["x-served-by"] == "r1"
            assert response.json()["citations"]
        event, served = ask_through_gradio(browser, cluster.url, QUESTIONS[0])
        assert event["msg"] == "process_completed", event
        assert served == ["r1", "r1", "r1"]
