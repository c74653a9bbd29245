//! Rule ids and family names as users type them: whether a name is known, and the
//! closest known one for a "did you mean" hint.

use crate::findings::Family;

/// Whether `name` is a rule id or a family name.
pub fn is_known(name: &str) -> bool {
    Family::parse(name).is_some() || crate::rules::find(name).is_some()
}

/// The known rule id or family name closest to `name`, when one is close enough to be
/// a likely typo (at most a third of its characters differ).
pub fn did_you_mean(name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    let candidates = crate::rules::registry()
        .iter()
        .map(|r| r.meta().id)
        .chain(Family::ALL.iter().map(|f| f.as_str()));
    candidates
        .map(|c| (distance(&name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// " (did you mean `x`?)", or nothing.
pub fn hint(name: &str) -> String {
    did_you_mean(name).map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"))
}

/// Levenshtein distance over bytes (ids are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_closest_name() {
        assert_eq!(did_you_mean("human-tokn"), Some("human-token"));
        assert_eq!(
            did_you_mean("borrowed-credentials"),
            Some("borrowed-credential")
        );
        assert_eq!(did_you_mean("completely-unrelated-words"), None);
        assert!(is_known("human-token") && is_known("excessive-scope"));
        assert!(!is_known("human-tokn"));
    }
}
