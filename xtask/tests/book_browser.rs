//! Opens the rendered book in headless Chromium and checks what a reader
//! would see: every chapter renders, the diffs are highlighted, and the
//! search finds `CLONE_NEWNET`.
//!
//! The test renders the book with `mdbook build` into Cargo's temporary
//! folder and reads it from `file://` URLs. It needs the `mdbook` and
//! `chromium` executables (Debian package `chromium`). When either is
//! missing it prints why it was skipped. `--dump-dom` prints the page after
//! its scripts ran, so the checks see the output of highlight.js and of
//! mdBook's search.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Time, in virtual milliseconds, that Chromium lets the page's scripts
/// run before it dumps the DOM. Virtual time advances as soon as the page
/// is idle, so this bounds the wait rather than adding to it.
const SCRIPT_TIME_BUDGET_MS: u32 = 10_000;

fn book_root() -> PathBuf {
    xtask::book_folder()
}

fn report_skip(reason: &str) {
    xtask::report_skip("book_browser", reason);
}

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"]
        .into_iter()
        .find_map(|name| {
            std::env::split_paths(&path)
                .map(|folder| folder.join(name))
                .find(|candidate| candidate.is_file())
        })
}

/// Loads `url` in a fresh headless Chromium profile and returns the DOM
/// after the page's scripts have run.
fn dump_dom(chromium: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().expect("a temporary profile folder can be created");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--virtual-time-budget={SCRIPT_TIME_BUDGET_MS}"))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("chromium starts");
    assert!(
        output.status.success(),
        "chromium failed on {url} with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Returns the chapter files that SUMMARY.md links, in order.
fn chapters() -> Vec<String> {
    let summary = std::fs::read_to_string(book_root().join("src/SUMMARY.md"))
        .expect("book/src/SUMMARY.md is readable");
    summary
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| target.ends_with(".md"))
        .map(str::to_string)
        .collect()
}

/// Returns the Chromium executable and a freshly rendered book's folder,
/// or `None` after printing why the test is skipped. The book is rendered
/// once per test run into Cargo's temporary folder for integration tests,
/// so that the check never reads a stale `book/book/`.
fn browser_and_book() -> Option<(PathBuf, PathBuf)> {
    static RENDERED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let Some(chromium) = find_chromium() else {
        report_skip("chromium is not on PATH: install the Debian package `chromium`");
        return None;
    };
    match RENDERED.get_or_init(render_book) {
        Ok(html) => Some((chromium, html.clone())),
        Err(reason) => {
            report_skip(reason);
            None
        }
    }
}

/// Runs `mdbook build` into a folder of its own and returns that folder.
fn render_book() -> Result<PathBuf, String> {
    let html = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rendered-book");
    let output = match Command::new("mdbook")
        .arg("build")
        .arg(book_root())
        .arg("--dest-dir")
        .arg(&html)
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            return Err(format!(
                "mdbook could not be started ({error}): install it with \
                 `cargo install --locked mdbook --version 0.5.4`"
            ));
        }
    };
    assert!(
        output.status.success(),
        "mdbook build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(html
        .canonicalize()
        .expect("the rendered book's path resolves"))
}

#[test]
fn browser_renders_every_chapter() {
    let Some((chromium, html)) = browser_and_book() else {
        return;
    };
    for chapter in chapters() {
        let page = chapter.replace(".md", ".html");
        let dom = dump_dom(&chromium, &format!("file://{}/{page}", html.display()));
        assert!(dom.contains("<main>"), "{page} has no <main> element");
        assert!(dom.contains("<h1"), "{page} has no heading");
        assert!(
            !dom.contains("{{#include"),
            "{page} shows an include that mdBook did not resolve"
        );

        // Every step chapter after the first shows its diff.
        if page.starts_with("step") && !page.starts_with("step1") {
            assert!(
                dom.contains("hljs-addition"),
                "{page} has no highlighted added lines: highlight.js did not run on its diffs"
            );
            assert!(
                dom.contains("hljs-deletion"),
                "{page} has no highlighted removed lines"
            );
        }
    }
}

#[test]
fn browser_search_finds_clone_newnet() {
    let Some((chromium, html)) = browser_and_book() else {
        return;
    };
    // mdBook 0.5 runs the query in the `search` parameter on load, and
    // lists the results in `ul#mdbook-searchresults`.
    let url = format!(
        "file://{}/introduction.html?search=CLONE_NEWNET",
        html.display()
    );
    let dom = dump_dom(&chromium, &url);
    let results = dom
        .split("id=\"mdbook-searchresults\"")
        .nth(1)
        .expect("the page has a search results list");
    let results = results.split("</ul>").next().unwrap_or(results);
    assert!(
        results.contains("<li>"),
        "the search for CLONE_NEWNET found nothing"
    );
    assert!(
        results.contains("step4-net.html"),
        "the search for CLONE_NEWNET does not list the chapter of step 4"
    );
}
