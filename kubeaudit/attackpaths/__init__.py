"""`kubeaudit paths`: listing the attack paths of the `path` view (listing.py) and writing them
as console text, JSON or Graphviz DOT (render.py)."""
