"""The Excel pipeline: safety checks, the reader (and its worker process), cell parsers, validation, import with history and revert, the template and the exports."""
