"""Request DTOs of the emulated endpoints, encoded from GHL's OpenAPI documents (one module per API)."""
