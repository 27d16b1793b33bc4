"""The four suppression forms and the baseline (rules.md 0.6), and the RL002/RL003 they produce.

This is the only module that knows how a finding gets waived. Every waiver needs a reason; one
without is not honoured (RL003), and one that waives nothing is reported (RL002).
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import re
from dataclasses import dataclass, field

from .findings import Finding, Location, Suppression
from .registry import find_rule, resolve_selector

INLINE = re.compile(r"(?:#|<!--)\s*readylint:\s*(?P<rest>.*?)\s*(?:-->)?\s*$")
INLINE_IGNORE = re.compile(r"ignore\[(?P<codes>[^\]]*)\]\s*(?P<reason>.*)$")


@dataclass
class Waiver:
    """One suppression as written: which codes, why, where, and whether it waived anything."""

    kind: str  # annotation | inline | config | baseline
    codes: set
    reason: str
    location: Location
    used: bool = False
    valid: bool = True
    match: dict = field(default_factory=dict)  # config ignores: paths / objects; baseline: fingerprint

    def suppression(self) -> Suppression:
        return Suppression(self.kind, self.reason, self.location)


def _rl(code, message, location, subject="") -> Finding:
    meta = find_rule(code)
    return Finding(code=code, slug=meta.slug, level=meta.severity, message=message, location=location,
                   subject=subject or f"file:{location.path}", key_path=f"line-{location.line}")


class Suppressor:
    """Collects waivers, applies them to findings, and reports the unused and invalid ones."""

    def __init__(self, ran_codes: set, today: _dt.date | None = None):
        self.ran = ran_codes
        self.today = today or _dt.date.today()
        self.waivers: list[Waiver] = []
        self.problems: list[Finding] = []
        self._by_subject: dict[str, list[Waiver]] = {}
        self._by_file_line: dict[tuple[str, int], list[Waiver]] = {}
        self._seen: set = set()

    # -- collecting ---------------------------------------------------------------------------------------

    def _codes(self, text, location, what) -> set | None:
        codes: set = set()
        for token in re.split(r"[,\s]+", text.strip()):
            if not token:
                continue
            named = resolve_selector(token) if token.upper() != "ALL" else None
            if not named:
                self.problems.append(_rl("RL003", f"{what} names '{token}', which is not a readylint rule "
                                                  "code or slug; it is not honoured.", location))
                return None
            codes |= named
        if not codes:
            self.problems.append(_rl("RL003", f"{what} names no rule; write ignore[CODE] with a code or slug.",
                                     location))
            return None
        return codes

    def _reason_ok(self, reason, location, what) -> bool:
        if isinstance(reason, str) and reason.strip():
            return True
        self.problems.append(_rl("RL003", f"{what} has no reason, so it is not honoured; add one explaining "
                                          "why the finding is accepted.", location))
        return False

    def add_annotation(self, subject_key: str, code_text: str, reason, location: Location) -> None:
        where = (location.path, location.line, location.col)
        if where in self._seen:  # the same annotation reached through two subjects
            for waiver in self.waivers:
                if waiver.kind == "annotation" and (waiver.location.path, waiver.location.line,
                                                     waiver.location.col) == where:
                    self._by_subject.setdefault(subject_key, []).append(waiver)
            return
        self._seen.add(where)
        what = f"The annotation ignore.readylint.dev/{code_text}"
        codes = self._codes(code_text, location, what)
        if codes is None or not self._reason_ok(reason, location, what):
            return
        waiver = Waiver("annotation", codes, str(reason).strip(), location)
        self.waivers.append(waiver)
        self._by_subject.setdefault(subject_key, []).append(waiver)

    def add_inline_comments(self, path: str, text: str) -> None:
        if "readylint:" not in text:
            return
        for number, line in enumerate(text.splitlines(), start=1):
            if "readylint:" not in line:
                continue
            match = INLINE.search(line)
            if not match:
                continue
            col = line.index("readylint:") + 1
            location = Location(path, number, col, len(line) + 1)
            ignore = INLINE_IGNORE.match(match.group("rest"))
            if not ignore:
                self.problems.append(_rl("RL003", "Malformed readylint comment; write "
                                                  "'# readylint: ignore[CODE] reason'.", location))
                continue
            what = f"The comment ignore[{ignore.group('codes')}]"
            codes = self._codes(ignore.group("codes"), location, what)
            if codes is None or not self._reason_ok(ignore.group("reason"), location, what):
                continue
            waiver = Waiver("inline", codes, ignore.group("reason").strip(), location)
            self.waivers.append(waiver)
            for target in (number, number + 1):
                self._by_file_line.setdefault((path, target), []).append(waiver)

    def add_config_ignores(self, entries, config_path: str, positions) -> None:
        for i, entry in enumerate(entries):
            line = positions["ignores"].ipos[i][0] if positions is not None and "ignores" in positions else 1
            location = Location(config_path or ".readylint.yaml", line, 1)
            what = f"The config ignore #{i + 1}"
            named = entry.get("rules")
            codes = self._codes(",".join(named), location, what) if named else {m.code for m in _all_codes()}
            if codes is None or not self._reason_ok(entry.get("reason"), location, what):
                continue
            expires = entry.get("expires")
            if expires and _dt.date.fromisoformat(str(expires)) < self.today:
                self.problems.append(_rl("RL003", f"{what} expired on {expires}, so it is no longer honoured; "
                                                  "renew or remove it.", location))
                continue
            match = {"paths": list(entry.get("paths", [])), "objects": list(entry.get("objects", []))}
            self.waivers.append(Waiver("config", codes, str(entry["reason"]).strip(), location, match=match))

    def add_baseline(self, entries, baseline_path: str, text: str) -> None:
        for entry in entries:
            fingerprint = str(entry.get("fingerprint", ""))
            line = text[: text.find(fingerprint)].count("\n") + 1 if fingerprint and fingerprint in text else 1
            location = Location(baseline_path, line, 1)
            reason = str(entry.get("reason") or "").strip() or "accepted in the baseline"
            code = str(entry.get("code", ""))
            self.waivers.append(Waiver("baseline", {code} if code else set(), reason, location,
                                       match={"fingerprint": fingerprint}))

    # -- applying -----------------------------------------------------------------------------------------

    def apply(self, findings: list[Finding]) -> list[Finding]:
        out = []
        for finding in findings:
            waiver = self._find(finding)
            if waiver is not None:
                waiver.used = True
                finding = finding.waived(waiver.suppression())
            out.append(finding)
        return out

    def _find(self, finding: Finding) -> Waiver | None:
        tool_finding = finding.code.startswith("RL")
        if not tool_finding:
            for waiver in self._by_subject.get(finding.subject, ()):
                if finding.code in waiver.codes:
                    return waiver
            inline = [waiver for where in _inline_targets(finding) for waiver in self._by_file_line.get(where, ())
                      if finding.code in waiver.codes]
            for waiver in inline[1:]:  # the template's comment and its rendered copy are one waiver
                waiver.used = True
            if inline:
                return inline[0]
        for waiver in self.waivers:
            if waiver.kind == "config" and finding.code in waiver.codes and _config_matches(waiver.match, finding):
                return waiver
        baseline = [waiver for waiver in self.waivers if waiver.kind == "baseline"] if not tool_finding else ()
        if baseline:  # a fingerprint is a hash: computed only when a baseline is there to match it
            fingerprint = finding.fingerprint
            for waiver in baseline:
                if waiver.match["fingerprint"] == fingerprint:
                    return waiver
        return None

    def unused(self) -> list[Finding]:
        """RL002 for waivers of rules that ran but waived nothing."""
        out = []
        for waiver in self.waivers:
            if waiver.used or not (waiver.codes & self.ran):
                continue
            codes = ", ".join(sorted(waiver.codes)) if len(waiver.codes) <= 3 else "its rules"
            form = {"annotation": "annotation", "inline": "comment", "config": "config ignore",
                    "baseline": "baseline entry"}[waiver.kind]
            out.append(_rl("RL002", f"This {form} suppresses {codes}, but nothing here was reported for it; "
                                    "remove it or move it to the finding it was meant for.", waiver.location))
        return out


def _all_codes():
    from .registry import all_rules

    return all_rules()


def _inline_targets(finding: Finding) -> list[tuple[str, int]]:
    """The finding's line and, for Helm findings, the rendered line it came from (rules.md 0.6)."""
    targets = [(finding.location.path, finding.location.line)]
    rendered = finding.properties.get("renderedLocation") or {}
    if "path" in rendered:
        targets.append((rendered["path"], rendered["line"]))
    return targets


def _config_matches(match: dict, finding: Finding) -> bool:
    paths = match.get("paths") or []
    where = [path for path, _ in _inline_targets(finding)]
    if paths and not any(fnmatch.fnmatchcase(path, glob) for glob in paths for path in where):
        return False
    objects = match.get("objects") or []
    if objects:
        if not finding.subject.startswith("k8s:"):
            return False
        parts = finding.subject[4:].split("/")
        kind, namespace, name = parts[-3], parts[-2], parts[-1]
        if not any(fnmatch.fnmatchcase(kind, o.get("kind", "*")) and
                   fnmatch.fnmatchcase(namespace, o.get("namespace", "*")) and
                   fnmatch.fnmatchcase(name, o.get("name", "*")) for o in objects):
            return False
    return True


def read_baseline(path: str) -> tuple[list, str]:
    """Entries and text of a baseline file; raises ValueError with a message when it is not one."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError("not a readylint baseline (expected an object with a 'findings' list)")
    return data["findings"], text


def write_baseline(path: str, findings: list[Finding], reason: str) -> int:
    entries = [{"code": f.code, "fingerprint": f.fingerprint, "path": f.location.path, "reason": reason,
                "subject": f.subject} for f in findings if f.suppressed_by is None and not f.code.startswith("RL")]
    entries.sort(key=lambda e: (e["path"], e["code"], e["subject"], e["fingerprint"]))
    unique = list({e["fingerprint"]: e for e in entries}.values())
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"findings": unique, "schema": "readylint-baseline/v1"}, handle, indent=2, sort_keys=True)
        handle.write("\n")
    return len(unique)
