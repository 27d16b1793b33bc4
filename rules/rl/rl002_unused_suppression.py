"""Every suppression matches a finding.

## What it does
Reports an `ignore.readylint.dev/<CODE>` annotation, a `# readylint: ignore[CODE]` comment, a config
`ignores:` entry or a baseline entry that waived nothing in this run.

## Why it matters
A stale waiver hides the next real problem of the same kind and misleads readers about what is
accepted. Removing it keeps the list of accepted risks honest.

## How to fix
Delete the suppression, or move it to the line or object the finding now points at.

## Example
```yaml fail
metadata:
  name: api
  annotations:
    ignore.readylint.dev/HA001: "singleton, leader-elected"   # but replicas: 3 already
spec:
  replicas: 3
```
```yaml pass
metadata:
  name: api
spec:
  replicas: 3
```
"""
from readylint.registry import rule


@rule(code="RL002", slug="unused-suppression", scope="file", severity="warning", confidence="high",
      evidence="R")
def check(index, opts):
    """Raised by the suppression pass after every rule has run."""
    return ()
