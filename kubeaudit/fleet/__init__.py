"""Fleets and trends: saved JSON reports of many clusters or repositories merged into one summary
(`kubeaudit report merge`), and two reports of one cluster or repository compared finding by
finding (`kubeaudit report diff`).

- `reports`: read a saved report and check it against json-report.schema.json
- `naming`: each report's column name (its cluster context or input, `--name`, its file name)
- `merge`, `diff`: the summary and the comparison, as data
- `render_merge`, `render_diff`: their console, JSON and Markdown renderers (`markdown`, `text`)
"""
