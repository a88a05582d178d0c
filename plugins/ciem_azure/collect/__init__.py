"""Azure collection: the export folder layout (docs/azure-export-layout.md) and live collection."""
