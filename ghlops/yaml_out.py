"""Old import path of :mod:`ghlops.manifest.yaml_out`: YAML writing now sits next to YAML reading."""

from ghlops.manifest.yaml_out import dump_documents, to_yaml

__all__ = ["dump_documents", "to_yaml"]
