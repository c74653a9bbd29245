//! The credential catalog: credential formats as data (`rules/*.toml`), compiled into
//! one keyword prefilter plus a regex per format.
//!
//! Every format records whose credential it is (a person's, delegated by a person, a
//! machine's, or ambiguous), how long it lives, and what to use instead. That is what
//! lets `human-token` say "this agent runs as a person" where a secret scanner only
//! says "a secret is here".

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;
use serde::Deserialize;

use crate::model::names::{NameKind, NameRule, name_parts, words};
use crate::model::rating::{Confidence, Severity};
use crate::syntax::source::Span;
use crate::syntax::text::{Redacted, secret_hash};

/// Built-in catalog files, embedded at build time.
const BUILTIN: &[(&str, &str)] = &[(
    "rules/credentials.toml",
    include_str!("../../rules/credentials.toml"),
)];

/// Whose credential a format is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Principal {
    /// Issued to a person (a PAT, a user token).
    Human,
    /// Acts on behalf of a person (OAuth access or refresh tokens).
    Delegated,
    /// Issued to a workload or app.
    Machine,
    /// Could be either; context decides.
    Ambiguous,
}

impl Principal {
    pub fn as_str(self) -> &'static str {
        match self {
            Principal::Human => "human",
            Principal::Delegated => "delegated",
            Principal::Machine => "machine",
            Principal::Ambiguous => "ambiguous",
        }
    }

    /// Person-bound credentials are `human-token` findings; the rest are static
    /// secrets.
    pub fn is_personal(self) -> bool {
        matches!(self, Principal::Human | Principal::Delegated)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifetime {
    LongLived,
    ShortLived,
    Refreshable,
}

impl Lifetime {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifetime::LongLived => "long-lived",
            Lifetime::ShortLived => "short-lived",
            Lifetime::Refreshable => "refreshable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub classic-format tokens: the last six base62 characters are the CRC32 of
    /// the rest.
    GithubCrc32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: u32,
    #[serde(default)]
    allow: Vec<RawAllow>,
    #[serde(default)]
    credential: Vec<RawCredential>,
    /// Names that carry a credential (see [`crate::model::names`]).
    #[serde(default)]
    person_name: Vec<crate::model::names::RawName>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    /// Exact secrets that are documented examples (`AKIAIOSFODNN7EXAMPLE`).
    #[serde(default)]
    secrets: Vec<String>,
    /// Regexes a secret may match to be treated as a placeholder.
    #[serde(default)]
    regexes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    id: String,
    name: String,
    provider: String,
    principal: Principal,
    /// Report as a person's credential (`human-token`) even though the principal is
    /// ambiguous (e.g. GitLab `glpat-`, which is usually a person's).
    #[serde(default)]
    personal: Option<bool>,
    lifetime: Lifetime,
    severity: Severity,
    confidence: Confidence,
    keywords: Vec<String>,
    regex: String,
    #[serde(default)]
    secret_group: usize,
    /// Minimum Shannon entropy (bits per character) of the secret after its prefix.
    #[serde(default)]
    entropy: f64,
    /// The public, non-secret prefix shown in redacted evidence.
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    checksum: Option<Checksum>,
    /// What the workload should use instead.
    alternative: String,
    #[serde(default)]
    allowlist: Vec<String>,
    /// Examples that must match. `{alnum:N}`, `{hex:N}`, `{upper32:N}`, `{digits:N}`,
    /// `{b64:N}` and `{lower:N}` are filled with random characters by the tests, so
    /// no secret-shaped string is committed.
    #[serde(default, rename = "match")]
    must_match: Vec<String>,
    #[serde(default, rename = "no_match")]
    must_not_match: Vec<String>,
}

/// One credential format, compiled.
#[derive(Debug)]
pub struct CredentialSpec {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub principal: Principal,
    /// Reported by `human-token` (true) or `machine-secret-literal` (false).
    pub personal: bool,
    pub lifetime: Lifetime,
    pub severity: Severity,
    pub confidence: Confidence,
    pub keywords: Vec<String>,
    pub regex: Regex,
    pub secret_group: usize,
    pub entropy: f64,
    pub prefix: String,
    pub checksum: Option<Checksum>,
    pub alternative: String,
    pub allowlist: Vec<Regex>,
    pub must_match: Vec<String>,
    pub must_not_match: Vec<String>,
    /// Which catalog file it came from (for error messages).
    pub source: String,
    /// A model provider's API key (a `model-provider` entry of the names table points
    /// at it): it buys model calls, not access to the organisation's resources.
    pub model_provider: bool,
}

/// A credential found in a file. Holds no secret in clear.
#[derive(Debug, Clone)]
pub struct CredentialMatch {
    /// Index into [`Catalog::specs`].
    pub spec: usize,
    /// Span of the secret itself.
    pub span: Span,
    pub redacted: Redacted,
    /// Hash of the secret, to join uses across files without keeping it.
    pub hash: String,
    /// `Some(true)` when a checksum proved the token well-formed, `Some(false)` when
    /// it failed (likely a fake or a typo), `None` when the format has none.
    pub checksum_ok: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: invalid catalog file: {message}")]
    Toml { file: String, message: String },
    #[error("{file}: credential `{id}`: invalid regex: {message}")]
    Regex {
        file: String,
        id: String,
        message: String,
    },
    #[error("{file}: credential `{id}`: {message}")]
    Invalid {
        file: String,
        id: String,
        message: String,
    },
    #[error("{file}: unsupported catalog version {version} (this lanyard reads version 1)")]
    Version { file: String, version: u32 },
}

/// All credential formats plus the shared prefilter.
#[derive(Debug)]
pub struct Catalog {
    pub specs: Vec<CredentialSpec>,
    /// Keyword automata (one unless the catalog grows past
    /// [`KEYWORDS_PER_AUTOMATON`] keywords), built as DFAs: an overlapping search runs
    /// the automaton byte by byte, and the default choice for this many keywords (an
    /// NFA) made the scan twice as slow. A format's keywords are all in one automaton,
    /// so its hits arrive in order.
    prefilters: Vec<Prefilter>,
    allow_secrets: HashSet<String>,
    allow_regexes: Vec<Regex>,
    /// The `[[person_name]]` table of every catalog file.
    pub names: Vec<NameRule>,
    /// Lower-case parts one of which every name the table can match contains: a cheap
    /// test that rules out most keys of a large file before splitting them into parts.
    name_anchors: Vec<String>,
}

/// One keyword automaton and, for each of its patterns, the specs it enables.
#[derive(Debug)]
struct Prefilter {
    automaton: AhoCorasick,
    keyword_specs: Vec<Vec<usize>>,
}

/// The most keywords one automaton holds. Overlapping searches run the automaton
/// itself (no SIMD prefilter), so each automaton is built as a DFA; past a few hundred
/// keywords a DFA grows large, and the keywords split into several.
const KEYWORDS_PER_AUTOMATON: usize = 400;

/// How far around a keyword hit the format regexes look. Credentials are short; a
/// bounded window keeps a 60 MB single-line file linear.
const WINDOW_BEFORE: usize = 256;
const WINDOW_AFTER: usize = 2048;
/// The longest credential tail after its keyword that a window must still contain.
const MAX_TAIL: usize = 512;
/// The longest match a format regex may extend to past its window (a 16384-bit PEM key
/// is about 13 KB).
const MAX_MATCH: usize = 64 * 1024;

impl Catalog {
    /// The catalog shipped in the binary.
    pub fn builtin() -> Result<&'static Catalog, &'static CatalogError> {
        static CATALOG: std::sync::OnceLock<Result<Catalog, CatalogError>> =
            std::sync::OnceLock::new();
        CATALOG
            .get_or_init(|| {
                Catalog::from_sources(BUILTIN.iter().map(|(n, t)| (n.to_string(), t.to_string())))
            })
            .as_ref()
    }

    /// The built-in catalog files as `(file name, TOML text)`, to extend with a
    /// project's own.
    pub fn builtin_sources() -> impl Iterator<Item = (String, String)> {
        BUILTIN
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
    }

    /// Treat these exact values as known non-secrets (from `lanyard.toml`).
    pub fn with_allowed(mut self, values: impl IntoIterator<Item = String>) -> Self {
        self.allow_secrets.extend(values);
        self
    }

    /// Compile catalog files given as `(file name, TOML text)`.
    pub fn from_sources(
        sources: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Catalog, CatalogError> {
        let mut specs = Vec::new();
        let mut allow_secrets = HashSet::new();
        let mut allow_regexes = Vec::new();
        let mut ids = HashSet::new();
        let mut raw_names = Vec::new();
        for (file, text) in sources {
            let raw: RawFile = toml::from_str(&text).map_err(|e| CatalogError::Toml {
                file: file.clone(),
                message: e.message().to_owned(),
            })?;
            if raw.version != 1 {
                return Err(CatalogError::Version {
                    file,
                    version: raw.version,
                });
            }
            raw_names.extend(raw.person_name.into_iter().map(|n| (file.clone(), n)));
            for allow in raw.allow {
                allow_secrets.extend(allow.secrets);
                for r in allow.regexes {
                    allow_regexes.push(compile(&r).map_err(|message| CatalogError::Regex {
                        file: file.clone(),
                        id: "allow".into(),
                        message,
                    })?);
                }
            }
            for c in raw.credential {
                let invalid = |message: &str| CatalogError::Invalid {
                    file: file.clone(),
                    id: c.id.clone(),
                    message: message.to_owned(),
                };
                if !ids.insert(c.id.clone()) {
                    return Err(invalid("duplicate id"));
                }
                if c.keywords.is_empty() || c.keywords.iter().any(|k| k.len() < 3) {
                    // A format without keywords would run its regex on every line; a
                    // short keyword enables it almost everywhere.
                    return Err(invalid("needs keywords of at least 3 characters"));
                }
                let regex = compile(&c.regex).map_err(|message| CatalogError::Regex {
                    file: file.clone(),
                    id: c.id.clone(),
                    message,
                })?;
                if c.secret_group >= regex.captures_len() {
                    return Err(invalid("secret_group exceeds the regex's groups"));
                }
                let allowlist = c
                    .allowlist
                    .iter()
                    .map(|r| compile(r))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|message| CatalogError::Regex {
                        file: file.clone(),
                        id: c.id.clone(),
                        message,
                    })?;
                specs.push(CredentialSpec {
                    keywords: c.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
                    id: c.id,
                    name: c.name,
                    provider: c.provider,
                    principal: c.principal,
                    personal: c.personal.unwrap_or(c.principal.is_personal()),
                    lifetime: c.lifetime,
                    severity: c.severity,
                    confidence: c.confidence,
                    regex,
                    secret_group: c.secret_group,
                    entropy: c.entropy,
                    prefix: c.prefix,
                    checksum: c.checksum,
                    alternative: c.alternative,
                    allowlist,
                    must_match: c.must_match,
                    must_not_match: c.must_not_match,
                    source: file.clone(),
                    model_provider: false,
                });
            }
        }
        let mut names = Vec::new();
        for (i, (file, raw)) in raw_names.into_iter().enumerate() {
            let rule = raw
                .compile(&file, |id| specs.iter().position(|s| s.id == id))
                .map_err(|message| CatalogError::Invalid {
                    file: file.clone(),
                    id: format!("person_name #{}", i + 1),
                    message,
                })?;
            if rule.kind == NameKind::ModelProvider
                && let Some(spec) = rule.format.and_then(|f| specs.get_mut(f))
            {
                spec.model_provider = true;
            }
            names.push(rule);
        }
        let prefilters = prefilters(&specs).map_err(|message| CatalogError::Invalid {
            file: "catalog".into(),
            id: "keywords".into(),
            message,
        })?;
        Ok(Catalog {
            specs,
            prefilters,
            allow_secrets,
            allow_regexes,
            name_anchors: anchors(&names),
            names,
        })
    }

    /// The entry that marks a variable, secret, input or field name as carrying a
    /// person's credential (pair entries aside: see [`Catalog::paired_names`]).
    pub fn personal_name(&self, name: &str) -> Option<&NameRule> {
        if !self.may_name(name) {
            return None;
        }
        let parts = name_parts(name);
        self.names.iter().find(|n| {
            n.kind == NameKind::Personal && n.with_email.is_empty() && n.matches_name(&parts)
        })
    }

    /// Pair entries that match `name`: a person's credential when their companion
    /// holds an email ([`NameRule::companion_is_email`]).
    pub fn paired_names<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a NameRule> + 'a {
        let parts = if self.may_name(name) {
            name_parts(name)
        } else {
            Vec::new()
        };
        self.names.iter().filter(move |n| {
            n.kind == NameKind::Personal && !n.with_email.is_empty() && n.matches_name(&parts)
        })
    }

    /// The entry for a flag of a server command line (`--access-token` of the Supabase
    /// server), or for a flag whose own name is a personal name (`--github-pat`).
    pub fn personal_flag(&self, flag: &str, command: &[&str]) -> Option<&NameRule> {
        self.names
            .iter()
            .find(|n| n.kind == NameKind::Personal && n.matches_flag(flag, command))
            .or_else(|| {
                let bare = flag.trim_start_matches('-');
                (bare.len() + 2 == flag.len() && bare.len() > 2)
                    .then(|| self.personal_name(bare))
                    .flatten()
            })
    }

    /// The entry whose phrase a description or prompt contains ("GitHub Personal
    /// Access Token").
    pub fn personal_phrase(&self, text: &str) -> Option<&NameRule> {
        let w = words(text);
        self.names
            .iter()
            .find(|n| n.kind == NameKind::Personal && n.matches_phrase(&w))
    }

    /// Whether any name entry could match `name` (see `name_anchors`).
    fn may_name(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.name_anchors.iter().any(|a| lower.contains(a.as_str()))
    }

    /// Whether a name is a model provider's API key (`ANTHROPIC_API_KEY`).
    pub fn model_provider_name(&self, name: &str) -> bool {
        if !self.may_name(name) {
            return false;
        }
        let parts = name_parts(name);
        self.names
            .iter()
            .any(|n| n.kind == NameKind::ModelProvider && n.matches_name(&parts))
    }

    /// Every keyword of every format, lower-cased (for benchmarks against `rg`).
    pub fn keywords(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .specs
            .iter()
            .flat_map(|s| s.keywords.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Find every credential in `bytes`.
    pub fn scan(&self, bytes: &[u8]) -> Vec<CredentialMatch> {
        let mut out: Vec<CredentialMatch> = Vec::new();
        // Per format, how far the text has been searched: a keyword repeated many
        // times on one long line must not rerun the regex over the same bytes.
        // Allocated at the first keyword hit: most files have none.
        let mut searched_until: Vec<usize> = Vec::new();
        let mut seen: HashSet<(usize, Span)> = HashSet::new();
        for (pf, hit) in self.prefilters.iter().flat_map(|pf| {
            pf.automaton
                .find_overlapping_iter(bytes)
                .map(move |h| (pf, h))
        }) {
            if searched_until.is_empty() {
                searched_until.resize(self.specs.len(), 0);
            }
            for &spec_idx in &pf.keyword_specs[hit.pattern().as_usize()] {
                if hit.end() + MAX_TAIL <= searched_until[spec_idx] {
                    continue;
                }
                let (ws, we) = window(bytes, hit.start(), hit.end());
                searched_until[spec_idx] = we;
                let spec = &self.specs[spec_idx];
                for caps in spec.regex.captures_iter(&bytes[ws..we]) {
                    let (Some(whole), Some(m)) = (caps.get(0), caps.get(spec.secret_group)) else {
                        continue;
                    };
                    let mut span = Span::new(ws + m.start(), ws + m.end());
                    if ws + whole.end() == we && we < bytes.len() {
                        // The match ran into the window's end: a long PEM block or session
                        // token may go on, and a secret cut short would be masked short.
                        span = extended_match(spec, bytes, ws + whole.start()).unwrap_or(span);
                    }
                    if !seen.insert((spec_idx, span)) {
                        continue;
                    }
                    let Ok(secret) = std::str::from_utf8(&bytes[span.range()]) else {
                        continue;
                    };
                    if self.is_allowed(spec, secret) {
                        continue;
                    }
                    out.push(CredentialMatch {
                        spec: spec_idx,
                        span,
                        redacted: Redacted::secret(secret, spec.prefix.len().max(4)),
                        hash: secret_hash(secret),
                        checksum_ok: spec
                            .checksum
                            .map(|c| verify_checksum(c, secret, &spec.prefix)),
                    });
                }
            }
        }
        out.sort_by_key(|m| (m.span, m.spec));
        out
    }

    /// Placeholders, documented examples and low-entropy strings are not credentials.
    fn is_allowed(&self, spec: &CredentialSpec, secret: &str) -> bool {
        if self.allow_secrets.contains(secret) {
            return true;
        }
        if spec.allowlist.iter().any(|r| r.is_match(secret.as_bytes()))
            || self
                .allow_regexes
                .iter()
                .any(|r| r.is_match(secret.as_bytes()))
        {
            return true;
        }
        let body = secret.strip_prefix(spec.prefix.as_str()).unwrap_or(secret);
        if is_placeholder(body) {
            return true;
        }
        spec.entropy > 0.0 && shannon_entropy(body) < spec.entropy
    }
}

/// Keyword automata: formats that share a keyword stay together, groups are packed
/// into automata of at most [`KEYWORDS_PER_AUTOMATON`] keywords.
fn prefilters(specs: &[CredentialSpec]) -> Result<Vec<Prefilter>, String> {
    // Groups of formats joined by shared keywords (a keyword belongs to one group).
    let mut group_of: Vec<usize> = (0..specs.len()).collect();
    fn root(g: &mut [usize], mut i: usize) -> usize {
        while g[i] != i {
            g[i] = g[g[i]];
            i = g[i];
        }
        i
    }
    for i in 0..specs.len() {
        for j in 0..i {
            if specs[i]
                .keywords
                .iter()
                .any(|k| specs[j].keywords.contains(k))
            {
                let (a, b) = (root(&mut group_of, i), root(&mut group_of, j));
                group_of[a] = b;
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in 0..specs.len() {
        let r = root(&mut group_of, i);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, members)) => members.push(i),
            None => groups.push((r, vec![i])),
        }
    }
    let mut out = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    let mut keyword_specs: Vec<Vec<usize>> = Vec::new();
    let mut flush = |keywords: &mut Vec<String>, keyword_specs: &mut Vec<Vec<usize>>| {
        if keywords.is_empty() {
            return Ok(());
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(keywords.iter())
            .map_err(|e| e.to_string())?;
        out.push(Prefilter {
            automaton,
            keyword_specs: std::mem::take(keyword_specs),
        });
        keywords.clear();
        Ok::<(), String>(())
    };
    for (_, members) in groups {
        let mut group_keywords: Vec<&String> =
            members.iter().flat_map(|&i| &specs[i].keywords).collect();
        group_keywords.sort();
        group_keywords.dedup();
        if !keywords.is_empty() && keywords.len() + group_keywords.len() > KEYWORDS_PER_AUTOMATON {
            flush(&mut keywords, &mut keyword_specs)?;
        }
        for k in group_keywords {
            keywords.push(k.clone());
            keyword_specs.push(
                members
                    .iter()
                    .copied()
                    .filter(|&i| specs[i].keywords.contains(k))
                    .collect(),
            );
        }
    }
    flush(&mut keywords, &mut keyword_specs)?;
    Ok(out)
}

/// For every name or part entry, its last part (lower-cased): a name it matches holds
/// that part, so a name holding none of them matches nothing.
fn anchors(names: &[NameRule]) -> Vec<String> {
    use crate::model::names::NameMatch;
    let mut out: Vec<String> = names
        .iter()
        .filter_map(|n| match &n.how {
            NameMatch::Part(p) | NameMatch::Name(p) => p.last().map(|l| l.to_ascii_lowercase()),
            NameMatch::Flag(_) | NameMatch::Phrase(_) => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn compile(pattern: &str) -> Result<Regex, String> {
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| e.to_string())
}

/// The bytes around a keyword hit that a format regex searches: from the start of
/// the hit's line (at most `WINDOW_BEFORE` back) to a bounded distance after it.
/// Not clamped to the line end: PEM keys span lines.
fn window(bytes: &[u8], start: usize, end: usize) -> (usize, usize) {
    let lo = start.saturating_sub(WINDOW_BEFORE);
    let hi = (end + WINDOW_AFTER).min(bytes.len());
    let ws = bytes[lo..start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(lo, |p| lo + p + 1);
    (ws, hi)
}

/// The secret span of the match of `spec` starting at `start`, searched without the
/// window's bound (but within `MAX_MATCH`).
fn extended_match(spec: &CredentialSpec, bytes: &[u8], start: usize) -> Option<Span> {
    let end = start.saturating_add(MAX_MATCH).min(bytes.len());
    let caps = spec.regex.captures(bytes.get(start..end)?)?;
    let m = caps.get(spec.secret_group)?;
    Some(Span::new(start + m.start(), start + m.end()))
}

/// Shannon entropy in bits per character.
pub fn shannon_entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Obvious placeholders: template and reference markers (`${VAR}`, `$(cmd)`,
/// `{{ .Values.x }}`, `<YOUR_TOKEN>`, `REPLACE_ME`, `changeme`), one repeated
/// character (or a run of 16), ascending or descending runs (`0123456789`, `abcdef`), and short units
/// repeated (`changemechangeme`). The run and repetition checks also apply to each
/// alphanumeric segment of 16 characters or more, so a placeholder inside a structured
/// secret (a PEM body after its header, the last part of a Slack token) is caught too;
/// a random segment that long is never periodic or sequential by chance.
pub fn is_placeholder(body: &str) -> bool {
    let b = body.as_bytes();
    if b.is_empty() {
        return true;
    }
    let lower = body.to_ascii_lowercase();
    const MARKERS: [&str; 13] = [
        "xxxx",
        "example",
        "placeholder",
        "replace",
        "changeme",
        "change_me",
        "your_",
        "your-",
        "yourtoken",
        "yourkey",
        "redacted",
        "dummy",
        "<",
    ];
    if MARKERS.iter().any(|m| lower.contains(m))
        || body.contains("${")
        || body.contains("{{")
        || body.contains("$(")
    {
        return true;
    }
    let distinct: HashSet<u8> = b.iter().copied().collect();
    if distinct.len() <= 2 || is_run_or_repeat(b) {
        return true;
    }
    // 16 identical characters in a row: filler, even inside a structured secret.
    if b.chunk_by(|x, y| x == y).any(|run| run.len() >= 16) {
        return true;
    }
    b.split(|c| !c.is_ascii_alphanumeric())
        .filter(|seg| seg.len() >= 16)
        .any(is_run_or_repeat)
}

/// Mostly sequential (each byte one more, or one less, than the previous in at least
/// 80% of positions), holding an ascending or descending run of 9 or more bytes
/// (`123456789`, never seen in a random token), or a unit of at most 12 bytes
/// repeated at least twice.
fn is_run_or_repeat(b: &[u8]) -> bool {
    if b.len() < 2 {
        return true;
    }
    let pairs = b.len() - 1;
    let mut up = 0;
    let mut down = 0;
    let (mut up_run, mut down_run) = (0, 0);
    for w in b.windows(2) {
        if w[1] == w[0].wrapping_add(1) {
            up += 1;
            up_run += 1;
        } else {
            up_run = 0;
        }
        if w[1] == w[0].wrapping_sub(1) {
            down += 1;
            down_run += 1;
        } else {
            down_run = 0;
        }
        if up_run >= 8 || down_run >= 8 {
            return true;
        }
    }
    if up * 5 >= pairs * 4 || down * 5 >= pairs * 4 {
        return true;
    }
    (1..=12.min(b.len() / 2)).any(|unit| b.iter().zip(&b[unit..]).all(|(x, y)| x == y))
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_fixed6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

fn verify_checksum(kind: Checksum, secret: &str, prefix: &str) -> bool {
    match kind {
        Checksum::GithubCrc32 => {
            let Some(body) = secret.strip_prefix(prefix) else {
                return false;
            };
            if body.len() < 7 || !body.is_ascii() {
                return false;
            }
            let (payload, check) = body.split_at(body.len() - 6);
            let crc = crc32fast::hash(payload.as_bytes());
            base62_fixed6(crc).as_slice() == check.as_bytes()
        }
    }
}

/// Append the GitHub checksum to a 30-character payload (tests generate valid fake
/// tokens with it).
pub fn github_token_with_checksum(prefix: &str, payload: &str) -> String {
    let crc = crc32fast::hash(payload.as_bytes());
    let check = base62_fixed6(crc);
    format!("{prefix}{payload}{}", String::from_utf8_lossy(&check))
}

/// Test support: the alphabet of a `{name:N}` template hole.
#[doc(hidden)]
pub fn template_alphabet(name: &str) -> Option<&'static [u8]> {
    Some(match name {
        "alnum" => BASE62,
        "hex" => b"0123456789abcdef",
        "upper32" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
        "lowerb32" => b"abcdefghijklmnopqrstuvwxyz234567",
        "digits" => b"0123456789",
        "b64" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "lower" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "alnumdash" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        _ => return None,
    })
}

/// Test support: a `match` template split into literal text and holes
/// (`(alphabet name, length)`), in order. Text that only looks like a hole stays text.
#[doc(hidden)]
pub fn template_parts(template: &str) -> Vec<TemplatePart<'_>> {
    let mut parts = Vec::new();
    let mut rest = template;
    let mut literal_start = 0;
    let mut pos = 0;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let hole = after.find('}').and_then(|close| {
            let (name, n) = after[..close].split_once(':')?;
            let n: usize = n.parse().ok()?;
            template_alphabet(name).map(|_| (name, n, close))
        });
        match hole {
            Some((name, n, close)) => {
                let abs = pos + open;
                if abs > literal_start {
                    parts.push(TemplatePart::Text(&template[literal_start..abs]));
                }
                parts.push(TemplatePart::Hole(name, n));
                let consumed = open + 1 + close + 1;
                pos += consumed;
                rest = &rest[consumed..];
                literal_start = pos;
            }
            None => {
                pos += open + 1;
                rest = &rest[open + 1..];
            }
        }
    }
    if literal_start < template.len() {
        parts.push(TemplatePart::Text(&template[literal_start..]));
    }
    parts
}

/// One piece of a `match` template.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplatePart<'a> {
    Text(&'a str),
    /// A hole: alphabet name and length.
    Hole(&'a str, usize),
}

/// Test support: fill a `match` template's holes with pseudo-random characters from a
/// deterministic generator (xorshift), so tests build fake credentials at run time and
/// none is committed.
#[doc(hidden)]
pub fn expand_template(template: &str, seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::with_capacity(template.len());
    for part in template_parts(template) {
        match part {
            TemplatePart::Text(t) => out.push_str(t),
            TemplatePart::Hole(name, n) => {
                let alphabet = template_alphabet(name).unwrap_or(BASE62);
                for _ in 0..n {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    out.push(char::from(
                        alphabet[(state % alphabet.len() as u64) as usize],
                    ));
                }
            }
        }
    }
    out
}

/// `text` with every credential the builtin catalog finds masked past its public
/// prefix, the way reports mask quoted source: for error messages that quote a file
/// from the scanned repository (a config or baseline that fails to parse). If the
/// catalog cannot load, nothing of the text is shown.
pub fn redact_text(text: &str) -> String {
    let Ok(catalog) = Catalog::builtin() else {
        return "(withheld)".to_owned();
    };
    let file = crate::syntax::source::SourceFile::new(
        "",
        crate::syntax::classify::FileKind::Text,
        text.as_bytes().to_vec(),
    );
    let secrets = catalog.scan(text.as_bytes()).into_iter().map(|m| {
        let visible = catalog
            .specs
            .get(m.spec)
            .map_or(0, |s| s.prefix.len().max(4));
        (m.span, visible)
    });
    file.masked(secrets).text().to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fake tokens from a template, reproducible per seed.
    pub(crate) struct FakeRng(u64);

    impl FakeRng {
        pub(crate) fn new(seed: u64) -> Self {
            Self(seed | 1)
        }
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        pub(crate) fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
            (0..n)
                .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
                .collect()
        }
    }

    /// Fill `{alnum:N}`-style holes with random characters.
    pub(crate) fn expand(template: &str, rng: &mut FakeRng) -> String {
        expand_template(template, rng.next())
    }

    #[test]
    fn builtin_catalog_compiles() {
        let cat = Catalog::builtin().expect("builtin catalog");
        assert!(cat.specs.len() >= 10);
    }

    #[test]
    fn every_example_behaves() {
        let cat = Catalog::builtin().unwrap();
        let mut rng = FakeRng::new(7);
        for (i, spec) in cat.specs.iter().enumerate() {
            assert!(
                !spec.must_match.is_empty(),
                "{}: no must-match examples",
                spec.id
            );
            assert!(
                !spec.must_not_match.is_empty(),
                "{}: no must-not-match examples",
                spec.id
            );
            for t in &spec.must_match {
                let example = expand(t, &mut rng);
                let lower = example.to_ascii_lowercase();
                assert!(
                    spec.keywords.iter().any(|k| lower.contains(k)),
                    "{}: example {t} contains no keyword",
                    spec.id
                );
                let found = cat.scan(example.as_bytes());
                let m = found
                    .iter()
                    .find(|m| m.spec == i)
                    .unwrap_or_else(|| panic!("{}: example {t} did not match", spec.id));
                // The keyword must lie inside what the regex matched, or the prefilter
                // could enable the rule on lines where it cannot match (gitleaks #2257).
                let matched = example[m.span.range()].to_ascii_lowercase();
                let whole = spec
                    .regex
                    .find(example.as_bytes())
                    .map(|x| String::from_utf8_lossy(x.as_bytes()).to_ascii_lowercase());
                assert!(
                    spec.keywords
                        .iter()
                        .any(|k| matched.contains(k)
                            || whole.as_deref().is_some_and(|w| w.contains(k))),
                    "{}: no keyword inside the match of {t}",
                    spec.id
                );
            }
            for example in &spec.must_not_match {
                assert!(
                    !cat.scan(example.as_bytes()).iter().any(|m| m.spec == i),
                    "{}: must-not-match example matched: {example}",
                    spec.id
                );
            }
        }
    }

    /// Every `[[person_name]]` entry: its `match` examples are recognised (at least
    /// one by the entry itself), its `no_match` examples by no entry of its kind.
    #[test]
    fn every_name_example_behaves() {
        use crate::model::names::{NameKind, NameMatch, looks_like_email, split_pair_example};
        let cat = Catalog::builtin().unwrap();
        assert!(cat.names.len() >= 40, "the names table is loaded");
        for (i, rule) in cat.names.iter().enumerate() {
            let what = format!("person_name #{} ({:?})", i + 1, rule.how);
            let recognised = |example: &str| -> (bool, bool) {
                match &rule.how {
                    NameMatch::Flag(_) => {
                        let (flag, command) = example.split_once(" | ").unwrap_or((example, ""));
                        let words: Vec<&str> = command.split_whitespace().collect();
                        (
                            rule.matches_flag(flag.trim(), &words),
                            cat.personal_flag(flag.trim(), &words).is_some(),
                        )
                    }
                    NameMatch::Phrase(_) => (
                        rule.matches_phrase(&crate::model::names::words(example)),
                        cat.personal_phrase(example).is_some(),
                    ),
                    NameMatch::Part(_) | NameMatch::Name(_) if !rule.with_email.is_empty() => {
                        let (name, companion) = split_pair_example(example);
                        let email = |r: &NameRule| {
                            r.companion_is_email(|n| {
                                companion.and_then(|(cn, cv)| (name_parts(cn) == n).then_some(cv))
                            })
                            .is_some()
                        };
                        let own = rule.matches_name(&name_parts(name)) && email(rule);
                        (own, own || cat.paired_names(name).any(email))
                    }
                    NameMatch::Part(_) | NameMatch::Name(_) => {
                        let own = rule.matches_name(&name_parts(example));
                        let any = match rule.kind {
                            NameKind::Personal => cat.personal_name(example).is_some(),
                            NameKind::ModelProvider => cat.model_provider_name(example),
                        };
                        (own, any)
                    }
                }
            };
            assert!(
                rule.must_match.iter().any(|e| recognised(e).0),
                "{what}: no `match` example matches the entry itself"
            );
            for e in &rule.must_match {
                assert!(
                    recognised(e).1,
                    "{what}: `match` example not recognised: {e}"
                );
            }
            for e in &rule.must_not_match {
                assert!(
                    !recognised(e).1,
                    "{what}: `no_match` example recognised: {e}"
                );
            }
        }
        assert!(looks_like_email("jane@acme.io"));
        // Model-provider entries mark their formats.
        let anthropic = cat
            .specs
            .iter()
            .find(|s| s.id == "anthropic-api-key")
            .unwrap();
        assert!(anthropic.model_provider);
        let oauth = cat
            .specs
            .iter()
            .find(|s| s.id == "anthropic-oauth-token")
            .unwrap();
        assert!(!oauth.model_provider);
    }

    /// Every password line of a file is its own match (a match must not run on into
    /// the next line), and commented lines are not.
    #[test]
    fn password_lines_are_found_one_by_one() {
        let cat = Catalog::builtin().unwrap();
        // Values made at run time: no password-shaped string in the source.
        let v: Vec<String> = (0..4)
            .map(|i| expand_template("{alnum:14}", 40 + i))
            .collect();
        let text = format!(
            "REDIS_PASSWORD={}\nSMTP_PWD={}\n# OLD_PASSWORD={}\nCONN=\"Server=db;Password={};\"\n",
            v[0], v[1], v[2], v[3]
        );
        let found: Vec<&str> = cat
            .scan(text.as_bytes())
            .iter()
            .map(|m| &text[m.span.range()])
            .collect();
        assert_eq!(found, [v[0].as_str(), v[1].as_str(), v[3].as_str()]);
    }

    #[test]
    fn github_checksum_raises_and_lowers_confidence() {
        let cat = Catalog::builtin().unwrap();
        let mut rng = FakeRng::new(11);
        let payload = rng.pick(BASE62, 30);
        let valid = github_token_with_checksum("ghp_", &payload);
        let found = cat.scan(format!("TOKEN={valid}\n").as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].checksum_ok, Some(true));
        let mut invalid = valid.clone();
        invalid.replace_range(valid.len() - 6.., "000000");
        let found = cat.scan(format!("TOKEN={invalid}\n").as_bytes());
        assert_eq!(
            found.len(),
            1,
            "an invalid checksum lowers confidence, never hides"
        );
        assert_eq!(found[0].checksum_ok, Some(false));
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "xxxxxxxxxxxxxxxxxxxx",
            "0123456789abcdefghij",
            "aaaaaaaaaaaaaaaa",
            "${GITHUB_TOKEN}",
            "<YOUR_TOKEN>",
            "REPLACE_ME",
            "changeme",
            "$(cat /run/secrets/token)",
            "{{ .Values.token }}",
            "${{ secrets.AGENT_TOKEN }}",
            "zyxwvutsrqponmlk",
            "Q7mZ0123456789abcRt",
            "abcabcabcabcabcabc",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        let mut rng = FakeRng::new(3);
        for _ in 0..1000 {
            assert!(!is_placeholder(&rng.pick(BASE62, 36)));
            assert!(!is_placeholder(&rng.pick(b"0123456789abcdef", 40)));
        }
        let cat = Catalog::builtin().unwrap();
        for whole in [
            "${{ secrets.X }}",
            "$DB_PASSWORD",
            "changeme",
            "your-api-key",
        ] {
            assert!(
                cat.allow_regexes
                    .iter()
                    .any(|r| r.is_match(whole.as_bytes())),
                "{whole}"
            );
        }
    }

    /// Every `match` template with its holes filled by placeholder forms must not match
    /// anything: fillers shaped like the hole (so the regex can still match and the
    /// placeholder filters must do the work) and references that replace it.
    #[test]
    fn placeholders_in_every_template_are_filtered() {
        let cat = Catalog::builtin().unwrap();
        let references = [
            "REPLACE_ME",
            "changeme",
            "<YOUR_TOKEN>",
            "${VAR}",
            "$(cmd)",
            "{{ .Values.x }}",
            "${{ secrets.X }}",
        ];
        for spec in &cat.specs {
            for t in &spec.must_match {
                let parts = template_parts(t);
                let fill = |f: &dyn Fn(&'static [u8], usize) -> String| -> String {
                    parts
                        .iter()
                        .map(|p| match p {
                            TemplatePart::Text(x) => (*x).to_owned(),
                            TemplatePart::Hole(name, n) => f(template_alphabet(name).unwrap(), *n),
                        })
                        .collect()
                };
                let repeat =
                    |unit: &str, n: usize| unit.chars().cycle().take(n).collect::<String>();
                let mut variants: Vec<(String, String)> = Vec::new();
                for r in references {
                    variants.push((format!("reference {r}"), fill(&|_, _| r.to_owned())));
                }
                for unit in ["REPLACEME", "changeme", "YOURTOKEN", "yourkey"] {
                    variants.push((format!("repeated {unit}"), fill(&|_, n| repeat(unit, n))));
                }
                variants.push((
                    "one character".into(),
                    fill(&|a, n| repeat(&char::from(a[0]).to_string(), n)),
                ));
                variants.push((
                    "another character".into(),
                    fill(&|a, n| repeat(&char::from(a[a.len() / 2]).to_string(), n)),
                ));
                variants.push((
                    "ascending".into(),
                    fill(&|a, n| repeat(std::str::from_utf8(a).unwrap(), n)),
                ));
                variants.push((
                    "descending".into(),
                    fill(&|a, n| {
                        let rev: String = a.iter().rev().map(|c| char::from(*c)).collect();
                        repeat(&rev, n)
                    }),
                ));
                for (what, text) in variants {
                    let found = cat.scan(text.as_bytes());
                    assert!(
                        found.is_empty(),
                        "{}: template {t} filled with {what} matched {:?}: {text}",
                        spec.id,
                        found
                            .iter()
                            .map(|m| &cat.specs[m.spec].id)
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
    }

    #[test]
    fn template_expansion_fills_only_known_holes() {
        let t = "A={alnum:4}{x}{hex:2}-{{ .Values.x }}";
        let out = expand_template(t, 1);
        assert_eq!(
            out.len(),
            "A=".len() + 4 + "{x}".len() + 2 + "-{{ .Values.x }}".len()
        );
        assert!(out.starts_with("A=") && out.contains("{x}") && out.ends_with("-{{ .Values.x }}"));
        assert_eq!(expand_template(t, 1), out, "deterministic per seed");
        assert_ne!(expand_template(t, 2), out);
    }

    #[test]
    fn long_pem_block_is_masked_whole() {
        let cat = Catalog::builtin().unwrap();
        let body: String = (0..120).map(|i| expand_template("{b64:64}\n", i)).collect();
        let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n");
        let text = format!("key: |\n{pem}other: 1\n");
        let found = cat.scan(text.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(text[found[0].span.range()].trim_end(), pem.trim_end());
    }

    #[test]
    fn long_single_line_is_scanned_in_windows() {
        let cat = Catalog::builtin().unwrap();
        let mut rng = FakeRng::new(5);
        let token = github_token_with_checksum("ghp_", &rng.pick(BASE62, 30));
        let mut line = "ghp_ ".repeat(200_000);
        line.push_str(&token);
        let found = cat.scan(line.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(&line[found[0].span.range()], token);
    }
}
