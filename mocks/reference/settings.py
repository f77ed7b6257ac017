"""The reference gateway's configuration: credentials, upstream mocks, defects and quirks."""

from __future__ import annotations

from dataclasses import dataclass, field

from mocks.reference.defects import DEFECTS, QUIRKS, checked


@dataclass(frozen=True)
class GatewaySettings:
    """Everything `create_app` needs; unknown defect or quirk names raise ValueError."""

    token: str = "dev-token"
    api_key: str = "dev-key"
    api_secret: str = "dev-secret"
    upstreams: dict[str, str] = field(default_factory=dict)  # provider name → base URL ending in /v1
    defects: frozenset[str] = frozenset()
    quirks: frozenset[str] = frozenset()
    upstream_timeout_s: float = 30.0
    upstream_api_key: str = "sk-reference-gateway"  # sent upstream as `Authorization: Bearer ...`
    max_body_bytes: int = 32 * 1024 * 1024
    forward_headers: frozenset[str] = frozenset()  # request headers copied upstream (the mocks' x-mock-*)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defects", checked(self.defects, DEFECTS, "defect"))
        object.__setattr__(self, "quirks", checked(self.quirks, QUIRKS, "quirk"))
        object.__setattr__(self, "forward_headers", frozenset(name.lower() for name in self.forward_headers))
        object.__setattr__(self, "upstreams", {name: url.rstrip("/") for name, url in self.upstreams.items()})
        if self.upstream_timeout_s <= 0:
            raise ValueError(f"upstream_timeout_s must be positive, got {self.upstream_timeout_s}")

    def has(self, defect: str) -> bool:
        """Whether `defect` is switched on; a typo in the code is a bug, so it raises."""
        if defect not in DEFECTS:
            raise KeyError(f"no defect named {defect!r}")
        return defect in self.defects
