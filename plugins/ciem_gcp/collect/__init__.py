"""Reading the export layout of docs/gcp-export-layout.md, and collecting it live."""
