"""Kubernetes semantics the views build on: label selectors, where workloads keep their pods,
RBAC matching and aggregation, NetworkPolicy selection. Objects here know nothing of views or rules."""
