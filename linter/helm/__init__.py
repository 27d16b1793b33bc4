"""Helm and Argo CD: render charts the user pointed at, and put findings back on the chart's own files.

`sources` resolves `# Source:` paths to templates, `mapping` finds the template and values lines,
`render` runs `helm template` / kustomize, `argocd` turns Applications into render jobs, `locate`
moves finding locations from rendered output onto repository files, and `stage` is the step of a
run that ties them together.
"""
