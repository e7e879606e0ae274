"""`DbtCliResource`: runs dbt for a dbt multi-asset and turns what dbt reports, as it reports
it, into materializations and check results. A run of a subset selects exactly the assets
the run materializes; a failing model fails the step after everything dbt finished before
(and besides) it has been reported.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import freshet as fr
from freshet.integrations.dbt.assets import DbtAssetsInfo, dbt_assets_info
from freshet.integrations.dbt.process import dbt_environment, dbt_executable, error_lines
from freshet.integrations.dbt.project import DbtProject

_BUILT = frozenset({"success"})
_TEST_DONE = frozenset({"pass", "fail", "warn"})
_FAILED = frozenset({"error", "fail", "runtime error"})
_SELECTION_FLAGS = ("--select", "-s", "--models", "-m", "--exclude", "--selector")


@dataclass(frozen=True, slots=True, kw_only=True)
class DbtNodeResult:
    """One node dbt finished (``NodeFinished``): its unique id, status and run result."""

    unique_id: str
    resource_type: str
    status: str
    execution_time: float | None
    rows_affected: int | None
    failures: int | None
    message: str | None


@dataclass(slots=True)
class DbtCliInvocation:
    """A running dbt command. `stream` yields what the asset reports; `wait` runs it to the
    end. With ``raise_on_error`` a failed command raises once its output is consumed."""

    process: subprocess.Popen[str]
    args: list[str]
    project_dir: Path
    info: DbtAssetsInfo | None
    selected_keys: frozenset[fr.AssetKey] | None
    raise_on_error: bool = True
    results: list[DbtNodeResult] = field(default_factory=list)
    _errors: list[str] = field(default_factory=list)
    _plain: list[str] = field(default_factory=list)
    _finished: bool = False
    returncode: int | None = None

    def stream_raw_events(self) -> Iterator[dict[str, Any]]:
        """dbt's structured log events (JSON lines), as dbt writes them."""
        if self._finished:
            return
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                line = line.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    self._plain.append(line)
                    continue
                if not isinstance(event, dict):
                    continue
                info = event.get("info") or {}
                if info.get("level") == "error":
                    self._errors.append(str(info.get("msg", "")).strip())
                yield event
        except GeneratorExit:
            # The step stopped reading (it failed or was canceled): stop dbt too.
            self.process.terminate()
            raise
        finally:
            self._finish()

    def stream_node_results(self) -> Iterator[DbtNodeResult]:
        for event in self.stream_raw_events():
            if (event.get("info") or {}).get("name") != "NodeFinished":
                continue
            result = _node_result(event.get("data") or {})
            if result is not None:
                self.results.append(result)
                yield result

    def stream(self) -> Iterator[Any]:
        """`MaterializeResult` per built model, seed and snapshot and `AssetCheckResult` per
        test, as dbt finishes them; then, if dbt failed, an error naming what failed."""
        for result in self.stream_node_results():
            item = self._to_event(result)
            if item is not None:
                yield item
        self._raise_if_failed()

    def wait(self) -> DbtCliInvocation:
        for _ in self.stream_node_results():
            pass
        self._raise_if_failed()
        return self

    def is_successful(self) -> bool:
        """Whether dbt exited with 0 (runs it to the end first, without raising)."""
        for _ in self.stream_node_results():
            pass
        return self.returncode == 0

    def get_artifact(self, name: str) -> dict[str, Any]:
        """A JSON artifact dbt wrote in the target folder (``run_results.json``, ...)."""
        path = self.project_dir / "target" / name
        with open(path, encoding="utf-8") as file:
            return json.load(file)

    # -- internals -------------------------------------------------------------------------

    def _finish(self) -> None:
        if self._finished:
            return
        try:
            self.returncode = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.returncode = self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._finished = True

    def _raise_if_failed(self) -> None:
        if not self.raise_on_error or self.returncode == 0:
            return
        failed = [r for r in self.results if r.status in _FAILED]
        lines = [
            f"{r.unique_id}: {r.status}" + (f" - {r.message}" if r.message else "") for r in failed
        ]
        if not lines:
            lines = self._errors[-8:] or error_lines("\n".join(self._plain)) or ["(no output)"]
        skipped = [r.unique_id for r in self.results if r.status == "skipped"]
        if skipped:
            lines.append(f"skipped because of the failures: {', '.join(skipped)}")
        details = "\n  ".join(lines)
        raise fr.ExecutionError(
            f"dbt {' '.join(self.args)} failed (exit code {self.returncode}) in "
            f"{self.project_dir}:\n  {details}"
        )

    def _to_event(self, result: DbtNodeResult) -> Any:
        info = self.info
        if info is None:
            return None
        if result.resource_type == "test":
            check = info.check_by_test_id.get(result.unique_id)
            if check is None or result.status not in _TEST_DONE:
                return None
            key, name, severity = check
            if self.selected_keys is not None and key not in self.selected_keys:
                return None
            metadata: dict[str, Any] = {"dbt/unique_id": result.unique_id}
            if result.failures is not None:
                metadata["failures"] = result.failures
            if result.execution_time is not None:
                metadata["execution_time_s"] = result.execution_time
            return fr.AssetCheckResult(
                passed=result.status == "pass",
                severity=(
                    fr.AssetCheckSeverity.WARN
                    if severity == "WARN"
                    else fr.AssetCheckSeverity.ERROR
                ),
                asset_key=key,
                check_name=name,
                metadata=metadata,
                description=result.message or None,
            )
        key = info.key_by_unique_id.get(result.unique_id)
        if key is None or result.status not in _BUILT:
            return None
        if self.selected_keys is not None and key not in self.selected_keys:
            return None
        metadata = {"dbt/unique_id": result.unique_id}
        if result.execution_time is not None:
            metadata["execution_time_s"] = result.execution_time
        if result.rows_affected is not None:
            metadata["rows_affected"] = result.rows_affected
        return fr.MaterializeResult(asset_key=key, metadata=metadata)


def _node_result(data: dict[str, Any]) -> DbtNodeResult | None:
    node = data.get("node_info") or {}
    run = data.get("run_result") or {}
    unique_id = node.get("unique_id") or run.get("unique_id")
    if not unique_id:
        return None
    response = run.get("adapter_response") or {}
    rows = response.get("rows_affected")
    failures = run.get("failures")
    execution_time = run.get("execution_time")
    return DbtNodeResult(
        unique_id=unique_id,
        resource_type=node.get("resource_type") or unique_id.split(".", 1)[0],
        status=str(run.get("status") or node.get("node_status") or "").lower(),
        execution_time=float(execution_time) if execution_time is not None else None,
        rows_affected=int(rows) if isinstance(rows, int | float) else None,
        failures=int(failures) if isinstance(failures, int | float) else None,
        message=(str(run["message"]).strip() if run.get("message") else None),
    )


class DbtCliResource(fr.ConfigurableResource):
    """Runs the dbt command line in ``project_dir`` (with ``profiles_dir`` and ``target``
    when given). ``cli(["build"], context=context)`` selects exactly the dbt nodes of the
    assets the run materializes."""

    project_dir: str
    profiles_dir: str | None = None
    target: str | None = None
    global_config_flags: list[str] = []

    def _project(self) -> DbtProject:
        return DbtProject(self.project_dir, profiles_dir=self.profiles_dir, target=self.target)

    def cli(
        self,
        args: Sequence[str],
        *,
        context: Any = None,
        raise_on_error: bool = True,
    ) -> DbtCliInvocation:
        project = self._project()
        info = dbt_assets_info(context.assets_def) if context is not None else None
        if context is not None and info is None:
            raise fr.ExecutionError(
                "DbtCliResource.cli(context=...) is for steps of a @dbt_assets definition; "
                f"{context.assets_def.node_name!r} is not one"
            )
        command = list(args)
        selected: frozenset[fr.AssetKey] | None = None
        if info is not None:
            selected = frozenset(context.selected_asset_keys)
            if not any(flag in command for flag in _SELECTION_FLAGS):
                command += _selection_flags(info, selected, set(context.assets_def.keys))
        full = [
            *self.global_config_flags,
            "--log-format",
            "json",
            "--log-level",
            "debug",
            *command,
            *_project_flags(project, command),
        ]
        process = subprocess.Popen(
            [dbt_executable(), *full],
            cwd=project.project_dir,
            env=dbt_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        return DbtCliInvocation(
            process=process,
            args=command,
            project_dir=project.project_dir,
            info=info,
            selected_keys=selected,
            raise_on_error=raise_on_error,
        )


def _project_flags(project: DbtProject, command: list[str]) -> list[str]:
    flags = project.cli_flags()
    given = set(command)
    out: list[str] = []
    for flag, value in zip(flags[::2], flags[1::2], strict=True):
        if flag not in given:
            out += [flag, value]
    return out


def _selection_flags(
    info: DbtAssetsInfo, selected: frozenset[fr.AssetKey], all_keys: set[fr.AssetKey]
) -> list[str]:
    if selected >= all_keys:
        flags = ["--select", info.select]
        if info.exclude:
            flags += ["--exclude", info.exclude]
        return flags
    by_key = info.unique_id_by_key()
    names = sorted(
        ".".join(info.manifest.nodes[by_key[key]].fqn) for key in selected if key in by_key
    )
    return ["--select", " ".join(names)]
