"""Test helper: the real web app (shipped scenarios, scripted engine, heuristic scorer, SQLite
store) on a free loopback port, with its own temp database and a temp copy of the scenarios
so supervisor saves never touch the repository."""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from simulator.customers import ScriptedCustomer  # noqa: E402
from simulator.loading import Catalog  # noqa: E402
from simulator.scoring import make_scorer  # noqa: E402
from simulator.store import Store  # noqa: E402
from simulator.web.app import build_app, launch  # noqa: E402
from simulator.web.auth import Auth, SupervisorCredentials  # noqa: E402
from simulator.web.stream_api import routes  # noqa: E402
from simulator.web.services import Services  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SUPERVISOR = ("coach", "s3cret-passphrase")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    services: Services
    demo: gr.Blocks
    root: Path

    def close(self) -> None:
        self.demo.close()
        self.services.store.close()


def start_app(root: Path, *, supervisor: tuple[str, str] | None = SUPERVISOR,
              backend: Any = None, store_url: str | None = None, accounts: bool = False,
              oidc: Any = None, port: int | None = None, database: str | None = None,
              api_slots: int = 128) -> RunningApp:
    """The app on a free port; `accounts=True` requires sign-in (as on a shared server);
    `oidc` (OIDCSettings) adds single sign-on; `database` is another name for `store_url`."""
    from simulator.accounts import Accounts, secret_key, shared_limiter
    scen = root / "scenarios"
    scen.mkdir(parents=True, exist_ok=True)
    for f in (REPO / "scenarios").glob("*.yaml"):
        shutil.copy(f, scen)
    catalog = Catalog.load([scen, REPO / "rubrics"])
    assert not catalog.problems, catalog.problems
    creds = SupervisorCredentials(user=supervisor[0], password=supervisor[1]) if supervisor else None
    store = Store(store_url or database or f"sqlite:///{root / 'sim.db'}")
    auth = Auth(creds, Accounts(store) if accounts else None, secret=secret_key(store), require_signin=accounts,
                oidc=oidc, limiter=shared_limiter(store))
    services = Services(catalog=catalog, store=store, backend=backend or ScriptedCustomer(),
                        scorer_for=lambda rubric: make_scorer("heuristic", rubric),
                        auth=auth, scenario_dir=scen, draft_backend=ScriptedCustomer())
    demo = build_app(services)
    for attempt in range(3):
        try:  # another process may take the free port between the probe and the bind
            url = launch(demo, "127.0.0.1", port or free_port(), block=False, quiet=True, services=services,
                         routes=routes(services, api_slots))
            break
        except OSError:
            if attempt == 2:
                raise
    return RunningApp(url=url, services=services, demo=demo, root=root)


# ----------------------------------------------------------------- accounts and sign-in

def sign_in(url: str, login: str, password: str) -> str:
    """Sign in through the real /auth/login form; the signed session cookie's value."""
    import httpx
    r = httpx.post(f"{url.rstrip('/')}/auth/login", data={"login": login, "password": password}, timeout=30)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return r.cookies["sim_session"]


def new_account(app: RunningApp, login: str, role: str = "trainee") -> tuple[str, str]:
    """An account made as a supervisor would, its one-time password replaced at first sign-in
    through the real form: (login, password)."""
    import httpx

    from simulator.accounts import Accounts
    issued = Accounts(app.services.store).create(login, login.title(), "cohort-1", role)  # type: ignore[arg-type]
    password = f"{login}-own-passphrase"
    r = httpx.post(f"{app.url.rstrip('/')}/auth/password", timeout=30, data={
        "login": login, "current": issued.password, "new": password, "repeat": password})
    assert r.status_code == 303 and r.cookies.get("sim_session"), (r.status_code, r.text[:300])
    return login, password


def signed_client(app: RunningApp, cookie: str):  # type: ignore[no-untyped-def]
    from gradio_client import Client
    return Client(app.url, verbose=False, download_files=False, headers={"Cookie": f"sim_session={cookie}"})


# ----------------------------------------------------------------- browser flows (Playwright)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def launch_chromium(playwright):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_page(browser, url: str):  # type: ignore[no-untyped-def]
    """Gradio pages never reach "networkidle": wait for load, then for a real element."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page.goto(url, wait_until="load")
    page.locator("#sim-start").wait_for(timeout=30_000)
    return page


def pick(page, elem_id: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Choose `option` (a substring of its label) in the Gradio dropdown `elem_id`."""
    box = page.locator(f"#{elem_id} input").first
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=False).first.click()


MESSAGES = "#sim-chat [data-testid='bot'], #sim-chat [data-testid='user']"


def chat_count(page) -> int:  # type: ignore[no-untyped-def]
    return page.locator(MESSAGES).count()


def wait_for_reply(page, before: int, added: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until `added` more messages are shown and the last one is final (not still typing),
    or the contact ended (score card), or the page shows an error."""
    page.wait_for_function(
        """([sel, want]) => {
            const m = document.querySelectorAll(sel);
            const last = m.length ? m[m.length - 1].innerText.trim() : "";
            return (m.length >= want && !last.endsWith("▌")) || document.querySelector("#sim-total")
                   || document.querySelector("#sim-notice .sim-error");
        }""", arg=[MESSAGES, before + added], timeout=20_000)


def say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Send a chat line and wait until the customer's reply has arrived and been stored."""
    before = chat_count(page)
    page.locator("#sim-msg textarea").fill(text)
    page.locator("#sim-send").click()
    wait_for_reply(page, before, 2)
    # the page's once-per-turn update (controls, score card) follows the reply; it empties the input
    page.wait_for_function("() => document.querySelector('#sim-msg textarea').value === ''", timeout=20_000)


TRAINEE_LINES_JA = [
    "高野様、二度もお電話をいただきありがとうございます。カタログが届かず、ご心配だったことと思います。"
    "宅配便でお送りするとお約束しながら、私どもの手配漏れでした。本当に申し訳ございません。",
    "もしかして、お急ぎでいらっしゃいますか？差し支えなければ、何か大切なご予定にお使いでしょうか。",
    "今なら16時の締め切りに間に合います。本日、宅配便で発送いたしますので、明日の午後2時までにお届けします。",
]


TRAINEE_LINES_EN = [
    "So this is your second call about it, and it still hasn't arrived. You must have been worried. We agreed to "
    "send it by courier and I'm afraid our staff made a mistake and it was never sent. I'm so sorry.",
    "If I arrange it now, we can still make the 4 pm cut-off and ship it today. May I ask whether it's for a "
    "special occasion?",
    "Congratulations! I'll ship it by courier by 4 pm today, so it will reach you tomorrow morning.",
]


def play_trainee(page, name: str = "山田 花子", scenario: str = "catalog-bride-ja",  # type: ignore[no-untyped-def]
                 lines: list[str] | None = None) -> None:
    lines = lines or TRAINEE_LINES_JA
    page.locator("#sim-name input, #sim-name textarea").first.fill(name)
    pick(page, "sim-scenario", scenario)
    page.locator("#sim-start").click()
    page.locator("#sim-chat [data-testid='bot']").first.wait_for(timeout=15_000)
    say(page, lines[0])
    page.locator("#sim-hold-seconds input").fill("40")
    before = chat_count(page)
    page.locator("#sim-hold").click()
    wait_for_reply(page, before, 2)  # the hold notice, then the customer reacting to 40 s of silence
    for line in lines[1:]:
        say(page, line)
    page.locator("#sim-end").click()
    page.locator("#sim-total").wait_for(timeout=20_000)


def supervisor_login(page, user: str = SUPERVISOR[0], password: str = SUPERVISOR[1]) -> None:  # type: ignore[no-untyped-def]
    page.locator("#sim-sup-user input").fill(user)
    page.locator("#sim-sup-pw input").fill(password)
    page.locator("#sim-sup-login").click()
    page.locator("#sim-ed-load").wait_for(timeout=15_000)


def load_in_editor(page, file_name: str) -> None:  # type: ignore[no-untyped-def]
    pick(page, "sim-ed-file", file_name)
    page.locator("#sim-ed-load").click()
    page.locator("#sim-validation.ok").wait_for(timeout=15_000)


# ------------------------------------------------------------------ a cohort for the dashboard

COHORT = {  # trainee -> transcripts in tests/data/transcripts, oldest attempt first
    "山田 花子": ["bride-ja-weak", "delivery-ja-weak", "bride-ja-strong"],
    "佐藤 健": ["apple-ja-weak", "delivery-ja-strong"],
    "Dana Whitfield": ["bride-en-weak", "delivery-en-weak", "delivery-en-strong", "bride-en-strong"],
    "鈴木 一": ["apple-ja-strong"],  # one attempt: it must still show as a point
}


def seed_cohort(services: Services, cohort: dict[str, list[str]] | None = None) -> dict[str, int]:
    """Store scored sessions (heuristic scorer, default rubric) straight into the app's store, as
    the trainee page would have; returns trainee -> attempts."""
    import json

    from simulator.models import Transcript
    from simulator.scoring import HeuristicScorer

    scorer = HeuristicScorer(services.catalog.rubric("default"))
    store, data = services.store, REPO / "tests" / "data" / "transcripts"
    cohort = cohort or COHORT
    for round_ in range(max(len(v) for v in cohort.values())):  # interleaved, like a real week
        for trainee, names in cohort.items():
            if round_ >= len(names):
                continue
            tr = Transcript.model_validate(json.loads((data / f"{names[round_]}.json").read_text(encoding="utf-8")))
            sc = services.catalog.scenarios[tr.scenario]
            state = ScriptedCustomer().start(sc, seed=0).state
            sid = store.start_session(trainee, sc.id, "scripted", state, language=sc.language)
            for turn in tr.turns:
                store.add_turn(sid, turn, state)
            store.end_session(sid, state)
            store.save_score(sid, scorer.score(tr, sc))
    return {k: len(v) for k, v in cohort.items()}
