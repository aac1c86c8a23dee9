from kb.markdown import render_markdown


def test_markdown_is_rendered_and_script_is_removed():
    html = render_markdown("**Low** certainty <script>alert(1)</script> [trial](javascript:alert(1))")
    assert "<strong>Low</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html


def test_headings_are_shifted_below_the_page_outline():
    assert "<h3>Why</h3>" in render_markdown("# Why")


def test_empty_markdown_renders_nothing():
    assert render_markdown("") == ""
