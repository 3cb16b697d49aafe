//! The generated HTML reference, loaded in a real headless Chromium: its
//! search box and release filter must show exactly the events the schema
//! says they should, and its layout must work at a desktop and at a phone
//! width (navigation by category beside the reference or folded above it,
//! a search box wide enough for its placeholder, nothing wider than the
//! screen).
//!
//! The page keeps its filter state in the URL fragment (`#q=…&v=…`), so the
//! test drives the same code path as typing, through the address bar. The
//! layout is measured by a script appended to a copy of the page, loaded
//! in an iframe of the width under test (headless Chromium gives
//! `--dump-dom` a window of at least 500 px whatever `--window-size` says;
//! the iframe is the page's viewport, media queries included), which posts
//! what it measured to the frame's parent; screenshots of both widths are
//! left in the target directory for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use dovecot_events_codegen::emit::docs::{self, by_category, one_line};
use dovecot_events_codegen::model::EventModel;
use dovecot_events_codegen::{Version, load_dir};
use test_support::{Need, repo_root, require};

/// A browser window size.
#[derive(Clone, Copy)]
struct Window {
    name: &'static str,
    width: u32,
    height: u32,
}

const DESKTOP: Window = Window {
    name: "desktop",
    width: 1280,
    height: 900,
};

const PHONE: Window = Window {
    name: "phone",
    width: 390,
    height: 844,
};

/// Runs headless Chromium on `page#fragment` with `action` (`--dump-dom`,
/// `--screenshot=…`) and returns its standard output.
fn chromium(browser: &Path, window: Window, action: &str, page: &Path, fragment: &str) -> String {
    // Each run needs a profile of its own: the tests run in parallel.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let profile = std::env::temp_dir().join(format!(
        "dovecot-events-chromium-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let url = format!("file://{}#{fragment}", page.display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--hide-scrollbars",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--window-size={},{}", window.width, window.height))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(action)
        .arg(&url)
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Loads `page#fragment` and returns the DOM after the page's script ran.
fn dump_dom(browser: &Path, page: &Path, fragment: &str) -> String {
    chromium(browser, DESKTOP, "--dump-dom", page, fragment)
}

/// The events the page lists and does not hide.
fn shown(dom: &str) -> Vec<String> {
    dom.split("<section class=\"event\"")
        .skip(1)
        .filter_map(|section| {
            let tag = &section[..section.find('>').unwrap_or(section.len())];
            if tag.contains(" hidden") {
                return None;
            }
            let id = tag.split("id=\"").nth(1)?;
            Some(id[..id.find('"')?].to_owned())
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn expected(model: &EventModel, query: &str, version: Option<Version>) -> Vec<String> {
    let query = query.to_lowercase();
    model
        .events
        .values()
        .filter(|e| version.is_none_or(|v| e.lifetime.exists_in(v)))
        .filter(|e| {
            let mut text = e.name.clone();
            for f in &e.fields {
                text.push(' ');
                text.push_str(&f.name);
            }
            text.push(' ');
            text.push_str(&one_line(&e.description));
            text.to_lowercase().contains(&query)
        })
        .map(|e| e.name.clone())
        .collect() // `events` is a BTreeMap, so this is sorted like `shown`.
}

/// The repository's schema and its HTML page, written to a scratch
/// directory (with `extra` before `</body>`).
fn page(name: &str, extra: &str) -> (EventModel, PathBuf) {
    let model = load_dir(&repo_root().join("schema")).expect("valid schema");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs_html");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(format!("{name}.html"));
    let html = docs::render(&model, docs::Format::Html)
        .into_iter()
        .next()
        .expect("one HTML file")
        .contents;
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains(" src="),
        "the page must be self-contained"
    );
    let html = html.replacen("</body>", &format!("{extra}</body>"), 1);
    std::fs::write(&path, html).expect("write page");
    (model, path)
}

#[test]
fn search_and_release_filter_work_in_a_real_browser() {
    let Some(found) = require(
        "search_and_release_filter_work_in_a_real_browser",
        &[Need::Chromium],
    ) else {
        return;
    };
    let browser = found.chromium.expect("found with Need::Chromium");
    let (model, page) = page("filter", "");

    let all = shown(&dump_dom(&browser, &page, ""));
    assert_eq!(
        all,
        expected(&model, "", None),
        "unfiltered page shows every event"
    );

    let v2_3_8: Version = "2.3.8".parse().expect("version");
    let v2_4_0: Version = "2.4.0".parse().expect("version");
    for (fragment, query, version) in [
        ("v=2.3.8", "", Some(v2_3_8)),
        ("v=2.4.0", "", Some(v2_4_0)),
        ("q=imap_command", "imap_command", None),
        ("q=passdb_id&v=2.3.8", "passdb_id", Some(v2_3_8)),
        ("q=PASSDB_ID&v=2.4.0", "passdb_id", Some(v2_4_0)),
        ("q=no%20such%20thing", "no such thing", None),
    ] {
        let got = shown(&dump_dom(&browser, &page, fragment));
        let want = expected(&model, query, version);
        assert_eq!(got, want, "#{fragment}");
        if fragment.starts_with("v=") {
            assert!(got.len() < all.len(), "#{fragment} hides something");
        }
    }
}

/// Appended to the page: measures the layout once the page's own script
/// ran, then clicks the last category link, and writes everything into
/// `<pre id="layout">` as JSON.
const MEASURE: &str = r#"<script>
(function () {
  var q = document.getElementById('q'), style = getComputedStyle(q);
  var ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
  var box = function (el) { return el.getBoundingClientRect(); };
  var nav = document.querySelector('nav'), main = document.querySelector('main');
  var links = Array.prototype.slice.call(document.querySelectorAll('nav li:not([hidden]) a'));
  var r = {
    viewport: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    placeholder: ctx.measureText(q.placeholder).width,
    search: q.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
    navOpen: document.getElementById('nav').open,
    nav: [box(nav).left, box(nav).top, box(nav).width],
    main: [box(main).left, box(main).top, box(main).width],
    header: document.querySelector('header').offsetHeight,
    links: links.map(function (a) {
      return [a.getAttribute('href'), Number(a.querySelector('.n').textContent),
              !!document.getElementById(a.getAttribute('href').slice(1))];
    })
  };
  var hash = location.hash, y = window.scrollY;
  if (links.length) links[links.length - 1].click();
  r.scrolled = window.scrollY > y;
  r.hashKept = location.hash === hash;
  parent.postMessage(JSON.stringify(r), '*');
})();
</script>"#;

/// A page that shows `page#fragment` in an iframe of the window's size
/// and writes what the page posts into `<pre id="layout">`.
fn framed(page: &Path, window: Window, fragment: &str) -> PathBuf {
    let frame = page.with_file_name(format!("frame-{}.html", window.name));
    let name = page
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name");
    let html = format!(
        "<!DOCTYPE html><html><body style=\"margin:0\">\
         <iframe src=\"{name}#{fragment}\" style=\"border:0;width:{}px;height:{}px\"></iframe>\
         <pre id=\"layout\"></pre><script>window.addEventListener('message', function (e) {{\
         document.getElementById('layout').textContent = e.data; }});</script></body></html>",
        window.width, window.height
    );
    std::fs::write(&frame, html).expect("write the frame page");
    frame
}

/// What [`MEASURE`] found, from a dumped DOM.
fn measured(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"layout\">").expect("the measurements") + 17;
    let end = start
        + dom[start..]
            .find("</pre>")
            .expect("the end of the measurements");
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).expect("JSON measurements")
}

fn number(value: &serde_json::Value) -> f64 {
    value.as_f64().expect("a number")
}

#[test]
fn navigation_and_search_fit_a_desktop_and_a_phone() {
    let Some(found) = require(
        "navigation_and_search_fit_a_desktop_and_a_phone",
        &[Need::Chromium],
    ) else {
        return;
    };
    let browser = found.chromium.expect("found with Need::Chromium");
    let (_, plain) = page("plain", "");
    let (model, page) = page("layout", MEASURE);
    let categories: Vec<(String, f64)> = by_category(&model)
        .iter()
        .map(|(category, events)| {
            (
                format!("#cat-{}", category.unwrap_or("other")),
                events.len() as f64,
            )
        })
        .collect();

    for window in [DESKTOP, PHONE] {
        let name = window.name;
        let frame = framed(&page, window, "");
        let r = measured(&chromium(&browser, window, "--dump-dom", &frame, ""));
        let viewport = number(&r["viewport"]);
        assert!(
            (viewport - f64::from(window.width)).abs() < 40.0,
            "{name}: the window is {viewport} px wide"
        );
        assert!(
            number(&r["scrollWidth"]) <= viewport,
            "{name}: the page is wider than the window: {r}"
        );
        assert!(
            number(&r["search"]) >= number(&r["placeholder"]),
            "{name}: the search box is narrower than its placeholder: {r}"
        );
        let links: Vec<(String, f64)> = r["links"]
            .as_array()
            .expect("links")
            .iter()
            .map(|link| {
                assert_eq!(link[2], true, "{name}: {link} points at a section");
                (link[0].as_str().expect("href").to_owned(), number(&link[1]))
            })
            .collect();
        assert_eq!(
            links, categories,
            "{name}: one link per category, with its events"
        );
        assert_eq!(r["scrolled"], true, "{name}: a category link scrolls");
        assert_eq!(
            r["hashKept"], true,
            "{name}: a category link keeps the filter"
        );
        let (nav, main) = (&r["nav"], &r["main"]);
        if name == "desktop" {
            assert_eq!(r["navOpen"], true, "the navigation is open: {r}");
            assert!(
                number(&nav[0]) + number(&nav[2]) <= number(&main[0]),
                "the navigation is beside the reference: {r}"
            );
        } else {
            assert_eq!(r["navOpen"], false, "the navigation starts folded: {r}");
            assert!(
                number(&nav[1]) < number(&main[1]),
                "the navigation is above the reference: {r}"
            );
            assert!(
                number(&main[2]) >= 0.9 * viewport,
                "the reference takes the width: {r}"
            );
            assert!(
                number(&r["header"]) < 0.25 * f64::from(window.height),
                "the header leaves room: {r}"
            );
        }

        let shot = page.with_file_name(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        chromium(
            &browser,
            window,
            &format!("--screenshot={}", shot.display()),
            &plain,
            "q=imap_command",
        );
        assert!(
            std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
            "{name}: a screenshot"
        );
        eprintln!("{name} screenshot: {}", shot.display());
    }

    // The navigation follows the filter.
    let frame = framed(&page, DESKTOP, "q=imap_command");
    let r = measured(&dump_dom(&browser, &frame, ""));
    let links: Vec<&str> = r["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|link| link[0].as_str().expect("href"))
        .collect();
    assert_eq!(links, ["#cat-imap"], "{r}");
}
