"""Security frameworks as data, and how a scan measures up to one.

`frameworks`: the control lists shipped under rules/data/framework-<id>.yaml (CIS Kubernetes
Benchmark, NSA/CISA Hardening Guidance, Pod Security Standards, MITRE ATT&CK for Containers), which
rules name in their `frameworks:` key. `table`: the per-control table of one scan (pass, fail, not
evaluated, manual) and its score. `render`: that table in the console report.
"""
