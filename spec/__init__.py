"""The OpenAPI description of the gateways under test, derived from the vendor documents in `seeds/`."""
