"""Asset and check keys: the identities everything else is indexed by."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from freshet.errors import InvalidDefinitionError

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


def check_name(name: str, what: str = "name") -> str:
    """Validate an asset/op/job name component; raise a clear error otherwise."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidDefinitionError(
            f"invalid {what} {name!r}: use letters, digits, '_' and '-' (not starting with '-')"
        )
    return name


class AssetKey:
    """The key of an asset: a non-empty tuple of names. User string form: ``"a/b"``.

    Keys are interned: one object per path, in every process (unpickling goes through the
    constructor). Equal keys are therefore the same object, so equality and hashing are
    identity's, done in C — graph work is mostly dict and set lookups of keys."""

    __slots__ = ("_user", "path")
    _interned: ClassVar[dict[tuple[str, ...], AssetKey]] = {}
    path: tuple[str, ...]

    def __new__(cls, path: str | Sequence[str]) -> AssetKey:
        parts: tuple[str, ...] = (path,) if isinstance(path, str) else tuple(path)
        found = cls._interned.get(parts)
        if found is not None:
            return found
        if not parts:
            raise InvalidDefinitionError("an AssetKey needs at least one path component")
        for part in parts:
            check_name(part, "asset key component")
        self = object.__new__(cls)
        object.__setattr__(self, "path", parts)
        object.__setattr__(self, "_user", "/".join(parts))
        # setdefault is atomic: two threads creating the same key get the same object
        return cls._interned.setdefault(parts, self)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("AssetKey is immutable")

    __hash__ = object.__hash__
    __eq__ = object.__eq__

    def __copy__(self) -> AssetKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> AssetKey:
        return self

    def __lt__(self, other: AssetKey) -> bool:
        return self.path < other.path

    def __le__(self, other: AssetKey) -> bool:
        return self.path <= other.path

    def __gt__(self, other: AssetKey) -> bool:
        return self.path > other.path

    def __ge__(self, other: AssetKey) -> bool:
        return self.path >= other.path

    def __reduce__(self) -> tuple[type[AssetKey], tuple[tuple[str, ...]]]:
        return (AssetKey, (self.path,))

    @classmethod
    def from_user_string(cls, text: str) -> AssetKey:
        return cls(tuple(text.strip().split("/")))

    @classmethod
    def from_coercible(cls, value: AssetKey | str | Sequence[str]) -> AssetKey:
        if isinstance(value, AssetKey):
            return value
        if isinstance(value, str):
            return cls.from_user_string(value)
        return cls(value)

    def to_user_string(self) -> str:
        return self._user

    def to_python_identifier(self) -> str:
        return "__".join(self.path).replace("-", "_")

    @property
    def name(self) -> str:
        return self.path[-1]

    def with_prefix(self, prefix: str | Sequence[str]) -> AssetKey:
        pre = (prefix,) if isinstance(prefix, str) else tuple(prefix)
        return AssetKey(pre + self.path)

    def has_prefix(self, prefix: Sequence[str]) -> bool:
        return self.path[: len(prefix)] == tuple(prefix)

    def __str__(self) -> str:
        return self.to_user_string()

    def __repr__(self) -> str:
        return f"AssetKey({self.to_user_string()!r})"


CoercibleToAssetKey = AssetKey | str | Sequence[str]


@dataclass(frozen=True, slots=True, order=True)
class AssetCheckKey:
    """A check on an asset, identified by the asset and the check's name."""

    asset_key: AssetKey
    name: str

    def to_user_string(self) -> str:
        return f"{self.asset_key.to_user_string()}:{self.name}"

    def __str__(self) -> str:
        return self.to_user_string()
