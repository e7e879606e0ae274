"""`DbtProject`: where a dbt project lives, and preparing its manifest (``dbt parse``)."""

from __future__ import annotations

import os
from pathlib import Path

import freshet as fr
from freshet.integrations.dbt.process import run_dbt_to_completion


class DbtProject:
    """A dbt project folder (with its ``dbt_project.yml``), the folder of its
    ``profiles.yml`` (default: the project folder when it has one, else dbt's own default)
    and the target to use. ``manifest_path`` is ``<project>/<target_path>/manifest.json``;
    `prepare_if_missing` runs ``dbt parse`` to write it when it does not exist."""

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        profiles_dir: str | os.PathLike[str] | None = None,
        target: str | None = None,
        target_path: str = "target",
    ) -> None:
        path = Path(project_dir).expanduser().resolve()
        if not path.is_dir():
            raise fr.DefinitionsError(f"dbt project directory {path} does not exist")
        if not (path / "dbt_project.yml").is_file():
            raise fr.DefinitionsError(f"{path} is not a dbt project: it has no dbt_project.yml")
        if profiles_dir is None and (path / "profiles.yml").is_file():
            profiles_dir = path
        if profiles_dir is not None:
            profiles = Path(profiles_dir).expanduser().resolve()
            if not profiles.is_dir():
                raise fr.DefinitionsError(f"dbt profiles directory {profiles} does not exist")
            profiles_dir = profiles
        self.project_dir: Path = path
        self.profiles_dir: Path | None = profiles_dir  # type: ignore[assignment]
        self.target = target
        self.target_path = target_path

    def __repr__(self) -> str:
        return f"DbtProject({str(self.project_dir)!r})"

    @property
    def manifest_path(self) -> Path:
        return self.project_dir / self.target_path / "manifest.json"

    def cli_flags(self) -> list[str]:
        """The flags that point dbt at this project, its profiles and target."""
        flags = ["--project-dir", str(self.project_dir)]
        if self.profiles_dir is not None:
            flags += ["--profiles-dir", str(self.profiles_dir)]
        if self.target is not None:
            flags += ["--target", self.target]
        return flags

    def prepare(self) -> Path:
        """Run ``dbt parse`` to (re)write the manifest; return its path."""
        run_dbt_to_completion(
            ["parse", *self.cli_flags(), "--target-path", self.target_path],
            cwd=self.project_dir,
            what=f"dbt parse of {self.project_dir}",
        )
        if not self.manifest_path.is_file():
            raise fr.DefinitionsError(
                f"dbt parse of {self.project_dir} wrote no manifest at {self.manifest_path}"
            )
        return self.manifest_path

    def prepare_if_missing(self) -> Path:
        """The manifest path, running ``dbt parse`` first when the manifest does not exist."""
        if self.manifest_path.is_file():
            return self.manifest_path
        return self.prepare()
