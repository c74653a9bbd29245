//! Dockerfiles: what `COPY` and `ADD` take from the build context into the image.

use crate::model::runtime::ImageCopy;
use crate::syntax::doc::Document;

/// `COPY`/`ADD` instructions that copy from the build context (not `--from=` another
/// stage or image), with their sources and destination.
pub(super) fn image_copies(doc: &Document, out: &mut Vec<ImageCopy>) {
    for e in doc.root.entries() {
        if !matches!(e.key_str(), Some("COPY" | "ADD")) {
            continue;
        }
        let Some(text) = e.value.as_str() else {
            continue;
        };
        // Heredoc bodies follow the first line; only the arguments name paths.
        let line = text.lines().next().unwrap_or("");
        let words = copy_words(line);
        if words.iter().any(|w| w.starts_with("--from=")) {
            continue;
        }
        let paths: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let Some((dest, sources)) = paths.split_last() else {
            continue;
        };
        out.push(ImageCopy {
            span: e.value.span,
            sources: sources.iter().map(|s| (*s).to_owned()).collect(),
            dest: (*dest).to_owned(),
        });
    }
}

/// The words of `COPY`/`ADD` arguments, in shell form or JSON exec form.
fn copy_words(line: &str) -> Vec<&str> {
    let t = line.trim();
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .split(',')
            .map(|w| w.trim().trim_matches('"'))
            .filter(|w| !w.is_empty())
            .collect();
    }
    t.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_words_in_both_forms() {
        assert_eq!(
            copy_words("--chown=app .aws /root/.aws"),
            ["--chown=app", ".aws", "/root/.aws"]
        );
        assert_eq!(copy_words("[\"a b\", \"/dst/\"]"), ["a b", "/dst/"]);
    }
}
