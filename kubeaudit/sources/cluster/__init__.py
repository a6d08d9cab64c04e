"""Live-cluster source: kubeconfig/in-cluster credentials, discovery, paginated listing,
owner folding and coverage gaps.

Modules, one job each:

- `credentials`: kubeconfig files, contexts, in-cluster service-account credentials
- `transport`: GET-only raw-JSON requests with bounded retries and a per-request timeout
- `discovery`: which groups, versions and kinds the server serves
- `kinds`: the catalogue of kinds a scan may list, and which of them the rules need
- `listing`: `limit`/`continue` pagination, restarted on 410 Gone without duplicates
- `owners`: folding controller-owned objects into their top-level owner
- `facts`: server version, node versions, namespace labels
- `progress`: the terminal progress display
- `source`: the Source the pipeline reads

Importing this package does not import the `kubernetes` client; `source` does.
"""

from kubeaudit.sources.cluster.errors import ClusterError

__all__ = ["ClusterError"]
