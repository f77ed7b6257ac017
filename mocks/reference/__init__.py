"""The bundled reference gateway: the documented AI API over the mock providers, with switchable defects."""

from __future__ import annotations

from aigw_conformance.mocks.reference.app import create_app
from aigw_conformance.mocks.reference.defects import DEFECTS, QUIRKS
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.stack import ReferenceStack

__all__ = ["DEFECTS", "QUIRKS", "GatewaySettings", "ReferenceStack", "create_app"]
