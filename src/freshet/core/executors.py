"""Executor definitions: which executor runs a run's steps, and its settings, as plain values.

`in_process_executor`, `multiprocess_executor` and `dask_executor` are used bare (defaults) or
called with keyword arguments (`multiprocess_executor(max_concurrent=4)`), which returns a
configured copy. A run config section `execution: {multiprocess: {max_concurrent: 4}}` names
one the same way. The executors themselves live in `freshet.execution.executors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from freshet.errors import ConfigError, DefinitionsError


class ExecutorKind(StrEnum):
    IN_PROCESS = "in_process"
    MULTIPROCESS = "multiprocess"
    DASK = "dask"


@dataclass(frozen=True, slots=True)
class _Field:
    kind: type | tuple[type, ...]
    default: Any
    minimum: int | None = None
    nullable: bool = False
    choices: tuple[str, ...] | None = None
    doc: str = ""


_FIELDS: dict[ExecutorKind, dict[str, _Field]] = {
    ExecutorKind.IN_PROCESS: {},
    ExecutorKind.MULTIPROCESS: {
        "max_concurrent": _Field(
            int, None, minimum=1, nullable=True, doc="steps run at once (default: CPU count)"
        ),
        "start_method": _Field(
            str,
            None,
            nullable=True,
            choices=("fork", "forkserver", "spawn"),
            doc="'fork', 'forkserver' or 'spawn' (default: see docs)",
        ),
    },
    ExecutorKind.DASK: {
        "address": _Field(str, None, nullable=True, doc="a running scheduler's address"),
        "n_workers": _Field(int, 2, minimum=1, doc="workers of the LocalCluster it starts"),
        "threads_per_worker": _Field(int, 1, minimum=1, doc="threads of each such worker"),
        "timeout": _Field(
            (int, float), 10, minimum=1, doc="seconds to wait for the scheduler to answer"
        ),
    },
}
_PUBLIC_NAMES = {
    ExecutorKind.IN_PROCESS: "in_process_executor",
    ExecutorKind.MULTIPROCESS: "multiprocess_executor",
    ExecutorKind.DASK: "dask_executor",
}


def _config_problems(kind: ExecutorKind, config: Mapping[str, Any], where: str) -> list[str]:
    fields = _FIELDS[kind]
    problems = []
    for name, value in config.items():
        spec = fields.get(name)
        if spec is None:
            valid = ", ".join(fields) or "none"
            problems.append(f"{where}: unknown setting {name!r} of the {kind} executor (valid: {valid})")
            continue
        if value is None and spec.nullable:
            continue
        if isinstance(value, bool) or not isinstance(value, spec.kind):
            wanted = " or ".join(
                t.__name__ for t in (spec.kind if isinstance(spec.kind, tuple) else (spec.kind,))
            )
            problems.append(f"{where}.{name}: expected {wanted}, got {value!r}")
            continue
        if spec.minimum is not None and value < spec.minimum:
            problems.append(f"{where}.{name}: must be at least {spec.minimum}, got {value!r}")
        if spec.choices is not None and value not in spec.choices:
            problems.append(f"{where}.{name}: must be one of {', '.join(spec.choices)}, got {value!r}")
    return problems


@dataclass(frozen=True, slots=True)
class ExecutorDefinition:
    """An executor kind with its settings. Call it with keyword arguments for a configured
    copy: `multiprocess_executor(max_concurrent=4)`."""

    kind: ExecutorKind
    config: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, **settings: Any) -> ExecutorDefinition:
        where = f"{_PUBLIC_NAMES[self.kind]}(...)"
        problems = _config_problems(self.kind, settings, where)
        if problems:
            raise DefinitionsError("; ".join(problems))
        return replace(self, config={**self.config, **settings})

    def configured(self, config: Mapping[str, Any]) -> ExecutorDefinition:
        """The same as calling it with `config`'s items as keyword arguments."""
        return self(**config)

    @property
    def name(self) -> str:
        return self.kind.value

    def setting(self, name: str) -> Any:
        """A setting's value, or its default."""
        if name in self.config:
            return self.config[name]
        return _FIELDS[self.kind][name].default

    def to_json_dict(self) -> dict[str, Any]:
        """The run-config form: ``{"multiprocess": {"max_concurrent": 4}}``."""
        return {self.kind.value: dict(self.config)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"{_PUBLIC_NAMES[self.kind]}({args})" if args else _PUBLIC_NAMES[self.kind]


in_process_executor = ExecutorDefinition(ExecutorKind.IN_PROCESS)
multiprocess_executor = ExecutorDefinition(ExecutorKind.MULTIPROCESS)
dask_executor = ExecutorDefinition(ExecutorKind.DASK)


def check_executor(value: Any, where: str) -> str | None:
    """None when `value` is None or an executor definition; else what is wrong with it."""
    if value is None or isinstance(value, ExecutorDefinition):
        return None
    known = ", ".join(f"fr.{n}" for n in _PUBLIC_NAMES.values())
    if isinstance(value, str):
        if value in ExecutorKind._value2member_map_:
            hint = _PUBLIC_NAMES[ExecutorKind(value)]
            return f"{where}: {value!r} is a name, not an executor; use fr.{hint}"
        return f"{where}: unknown executor {value!r} (known: {known})"
    return f"{where}: {value!r} is not an executor (known: {known})"


def executor_from_run_config(execution: Mapping[str, Any] | None) -> ExecutorDefinition | None:
    """The executor a run config's ``execution`` section names, or None when it names none.

    The section holds one key, the executor's name, mapped to its settings:
    ``{"multiprocess": {"max_concurrent": 4}}``; raises `ConfigError` naming what is wrong."""
    if not execution:
        return None
    if len(execution) != 1:
        raise ConfigError(
            [f"execution: name exactly one executor (one of {', '.join(ExecutorKind)}), "
             f"got {', '.join(map(str, execution))}"]
        )
    (name, settings), = execution.items()
    if name not in ExecutorKind._value2member_map_:
        raise ConfigError(
            [f"execution.{name}: unknown executor {name!r} (known: {', '.join(ExecutorKind)})"]
        )
    kind = ExecutorKind(name)
    settings = {} if settings is None else settings
    if not isinstance(settings, Mapping):
        raise ConfigError([f"execution.{name}: expected a mapping of settings, got {settings!r}"])
    if set(settings) == {"config"} and isinstance(settings["config"], Mapping):
        settings = settings["config"]  # the `{name: {config: {...}}}` shape is accepted too
    problems = _config_problems(kind, settings, f"execution.{name}")
    if problems:
        raise ConfigError(problems)
    return ExecutorDefinition(kind, dict(settings))
