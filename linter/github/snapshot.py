"""`readylint snapshot github`: record a repository's GitHub settings into one offline JSON file.

The only networked code of readylint. PyGithub (imported lazily, from the `github` extra) does the HTTP,
authentication, retries and error classification. Every endpoint goes through its requester, because
released PyGithub lacks the ruleset endpoints (PyGithub#2718) and its objects add fields to what GitHub
sent, while the snapshot must hold each body as received. Every response is stored with its HTTP status, so that
"the token could not read this" (403, 404) stays distinct from "not configured". 401, rate limits,
network failures and 5xx after retries abort with SnapshotError: nothing is written then, so a partial
file never passes for a complete one. List endpoints (branches, rulesets, branch rules, environments) are
followed through their `Link: rel="next"` pages and stored as one body, so a long list is never cut at the first
page; a page the token cannot read makes the whole entry unreadable rather than short. The token comes from the
caller (GITHUB_TOKEN) and is never written, printed or put into a message.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import os
import re
import tempfile
from urllib.parse import quote, urlsplit

from .. import __version__

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_OUT = os.path.join(".readylint", "github-settings.json")
MAX_PAGES = 100  # 10,000 items at per_page=100: beyond that the list is refused rather than cut
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
# Fine-grained permission named in token.missing when an endpoint answers 403 (integrations.md N2).
NEEDS = {"protection": "administration:read", "rules": "metadata:read", "rulesets": "metadata:read",
         "ruleset": "metadata:read", "environments": "actions:read", "codeowners_errors": "contents:read",
         "code_scanning_default_setup": "security_events:read", "branch": "contents:read"}


class SnapshotError(Exception):
    """The snapshot cannot be taken (bad token, rate limit, network): one line for the user, exit 2."""


def token_kind(token: str) -> str:
    """What kind of token it is, from its documented prefix (the token itself is never stored)."""
    if token.startswith("github_pat_"):
        return "fine-grained"
    if token.startswith(("ghp_", "gho_")):
        return "classic"
    if token.startswith("ghs_"):
        return "actions" if os.environ.get("GITHUB_ACTIONS") == "true" else "app"
    if token.startswith("ghu_"):
        return "app"
    return "unknown"


class _Recorder:
    """Fetches endpoints, turning each answer into an entry and each fatal failure into SnapshotError."""

    def __init__(self, gh, full_name: str, api_url: str):
        self.gh = gh
        self.requester = gh.requester
        self.full_name = full_name
        self.api_url = api_url
        self.endpoints: dict[str, dict] = {}
        self.missing: set[str] = set()
        self.unknown: list[str] = []

    def fetch(self, key: str, path: str, paged: bool = False):
        """GET ``path`` (every page when ``paged``) and record the answer under ``key``; the body when it is 200,
        else None."""
        from github import BadCredentialsException, GithubException, RateLimitExceededException
        from requests.exceptions import RequestException, RetryError

        try:
            body, pages = self._get_pages(path) if paged else (self._get(path)[0], 1)
            self.endpoints[key] = {"path": path, "status": 200, "body": body}
            if pages > 1:
                self.endpoints[key]["pages"] = pages
            return body
        except RateLimitExceededException as exc:
            reset = (exc.headers or {}).get("x-ratelimit-reset") or (exc.headers or {}).get("X-RateLimit-Reset")
            when = ""
            if reset and str(reset).isdigit():
                when = " until " + _dt.datetime.fromtimestamp(int(reset), _dt.timezone.utc).strftime("%H:%M UTC")
            raise SnapshotError(f"GitHub rate limit reached while reading {path}; wait{when or ' a while'} and "
                                "run the snapshot again (nothing was written)") from None
        except BadCredentialsException:
            raise SnapshotError("GitHub rejected the token (401 Bad credentials): set GITHUB_TOKEN to a valid "
                                "token (nothing was written)") from None
        except GithubException as exc:
            status = int(exc.status or 0)
            if status >= 500 or status in (0, 401, 429):
                raise SnapshotError(f"GitHub answered {status} for {path} after retries; try again later "
                                    "(nothing was written)") from None
            message = exc.data.get("message") if isinstance(exc.data, dict) else None
            entry = {"path": path, "status": status, "body": None}
            if message:
                entry["message"] = str(message)[:500]
            self.endpoints[key] = entry
            if status == 403:
                self.missing.add(NEEDS.get(key.split(".", 1)[0], "unknown"))
            return None
        except RetryError:
            raise SnapshotError(f"GitHub kept answering {path} with server errors (5xx) after retries; try again "
                                "later (nothing was written)") from None
        except RequestException as exc:
            raise SnapshotError(f"cannot reach {self.api_url} ({_network_reason(exc)}); nothing was written") from None


    def _get_pages(self, path: str):
        """Every page of a list endpoint, following `Link: rel="next"`: (joined body, number of pages)."""
        body, headers = self._get(path)
        pages, seen = 1, {path}
        while (following := self._next_page(headers, path)) is not None and following not in seen:
            if pages >= MAX_PAGES:
                raise SnapshotError(f"{path} has more than {MAX_PAGES} pages of 100; nothing was written")
            seen.add(following)
            more, headers = self._get(following)
            body = _join_pages(body, more, path)
            pages += 1
        return body, pages

    def _next_page(self, headers: dict, path: str) -> str | None:
        """The next page's path below the API URL, or None; a link to another server is refused (the token
        would follow it)."""
        match = _NEXT.search(str((headers or {}).get("link") or ""))
        if match is None:
            return None
        link, api = urlsplit(match.group(1)), urlsplit(self.api_url)
        prefix = api.path.rstrip("/")
        if (link.scheme, link.netloc) != (api.scheme, api.netloc) or not link.path.startswith(prefix + "/"):
            raise SnapshotError(f"GitHub's next-page link for {path} leaves {self.api_url}; check --api-url "
                                "(nothing was written)")
        return link.path[len(prefix):] + (f"?{link.query}" if link.query else "")

    def _get(self, path: str):
        """GET through PyGithub's requester, keeping the body exactly as GitHub sent it: (body, headers)."""
        status, headers, output = self.requester.requestJson("GET", self.api_url + path, headers=HEADERS)
        try:
            data = json.loads(output) if output else None
        except ValueError:
            if status < 400:
                raise SnapshotError(f"GitHub answered {path} with something that is not JSON; check --api-url "
                                    "(nothing was written)") from None
            data = None
        if status >= 400:
            raise self.requester.createException(status, headers, data if isinstance(data, dict) else {})
        return data, headers


def _join_pages(body, more, path: str):
    """One body from two pages: lists are concatenated; for an object (environments) its lists are."""
    if isinstance(body, list) and isinstance(more, list):
        return body + more
    if isinstance(body, dict) and isinstance(more, dict):
        joined = dict(body)
        for name, value in more.items():
            if isinstance(value, list) and isinstance(joined.get(name), list):
                joined[name] = joined[name] + value
        return joined
    raise SnapshotError(f"GitHub answered the pages of {path} with different shapes; nothing was written")


def _network_reason(exc) -> str:
    """The kind of network failure, without echoing request details."""
    from requests.exceptions import ConnectionError, Timeout

    if isinstance(exc, Timeout):
        return "timed out"
    if isinstance(exc, ConnectionError):
        return "connection failed"
    return type(exc).__name__


def _client(token: str, api_url: str):
    from github import Auth, Github
    from urllib3.util.retry import Retry

    retry = Retry(total=3, connect=2, read=2, backoff_factor=0.3, status_forcelist=(500, 502, 503, 504),
                  allowed_methods=frozenset({"GET"}), raise_on_status=True)
    return Github(auth=Auth.Token(token), base_url=api_url, retry=retry, timeout=20,
                  seconds_between_requests=None)


def take(full_name: str, token: str, *, branches=(), globs=(), api_url: str = DEFAULT_API_URL,
         now: _dt.datetime | None = None) -> dict:
    """Read every endpoint of integrations.md N2 and return the snapshot document (not yet written)."""
    if full_name.count("/") != 1 or not all(full_name.split("/")):
        raise SnapshotError(f"'{full_name}' is not OWNER/REPO")
    api_url = api_url.rstrip("/")
    gh = _client(token, api_url)
    rec = _Recorder(gh, full_name, api_url)
    base = f"/repos/{full_name}"
    repo = rec.fetch("repo", base)
    if repo is None:
        status = rec.endpoints["repo"]["status"]
        raise SnapshotError(f"cannot read {full_name} (GitHub answered {status}): check the name and that the "
                            "token can read the repository (nothing was written)")
    default = str(repo.get("default_branch") or "main")
    names = [default] + [b for b in branches if b != default]
    if globs:
        rec.fetch("branches", f"{base}/branches?per_page=100", paged=True)
        listing = rec.endpoints.pop("branches")
        if listing["status"] != 200:  # the github.branches globs cannot be matched
            rec.unknown.append("branches")
        listed = listing.get("body") or []
        for item in listed:
            name = str(item.get("name", "")) if isinstance(item, dict) else ""
            if name and name not in names and any(fnmatch.fnmatchcase(name, g) for g in globs):
                names.append(name)
    for name in names:
        quoted = quote(name, safe="")
        branch = rec.fetch(f"branch.{name}", f"{base}/branches/{quoted}")
        rec.fetch(f"protection.{name}", f"{base}/branches/{quoted}/protection")
        if rec.endpoints[f"protection.{name}"]["status"] == 403 and not (
                isinstance(branch, dict) and branch.get("protected") is False):
            rec.unknown.append(f"protection.{name}")
        rec.fetch(f"rules.{name}", f"{base}/rules/branches/{quoted}?per_page=100", paged=True)
        if rec.endpoints[f"rules.{name}"]["status"] != 200:
            rec.unknown.append(f"rules.{name}")
    listing = rec.fetch("rulesets", f"{base}/rulesets?includes_parents=true&per_page=100", paged=True)
    ids = [item.get("id") for item in listing or () if isinstance(item, dict)]
    for name in names:
        for item in rec.endpoints[f"rules.{name}"].get("body") or ():
            if isinstance(item, dict) and item.get("ruleset_id") not in ids:
                ids.append(item.get("ruleset_id"))
    for ruleset_id in ids:
        if not isinstance(ruleset_id, int):
            continue
        detail = rec.fetch(f"ruleset.{ruleset_id}", f"{base}/rulesets/{ruleset_id}?includes_parents=true")
        if detail is None:
            rec.unknown.append(f"ruleset.{ruleset_id}")
        elif "bypass_actors" not in detail:
            rec.unknown.append(f"ruleset.{ruleset_id}/bypass_actors")
            rec.missing.add("administration:write (ruleset bypass actors)")
    if rec.fetch("environments", f"{base}/environments?per_page=100", paged=True) is None:
        rec.unknown.append("environments")
    rec.fetch("codeowners_errors", f"{base}/codeowners/errors")
    rec.fetch("code_scanning_default_setup", f"{base}/code-scanning/default-setup")
    if "security_and_analysis" not in repo:
        rec.unknown.append("repo/security_and_analysis")
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return {
        "schema": "readylint-github-settings/v1",
        "taken_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "writer": f"readylint {__version__}",
        "api_url": api_url,
        "repo": str(repo.get("full_name") or full_name),
        "default_branch": default,
        "branches": names,
        "requested_branches": [b for b in dict.fromkeys(branches) if b != default],
        "token": {"kind": token_kind(token), "missing": sorted(rec.missing)},
        "endpoints": rec.endpoints,
        "unknown": sorted(set(rec.unknown)),
    }


def render(document: dict) -> str:
    """Pretty-printed, sorted keys, two-space indent and a final newline: stable lines for SARIF."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(document: dict, out: str) -> None:
    """Validate against the shipped schema, then replace ``out`` atomically (never a partial file)."""
    from ..model.github_snapshot import validation_errors

    errors = validation_errors(document)
    if errors:
        error = errors[0]
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        raise SnapshotError(f"the snapshot does not match its schema at {pointer}: {error.message} "
                            "(nothing was written; please report this)")
    text = render(document)
    folder = os.path.dirname(os.path.abspath(out))
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".github-settings.", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, out)
    except OSError as exc:
        raise SnapshotError(f"{out}: cannot write: {exc.strerror or exc}") from None


def summary(document: dict) -> list[str]:
    """Lines for the user: what was recorded and what the token could not read."""
    lines = [f"recorded {len(document['endpoints'])} GitHub responses for {document['repo']} "
             f"(branches: {', '.join(document['branches'])})"]
    gone = [b for b in document["branches"] if document["endpoints"].get(f"branch.{b}", {}).get("status") == 404]
    if gone:
        lines.append("no such branch (recorded as missing): " + ", ".join(gone))
    if document["unknown"]:
        lines.append("not readable with this token (rules will report them as unknown): "
                     + ", ".join(document["unknown"]))
    if document["token"]["missing"]:
        lines.append("permissions that would fill the gaps: " + ", ".join(document["token"]["missing"]))
    return lines
