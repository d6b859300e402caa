"""Stage 6, validate: check the committed gitops/ tree before Flux sees it, offline and fail-closed.

Layers, each a module: freshness (`freshness`; the inputs are loaded as `render`
loads them), object schemas (`objects`, with the `schemas` and `kubeconform`
backends and `locations`), the eksctl file (`eksctl`), charts (`charts`,
`values`), Flux wiring (`flux`), and lint no other tool does (`lint`, `ingress`,
`leaks`). `pipeline` chains them over a `tree` read once; the command is `hubfleet/cli/validate.py`.
See README.md beside this file.
"""
