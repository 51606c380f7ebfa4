//! The roles each operation takes, read from the routes themselves and written down in
//! `docs/ROLES.md` (a test keeps the two equal: `UPDATE_SNAPSHOTS=1 cargo test -p api roles`
//! rewrites the table after a change of a route's role).
//!
//! A route names the least role it takes (`authn.shop(&auth, Role::Agent)`); roles are nested
//! (admin ⊇ agent ⊇ viewer). The front door refuses every write of a viewer key
//! (`guard::authenticate`), so a route that is not a GET takes at least an agent.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Who may call an operation.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Least {
        Viewer,
        Agent,
        Admin,
    }

    struct Row {
        operation: String,
        method: String,
        path: String,
        platform: bool,
        shop: Option<Least>,
        note: &'static str,
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

    /// Each operation's role, from its handler's first authentication call.
    fn rows() -> Vec<Row> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let spec: serde_json::Value = serde_json::from_str(&crate::http::openapi_json()).unwrap();
        let mut files = Vec::new();
        sources(&root.join("src/http"), &mut files);
        files.sort();
        let mut rows = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find("operation_id = \"") {
                rest = &rest[at + 16..];
                let operation = rest[..rest.find('"').unwrap()].to_owned();
                let body = &rest[..rest.find("#[oai(path").unwrap_or(rest.len())];
                let (method, path) = spec["paths"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .flat_map(|(p, ops)| ops.as_object().unwrap().iter().map(move |(m, o)| (p, m, o)))
                    .find(|(_, _, o)| o["operationId"] == operation.as_str())
                    .map(|(p, m, _)| (m.to_uppercase(), p.clone()))
                    .unwrap_or_else(|| panic!("{operation} is not in the spec"));
                let role = |name: &str| match name {
                    "Viewer" => Least::Viewer,
                    "Agent" => Least::Agent,
                    "Admin" => Least::Admin,
                    other => panic!("{operation}: unknown role {other}"),
                };
                let first_role = body.find("Role::").map(|i| body[i + 6..].split(|c: char| !c.is_alphanumeric()).next().unwrap());
                let (platform, shop, note) = if body.contains("Principal::Platform") {
                    (true, None, "")
                } else if body.contains("if override_opt_outs { Role::Admin } else { Role::Agent }") {
                    (false, Some(Least::Agent), "admin with `overrideOptOuts=true`")
                } else {
                    let r = role(first_role.unwrap_or_else(|| panic!("{operation} names no role")));
                    (body.contains("platform_or_shop("), Some(r), "")
                };
                // The front door refuses a viewer's writes.
                let shop = shop.map(|r| if method != "GET" { r.max(Least::Agent) } else { r });
                rows.push(Row { operation, method, path, platform, shop, note });
            }
        }
        rows.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
        rows
    }

    fn table(rows: &[Row]) -> String {
        let mark = |yes: bool| if yes { "✓" } else { "—" };
        let mut out = String::from(
            "| operation | method and path | platform key | admin | agent | viewer |\n| --- | --- | :-: | :-: | :-: | :-: |\n",
        );
        for r in rows {
            let (admin, agent, viewer) = match r.shop {
                None => (false, false, false),
                Some(l) => (true, l <= Least::Agent, l <= Least::Viewer),
            };
            let agent = if r.note.is_empty() { mark(agent).to_owned() } else { format!("✓ ({})", r.note) };
            out.push_str(&format!(
                "| `{}` | `{} {}` | {} | {} | {} | {} |\n",
                r.operation,
                r.method,
                r.path,
                mark(r.platform),
                mark(admin),
                agent,
                mark(viewer)
            ));
        }
        out
    }

    const BEGIN: &str = "<!-- roles:begin (generated from the routes: UPDATE_SNAPSHOTS=1 cargo test -p api roles) -->\n";
    const END: &str = "<!-- roles:end -->";

    #[test]
    fn the_roles_table_is_the_code_s() {
        let rows = rows();
        let spec: serde_json::Value = serde_json::from_str(&crate::http::openapi_json()).unwrap();
        let operations = spec["paths"].as_object().unwrap().values().flat_map(|o| o.as_object().unwrap().values()).count();
        assert_eq!(rows.len(), operations, "every operation of the spec has its row");
        let generated = table(&rows);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ROLES.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (head, tail) = doc.split_once(BEGIN).expect("docs/ROLES.md has the begin marker");
        let (current, after) = tail.split_once(END).expect("docs/ROLES.md has the end marker");
        if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
            std::fs::write(&path, format!("{head}{BEGIN}{generated}{END}{after}")).unwrap();
        } else {
            assert_eq!(current, generated, "docs/ROLES.md is not what the routes say: UPDATE_SNAPSHOTS=1 cargo test -p api roles");
        }
    }

    #[test]
    fn a_write_is_never_a_viewer_s() {
        for r in rows().iter().filter(|r| r.method != "GET") {
            assert_ne!(r.shop, Some(Least::Viewer), "{}", r.operation);
        }
    }
}
