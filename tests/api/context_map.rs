//! The context map, checked: every import from one bounded context to another in `domain` and
//! `application` must be on the map that docs/ARCHITECTURE.md writes down (the table between its
//! `context-map` markers), and the HTTP side never imports the workers. The map is read from the
//! document, so the two cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `context → the contexts it may import`, from the table in docs/ARCHITECTURE.md.
fn map() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let table = doc.split("<!-- context-map:begin -->").nth(1).and_then(|t| t.split("<!-- context-map:end -->").next()).expect("markers");
    let mut out = BTreeMap::new();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let allowed = cells[2].split(',').map(|c| c.trim().trim_matches('`').to_owned()).filter(|c| !c.is_empty() && c != "—").collect();
        out.insert(name, allowed);
    }
    out
}

/// The code of a file without comments and without its test module (tests may set up anything).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The contexts a file's code names: `crate::x`, `domain::x`, `application::x` (also inside a
/// grouped `use crate::{x::…, y::…}`), and `super::super::x`.
fn named(code: &str, contexts: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut consider = |word: &str| {
        if contexts.contains(word) {
            out.insert(word.to_owned());
        }
    };
    for root in ["crate::", "domain::", "application::", "super::super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(root) {
            // Only a path's start: not `my_crate::`.
            let before = rest[..at].chars().last();
            rest = &rest[at + root.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    consider(item.trim().split("::").next().unwrap_or(""));
                }
            } else {
                consider(rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or(""));
            }
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every import that the map does not allow, as `file: from → to`.
fn violations(map: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let contexts: BTreeSet<String> = map.keys().cloned().collect();
    let mut out = Vec::new();
    for krate in ["domain", "application"] {
        let src = root().join(krate).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        for file in files {
            let rel = file.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
            let from = file.strip_prefix(&src).unwrap().components().next().unwrap().as_os_str().to_string_lossy().replace(".rs", "");
            if !contexts.contains(&from) {
                // lib.rs and the test support are no context; any other folder is a context the
                // map must name (a new context cannot escape the check by being absent).
                if !["lib", "testing"].contains(&from.as_str()) {
                    out.push(format!("{rel}: the context {from} is not on the map"));
                }
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            out.extend(check(&rel, &from, &text, map, &contexts));
        }
    }
    out
}

fn check(rel: &str, from: &str, text: &str, map: &BTreeMap<String, BTreeSet<String>>, contexts: &BTreeSet<String>) -> Vec<String> {
    named(&code(text), contexts)
        .into_iter()
        .filter(|to| to != from && to != "shared" && !map[from].contains(to))
        .map(|to| format!("{rel}: {from} → {to}"))
        .collect()
}

#[test]
fn every_import_between_contexts_is_on_the_map() {
    let map = map();
    assert!(map.len() >= 10 && map["shared"].is_empty(), "{map:?}");
    let v = violations(&map);
    assert!(v.is_empty(), "imports the context map (docs/ARCHITECTURE.md) does not allow:\n{}", v.join("\n"));
}

/// The check itself: a forbidden import is caught, in a plain `use`, a grouped one and a path.
#[test]
fn a_forbidden_import_is_caught() {
    let map = map();
    let contexts: BTreeSet<String> = map.keys().cloned().collect();
    for text in [
        "use crate::customers::ports::CustomerReads;\nfn f() {}",
        "use crate::{shared::ports::Clock, customers::ports::CustomerReads};",
        "fn f(x: &dyn crate::customers::ports::CustomerReads) {}",
        "use domain::customers::Customer;",
    ] {
        assert_eq!(check("t.rs", "templates", text, &map, &contexts), ["t.rs: templates → customers"], "{text}");
    }
    // Allowed, a comment, and a test module are not imports.
    let fine = "use crate::accounts::ports::AccountReads; // crate::customers\n#[cfg(test)]\nmod tests { use crate::customers::X; }";
    assert!(check("t.rs", "templates", fine, &map, &contexts).is_empty());
}

#[test]
fn the_http_side_never_imports_the_workers() {
    let mut files = Vec::new();
    sources(&root().join("api/src/http"), &mut files);
    for file in files {
        let text = code(&std::fs::read_to_string(&file).unwrap());
        assert!(!text.contains("crate::workers"), "{} imports the workers", file.display());
    }
}
