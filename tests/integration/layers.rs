//! The one rule of the house: imports point down. `src/` is split into layers (see
//! docs/architecture.md); a module may use its own layer and the ones below it, never
//! one above. Inside a layer, the modules it is made of must not import each other in
//! a circle. This test reads the sources (the `crate::` paths in code, test modules
//! left out) and fails on the first upward import or cycle, naming the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common;

/// The layers, lowest first.
const LAYERS: &[&str] = &[
    "syntax", "model", "findings", "rules", "scan", "report", "cli",
];

/// A source file's module path below `src/` (`model/extract/k8s.rs` →
/// `["model", "extract", "k8s"]`; `mod.rs` names its folder).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The source without `#[cfg(test)]` modules (tests may drive the whole pipeline) and
/// without comments (doc links name modules without importing them).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else {
            rest = "";
            break;
        };
        // Only a module is skipped whole; other test items are one line or a block.
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let semi = after.find(';').unwrap_or(after.len());
        rest = if semi < open {
            &after[semi + 1..]
        } else {
            &after[end..]
        };
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::a::b` paths in code, as `[a, b]` (the second part only when it is a module
/// of the same folder, which the caller decides).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let path: Vec<String> = code[i + "crate::".len()..]
            .split("::")
            .take(2)
            .map(|seg| {
                seg.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            })
            .take_while(|s: &String| !s.is_empty())
            .collect();
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the sources are readable") {
        let path = entry.expect("the sources are readable").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every module's imports, as (importing module, imported module) at the granularity
/// of a layer's direct submodules (`model::extract`, `syntax::doc`).
fn edges() -> Vec<(String, Vec<String>, Vec<String>)> {
    let src = common::root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .expect("the sources are readable")
            .to_path_buf();
        let from = module_of(&rel);
        let text = std::fs::read_to_string(&file).expect("the sources are readable");
        for to in crate_paths(&code_of(&text)) {
            out.push((rel.display().to_string(), from.clone(), to));
        }
    }
    out
}

fn layer(module: &[String]) -> Option<usize> {
    module
        .first()
        .and_then(|top| LAYERS.iter().position(|l| l == top))
}

#[test]
fn every_top_level_module_is_a_layer() {
    let src = common::root().join("src");
    for entry in std::fs::read_dir(&src).expect("the sources are readable") {
        let path = entry.expect("the sources are readable").path();
        let name = path
            .file_stem()
            .expect("the sources are readable")
            .to_string_lossy()
            .into_owned();
        if matches!(name.as_str(), "lib" | "main") || !(path.is_dir() || name.ends_with("rs")) {
            continue;
        }
        if path.is_dir() {
            assert!(
                LAYERS.contains(&name.as_str()),
                "src/{name}/ is not a layer: put it in one of {LAYERS:?} or add it to the list (and docs/architecture.md)"
            );
        }
    }
}

#[test]
fn imports_point_down() {
    let mut upward = Vec::new();
    for (file, from, to) in edges() {
        let (Some(a), Some(b)) = (layer(&from), layer(&to)) else {
            continue;
        };
        if b > a {
            upward.push(format!(
                "src/{file}: layer `{}` imports `crate::{}` from the higher layer `{}`",
                LAYERS[a],
                to.join("::"),
                LAYERS[b]
            ));
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

#[test]
fn modules_of_a_layer_import_each_other_without_cycles() {
    // Nodes are a layer's direct submodules; `model::extract::k8s` counts as
    // `model::extract`. A layer's root file (`findings/mod.rs`) is its own node.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, from, to) in edges() {
        if from.first() != to.first() || layer(&from).is_none() {
            continue;
        }
        let node = |m: &[String]| m.iter().take(2).cloned().collect::<Vec<_>>().join("::");
        let (a, b) = (node(&from), node(&to));
        if a != b {
            graph.entry(a).or_default().insert(b);
        }
    }
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_owned());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "modules import each other in a circle: {}",
                cycle.join(" → ")
            );
        }
    }
}

#[test]
fn the_checker_sees_an_upward_import_and_a_cycle() {
    // The parsing the tests above rely on, on text where the answer is known.
    let code = code_of(
        "use crate::rules::Rule; // crate::cli in a comment\n#[cfg(test)]\nmod tests {\n    use crate::scan::x;\n}\nfn f() { crate::model::facts::g(); }\n",
    );
    let paths = crate_paths(&code);
    assert_eq!(
        paths,
        vec![
            vec!["rules".to_owned(), "Rule".to_owned()],
            vec!["model".to_owned(), "facts".to_owned()],
        ]
    );
    assert!(layer(&paths[0]) > layer(&["model".to_owned()]));
}
