"""The bundled reference gateway: the documented AI API over the mock providers, with switchable defects."""

from __future__ import annotations

from mocks.reference.app import create_app
from mocks.reference.defects import DEFECTS, QUIRKS
from mocks.reference.settings import GatewaySettings
from mocks.reference.stack import ReferenceStack

__all__ = ["DEFECTS", "QUIRKS", "GatewaySettings", "ReferenceStack", "create_app"]
