"""A file readylint needs could be read and parsed.

## What it does
Reports a file that readylint could not read, decode or parse: invalid YAML or JSON, a binary or
non-UTF-8 file with a manifest name, a duplicate mapping key, a file over the size limit, or a GitHub
settings snapshot that fails validation. The finding points at the parser's line and column.

## Why it matters
What a broken file would have said is unknown, so every rule that needed it is blind. Kubernetes
rejects the same file at apply time; finding it in review is cheaper.

## How to fix
Fix the syntax at the reported position (the message quotes the parser). For a template that is not
meant to be valid YAML, keep it under a chart's `templates/` folder or exclude its path.

## Example
```yaml fail
metadata:
  name: api
   labels: {}
```
```yaml pass
metadata:
  name: api
  labels: {}
```
"""
from readylint.registry import rule


@rule(code="RL001", slug="parse-error", scope="file", severity="error", confidence="high", evidence="R")
def check(index, opts):
    """Raised by the loaders, not by a pass over the model."""
    return ()
