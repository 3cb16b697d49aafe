//! The events reference as one self-contained HTML page: no network, no
//! external assets. Everything is rendered statically; a small script adds
//! search and a release filter, whose state also lives in the URL fragment
//! (`#q=imap&v=2.3.19`) so a link can share a filtered view.
//!
//! Layout: a header with the search box and the release filter, and a
//! navigation by category (with the number of events each shows) beside
//! the reference on a wide screen, or folded into a "Categories" button
//! above it on a narrow one. The navigation follows the filter: a category
//! with nothing to show disappears from it.

use std::fmt::Write as _;

use super::{
    by_category, context_fields, context_title, event_field_groups, life_text, matrix, one_line,
    show, type_text,
};
use crate::model::{Edition, Event, EventModel, Field};

const STYLE: &str = "\
*{box-sizing:border-box}\
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fff}\
header{position:sticky;top:0;z-index:2;background:#f4f5f7;border-bottom:1px solid #d0d4da;padding:.6em 1.2em;display:flex;gap:.6em 1em;align-items:center;flex-wrap:wrap}\
header h1{font-size:1.2em;margin:0;white-space:nowrap}\
input,select{font:inherit;padding:.3em .5em}\
#q{flex:1 1 24em;min-width:0;max-width:36em}\
#count{color:#555;white-space:nowrap}\
.layout{display:flex;align-items:flex-start}\
nav{flex:0 0 15em;position:sticky;top:var(--header,3.2em);max-height:calc(100vh - var(--header,3.2em));overflow-y:auto;padding:.6em 0 2em 1.2em;font-size:.92em}\
nav summary{display:none}\
nav ul{list-style:none;margin:0;padding:0}\
nav li a{display:flex;justify-content:space-between;gap:.5em;padding:.15em .5em;border-radius:4px;color:#1d1d1f;text-decoration:none}\
nav li a:hover{background:#eef1f5}nav .n{color:#777}\
main{flex:1 1 auto;min-width:0;padding:0 1.2em 3em;max-width:75em}\
section.category{scroll-margin-top:var(--header,3.2em)}\
section.event{border-top:1px solid #e3e6ea;padding:.4em 0;scroll-margin-top:var(--header,3.2em)}\
h2{margin-top:1.6em}h3{margin:.6em 0 .2em;font-family:ui-monospace,monospace;overflow-wrap:anywhere}\
table{border-collapse:collapse;width:100%;margin:.4em 0}\
th,td{border:1px solid #d8dbe0;padding:.2em .45em;text-align:left;vertical-align:top;overflow-wrap:break-word}\
th{background:#f4f5f7}td code,h3 code{font-family:ui-monospace,monospace}\
pre{overflow-x:auto}\
.meta{color:#555;font-size:.92em}.note{background:#fff8e1;padding:.3em .6em;border-left:3px solid #f0c040}\
.inh{color:#666;font-style:italic}.gone{color:#999}\
@media (max-width:50em){\
header{padding:.5em .8em}#q{flex-basis:100%;max-width:none;order:3}\
.layout{display:block}\
nav{position:static;max-height:none;padding:.4em .8em;border-bottom:1px solid #e3e6ea}\
nav summary{display:list-item;cursor:pointer;font-weight:600}\
nav ul{columns:2;column-gap:1em;margin-top:.4em}\
main{padding:0 .8em 3em}\
table{font-size:.85em}th,td{padding:.15em .3em}td{overflow-wrap:anywhere}th{overflow-wrap:normal}}\
[hidden]{display:none!important}";

const SCRIPT: &str = r#"
(function () {
  function parse(v) { return v ? v.split('.').map(Number) : null; }
  function cmp(a, b) {
    for (var i = 0; i < 4; i++) {
      var x = a[i] || 0, y = b[i] || 0;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }
  function live(el, v) {
    if (!v) return true;
    var s = parse(el.getAttribute('data-since')), r = parse(el.getAttribute('data-removed'));
    return (!s || cmp(s, v) <= 0) && (!r || cmp(r, v) > 0);
  }
  var q = document.getElementById('q'), sel = document.getElementById('v');
  var count = document.getElementById('count'), nav = document.getElementById('nav');
  var header = document.querySelector('header');
  // Sticky parts sit below the header, whose height depends on the width.
  function fit() {
    document.documentElement.style.setProperty('--header', header.offsetHeight + 'px');
  }
  var narrow = window.matchMedia('(max-width: 50em)');
  // On a narrow screen the list of categories starts folded.
  if (narrow.matches) nav.open = false;
  fit();
  window.addEventListener('resize', fit);
  // A category link scrolls without touching the URL fragment, which holds
  // the filter.
  document.querySelectorAll('nav a').forEach(function (a) {
    a.addEventListener('click', function (e) {
      var target = document.getElementById(a.getAttribute('href').slice(1));
      if (!target) return;
      e.preventDefault();
      target.scrollIntoView();
      if (narrow.matches) nav.open = false;
    });
  });
  function apply(updateHash) {
    var text = q.value.trim().toLowerCase(), v = parse(sel.value), shown = 0;
    document.querySelectorAll('section.event').forEach(function (ev) {
      var ok = live(ev, v) && (!text || ev.getAttribute('data-search').indexOf(text) >= 0);
      ev.hidden = !ok;
      if (ok) shown++;
      ev.querySelectorAll('tr[data-since],tr[data-removed]').forEach(function (row) {
        row.hidden = !live(row, v);
      });
    });
    document.querySelectorAll('section.category').forEach(function (cat) {
      var n = cat.querySelectorAll('section.event:not([hidden])').length;
      cat.hidden = n === 0;
      var item = document.getElementById('nav-' + cat.id);
      if (item) {
        item.hidden = n === 0;
        item.querySelector('.n').textContent = String(n);
      }
    });
    count.textContent = shown + ' event' + (shown === 1 ? '' : 's');
    document.body.setAttribute('data-shown', String(shown));
    if (updateHash) {
      var parts = [];
      if (q.value) parts.push('q=' + encodeURIComponent(q.value));
      if (sel.value) parts.push('v=' + encodeURIComponent(sel.value));
      history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname);
    }
  }
  function fromHash() {
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i < 0) return;
      var k = kv.slice(0, i), val = decodeURIComponent(kv.slice(i + 1));
      if (k === 'q') q.value = val;
      if (k === 'v') sel.value = val;
    });
  }
  q.addEventListener('input', function () { apply(true); });
  sel.addEventListener('change', function () { apply(true); });
  window.addEventListener('hashchange', function () { fromHash(); apply(false); });
  fromHash();
  apply(false);
})();
"#;

/// The reference as one HTML document.
#[must_use]
pub fn generate(model: &EventModel) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<!-- @generated by dovecot-eventgen from the schema (hash {}). Do not edit by hand. -->\n\
         <html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Dovecot events</title><style>{STYLE}</style></head><body>",
        model.source_hash
    );
    out.push_str("<header><h1>Dovecot events</h1>");
    out.push_str(
        "<input id=\"q\" type=\"search\" placeholder=\"Search events and fields\" \
         aria-label=\"Search event names, fields and descriptions\">",
    );
    out.push_str(
        "<select id=\"v\" aria-label=\"Dovecot release\"><option value=\"\">all releases</option>",
    );
    for v in model.versions.iter().rev() {
        let _ = write!(out, "<option value=\"{v}\">{v}</option>");
    }
    out.push_str("</select><span id=\"count\"></span></header>\n<div class=\"layout\">");
    let categories = by_category(model);
    out.push_str(
        "<nav aria-label=\"Categories\"><details id=\"nav\" open><summary>Categories</summary><ul>",
    );
    for (category, events) in &categories {
        let id = category_id(*category);
        let label = category.unwrap_or("other events");
        let _ = write!(
            out,
            "<li id=\"nav-{id}\"><a href=\"#{id}\"><span>{}</span><span class=\"n\">{}</span></a></li>",
            esc(label),
            events.len()
        );
    }
    out.push_str("</ul></details></nav>\n<main>\n");
    let _ = writeln!(
        out,
        "<p>Every event the Dovecot mail server sends for statistics, event export and log \
         filtering, with each field's type and the releases that added, renamed or removed it \
         ({} to {}). Pick a release to see only what it sends.</p>",
        show(model.versions.first().copied()),
        show(model.versions.last().copied())
    );
    for (category, events) in categories {
        let title = category.map_or_else(|| "Other events".to_owned(), |c| format!("Category {c}"));
        let _ = writeln!(
            out,
            "<section class=\"category\" id=\"{}\"><h2>{}</h2>",
            category_id(category),
            esc(&title)
        );
        if let Some(c) = category.and_then(|c| model.categories.get(c)) {
            let _ = writeln!(out, "<p>{}</p>", esc(&one_line(&c.description)));
        }
        for event in events {
            write_event(&mut out, model, event);
        }
        out.push_str("</section>\n");
    }
    out.push_str(
        "<h2 id=\"contexts\">Contexts</h2><p>The kinds of event Dovecot creates other events \
         under. An event carries the fields and categories of every context above it.</p>",
    );
    for group in model.groups.values() {
        let Some(context) = &group.context else {
            continue;
        };
        let _ = write!(
            out,
            "<h3 id=\"context-{}\">The {} context</h3><p>{}</p>",
            esc(&group.name),
            esc(&context_title(group)),
            esc(&one_line(&group.description))
        );
        if !context.categories.is_empty() {
            let list: Vec<String> = context
                .categories
                .iter()
                .map(|c| format!("<code>{}</code>", esc(&c.name)))
                .collect();
            let _ = write!(
                out,
                "<p class=\"meta\">Adds the categories {}.</p>",
                list.join(", ")
            );
        }
        evidence(&mut out, group.note.as_deref());
        fields_table(&mut out, context_fields(group));
    }
    out.push_str("<h2>Global fields</h2><p>Any event may carry these.</p>");
    fields_table(&mut out, model.global_fields.iter());
    out.push_str("<h2>Version matrix</h2>");
    for diff in matrix(model) {
        let _ = write!(out, "<h3>{}</h3><pre>", diff.to);
        let text = diff.to_text();
        // The first line repeats the heading.
        let body = text.split_once('\n').map_or("", |(_, rest)| rest);
        out.push_str(&esc(body));
        out.push_str("</pre>\n");
    }
    let _ = writeln!(out, "</main></div><script>{SCRIPT}</script></body></html>");
    out
}

/// The element id of a category's section (`cat-imap`, `cat-other` for
/// events without one). Category names are lowercase words joined by `-`
/// or `_`, so they are valid in an id as they are.
fn category_id(category: Option<&str>) -> String {
    format!("cat-{}", esc(category.unwrap_or("other")))
}

/// A maintainer's note, collapsed: the evidence behind an entry.
fn evidence(out: &mut String, note: Option<&str>) {
    if let Some(note) = note {
        let _ = write!(
            out,
            "<details class=\"evidence\"><summary>Evidence</summary><p>{}</p></details>",
            esc(&one_line(note))
        );
    }
}

fn write_event(out: &mut String, model: &EventModel, event: &Event) {
    let mut search = event.name.clone();
    for f in &event.fields {
        search.push(' ');
        search.push_str(&f.name);
    }
    search.push(' ');
    search.push_str(&one_line(&event.description));
    let _ = write!(
        out,
        "<section class=\"event\" id=\"{}\" data-search=\"{}\"{}{}>",
        esc(&event.name),
        esc(&search.to_lowercase()),
        attr("data-since", event.lifetime.since),
        attr("data-removed", event.lifetime.removed)
    );
    let _ = write!(
        out,
        "<h3><code>{}</code></h3><p>{}</p>",
        esc(&event.name),
        esc(&one_line(&event.description))
    );
    let mut facts = Vec::new();
    if let Some(since) = event.lifetime.since {
        facts.push(format!("Since {since}."));
    }
    facts.extend(life_text(
        event.lifetime.removed,
        event.renamed_to.as_deref(),
        event.lifetime.deprecated,
        event.emitted,
    ));
    if event.edition == Edition::Pro {
        facts.push("Commercial edition only.".to_owned());
    }
    let _ = write!(out, "<p class=\"meta\">{}</p>", esc(&facts.join(" ")));
    evidence(out, event.note.as_deref());
    let groups = event_field_groups(model, event);
    fields_table(out, groups.own.into_iter());
    if !groups.contexts.is_empty() {
        out.push_str("<p class=\"meta\">What its contexts add, depending on where Dovecot emits it:</p><ul class=\"contexts\">");
        for (context, fields) in groups.contexts {
            let names: Vec<String> = fields
                .iter()
                .map(|f| format!("<code>{}</code>", esc(&f.name)))
                .collect();
            let _ = write!(
                out,
                "<li><a href=\"#context-{}\">{}</a>: {}</li>",
                esc(&context.name),
                esc(&context_title(context)),
                names.join(", ")
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
}

fn fields_table<'a>(out: &mut String, fields: impl Iterator<Item = &'a Field>) {
    let fields: Vec<&Field> = fields.collect();
    if fields.is_empty() {
        out.push_str("<p class=\"meta\">No fields of its own.</p>");
        return;
    }
    out.push_str("<table><tr><th>field</th><th>type</th><th>description</th><th>since</th><th>removed</th></tr>");
    for f in fields {
        let mut extra = life_text(None, None, f.lifetime.deprecated, f.emitted);
        if let (Some(r), Some(new)) = (f.lifetime.removed, &f.renamed_to) {
            extra.push(format!("Renamed to {new} in {r}."));
        }
        let evidence = f.note.as_deref().map_or_else(String::new, |note| {
            format!(
                "<details class=\"evidence\"><summary>Evidence</summary>{}</details>",
                esc(&one_line(note))
            )
        });
        let _ = write!(
            out,
            "<tr{}{}><td><code>{}</code></td><td>{}</td><td>{}{}{evidence}</td><td>{}</td><td>{}</td></tr>",
            attr("data-since", f.lifetime.since),
            attr("data-removed", f.lifetime.removed),
            esc(&f.name),
            esc(&type_text(f)),
            esc(&one_line(&f.description)),
            if extra.is_empty() {
                String::new()
            } else {
                format!("<br><span class=\"meta\">{}</span>", esc(&extra.join(" ")))
            },
            show(f.lifetime.since),
            show(f.lifetime.removed)
        );
    }
    out.push_str("</table>");
}

fn attr(name: &str, version: Option<crate::Version>) -> String {
    version.map_or_else(String::new, |v| format!(" {name}=\"{v}\""))
}

/// Escapes text for HTML element content and double-quoted attributes;
/// control and bidirectional characters become visible escapes.
fn esc(text: &str) -> String {
    let text = crate::emit::escape::visible(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
