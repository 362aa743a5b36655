"""The apply engine: render system files from the document, reload what changed."""
