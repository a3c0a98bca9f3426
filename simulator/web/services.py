"""The parts the web app is built from, handed in by `build_app` (tests pass their own).

Nothing here is global: two apps in one process (tests do this) never share state.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from simulator.customers.base import CustomerBackend
from simulator.models import Rubric, Scenario
from simulator.web.auth import Auth
from simulator.web.exports import ExportFiles

T = TypeVar("T")


@dataclass
class Services:
    catalog: Any                     # simulator.loading.Catalog: .scenarios, .rubrics, .scenario(), .rubric()
    store: Any                       # simulator.store.Store
    backend: CustomerBackend         # the customer engine trainees talk to
    scorer_for: Callable[[Any], Any]  # rubric -> Scorer (async __call__(transcript, scenario) -> ScoreCard)
    auth: Auth                       # who is signed in (cookie), accounts, supervisor-tab tokens
    scenario_dir: Path               # where supervisors save scenario files
    draft_backend: CustomerBackend | None = None  # "try it" in the editor; scripted by default
    rubric_id: str = "default"
    exports: ExportFiles = field(default_factory=ExportFiles)  # download files: owner-only, one hour

    def scenarios(self) -> dict[str, Scenario]:
        return dict(self.catalog.scenarios)

    def rubric(self, rid: str | None = None) -> Rubric:
        return self.catalog.rubric(rid or self.rubric_id)

    def rubric_or_none(self) -> Rubric | None:
        """The scoring rubric for titles in views; None shows criterion ids instead."""
        try:
            return self.rubric()
        except KeyError:
            return None


# asyncio's default pool has min(32, cores + 4) threads: 6 here, and every turn makes three store
# calls, so at 100 trainees turns queued for a thread while the loop idled. Store calls mostly
# wait on the database, so more threads than cores is right.
BLOCKING_THREADS = 48
_pool = ThreadPoolExecutor(max_workers=BLOCKING_THREADS, thread_name_prefix="blocking")


async def blocking(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run a blocking call (database, file, CPU-heavy scoring) off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, functools.partial(fn, *args, **kw))
