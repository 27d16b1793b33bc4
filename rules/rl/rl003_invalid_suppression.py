"""Every suppression is well formed, has a reason and has not expired.

## What it does
Reports a suppression that readylint will not honour: no reason, an unknown code or slug, a
malformed comment, or a config ignore past its `expires` date. The finding it meant to waive stays.

## Why it matters
A waiver without a reason cannot be reviewed, and an expired one was meant to be revisited.

## How to fix
Give the suppression a reason after the code (`# readylint: ignore[HA001] leader-elected singleton`),
correct the code, or renew or delete the expired entry.

## Example
```yaml fail
metadata:
  annotations:
    ignore.readylint.dev/HA001: ""
```
```yaml pass
metadata:
  annotations:
    ignore.readylint.dev/HA001: "leader-elected singleton; see ADR-12"
```
"""
from readylint.registry import rule


@rule(code="RL003", slug="invalid-suppression", scope="file", severity="warning", confidence="high",
      evidence="R")
def check(index, opts):
    """Raised by the suppression pass."""
    return ()
