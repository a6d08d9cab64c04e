"""Template line markers: never where they could change what a template prints; read back per line."""

from __future__ import annotations

from kubeaudit.sources.helm_lines import line_map, mark_template


def test_lines_that_print_get_a_marker_naming_their_line() -> None:
    template = "kind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n"
    assert mark_template(template).split("\n") == [
        "kind: Pod #kubeaudit:1;",
        "metadata: #kubeaudit:2;",
        "  name: {{ .Release.Name }} #kubeaudit:3;",
        "",
    ]


def test_no_marker_where_it_would_change_the_output() -> None:
    template = "\n".join(
        [
            "{{- if .Values.on }}",  # prints nothing
            "a: {{ .Values.a -}}",  # -}} would eat the marker's space instead of the line break
            "{{- $x := 1 }}",  # an assignment prints nothing
            '{{- define "x" }}',
            "b: inside a define",  # lands in other files
            "{{- end }}",
            "c: {{ dict",  # an action over two lines
            '  "k" "v" | toYaml }}',
            "{{/* a comment */}}",
            "d: 1",
            "{{- end }}",
        ]
    )
    marked = mark_template(template).split("\n")
    assert [line for line in marked if "#kubeaudit:" in line] == ["d: 1 #kubeaudit:10;"]


def test_each_rendered_line_maps_to_the_line_that_ended_it_or_the_action_below() -> None:
    template = "spec:\n  securityContext:\n    {{- toYaml .Values.sc | nindent 4 }}\n  hostNetwork: true\n"
    rendered = "spec:\n  securityContext:\n    a: 1\n    b: 2\n  hostNetwork: true\n"
    marked = (
        "spec: #kubeaudit:1;\n  securityContext: #kubeaudit:2;\n"
        "    a: 1\n    b: 2 #kubeaudit:3;\n  hostNetwork: true #kubeaudit:4;\n"
    )
    assert mark_template(template).startswith("spec: #kubeaudit:1;\n  securityContext: #kubeaudit:2;\n")
    lines = line_map(rendered, marked)
    assert lines is not None
    assert [lines.template_line(n) for n in range(1, 6)] == [1, 2, 3, 3, 4]


def test_a_marker_joined_to_the_next_output_still_reads_back() -> None:
    # `{{-` on the next line trims the line break before it, so its output follows the marker.
    rendered = "name: web-1\n"
    marked = "name: web #kubeaudit:1;-1 #kubeaudit:2;\n"
    lines = line_map(rendered, marked)
    assert lines is not None and lines.template_line(1) == 2


def test_a_marked_render_that_took_another_path_is_not_used() -> None:
    assert line_map("a: 1\nb: 2\n", "a: 1 #kubeaudit:1;\n") is None  # other line count
    assert line_map("a: 1\n", "a: 2 #kubeaudit:1;\n") is None  # other text
