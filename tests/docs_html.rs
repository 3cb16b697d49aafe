//! The generated HTML reference, loaded in a real headless Chromium: its
//! search box and release filter must show exactly the events the schema
//! says they should.
//!
//! The page keeps its filter state in the URL fragment (`#q=…&v=…`), so the
//! test drives the same code path as typing, through the address bar.

use std::path::Path;
use std::process::Command;

use dovecot_events_codegen::emit::docs::{self, one_line};
use dovecot_events_codegen::model::EventModel;
use dovecot_events_codegen::{Version, load_dir};
use test_support::{Need, repo_root, require};

/// Loads `page#fragment` and returns the DOM after the page's script ran.
fn dump_dom(chromium: &Path, page: &Path, fragment: &str) -> String {
    let profile =
        std::env::temp_dir().join(format!("dovecot-events-chromium-{}", std::process::id()));
    let url = format!("file://{}#{fragment}", page.display());
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
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

#[test]
fn search_and_release_filter_work_in_a_real_browser() {
    let Some(found) = require(
        "search_and_release_filter_work_in_a_real_browser",
        &[Need::Chromium],
    ) else {
        return;
    };
    let chromium = found.chromium.expect("found with Need::Chromium");
    let model = load_dir(&repo_root().join("schema")).expect("valid schema");
    let dir = std::env::temp_dir().join(format!("dovecot-events-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let page = dir.join("events.html");
    let html = docs::render(&model, docs::Format::Html)
        .into_iter()
        .next()
        .expect("one HTML file")
        .contents;
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains(" src="),
        "the page must be self-contained"
    );
    std::fs::write(&page, html).expect("write page");

    let all = shown(&dump_dom(&chromium, &page, ""));
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
        let got = shown(&dump_dom(&chromium, &page, fragment));
        let want = expected(&model, query, version);
        assert_eq!(got, want, "#{fragment}");
        if fragment.starts_with("v=") {
            assert!(got.len() < all.len(), "#{fragment} hides something");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
