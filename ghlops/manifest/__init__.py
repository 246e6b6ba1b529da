"""Reading manifests: YAML with source positions, ${ENV} interpolation and one-line validation errors."""
