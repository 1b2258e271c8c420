"""Discord markdown on the web: each construct's HTML, the mention/emoji/timestamp rules, plain text."""

import pytest

from web.markdown import MentionNames, mention_ids, plain_text, render, render_inline

NAMES = MentionNames(users={1: "Ann", 5: "someone"}, roles={2: "Mods"}, channels={3: "help"})
REL = 'rel="nofollow ugc noopener noreferrer"'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("one\ntwo\n\nthree", "<p>one<br>two</p><p>three</p>"),
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("*italic* and _italic_", "<p><em>italic</em> and <em>italic</em></p>"),
        ("__underline__", "<p><u>underline</u></p>"),
        ("~~strike~~", "<p><s>strike</s></p>"),
        ("***both***", "<p><strong><em>both</em></strong></p>"),
        ("___both___", "<p><u><em>both</em></u></p>"),
        ("**a *b* c**", "<p><strong>a <em>b</em> c</strong></p>"),
        ("||secret||", '<p><span class="spoiler" tabindex="0">secret</span></p>'),
        ("`x = *1*`", "<p><code>x = *1*</code></p>"),
        ("``a ` b``", "<p><code>a ` b</code></p>"),
        ("`` `tick` ``", "<p><code>`tick`</code></p>"),
        ("```py\nx = '<b>' # **no**\n```", "<pre><code class=\"language-py\">x = '&lt;b&gt;' # **no**</code></pre>"),
        ("```\nplain\n```", "<pre><code>plain</code></pre>"),
        ("```one line```", "<pre><code>one line</code></pre>"),
        ("see ```\ncode\n``` after", "<p>see </p><pre><code>code</code></pre><p> after</p>"),
        ("> quoted\n> **more**\nafter", "<blockquote><p>quoted<br><strong>more</strong></p></blockquote><p>after</p>"),
        (">>> all\n\nof it", "<blockquote><p>all</p><p>of it</p></blockquote>"),
        ("> > no nesting", "<blockquote><p>&gt; no nesting</p></blockquote>"),
        (">not a quote", "<p>&gt;not a quote</p>"),
        ("# One\n## Two\n### Three", "<h3>One</h3><h4>Two</h4><h5>Three</h5>"),
        # the levels a post uses close up under the page's h2: no gap in the outline
        ("## Only medium", "<h3>Only medium</h3>"),
        ("# Big\n### Small\n> ## Quoted", "<h3>Big</h3><h4>Small</h4><blockquote><h4>Quoted</h4></blockquote>"),
        ("### Small first\n# Big", "<h3>Small first</h3><h3>Big</h3>"),
        ("#### four\n#tag", "<p>#### four<br>#tag</p>"),
        ("-# small print", '<p class="subtext"><small>small print</small></p>'),
        ("- a\n* b", "<ul><li>a</li><li>b</li></ul>"),
        ("1. a\n2. b", "<ol><li>a</li><li>b</li></ol>"),
        ("3. c\n4. d", '<ol start="3"><li>c</li><li>d</li></ol>'),
        ("- a\n  - b\n    1. c\n- d", "<ul><li>a<ul><li>b<ol><li>c</li></ol></li></ul></li><li>d</li></ul>"),
        ("- a\ntext", "<ul><li>a</li></ul><p>text</p>"),
        (
            "[docs](https://example.com/a_(b))",
            f'<p><a href="https://example.com/a_(b)" title="https://example.com/a_(b)" {REL}>docs</a></p>',
        ),
        (
            "[**bold** link](<https://e.org>)",
            f'<p><a href="https://e.org" title="https://e.org" {REL}><strong>bold</strong> link</a></p>',
        ),
        ("go https://e.org/x?y=1.", f'<p>go <a href="https://e.org/x?y=1" {REL}>https://e.org/x?y=1</a>.</p>'),
        ("(https://e.org/x)", f'<p>(<a href="https://e.org/x" {REL}>https://e.org/x</a>)</p>'),
        ("<https://e.org>", f'<p><a href="https://e.org" {REL}>https://e.org</a></p>'),
        (r"\*not\* \_emph\_ \`code\`", "<p>*not* _emph_ `code`</p>"),
        ("\\\\*yes*", "<p>\\<em>yes</em></p>"),
        ("@everyone and @here", "<p>@everyone and @here</p>"),
    ],
)
def test_constructs(text, html):
    assert render(text, NAMES) == html


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html,hi)",
        "[x](ftp://e.org)",
        "<javascript:alert(1)>",
        "javascript:alert(1)",
        "[x](//evil.org)",
        "https://e.org/javascript:alert(1)",
        "http://:0 https://999.1.1.1 https://1.2.3.4.5 https://xn--abc https://host:70000",
    ],
)
def test_only_http_urls_become_links(text):
    html = render(text, NAMES)
    assert "<a" not in html and "href" not in html


def test_link_hosts_browsers_accept():
    for url in ("https://1.2.3.4/x", "https://xn--bcher-kva.example", "http://a_b.example:8080/p?q#f"):
        assert render(url, NAMES) == f'<p><a href="{url}" {REL}>{url}</a></p>'


def test_html_in_a_message_stays_text():
    html = render('<script>alert(1)</script> <img src=x onerror=alert(1)> "><svg onload=x>', NAMES)
    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; "
        "\"&gt;&lt;svg onload=x&gt;</p>"
    )  # fmt: skip


def test_mentions_show_names_never_ids():
    html = render("<@1> <@!1> <@5> <@&2> <#3> <@777> <@&888> <#999>", NAMES)
    assert html == (
        '<p><span class="mention">@Ann</span> <span class="mention">@Ann</span> '
        '<span class="mention">@someone</span> <span class="mention">@Mods</span> '
        '<span class="mention">#help</span> <span class="mention">@unknown member</span> '
        '<span class="mention">@unknown role</span> <span class="mention">#unknown channel</span></p>'
    )
    for ident in ("777", "888", "999"):
        assert ident not in html
    # a backslash before a mention does not reveal the id either
    assert render(r"\<@777>", NAMES) == '<p><span class="mention">@unknown member</span></p>'


def test_names_are_escaped():
    names = MentionNames(users={1: "<b>Ann</b> & co"})
    assert render("<@1>", names) == '<p><span class="mention">@&lt;b&gt;Ann&lt;/b&gt; &amp; co</span></p>'


def test_mention_ids_are_what_the_text_shows():
    text = "<@1> <@!4> <@&2> <#3> `<@6>` **<@7>** [<@8>](https://e.org)"
    assert mention_ids(text) == ({1, 4, 7, 8}, {2}, {3})
    assert mention_ids("```\n<@9>\n```") == (set(), set(), set())


def test_custom_emoji():
    html = render("<:party:123> <a:dance:456> <:bad:12x> <:x:>", NAMES)
    assert html == (
        '<p><img class="emoji" src="https://cdn.discordapp.com/emojis/123.webp?size=44" alt=":party:" '
        'title=":party:" width="22" height="22" loading="lazy"> '
        '<img class="emoji" src="https://cdn.discordapp.com/emojis/456.gif?size=44" alt=":dance:" '
        'title=":dance:" width="22" height="22" loading="lazy"> &lt;:bad:12x&gt; &lt;:x:&gt;</p>'
    )


@pytest.mark.parametrize(
    ("style", "shown"),
    [
        ("", "November 14, 2023 22:13 UTC"),
        (":f", "November 14, 2023 22:13 UTC"),
        (":R", "November 14, 2023 22:13 UTC"),
        (":F", "Tuesday, November 14, 2023 22:13 UTC"),
        (":D", "November 14, 2023"),
        (":d", "2023-11-14"),
        (":t", "22:13 UTC"),
        (":T", "22:13:20 UTC"),
    ],
)
def test_timestamps(style, shown):
    html = render(f"<t:1700000000{style}>", NAMES)
    assert html == (
        f'<p><time datetime="2023-11-14T22:13:20Z" title="Tuesday, November 14, 2023 22:13 UTC">{shown}</time></p>'
    )


def test_a_timestamp_out_of_range_stays_text():
    assert render("<t:99999999999999999>", NAMES) == "<p>&lt;t:99999999999999999:f&gt;</p>"
    assert render("<t:1700000000:X>", NAMES) == "<p>&lt;t:1700000000:X&gt;</p>"


def test_slash_command_mentions():
    assert render("</quorum setup:12345>", NAMES) == '<p><span class="mention">/quorum setup</span></p>'


def test_unclosed_markers_stay_text():
    assert render("2 * 3 * 4, a_b_c, ~~, ||, `, **a", NAMES) == "<p>2 * 3 * 4, a_b_c, ~~, ||, `, **a</p>"
    assert render("**a*", NAMES) == "<p>*<em>a</em></p>"


def test_controls_are_dropped_and_line_ends_normalised():
    assert render("a\x00b\x1b[31mc\r\nd", NAMES) == "<p>ab[31mc<br>d</p>"


def test_render_inline_has_no_blocks():
    html = render_inline("# **Title** with <@1>\n> and `code`\n- item", NAMES)
    assert html == '# <strong>Title</strong> with <span class="mention">@Ann</span> &gt; and <code>code</code> - item'
    assert render_inline("```py\nx\n```", NAMES) == "<code>py\nx</code>"
    assert render_inline("<@1> <@9>", MentionNames(users={1: "Bo"})) == (
        '<span class="mention">@Bo</span> <span class="mention">@unknown member</span>'
    )
    assert render_inline("**t**", NAMES) is render_inline("**t**", MentionNames())


def test_plain_text():
    text = "# Help\n**Why** does <@1> see ||this|| in <#3>? <:party:1>\n```\ncode  here\n```\n- [docs](https://e.org)"
    assert plain_text(text, NAMES) == "Help Why does @Ann see this in #help? :party: code here docs"
    assert plain_text("<@777> at <t:1700000000:D>", NAMES) == "@unknown member at November 14, 2023"


def test_plain_text_is_cut_on_a_word_boundary():
    text = "The quick brown fox jumps over the lazy dog."
    assert plain_text(text, NAMES, limit=100) == text
    assert plain_text(text, NAMES, limit=len(text)) == text
    assert plain_text(text, NAMES, limit=20) == "The quick brown fox…"
    assert plain_text(text, NAMES, limit=18) == "The quick brown…"
    assert len(plain_text("x" * 50, NAMES, limit=10)) == 10


def test_mention_names_are_hashable_and_render_is_cached():
    a = MentionNames(users={1: "Ann"})
    b = MentionNames(users={1: "Ann"})
    assert a == b and hash(a) == hash(b)
    assert MentionNames() == MentionNames(users={}, roles={}, channels={})
    first = render("**cached** <@1>", a)
    assert render("**cached** <@1>", b) is first
    # names the text does not mention do not split the cache
    assert render("**cached** <@1>", MentionNames(users={1: "Ann", 2: "Bob"})) is first
    assert render("**cached** <@1>", MentionNames(users={1: "someone"})) != first
