//! Invariants shared by the fuzz targets: no panic (libFuzzer aborts on one, even
//! inside lanyard's `catch_unwind`), every span in bounds and on a character boundary,
//! the same output for the same input, and no secret in what a report may show.

use lanyard::catalog::Catalog;
use lanyard::classify::FileKind;
use lanyard::syntax::doc::{Node, Parsed, Value};
use lanyard::scan::{NoticeKind, ScanResult};
use lanyard::syntax::source::{SourceFile, Span};

/// Assert a span lies inside `text` and both ends fall on character boundaries.
/// `text` is the file as the pipeline sees it (the same-length lossy decoding), so a
/// boundary there is a boundary in the original bytes' decoding too.
pub fn assert_span(text: &str, span: Span, what: &str) {
    assert!(span.start <= span.end, "{what}: span {span:?} is reversed");
    assert!(
        span.end as usize <= text.len(),
        "{what}: span {span:?} past the end ({})",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start as usize) && text.is_char_boundary(span.end as usize),
        "{what}: span {span:?} splits a character"
    );
}

/// Every node of the tree, keys included; iterative, like the crate's own walks.
pub fn assert_tree(text: &str, parsed: &Parsed) {
    for span in &parsed.comments {
        assert_span(text, *span, "comment");
    }
    for doc in &parsed.documents {
        let mut stack: Vec<&Node> = vec![&doc.root];
        while let Some(node) = stack.pop() {
            assert_span(text, node.span, "node");
            match &node.value {
                Value::Map(entries) => {
                    for e in entries {
                        stack.push(&e.key);
                        stack.push(&e.value);
                    }
                }
                Value::Seq(items) => stack.extend(items.iter()),
                Value::Scalar(_) | Value::Alias(_) => {}
            }
        }
    }
}

/// One parser on arbitrary bytes, through the public entry point the pipeline uses.
pub fn parse_one(path: &str, kind: FileKind, data: &[u8]) {
    let file = SourceFile::new(path, kind, data.to_vec());
    let first = lanyard::syntax::parse::parse(&file);
    let text = file.text();
    assert_eq!(text.len(), data.len(), "the decoding changed the length");
    match &first {
        Ok(Some(parsed)) => assert_tree(text, parsed),
        Ok(None) => {}
        Err(e) => {
            if let Some(span) = e.span {
                assert_span(text, span, "parse error");
            }
        }
    }
    let again = lanyard::syntax::parse::parse(&SourceFile::new(path, kind, data.to_vec()));
    assert_eq!(
        format!("{first:?}"),
        format!("{again:?}"),
        "the same input parsed differently"
    );
}

/// File names the pipeline target builds trees from: one of each kind the classifier
/// knows, plus generic ones that content sniffing refines.
pub const NAMES: &[&str] = &[
    ".env",
    "Dockerfile",
    "docker-compose.yml",
    "k8s/deployment.yaml",
    "chart/values.yaml",
    "chart/templates/deployment.yaml",
    ".github/workflows/ci.yml",
    "action.yml",
    ".gitlab-ci.yml",
    ".mcp.json",
    ".codex/config.toml",
    ".claude/settings.json",
    "cloudformation/stack.yaml",
    "main.tf",
    "main.tf.json",
    "credentials.json",
    ".kube/config",
    ".netrc",
    ".git-credentials",
    ".aws/credentials",
    ".aws/config",
    ".npmrc",
    ".pypirc",
    ".docker/config.json",
    "policy.json",
    "config.yaml",
    "data.json",
    "pyproject.toml",
    "notes.txt",
];

/// Split fuzz input into a small file tree: chunks separated by `\xff\xfe`, each chunk's
/// first byte picks its name.
pub fn tree(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut rest = data;
    while !rest.is_empty() && files.len() < 8 {
        let (chunk, next) = match rest.windows(2).position(|w| w == b"\xff\xfe") {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, &[][..]),
        };
        rest = next;
        let Some((pick, content)) = chunk.split_first() else {
            continue;
        };
        let name = NAMES[*pick as usize % NAMES.len()];
        // The same name twice gets its own directory, so both files are scanned.
        let path = if files.iter().any(|(p, _): &(String, Vec<u8>)| p == name) {
            format!("d{}/{name}", files.len())
        } else {
            name.to_owned()
        };
        files.push((path, content.to_vec()));
    }
    files
}

/// Everything a reporter prints, in order, for comparing runs.
fn rendering(result: &ScanResult) -> String {
    let mut out = String::new();
    for f in &result.findings {
        out.push_str(&format!(
            "{} {} {:?} {:?} {:?} {:?} {:?} {:?} {} {:?}\n",
            f.rule(),
            f.primary().path,
            f.primary().span,
            f.severity(),
            f.message(),
            f.help(),
            f.workload(),
            f.evidence(),
            f.fingerprint(),
            f.related()
        ));
    }
    for n in &result.notices {
        out.push_str(&format!("{n:?}\n"));
    }
    for (f, s) in &result.suppressed {
        out.push_str(&format!("suppressed {} {} {s:?}\n", f.rule(), f.fingerprint()));
    }
    out
}

/// The whole pipeline on a generated tree.
pub fn pipeline(data: &[u8]) {
    let files = tree(data);
    if files.is_empty() {
        return;
    }
    let Ok(first) = lanyard::scan::check_files(files.clone()) else {
        panic!("the builtin catalog failed to load");
    };
    let text_of = |path: &str| -> Option<String> {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| lanyard::syntax::source::lossy_same_length(b))
    };
    for n in &first.notices {
        assert_ne!(n.kind, NoticeKind::InternalError, "a check panicked: {n:?}");
        if let (Some(span), Some(text)) = (n.span, text_of(&n.path)) {
            assert_span(&text, span, "notice");
        }
    }
    for f in first
        .findings
        .iter()
        .chain(first.suppressed.iter().map(|(f, _)| f))
    {
        for label in std::iter::once(f.primary()).chain(f.related()) {
            let text = text_of(&label.path)
                .unwrap_or_else(|| panic!("{}: a label in a file that does not exist", f.rule()));
            assert_span(&text, label.span, f.rule());
        }
        for (span, _) in f.mask() {
            let text = text_of(&f.primary().path).unwrap_or_default();
            assert_span(&text, *span, "mask");
        }
    }
    // No secret the catalog knows survives in the copies reports quote, nor in any
    // text a finding carries.
    if let Ok(catalog) = Catalog::builtin() {
        let shown = rendering(&first);
        for (path, bytes) in &files {
            for m in catalog.scan(bytes) {
                let r = m.span.range();
                if let Some(kept) = first.files.get(path) {
                    let tail = kept.bytes.get(r.start + 12..r.end).unwrap_or_default();
                    assert!(
                        tail.iter().all(|b| matches!(b, b'*' | b'\n' | b'\r')),
                        "{path}: a secret is unmasked in the copy reports quote"
                    );
                }
                let secret = String::from_utf8_lossy(&bytes[r]);
                if secret.chars().count() >= 16 {
                    let head: String = secret.chars().take(13).collect();
                    assert!(
                        !shown.contains(&head),
                        "{path}: a finding or notice shows 13 characters of a secret"
                    );
                }
            }
        }
    }
    let Ok(second) = lanyard::scan::check_files(files) else {
        return;
    };
    assert_eq!(
        rendering(&first),
        rendering(&second),
        "output is not deterministic"
    );
}
