"""The attack graph and its search: nodes, edges that say why they hold, shortest bounded paths.

A node is a string id (`workload:<ctx>:Deployment/shop/web`); an edge carries the resource
fields that make it (`Step`s, whose messages say why it holds) and a capability label
(`privileged`, `createPods`...). Targets ("crown jewels") are nodes too. The search runs backwards from each
target, one breadth-first pass per target over the reversed edges, so every node learns its
shortest way to that target within the bound at once: the cost is linear in the size of the
graph, whatever the number of entry points.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from kubeaudit.model import Step

DEFAULT_MAX_LENGTH = 6


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    capability: str
    steps: tuple[Step, ...]


@dataclass(slots=True)
class PathGraph:
    labels: dict[str, str] = field(default_factory=dict)  # node id -> how reports name it
    incoming: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    edge_count: int = 0

    def node(self, node_id: str, label: str) -> str:
        self.labels.setdefault(node_id, label)
        return node_id

    def add(self, edge: Edge) -> None:
        if edge.source == edge.target:
            return
        self.incoming[edge.target].append(edge)
        self.edge_count += 1

    def shortest_to(self, target: str, max_length: int) -> dict[str, Edge]:
        """For every node with a path to `target` of at most `max_length` edges, the first edge
        of one shortest such path (ties: the edge added first)."""
        first: dict[str, Edge] = {}
        distance = {target: 0}
        queue = deque([target])
        while queue:
            node = queue.popleft()
            if distance[node] >= max_length:
                continue
            for edge in self.incoming.get(node, ()):
                if edge.source not in distance:
                    distance[edge.source] = distance[node] + 1
                    first[edge.source] = edge
                    queue.append(edge.source)
        return first


def follow(start: str, target: str, first: dict[str, Edge]) -> list[Edge]:
    """The path from `start` to `target` that `shortest_to` found (empty: none)."""
    edges: list[Edge] = []
    node = start
    while node != target:
        edge = first.get(node)
        if edge is None:
            return []
        edges.append(edge)
        node = edge.target
    return edges
