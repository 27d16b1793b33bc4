"""Access controls documented.

## What it does
Checks that access is written down and that the manifests agree with least privilege. **Document**:
`ACCESS.md`, `docs/access*.md`, `docs/security/rbac.md` or an "Access control" / "RBAC" / "Permissions"
section says who can deploy, who approves and who administers (`warning` when missing), and
`CODEOWNERS` exists (`note`). **RBAC** (`error`, one finding each): a Role or ClusterRole rule with `*`
verbs, resources or API groups; a ClusterRole that reads `secrets` cluster-wide without `resourceNames`;
a binding to `cluster-admin`. **Workloads** (`warning`): each runs under its own ServiceAccount (not
`default`), and a workload whose ServiceAccount no binding grants anything sets
`automountServiceAccountToken: false` (on the pod or the ServiceAccount), since it does not need the
API.

## Why it matters
Auditors ask who can change production and how that is enforced. Wildcard roles and mounted tokens
turn one compromised pod into a compromised cluster.

## How to fix
Write `docs/access.md` (deploy, approve, administer), add CODEOWNERS, give each workload its own
ServiceAccount with `automountServiceAccountToken: false` unless it calls the API, and replace wildcard
rules with the verbs and resources actually used. Operators that legitimately need cluster-wide rights
are waived with a reason.

## Example
```yaml fail file=deploy/rbac.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: api, namespace: shop}
rules:
  - apiGroups: [""]
    resources: ["*"]
    verbs: ["*"]
```
```yaml pass file=deploy/rbac.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: api, namespace: shop}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list, watch]
```
```markdown pass file=docs/access.md
# Access control

Deploy: only the Argo CD service account deploys to production; engineers merge to main.
Approve: every change needs one approval from the shop-maintainers team listed in CODEOWNERS.
Administer: two platform administrators hold cluster-admin through break-glass accounts, reviewed quarterly.
```
```text pass file=CODEOWNERS
* @example/shop-maintainers
```
"""
from readylint.findings import Related
from readylint.model import codeowners
from readylint.model.doc_requirements import DocRequirement, SectionSpec, evaluate, judge
from readylint.model.objects import mapping, sequence
from readylint.registry import rule

READ = {"get", "list", "watch", "*"}


def requirement(opts) -> DocRequirement:
    return DocRequirement(
        name="access control document",
        paths=("ACCESS.md", "ACCESS_CONTROL.md", "docs/access*.md", "docs/security/rbac.md", "docs/**/access*.md",
               "docs/rbac*.md", "docs/**/rbac*.md", "docs/access*.rst", "docs/access*.adoc"),
        headings=(r"access control|\brbac\b|permissions|who can (?:deploy|approve)",),
        exclude_headings=(r"parameter|values|configur|install|\bcreate\b|file permissions",),
        exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md"),
        sections=(SectionSpec("who can deploy", (r"deploy|release|ship|sync",), in_text=True),
                  SectionSpec("who approves", (r"approv|review",), in_text=True),
                  SectionSpec("who administers", (r"admin|owner|maintainer|break[- ]?glass|operator",), in_text=True)),
        min_words=opts["doc_section_min_words"],
        fix="Add docs/access.md saying who can deploy, who approves changes and who administers the service.")


@rule(code="COMP004", slug="access-controls-documented", scope="repository", severity="warning",
      confidence="medium", evidence="R, M, S", options={"doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("access-doc", "access control document")
    req = requirement(opts)
    yield from judge(index, req, subject, evaluate(index, req))
    owners = index.repo.subject("codeowners", "CODEOWNERS")
    if codeowners.find(index.root):
        yield owners.passed()
    else:
        yield owners.fail("The repository has no CODEOWNERS file, so nobody is named as owner of the manifests and "
                          "access rules; add .github/CODEOWNERS.", at=index.repo.anchor(), key_path="codeowners",
                          level="note")
    yield from _rbac(index)
    yield from _workloads(index)


def _wild(rule_, key) -> bool:
    return "*" in {str(v) for v in sequence(rule_.get(key))}


def _rbac(index):
    for obj in index.of_kind("Role", "ClusterRole"):
        if not obj.group.startswith("rbac.authorization.k8s.io") or index.is_excluded(obj):
            continue
        subject, problems = obj.subject(), []
        for i, item in enumerate(sequence(obj.data.get("rules"))):
            item = mapping(item)
            if item is None:
                continue
            wild = [k for k in ("verbs", "resources", "apiGroups") if _wild(item, k)]
            if wild:
                problems.append((i, wild[0], f"{obj.ref} grants '*' {' and '.join(wild)} in rules[{i}]: a wildcard "
                                             f"also covers resources and verbs added later. List the ones used."))
                continue
            resources = {str(r) for r in sequence(item.get("resources"))}
            verbs = {str(v) for v in sequence(item.get("verbs"))}
            if obj.kind == "ClusterRole" and "secrets" in resources and verbs & READ and not sequence(
                    item.get("resourceNames")):
                granted = ", ".join(sorted(verbs & READ))
                problems.append((i, "resources", f"{obj.ref} reads every Secret in the cluster (rules[{i}]: "
                                                 f"{granted} secrets); use a namespaced Role or resourceNames."))
        for i, key, message in problems:
            yield subject.fail(message, at=obj.at("rules", i, key), key_path=f"rules[{i}].{key}", level="error")
        if not problems:
            yield subject.passed()
    for obj in index.of_kind("RoleBinding", "ClusterRoleBinding"):
        if not obj.group.startswith("rbac.authorization.k8s.io") or index.is_excluded(obj):
            continue
        ref = mapping(obj.data.get("roleRef")) or {}
        if ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
            yield obj.subject().fail(f"{obj.ref} binds cluster-admin: its subjects can do anything in "
                                     f"{'the cluster' if obj.kind == 'ClusterRoleBinding' else obj.namespace}. Bind a "
                                     f"role with the rights actually needed.", at=obj.at("roleRef", "name"),
                                     key_path="roleRef.name", level="error")


def _bound_accounts(index) -> set:
    bound = set()
    for obj in index.of_kind("RoleBinding", "ClusterRoleBinding"):
        for item in sequence(obj.data.get("subjects")):
            item = mapping(item) or {}
            if item.get("kind") == "ServiceAccount":
                bound.add((str(item.get("namespace") or obj.namespace), str(item.get("name"))))
    return bound


def _workloads(index):
    bound = _bound_accounts(index)
    for wl in index.workloads_for():
        subject, spec = wl.subject(), wl.pod_spec
        name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        key = "serviceAccountName" if "serviceAccountName" in spec else "serviceAccount"
        account = index.get("ServiceAccount", wl.namespace, name)
        pod_flag = spec.get("automountServiceAccountToken")
        sa_flag = account.data.get("automountServiceAccountToken") if account is not None else None
        mounts = pod_flag is not False and not (pod_flag is None and sa_flag is False)
        failed = False
        if name == "default":
            failed = True
            at = wl.at(*wl.pod_spec_path, key) if key in spec else wl.obj.name_at()
            token = ", and mounts its API token" if mounts else ""
            yield subject.fail(f"{wl.ref} runs under the namespace's default ServiceAccount, which every pod shares"
                               f"{token}; give it its own ServiceAccount (spec.serviceAccountName)"
                               f"{' with automountServiceAccountToken: false' if mounts else ''}.", at=at,
                               key_path="serviceAccountName")
        elif (wl.namespace, name) not in bound and mounts:
            failed = True
            related = (Related(account.name_at(), f"{account.ref} does not disable it"),) if account else ()
            at = wl.at(*wl.pod_spec_path, "automountServiceAccountToken")  # else the pod spec key
            yield subject.fail(f"{wl.ref} mounts a Kubernetes API token it does not need (no binding grants "
                               f"ServiceAccount {name} anything); set automountServiceAccountToken: false on the "
                               f"pod or the ServiceAccount.", at=at, key_path="automountServiceAccountToken",
                               related=related)
        if not failed:
            yield subject.passed()
