"""The versioned report data model and the writers that render it (JSON, JUnit XML, Markdown)."""
