//! Helm chart templates read as YAML: the Go template actions are neutralised, then
//! the text is parsed by the YAML adapter and every span is mapped back into the
//! template.
//!
//! This is a small, bounded renderer, not Helm. What it does with each action:
//!
//! * comments and definitions (`{{/* */}}`, `{{ define }}`) render nothing;
//! * `if`/`with`/`range` blocks are kept: a condition that is a plain lookup in the
//!   chart's `values.yaml` (`.Values.rbac.create`, `not`, `and`, `or`, `eq`, `empty`)
//!   decides its branch as `helm template` would with default values; an unknown
//!   condition keeps the first branch and drops the `else` branches; `range` over a list
//!   of `values.yaml` renders its body once per item, over anything else once;
//! * output actions that are plain lookups (`.Values.x.y`, `$.Values`, the `.` of a
//!   `with`/`range`, variables bound to those) with the usual pipeline functions
//!   (`default`, `quote`, `toYaml`, `nindent`, `indent`, `required`, `trunc`, ...) render
//!   the value, quoted for the YAML context it lands in; `.Release.Name` renders
//!   `release-name` and `.Release.Namespace` `default`, as `helm template` does;
//! * the named templates of the `helm create` scaffold are understood by their suffix:
//!   `<chart>.fullname` (`release-name-<chart>` unless `fullnameOverride`), `<chart>.name`,
//!   and `<chart>.serviceAccountName` (`serviceAccount.name`, else the full name when
//!   `serviceAccount.create` is true, else `default`), when `values.yaml` has the
//!   scaffold's `serviceAccount.create`;
//! * anything else renders a typed placeholder, `$helm_<what>` (`$helm_value`,
//!   `$helm_include`, `$helm_expr`, ...), which is a valid plain scalar in any YAML
//!   context and reads as a reference, not a literal; block insertions (`| nindent`)
//!   of unknown content render nothing.
//!
//! Spans of the parsed tree are spans of the template: literal text maps byte for byte,
//! and whatever an action rendered maps to the action (`{{ ... }}`) itself. The work is
//! linear in the template (one lexing pass, one rendering pass) plus the values it
//! copies, and bounded: block nesting, parenthesised pipelines, rendered size and the
//! number of actions executed (loops included) all have caps, past which the template
//! is reported as unparseable.

use std::collections::HashMap;
use std::ops::Range;

use super::ParseError;
use crate::syntax::doc::{Node, Parsed, ScalarKind, Value};
use crate::syntax::source::Span;

/// What a template is rendered with: the chart's name and version (`Chart.yaml`) and
/// its default values (`values.yaml`).
#[derive(Debug, Default)]
pub struct Chart {
    /// `name` of `Chart.yaml`, else the chart's directory name.
    pub name: String,
    pub version: Option<String>,
    pub app_version: Option<String>,
    /// The root of `values.yaml`; `None` when the chart has none (every lookup is then
    /// unknown, not empty).
    pub values: Option<Node>,
    /// The text of the chart's partials (`templates/_*.tpl` and the like), whose named
    /// templates `include` renders.
    pub partials: Vec<String>,
}

impl Chart {
    /// The chart facts of a parsed `Chart.yaml` (`name`, `version`, `appVersion`);
    /// `dir_name` when it names none.
    pub fn from_manifest(manifest: Option<&Node>, dir_name: &str) -> Chart {
        let text = |k: &str| manifest.and_then(|m| m.get(k)).and_then(Node::as_str);
        Chart {
            name: text("name").unwrap_or(dir_name).to_owned(),
            version: text("version").map(str::to_owned),
            app_version: text("appVersion").map(str::to_owned),
            values: None,
            partials: Vec::new(),
        }
    }
}

/// The chart root of a template path (`charts/agent/templates/deploy.yaml` →
/// `charts/agent`): the directory holding the innermost `templates/` folder; `""` for a
/// `templates/` folder at the top.
pub fn chart_root(path: &str) -> Option<&str> {
    if path.starts_with("templates/") {
        return Some("");
    }
    let i = path.rfind("/templates/")?;
    Some(&path[..i])
}

/// Most nested blocks (`if`, `with`, `range`, `define`) a template may open.
const MAX_BLOCKS: usize = 128;
/// Deepest parenthesised pipeline.
const MAX_PARENS: usize = 16;
/// Most actions one render executes (a `range` runs its body's actions again).
const MAX_STEPS: usize = 200_000;
/// Most bytes values may add to a template's rendering (beyond the template's own).
const MAX_GROWTH: usize = 4 << 20;

/// Parse a Helm template: render it, parse the rendering as YAML, map spans back.
/// `partial` templates (file names starting with `_`, such as `_helpers.tpl`) hold
/// named templates, not manifests: Helm never renders them, and neither does this.
pub(crate) fn parse(text: &str, chart: &Chart, partial: bool) -> Result<Parsed, ParseError> {
    if partial {
        return Ok(Parsed::default());
    }
    let rendered = render(text, chart)?;
    let mut parsed = super::yaml::parse(&rendered.text).map_err(|e| {
        ParseError::new(
            format!(
                "Helm template is not YAML once its template actions are neutralised ({})",
                e.message
            ),
            e.span.map(|s| rendered.map(s)),
        )
    })?;
    for doc in &mut parsed.documents {
        remap(&mut doc.root, &rendered);
    }
    for c in &mut parsed.comments {
        *c = rendered.map(*c);
    }
    Ok(parsed)
}

fn remap(node: &mut Node, r: &Rendered) {
    node.span = r.map(node.span);
    match &mut node.value {
        Value::Map(entries) => {
            for e in entries {
                remap(&mut e.key, r);
                remap(&mut e.value, r);
            }
        }
        Value::Seq(items) => {
            for item in items {
                remap(item, r);
            }
        }
        Value::Scalar(_) | Value::Alias(_) => {}
    }
}

/// A run of the rendering and where it came from: literal template text (byte for
/// byte) or the output of one action.
#[derive(Debug, Clone, Copy)]
struct Seg {
    out: usize,
    out_len: usize,
    orig: usize,
    orig_len: usize,
    literal: bool,
}

/// A template's rendering and the map back into the template.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub(crate) text: String,
    segs: Vec<Seg>,
    /// The template's length (where the end of the rendering maps).
    orig_len: usize,
}

impl Rendered {
    /// A span of the rendering as a span of the template.
    pub(crate) fn map(&self, s: Span) -> Span {
        let (start, end) = (s.start as usize, s.end as usize);
        let a = self.map_start(start);
        let b = self.map_end(end).max(a);
        Span::new(a, b)
    }

    fn map_start(&self, o: usize) -> usize {
        let i = self.segs.partition_point(|g| g.out <= o);
        let Some(g) = i.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return 0;
        };
        if o >= g.out + g.out_len {
            // Past the end of the rendering.
            return g.orig + g.orig_len;
        }
        if g.literal {
            g.orig + (o - g.out)
        } else {
            g.orig
        }
    }

    fn map_end(&self, o: usize) -> usize {
        let i = self.segs.partition_point(|g| g.out < o);
        let Some(g) = i.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return 0;
        };
        if g.literal {
            g.orig + (o - g.out).min(g.out_len)
        } else {
            g.orig + g.orig_len
        }
        .min(self.orig_len)
    }
}

// --- lexing ------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Piece {
    Text(Range<usize>),
    Action(Action),
}

#[derive(Debug, Clone)]
struct Action {
    /// `{{` to `}}` inclusive.
    span: Range<usize>,
    /// Between the delimiters and trim markers.
    inner: Range<usize>,
    trim_left: bool,
    trim_right: bool,
    comment: bool,
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn unterminated(at: usize) -> ParseError {
    ParseError::new(
        "Helm template has an unterminated template action",
        Some(Span::new(at, at + 2)),
    )
}

/// Split a template into text and actions, one pass; text around `{{-`/`-}}` is
/// trimmed as Go templates do.
fn lex(text: &str) -> Result<Vec<Piece>, ParseError> {
    let b = text.as_bytes();
    let mut pieces = Vec::new();
    let mut i = 0;
    while let Some(open) = find(b, i, b"{{") {
        if open > i {
            pieces.push(Piece::Text(i..open));
        }
        let mut j = open + 2;
        let trim_left = b.get(j) == Some(&b'-') && b.get(j + 1).copied().is_some_and(is_space);
        if trim_left {
            j += 1;
        }
        let mut k = j;
        while b.get(k).copied().is_some_and(is_space) {
            k += 1;
        }
        let action = if b.get(k..k + 2) == Some(b"/*") {
            let end = find(b, k + 2, b"*/").ok_or_else(|| unterminated(open))?;
            let mut m = end + 2;
            while b.get(m).copied().is_some_and(is_space) {
                m += 1;
            }
            let trim_right = b.get(m) == Some(&b'-') && m > end + 2;
            let close = if trim_right { m + 1 } else { m };
            if b.get(close..close + 2) != Some(b"}}") {
                return Err(unterminated(open));
            }
            Action {
                span: open..close + 2,
                inner: j..j,
                trim_left,
                trim_right,
                comment: true,
            }
        } else {
            let close = close_of(b, j).ok_or_else(|| unterminated(open))?;
            let trim_right = close >= j + 2 && b[close - 1] == b'-' && is_space(b[close - 2]);
            let inner_end = if trim_right { close - 1 } else { close };
            Action {
                span: open..close + 2,
                inner: j..inner_end.max(j),
                trim_left,
                trim_right,
                comment: false,
            }
        };
        i = action.span.end;
        pieces.push(Piece::Action(action));
    }
    if i < b.len() {
        pieces.push(Piece::Text(i..b.len()));
    }
    // Trim text next to trim markers.
    let n = pieces.len();
    for idx in 0..n {
        let trim_start = idx > 0 && matches!(&pieces[idx - 1], Piece::Action(a) if a.trim_right);
        let trim_end = matches!(pieces.get(idx + 1), Some(Piece::Action(a)) if a.trim_left);
        if let Piece::Text(r) = &mut pieces[idx] {
            if trim_start {
                while r.start < r.end && is_space(b[r.start]) {
                    r.start += 1;
                }
            }
            if trim_end {
                while r.end > r.start && is_space(b[r.end - 1]) {
                    r.end -= 1;
                }
            }
        }
    }
    Ok(pieces)
}

/// The `}}` closing an action whose text starts at `from`, outside string literals.
fn close_of(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'`' => {
                i = find(b, i + 1, b"`")? + 1;
            }
            b'}' if b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => i += 1,
        }
    }
    None
}

// --- values --------------------------------------------------------------------------

/// A value during rendering.
#[derive(Debug, Clone)]
enum Val<'a> {
    /// A node of `values.yaml`.
    Node(&'a Node),
    Str(String),
    Int(i64),
    Bool(bool),
    /// A key `values.yaml` does not have: renders empty, is false.
    Missing,
    /// Not known without running Helm: renders the placeholder `$helm_<what>`.
    Unknown(&'static str),
    /// `toYaml` of a node: a block under `nindent`/`indent`, flow YAML inline.
    Yaml(&'a Node),
    /// Text to render as is (the output of `quote`, `nindent`, ...).
    Raw(String),
    /// The top-level context (`.` outside `with`/`range`, `$`).
    Root,
}

impl Val<'_> {
    /// Go template truth; `None` when unknown.
    fn truth(&self) -> Option<bool> {
        match self {
            Val::Node(n) | Val::Yaml(n) => Some(match &n.value {
                Value::Map(e) => !e.is_empty(),
                Value::Seq(i) => !i.is_empty(),
                Value::Scalar(s) => match s.kind {
                    ScalarKind::Null => false,
                    ScalarKind::Bool => s.text.eq_ignore_ascii_case("true"),
                    ScalarKind::Number => !s.text.parse::<f64>().is_ok_and(|f| f == 0.0),
                    ScalarKind::Str | ScalarKind::Expr => !s.text.is_empty(),
                },
                Value::Alias(_) => return None,
            }),
            Val::Str(s) | Val::Raw(s) => Some(!s.is_empty()),
            Val::Int(i) => Some(*i != 0),
            Val::Bool(b) => Some(*b),
            Val::Missing => Some(false),
            Val::Unknown(_) => None,
            Val::Root => Some(true),
        }
    }

    /// The text of a scalar value; `None` for collections and unknowns.
    fn text(&self) -> Option<String> {
        match self {
            Val::Node(n) | Val::Yaml(n) => match &n.value {
                Value::Scalar(s) if s.kind == ScalarKind::Null => Some(String::new()),
                Value::Scalar(s) => Some(s.text.clone()),
                _ => None,
            },
            Val::Str(s) | Val::Raw(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::Bool(b) => Some(b.to_string()),
            Val::Missing => Some(String::new()),
            Val::Unknown(_) | Val::Root => None,
        }
    }
}

/// Follow `keys` from `v`.
fn lookup<'a>(mut v: Val<'a>, keys: &[&str]) -> Val<'a> {
    for k in keys {
        v = match v {
            Val::Node(n) => match &n.value {
                Value::Map(_) => n.get(k).map_or(Val::Missing, Val::Node),
                Value::Scalar(s) if s.kind == ScalarKind::Null => Val::Missing,
                _ => Val::Unknown("value"),
            },
            Val::Missing => Val::Missing,
            _ => return Val::Unknown("value"),
        };
    }
    v
}

// --- action syntax -----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Str(String),
    Num(&'a str),
    /// `.`, `.a.b`
    Field(&'a str),
    /// `$`, `$x`, `$x.a`
    Var(&'a str),
    Ident(&'a str),
    Pipe,
    Open,
    Close,
    Declare,
    Assign,
    Comma,
}

fn tokens(s: &str) -> Option<Vec<Tok<'_>>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Fields and variables run through dots (`.Values.a`, `$x.a`); identifiers stop
    // at one (`with.Values.a` is `with` and a field).
    let word_end = |mut j: usize, dots: bool| {
        while j < b.len()
            && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || (dots && b[j] == b'.'))
        {
            j += 1;
        }
        j
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'|' => {
                out.push(Tok::Pipe);
                i += 1;
            }
            b'(' => {
                out.push(Tok::Open);
                i += 1;
            }
            b')' => {
                out.push(Tok::Close);
                i += 1;
                // A field of a parenthesised value (`(.Values.x).y`) is not followed.
                if b.get(i) == Some(&b'.') {
                    let end = word_end(i + 1, true);
                    i = end.max(i + 1);
                }
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Declare);
                i += 2;
            }
            b'=' => {
                out.push(Tok::Assign);
                i += 1;
            }
            b'"' => {
                let mut text = String::new();
                i += 1;
                loop {
                    let ch = *b.get(i)?;
                    i += 1;
                    match ch {
                        b'"' => break,
                        b'\\' => {
                            let e = *b.get(i)?;
                            i += 1;
                            text.push(match e {
                                b'n' => '\n',
                                b't' => '\t',
                                other => other as char,
                            });
                        }
                        _ => {
                            // Copy the whole UTF-8 character.
                            let start = i - 1;
                            let mut end = i;
                            while end < b.len() && (b[end] & 0xC0) == 0x80 {
                                end += 1;
                            }
                            text.push_str(s.get(start..end)?);
                            i = end;
                        }
                    }
                }
                out.push(Tok::Str(text));
            }
            b'`' => {
                let end = find(b, i + 1, b"`")?;
                out.push(Tok::Str(s.get(i + 1..end)?.to_owned()));
                i = end + 1;
            }
            b'\'' => {
                // A character constant: its code, which no chart uses for anything
                // lanyard reads.
                let end = find(b, i + 1, b"'")?;
                out.push(Tok::Str(s.get(i + 1..end)?.to_owned()));
                i = end + 1;
            }
            b'.' => {
                let end = word_end(i + 1, true);
                out.push(Tok::Field(s.get(i..end)?));
                i = end;
            }
            b'$' => {
                let end = word_end(i + 1, true);
                out.push(Tok::Var(s.get(i..end)?));
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let mut end = i + 1;
                while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'.') {
                    end += 1;
                }
                out.push(Tok::Num(s.get(i..end)?));
                i = end;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = word_end(i, false);
                out.push(Tok::Ident(s.get(i..end)?));
                i = end;
            }
            _ => return None,
        }
    }
    Some(out)
}

// --- rendering ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    If,
    With,
    Range,
    Define,
    Block,
}

#[derive(Debug)]
struct Frame<'a> {
    kind: BlockKind,
    /// Whether the enclosing blocks render.
    parent: bool,
    /// Whether the current branch renders (before `parent`).
    on: bool,
    /// A branch was taken (or assumed taken): later `else` branches are dropped.
    done: bool,
    dot: Val<'a>,
    /// For `range`: the items still to render, the piece its body starts at and the
    /// variables it binds.
    rest: Vec<(Val<'a>, Val<'a>)>,
    body: usize,
    vars: (Option<String>, Option<String>),
}

/// A template text and its pieces: the template being parsed, or a partial of its
/// chart whose named templates it may include.
struct Source<'a> {
    text: &'a str,
    pieces: Vec<Piece>,
}

/// Deepest chain of `include`s.
const MAX_INCLUDES: usize = 16;

struct Renderer<'a> {
    chart: &'a Chart,
    /// `[0]` is the template being parsed; the rest are the chart's partials.
    sources: Vec<Source<'a>>,
    /// Named templates: the source and the piece their body starts at.
    defines: HashMap<String, (usize, usize)>,
    /// The rendering of the template being parsed, and where each run came from.
    out: String,
    segs: Vec<Seg>,
    /// Renderings of the `include`s in progress (innermost last).
    subs: Vec<String>,
    /// The source whose actions are executing.
    current: usize,
    /// What `$` is: the top-level context, or the data an `include` was given.
    root: Val<'a>,
    vars: HashMap<String, Val<'a>>,
    /// Bytes rendered so far (includes' too) and the most allowed.
    produced: usize,
    limit: usize,
    steps: usize,
    /// An error met inside an expression (a budget spent in an `include`), raised at
    /// the end of the action.
    failed: Option<ParseError>,
}

fn too_large() -> ParseError {
    ParseError::new(
        "Helm template renders too large or runs too long to be read",
        None,
    )
}

/// Render a template with a chart's default values and named templates (see the
/// module docs).
pub(crate) fn render(text: &str, chart: &Chart) -> Result<Rendered, ParseError> {
    let mut sources = vec![Source {
        text,
        pieces: lex(text)?,
    }];
    for partial in &chart.partials {
        // A partial Helm itself could not read defines nothing here either.
        if let Ok(pieces) = lex(partial) {
            sources.push(Source {
                text: partial,
                pieces,
            });
        }
    }
    let mut defines = HashMap::new();
    for (i, source) in sources.iter().enumerate() {
        for (ip, piece) in source.pieces.iter().enumerate() {
            let Piece::Action(a) = piece else { continue };
            let inner = source.text.get(a.inner.clone()).unwrap_or_default();
            if let Some(toks) = tokens(inner)
                && let [Tok::Ident("define" | "block"), Tok::Str(name), ..] = toks.as_slice()
            {
                // The template's own definitions win over the partials'.
                defines.entry(name.clone()).or_insert((i, ip + 1));
            }
        }
    }
    let mut r = Renderer {
        chart,
        sources,
        defines,
        out: String::with_capacity(text.len()),
        segs: Vec::new(),
        subs: Vec::new(),
        current: 0,
        root: Val::Root,
        vars: HashMap::new(),
        produced: 0,
        limit: text.len().saturating_add(MAX_GROWTH),
        steps: 0,
        failed: None,
    };
    r.exec(0, 0, Val::Root, false)?;
    Ok(Rendered {
        text: r.out,
        segs: r.segs,
        orig_len: text.len(),
    })
}

/// Split `$a, $b :=` off the front of a pipeline.
fn declarations<'t, 'a>(toks: &'t [Tok<'a>]) -> (Vec<&'a str>, &'t [Tok<'a>]) {
    let assign = toks
        .iter()
        .position(|t| matches!(t, Tok::Declare | Tok::Assign));
    match assign {
        Some(i)
            if toks[..i]
                .iter()
                .all(|t| matches!(t, Tok::Var(_) | Tok::Comma)) =>
        {
            let names = toks[..i]
                .iter()
                .filter_map(|t| match t {
                    Tok::Var(v) => Some(*v),
                    _ => None,
                })
                .collect();
            (names, &toks[i + 1..])
        }
        _ => (Vec::new(), toks),
    }
}

impl<'a> Renderer<'a> {
    /// Execute the pieces of source `src` from `start` with `.` = `dot`: the whole
    /// template, or (`body`) a named template's body up to its closing `end`.
    fn exec(
        &mut self,
        src: usize,
        start: usize,
        dot: Val<'a>,
        body: bool,
    ) -> Result<(), ParseError> {
        let mut stack: Vec<Frame<'a>> = Vec::new();
        let mut ip = start;
        loop {
            let Some(piece) = self
                .sources
                .get(src)
                .and_then(|s| s.pieces.get(ip))
                .cloned()
            else {
                return Ok(());
            };
            ip += 1;
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(too_large());
            }
            let on = stack.last().is_none_or(|f| f.parent && f.on);
            let action = match piece {
                Piece::Text(range) => {
                    if on {
                        self.literal(src, range)?;
                    }
                    continue;
                }
                Piece::Action(a) => a,
            };
            if action.comment {
                continue;
            }
            let text = self.sources.get(src).map_or("", |s| s.text);
            let inner = text.get(action.inner.clone()).unwrap_or_default();
            let toks = tokens(inner).unwrap_or_default();
            let here = stack.last().map_or_else(|| dot.clone(), |f| f.dot.clone());
            let keyword = match toks.first() {
                Some(Tok::Ident(w)) => *w,
                _ => "",
            };
            match keyword {
                "if" | "with" | "range" | "define" | "block" => {
                    if stack.len() >= MAX_BLOCKS {
                        return Err(ParseError::new(
                            "Helm template nests blocks too deeply to be read",
                            (src == 0).then(|| Span::new(action.span.start, action.span.end)),
                        ));
                    }
                    let kind = match keyword {
                        "if" => BlockKind::If,
                        "with" => BlockKind::With,
                        "range" => BlockKind::Range,
                        "define" => BlockKind::Define,
                        _ => BlockKind::Block,
                    };
                    let mut frame = Frame {
                        kind,
                        parent: on,
                        on: false,
                        done: false,
                        dot: here.clone(),
                        rest: Vec::new(),
                        body: ip,
                        vars: (None, None),
                    };
                    if on {
                        self.current = src;
                        self.open(&mut frame, &toks[1..], &here);
                    }
                    stack.push(frame);
                }
                "else" => {
                    // The `.` of an `else` branch is the enclosing block's.
                    let outer = stack
                        .len()
                        .checked_sub(2)
                        .and_then(|i| stack.get(i))
                        .map_or_else(|| dot.clone(), |f| f.dot.clone());
                    let Some(frame) = stack.last_mut() else {
                        continue;
                    };
                    if !frame.parent || frame.done {
                        frame.on = false;
                        frame.done = true;
                        continue;
                    }
                    frame.dot = outer;
                    self.current = src;
                    match toks.get(1) {
                        Some(Tok::Ident("if")) => {
                            let cond = self.pipeline(&toks[2..], &frame.dot, 0);
                            frame.on = cond.truth() != Some(false);
                            frame.done = frame.on;
                        }
                        Some(Tok::Ident("with")) => {
                            let v = self.pipeline(&toks[2..], &frame.dot, 0);
                            frame.on = v.truth() != Some(false);
                            frame.done = frame.on;
                            if frame.on {
                                frame.dot = v;
                            }
                        }
                        _ => {
                            frame.on = true;
                            frame.done = true;
                            frame.rest.clear();
                        }
                    }
                }
                "end" => {
                    let Some(frame) = stack.last_mut() else {
                        // The `end` of the named template being rendered.
                        if body {
                            return Ok(());
                        }
                        continue;
                    };
                    if frame.kind == BlockKind::Range
                        && frame.parent
                        && frame.on
                        && !frame.rest.is_empty()
                    {
                        let (key, item) = frame.rest.remove(0);
                        frame.dot = item.clone();
                        if let Some(k) = &frame.vars.0 {
                            self.vars.insert(k.clone(), key);
                        }
                        if let Some(v) = &frame.vars.1 {
                            self.vars.insert(v.clone(), item);
                        }
                        ip = frame.body;
                        continue;
                    }
                    stack.pop();
                }
                "break" | "continue" => {}
                _ if on => {
                    self.current = src;
                    self.output(&action, &toks, &here)?;
                }
                _ => {}
            }
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
        }
    }

    /// Add rendered text: to the innermost `include` in progress, else to the
    /// template's rendering with where it came from.
    fn push(&mut self, text: &str, orig: Range<usize>, literal: bool) -> Result<(), ParseError> {
        if text.is_empty() {
            return Ok(());
        }
        self.produced += text.len();
        if self.produced > self.limit {
            return Err(too_large());
        }
        if let Some(sub) = self.subs.last_mut() {
            sub.push_str(text);
            return Ok(());
        }
        self.segs.push(Seg {
            out: self.out.len(),
            out_len: text.len(),
            orig: orig.start,
            orig_len: orig.end - orig.start,
            literal,
        });
        self.out.push_str(text);
        Ok(())
    }

    fn literal(&mut self, src: usize, range: Range<usize>) -> Result<(), ParseError> {
        let text = self.sources.get(src).map_or("", |s| s.text);
        let piece = text.get(range.clone()).unwrap_or_default();
        self.push(piece, range, true)
    }

    /// The rendering the next text lands in (an `include`'s, or the template's).
    fn sink(&self) -> &str {
        self.subs.last().map_or(self.out.as_str(), String::as_str)
    }

    /// Decide how a block opens: its first branch, its `.`, a range's items.
    fn open(&mut self, frame: &mut Frame<'a>, toks: &[Tok<'_>], dot: &Val<'a>) {
        match frame.kind {
            BlockKind::Define => {}
            BlockKind::Block => {
                frame.on = true;
                frame.done = true;
            }
            BlockKind::If => {
                let cond = self.pipeline(toks, dot, 0);
                // Unknown: render the first branch, drop the others.
                frame.on = cond.truth() != Some(false);
                frame.done = frame.on;
            }
            BlockKind::With => {
                let (names, rest) = declarations(toks);
                let v = self.pipeline(rest, dot, 0);
                frame.on = v.truth() != Some(false);
                frame.done = frame.on;
                if let Some(name) = names.first() {
                    self.vars.insert((*name).to_owned(), v.clone());
                }
                frame.dot = v;
            }
            BlockKind::Range => {
                let (names, rest) = declarations(toks);
                let v = self.pipeline(rest, dot, 0);
                let (key, value) = match names.as_slice() {
                    [v] => (None, Some((*v).to_owned())),
                    [k, v, ..] => (Some((*k).to_owned()), Some((*v).to_owned())),
                    [] => (None, None),
                };
                frame.vars = (key, value);
                let mut items: Vec<(Val<'a>, Val<'a>)> = match &v {
                    Val::Node(n) => match &n.value {
                        Value::Seq(items) => items
                            .iter()
                            .enumerate()
                            .map(|(i, n)| (Val::Int(i as i64), Val::Node(n)))
                            .collect(),
                        Value::Map(entries) => entries
                            .iter()
                            .map(|e| {
                                (
                                    Val::Str(e.key.as_text().unwrap_or_default().to_owned()),
                                    Val::Node(&e.value),
                                )
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                    Val::Missing => Vec::new(),
                    // Unknown: render the body once, its `.` unknown.
                    _ => vec![(Val::Unknown("value"), Val::Unknown("value"))],
                };
                if items.is_empty() {
                    frame.on = false;
                    return;
                }
                let (key, first) = items.remove(0);
                frame.on = true;
                frame.done = true;
                frame.dot = first.clone();
                if let Some(k) = &frame.vars.0 {
                    self.vars.insert(k.clone(), key);
                }
                if let Some(name) = &frame.vars.1 {
                    self.vars.insert(name.clone(), first);
                }
                frame.rest = items;
            }
        }
    }

    /// An output action (or a variable assignment, which outputs nothing).
    fn output(
        &mut self,
        action: &Action,
        toks: &[Tok<'_>],
        dot: &Val<'a>,
    ) -> Result<(), ParseError> {
        let (names, rest) = declarations(toks);
        let v = if matches!(toks.first(), Some(Tok::Ident("template"))) {
            // `template "name" .` is `include` without a pipeline.
            self.call("include", &toks[1..], dot, None, 0)
        } else {
            self.pipeline(rest, dot, 0)
        };
        if !names.is_empty() {
            for n in names {
                self.vars.insert(n.to_owned(), v.clone());
            }
            return Ok(());
        }
        let span = action.span.clone();
        let text = match v {
            Val::Raw(s) => s,
            // Alone on its line, unknown output is a block of unknown content (labels, a
            // `tpl`'d list): it renders nothing, like an unknown `nindent`.
            Val::Unknown(_) if self.alone_on_line(&span) => String::new(),
            Val::Unknown(what) => placeholder(what),
            // `toYaml` alone on its line is a block, as Go writes it (its first line
            // after the line's indentation, the others at the margin).
            Val::Yaml(n) if self.alone_on_line(&span) => block(n, 0),
            Val::Yaml(n) => flow(n),
            other => match other.text() {
                Some(t) => self.scalar_in_context(&t, &span),
                None => placeholder("value"),
            },
        };
        self.push(&text, span, false)
    }

    /// The text of the current source after an action, to the end of its line.
    fn after(&self, action: &Range<usize>) -> &str {
        let text = self.sources.get(self.current).map_or("", |s| s.text);
        text.get(action.end..).unwrap_or_default()
    }

    /// Whether nothing but blanks surrounds the action on its rendered line.
    fn alone_on_line(&self, action: &Range<usize>) -> bool {
        let sink = self.sink();
        let line_start = sink.rfind('\n').map_or(0, |i| i + 1);
        let before = sink.get(line_start..).unwrap_or_default();
        let after = self.after(action).split('\n').next().unwrap_or_default();
        before.trim().is_empty() && after.trim().is_empty()
    }

    /// A scalar's text, written so that the YAML around the action keeps its shape.
    fn scalar_in_context(&self, value: &str, action: &Range<usize>) -> String {
        let sink = self.sink();
        let line_start = sink.rfind('\n').map_or(0, |i| i + 1);
        let from = line_start.max(sink.len().saturating_sub(4096));
        let line = sink.get(from..).unwrap_or_default();
        match quote_state(line) {
            Quote::Double => json_inner(value),
            Quote::Single => value.replace('\'', "''").replace('\n', " "),
            Quote::Comment => value.replace(['\n', '\r'], " "),
            Quote::Plain { at_start } => {
                let next = self
                    .after(action)
                    .trim_start_matches([' ', '\t'])
                    .chars()
                    .next();
                let whole = at_start
                    && (next.is_none_or(|c| matches!(c, '\n' | '\r' | ',' | ']' | '}' | '#')));
                if value.is_empty() {
                    String::new()
                } else if plain_safe(value, at_start) {
                    value.to_owned()
                } else if whole {
                    json_quoted(value)
                } else {
                    placeholder("value")
                }
            }
        }
    }

    /// A pipeline: commands separated by `|`, each given the previous one's value.
    fn pipeline(&mut self, toks: &[Tok<'_>], dot: &Val<'a>, depth: usize) -> Val<'a> {
        if depth > MAX_PARENS {
            return Val::Unknown("expr");
        }
        let mut piped: Option<Val<'a>> = None;
        for cmd in split_top(toks, |t| *t == Tok::Pipe) {
            piped = Some(self.command(cmd, dot, piped, depth));
        }
        piped.unwrap_or(Val::Unknown("expr"))
    }

    fn command(
        &mut self,
        toks: &[Tok<'_>],
        dot: &Val<'a>,
        piped: Option<Val<'a>>,
        depth: usize,
    ) -> Val<'a> {
        match toks.first() {
            Some(Tok::Ident(name)) if !matches!(*name, "true" | "false" | "nil") => {
                self.call(name, &toks[1..], dot, piped, depth)
            }
            Some(_) => {
                let args = self.operands(toks, dot, depth);
                args.into_iter().next().unwrap_or(Val::Unknown("expr"))
            }
            None => piped.unwrap_or(Val::Unknown("expr")),
        }
    }

    /// The values of a command's operands.
    fn operands(&mut self, toks: &[Tok<'_>], dot: &Val<'a>, depth: usize) -> Vec<Val<'a>> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(t) = toks.get(i) {
            i += 1;
            out.push(match t {
                Tok::Str(s) => Val::Str(s.clone()),
                Tok::Num(n) => n.parse::<i64>().map_or(Val::Str((*n).to_owned()), Val::Int),
                Tok::Field(f) => self.field(f, dot),
                Tok::Var(v) => self.variable(v),
                Tok::Ident("true") => Val::Bool(true),
                Tok::Ident("false") => Val::Bool(false),
                Tok::Ident("nil") => Val::Missing,
                Tok::Ident(name) => self.call(name, &[], dot, None, depth),
                Tok::Open => {
                    let close = matching_close(&toks[i..]).map_or(toks.len(), |c| i + c);
                    let v = self.pipeline(&toks[i..close], dot, depth + 1);
                    i = close + 1;
                    v
                }
                _ => Val::Unknown("expr"),
            });
        }
        out
    }

    fn variable(&self, v: &str) -> Val<'a> {
        let mut parts = v.split('.');
        let name = parts.next().unwrap_or("$");
        let keys: Vec<&str> = parts.filter(|k| !k.is_empty()).collect();
        let base = if name == "$" {
            self.root.clone()
        } else {
            match self.vars.get(name) {
                Some(v) => v.clone(),
                None => return Val::Unknown("value"),
            }
        };
        self.follow(base, &keys)
    }

    fn field(&self, f: &str, dot: &Val<'a>) -> Val<'a> {
        let keys: Vec<&str> = f.split('.').filter(|k| !k.is_empty()).collect();
        // `.Values` always means the chart's values, even inside `with`/`range`
        // (charts write `$.Values` there; reading `.Values` leniently costs nothing).
        if matches!(
            keys.first(),
            Some(&("Values" | "Release" | "Chart" | "Capabilities" | "Files" | "Template"))
        ) {
            return self.follow(Val::Root, &keys);
        }
        self.follow(dot.clone(), &keys)
    }

    /// Follow keys from a value; from the root, the built-in objects.
    fn follow(&self, base: Val<'a>, keys: &[&str]) -> Val<'a> {
        let Val::Root = base else {
            return lookup(base, keys);
        };
        let Some((first, rest)) = keys.split_first() else {
            return Val::Root;
        };
        match *first {
            "Values" => match &self.chart.values {
                Some(values) => lookup(Val::Node(values), rest),
                None => Val::Unknown("value"),
            },
            "Release" => match rest {
                ["Name"] => Val::Str("release-name".to_owned()),
                ["Namespace"] => Val::Str("default".to_owned()),
                ["Service"] => Val::Str("Helm".to_owned()),
                _ => Val::Unknown("release"),
            },
            "Chart" => match rest {
                ["Name"] => Val::Str(self.chart.name.clone()),
                ["Version"] => self
                    .chart
                    .version
                    .clone()
                    .map_or(Val::Unknown("chart"), Val::Str),
                ["AppVersion"] => self
                    .chart
                    .app_version
                    .clone()
                    .map_or(Val::Unknown("chart"), Val::Str),
                _ => Val::Unknown("chart"),
            },
            "Capabilities" => Val::Unknown("capabilities"),
            _ => Val::Unknown("expr"),
        }
    }

    /// A function call; `piped` is the value of the previous command, its last argument.
    fn call(
        &mut self,
        name: &str,
        arg_toks: &[Tok<'_>],
        dot: &Val<'a>,
        piped: Option<Val<'a>>,
        depth: usize,
    ) -> Val<'a> {
        let mut args = self.operands(arg_toks, dot, depth);
        args.extend(piped);
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Missing);
        let last = args.last().cloned().unwrap_or(Val::Missing);
        let int = |v: &Val<'_>| match v {
            Val::Int(i) => Some(*i),
            other => other.text().and_then(|t| t.trim().parse().ok()),
        };
        match name {
            "default" => match last.truth() {
                Some(true) => last,
                Some(false) => arg(0),
                None => Val::Unknown("value"),
            },
            "required" => last,
            "coalesce" => {
                for a in &args {
                    match a.truth() {
                        Some(true) => return a.clone(),
                        Some(false) => {}
                        None => return Val::Unknown("value"),
                    }
                }
                Val::Missing
            }
            "ternary" => match arg(2).truth() {
                Some(true) => arg(0),
                Some(false) => arg(1),
                None => Val::Unknown("value"),
            },
            "not" => last.truth().map_or(Val::Unknown("expr"), |t| Val::Bool(!t)),
            "empty" => last.truth().map_or(Val::Unknown("expr"), |t| Val::Bool(!t)),
            "and" | "or" => {
                let want = name == "or";
                let mut unknown = false;
                for a in &args {
                    match a.truth() {
                        Some(t) if t == want => return Val::Bool(want),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                if unknown {
                    Val::Unknown("expr")
                } else {
                    Val::Bool(!want)
                }
            }
            "eq" | "ne" => {
                let (Some(a), Some(b)) = (arg(0).text(), arg(1).text()) else {
                    return Val::Unknown("expr");
                };
                Val::Bool((a == b) == (name == "eq"))
            }
            "quote" | "squote" => match last.text() {
                Some(t) if name == "quote" => Val::Raw(json_quoted(&t)),
                Some(t) => Val::Raw(format!("'{}'", t.replace('\'', "''"))),
                None => {
                    let q = if name == "quote" { '"' } else { '\'' };
                    let what = match last {
                        Val::Unknown(w) => w,
                        _ => "value",
                    };
                    Val::Raw(format!("{q}{}{q}", placeholder(what)))
                }
            },
            "toYaml" => match last {
                Val::Node(n) => match &n.value {
                    Value::Map(_) | Value::Seq(_) => Val::Yaml(n),
                    _ => Val::Node(n),
                },
                Val::Missing => Val::Str("null".to_owned()),
                other => other,
            },
            "toJson" | "toPrettyJson" | "toRawJson" => match last {
                Val::Node(n) => Val::Raw(flow(n)),
                Val::Unknown(w) => Val::Unknown(w),
                other => other
                    .text()
                    .map_or(Val::Unknown("value"), |t| Val::Raw(json_quoted(&t))),
            },
            "nindent" | "indent" => {
                let Some(n) = int(&arg(0)) else {
                    return Val::Unknown("expr");
                };
                let n = n.clamp(0, 256) as usize;
                let body = match &last {
                    Val::Yaml(node) => Some(block(node, n)),
                    Val::Unknown(_) | Val::Root => None,
                    other => other.text().map(|t| indent_lines(&t, n)),
                };
                // Unknown block content renders nothing: the key above it reads as
                // empty, which no rule takes for a grant.
                match body {
                    Some(b) if name == "nindent" => Val::Raw(format!("\n{b}")),
                    Some(b) => Val::Raw(b),
                    None => Val::Raw(String::new()),
                }
            }
            "include" | "template" => {
                let (name, data) = (arg(0), arg(1));
                self.include(&name, data, depth)
            }
            // `tpl` renders a string as a template: one without actions is itself.
            "tpl" => match arg(0) {
                raw @ Val::Raw(_) if raw.text().is_some_and(|t| !t.contains("{{")) => raw,
                other => match other.text() {
                    Some(t) if !t.contains("{{") => Val::Str(t),
                    _ => Val::Unknown("expr"),
                },
            },
            "lower" | "upper" | "trim" | "toString" | "title" => match last.text() {
                Some(t) => Val::Str(match name {
                    "lower" => t.to_lowercase(),
                    "upper" => t.to_uppercase(),
                    "trim" => t.trim().to_owned(),
                    _ => t,
                }),
                None => last,
            },
            "int" | "int64" => last
                .text()
                .and_then(|t| t.trim().parse::<f64>().ok())
                .map_or(Val::Unknown("value"), |f| Val::Int(f as i64)),
            "trunc" => match (int(&arg(0)), last.text()) {
                (Some(n), Some(t)) => {
                    Val::Str(t.chars().take(n.clamp(0, 1 << 20) as usize).collect())
                }
                _ => last,
            },
            "trimSuffix" | "trimPrefix" => match (arg(0).text(), last.text()) {
                (Some(x), Some(t)) => Val::Str(if name == "trimSuffix" {
                    t.strip_suffix(x.as_str()).unwrap_or(&t).to_owned()
                } else {
                    t.strip_prefix(x.as_str()).unwrap_or(&t).to_owned()
                }),
                _ => last,
            },
            "contains" | "hasPrefix" | "hasSuffix" => match (arg(0).text(), last.text()) {
                (Some(x), Some(t)) if args.len() >= 2 => Val::Bool(match name {
                    "contains" => t.contains(x.as_str()),
                    "hasPrefix" => t.starts_with(x.as_str()),
                    _ => t.ends_with(x.as_str()),
                }),
                _ => Val::Unknown("expr"),
            },
            "replace" => match (arg(0).text(), arg(1).text(), last.text()) {
                (Some(old), Some(new), Some(t)) if args.len() >= 3 && !old.is_empty() => {
                    Val::Str(t.replace(old.as_str(), &new))
                }
                _ => Val::Unknown("expr"),
            },
            "hasKey" => match (&arg(0), arg(1).text()) {
                (Val::Node(n), Some(k)) if n.is_map() => Val::Bool(n.get(&k).is_some()),
                (Val::Missing, Some(_)) => Val::Bool(false),
                _ => Val::Unknown("expr"),
            },
            "index" => {
                let mut v = arg(0);
                for key in args.iter().skip(1) {
                    v = match (&v, key) {
                        (Val::Node(n), Val::Int(i)) if n.is_seq() => usize::try_from(*i)
                            .ok()
                            .and_then(|i| n.items().get(i))
                            .map_or(Val::Missing, Val::Node),
                        (_, k) => match k.text() {
                            Some(k) => lookup(v.clone(), &[k.as_str()]),
                            None => Val::Unknown("value"),
                        },
                    };
                }
                v
            }
            "print" => {
                let parts: Option<Vec<String>> = args.iter().map(Val::text).collect();
                parts.map_or(Val::Unknown("expr"), |p| Val::Str(p.concat()))
            }
            "printf" => {
                let (Some(format), Some(rest)) = (
                    arg(0).text(),
                    args.get(1..)
                        .map(|r| r.iter().map(Val::text).collect::<Option<Vec<_>>>()),
                ) else {
                    return Val::Unknown("expr");
                };
                let Some(rest) = rest else {
                    return Val::Unknown("expr");
                };
                printf(&format, &rest).map_or(Val::Unknown("expr"), Val::Str)
            }
            _ => Val::Unknown("expr"),
        }
    }

    /// `include "name" data`: the chart's named template rendered with `.` = `data`
    /// (`$` too, variables of its own); without one, the named templates of the
    /// `helm create` scaffold by their suffix.
    fn include(&mut self, name: &Val<'a>, data: Val<'a>, depth: usize) -> Val<'a> {
        let Some(name) = name.text() else {
            return Val::Unknown("include");
        };
        if let Some(&(src, start)) = self.defines.get(&name) {
            if self.subs.len() >= MAX_INCLUDES {
                return Val::Unknown("include");
            }
            self.subs.push(String::new());
            let saved = (
                self.current,
                std::mem::replace(&mut self.root, data.clone()),
                std::mem::take(&mut self.vars),
            );
            let result = self.exec(src, start, data, true);
            let (current, root, vars) = saved;
            self.current = current;
            self.root = root;
            self.vars = vars;
            let text = self.subs.pop().unwrap_or_default();
            return match result {
                Ok(()) => Val::Raw(text),
                Err(e) => {
                    self.failed = Some(e);
                    Val::Unknown("include")
                }
            };
        }
        self.scaffold(&name, depth)
    }

    /// The named templates of the `helm create` scaffold, by suffix, for charts whose
    /// helpers are not in the repository (a library chart fetched at build time).
    fn scaffold(&self, name: &str, depth: usize) -> Val<'a> {
        let values = || match &self.chart.values {
            Some(v) => Val::Node(v),
            None => Val::Unknown("value"),
        };
        let fullname = || {
            let over = lookup(values(), &["fullnameOverride"]);
            if over.truth() == Some(true) {
                return over;
            }
            let name_over = lookup(values(), &["nameOverride"]);
            let chart = match name_over.text() {
                Some(n) if !n.is_empty() => n,
                _ => self.chart.name.clone(),
            };
            Val::Str(format!("release-name-{chart}"))
        };
        if name.ends_with(".fullname") {
            return fullname();
        }
        if name.ends_with(".name") {
            let over = lookup(values(), &["nameOverride"]);
            return match over.text() {
                Some(n) if !n.is_empty() => over,
                _ => Val::Str(self.chart.name.clone()),
            };
        }
        if name.ends_with(".namespace") {
            let over = lookup(values(), &["namespaceOverride"]);
            return match over.text() {
                Some(n) if !n.is_empty() => over,
                _ => Val::Str("default".to_owned()),
            };
        }
        if name.ends_with(".serviceAccountName") && depth <= MAX_PARENS {
            let sa = lookup(values(), &["serviceAccount"]);
            let Val::Node(node) = &sa else {
                return Val::Unknown("include");
            };
            // Only the scaffold's shape is understood.
            if node.get("create").is_none() {
                return Val::Unknown("include");
            }
            let create = lookup(sa.clone(), &["create"]).truth();
            let named = lookup(sa, &["name"]);
            if named.truth() == Some(true) {
                return named;
            }
            return match create {
                Some(true) => fullname(),
                Some(false) => Val::Str("default".to_owned()),
                None => Val::Unknown("include"),
            };
        }
        Val::Unknown("include")
    }
}

/// A typed placeholder: `$helm_x` is a valid plain scalar (and a valid part of a
/// quoted one) wherever it lands, and reads as a reference, not a literal.
fn placeholder(what: &str) -> String {
    format!("$helm_{what}")
}

/// `printf` with `%s`, `%v`, `%d` and `%%` only.
fn printf(format: &str, args: &[String]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'v' | 'd' => out.push_str(args.next()?),
            _ => return None,
        }
    }
    Some(out)
}

/// The items of `toks` between separators at parenthesis depth 0.
fn split_top<'t, 'a>(toks: &'t [Tok<'a>], sep: impl Fn(&Tok<'a>) -> bool) -> Vec<&'t [Tok<'a>]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            t if depth == 0 && sep(t) => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    out
}

/// The index of the `)` closing a `(` just before `toks`.
fn matching_close(toks: &[Tok<'_>]) -> Option<usize> {
    let mut depth = 1usize;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

// --- YAML output ------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Plain { at_start: bool },
    Double,
    Single,
    Comment,
}

/// Where the end of a rendered line is: inside a quoted scalar, a comment, or plain
/// text (at the start of a scalar or inside one).
fn quote_state(line: &str) -> Quote {
    let mut state = Quote::Plain { at_start: true };
    // The last character outside quotes that is not a space.
    let mut prev: Option<char> = None;
    let mut last: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            Quote::Plain { .. } => {
                let value_start =
                    prev.is_none_or(|p| matches!(p, ':' | '-' | '[' | '{' | ',' | '?'));
                let after_space = last.is_none_or(char::is_whitespace);
                if c == '"' && value_start {
                    state = Quote::Double;
                } else if c == '\'' && value_start {
                    state = Quote::Single;
                } else if c == '#' && after_space {
                    return Quote::Comment;
                }
                if !c.is_whitespace() {
                    prev = Some(c);
                }
            }
            Quote::Double => {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    state = Quote::Plain { at_start: false };
                    prev = Some(c);
                }
            }
            Quote::Single => {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                    } else {
                        state = Quote::Plain { at_start: false };
                        prev = Some(c);
                    }
                }
            }
            Quote::Comment => return Quote::Comment,
        }
        last = Some(c);
    }
    match state {
        Quote::Plain { .. } => {
            let at_start = last.is_none_or(|c| c.is_whitespace() || matches!(c, '[' | '{' | ','))
                && prev.is_none_or(|p| matches!(p, ':' | '-' | '[' | '{' | ',' | '?'));
            Quote::Plain { at_start }
        }
        other => other,
    }
}

/// Whether text can be written as (part of) a plain scalar as it is.
fn plain_safe(value: &str, at_start: bool) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    if at_start && "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with(':')
        && !value.contains(['\n', '\r', '\t', ',', '[', ']', '{', '}'])
        && value.trim() == value
}

fn json_quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned())
}

/// JSON escapes without the quotes: the inside of a double-quoted YAML scalar.
fn json_inner(value: &str) -> String {
    let q = json_quoted(value);
    q.get(1..q.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned()
}

fn scalar_yaml(node: &Node) -> String {
    match &node.value {
        Value::Scalar(s) => match s.kind {
            ScalarKind::Null => "null".to_owned(),
            ScalarKind::Bool | ScalarKind::Number => s.text.clone(),
            ScalarKind::Str | ScalarKind::Expr => json_quoted(&s.text),
        },
        Value::Alias(_) => "null".to_owned(),
        Value::Map(_) | Value::Seq(_) => flow(node),
    }
}

/// A node as one line of flow YAML (JSON-style, which YAML reads).
fn flow(node: &Node) -> String {
    let mut out = String::new();
    flow_into(node, &mut out);
    out
}

fn flow_into(node: &Node, out: &mut String) {
    match &node.value {
        Value::Map(entries) => {
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&json_quoted(e.key.as_text().unwrap_or_default()));
                out.push_str(": ");
                flow_into(&e.value, out);
            }
            out.push('}');
        }
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow_into(item, out);
            }
            out.push(']');
        }
        _ => out.push_str(&scalar_yaml(node)),
    }
}

/// A node as block YAML indented by `n` (nested collections in flow style).
fn block(node: &Node, n: usize) -> String {
    let pad = " ".repeat(n);
    let lines: Vec<String> = match &node.value {
        Value::Map(entries) if !entries.is_empty() => entries
            .iter()
            .map(|e| {
                format!(
                    "{pad}{}: {}",
                    json_quoted(e.key.as_text().unwrap_or_default()),
                    scalar_yaml(&e.value)
                )
            })
            .collect(),
        Value::Seq(items) if !items.is_empty() => items
            .iter()
            .map(|item| format!("{pad}- {}", scalar_yaml(item)))
            .collect(),
        _ => vec![format!("{pad}{}", scalar_yaml(node))],
    };
    lines.join("\n")
}

fn indent_lines(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.split('\n')
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse::testutil::text_of;

    fn chart(values: &str) -> Chart {
        let parsed = super::super::yaml::parse(values).unwrap();
        Chart {
            name: "agent".to_owned(),
            values: parsed.documents.into_iter().next().map(|d| d.root),
            ..Chart::default()
        }
    }

    fn rendered(template: &str, values: &str) -> String {
        render(template, &chart(values)).unwrap().text
    }

    #[test]
    fn values_lookups_blocks_and_placeholders() {
        let values =
            "rbac:\n  create: true\n  verbs: ['*']\nname: triage\nempty: ''\nlabels:\n  a: b\n";
        assert_eq!(rendered("n: {{ .Values.name }}\n", values), "n: triage\n");
        assert_eq!(
            rendered("n: \"{{ .Values.name }}-x\"\n", values),
            "n: \"triage-x\"\n"
        );
        assert_eq!(
            rendered(
                "{{- if .Values.rbac.create }}\nkind: Role\n{{- end }}\n",
                values
            ),
            "\nkind: Role\n"
        );
        assert_eq!(
            rendered(
                "{{- if not .Values.rbac.create }}\nkind: Role\n{{- else }}\nkind: X\n{{- end }}\n",
                values
            ),
            "\nkind: X\n"
        );
        assert_eq!(
            rendered("verbs: {{ .Values.rbac.verbs | toJson }}\n", values),
            "verbs: [\"*\"]\n"
        );
        assert_eq!(
            rendered(
                "labels:\n  {{- toYaml .Values.labels | nindent 2 }}\n",
                values
            ),
            "labels:\n  \"a\": \"b\"\n"
        );
        assert_eq!(
            rendered(
                "labels:\n  {{- include \"agent.labels\" . | nindent 2 }}\nx: 1\n",
                values
            ),
            "labels:\nx: 1\n"
        );
        assert_eq!(
            rendered("n: {{ .Release.Name }}\n", values),
            "n: release-name\n"
        );
        assert_eq!(rendered("n: {{ .Values.nope.deeper }}\n", values), "n: \n");
        assert_eq!(
            rendered("n: {{ tpl .Values.name . }}\n", values),
            "n: triage\n"
        );
        assert_eq!(
            rendered("n: {{ tpl .Values.x . }}\n", "x: '{{ .Values.y }}'\n"),
            "n: $helm_expr\n"
        );
        assert_eq!(
            rendered(
                "a:\n  b: 1\n{{ tpl (toYaml .Values.labels | indent 2) . }}\n{{ include \"x.more\" . }}\nc: 2\n",
                values
            ),
            "a:\n  b: 1\n  \"a\": \"b\"\n\nc: 2\n"
        );
        assert_eq!(
            rendered("n: {{ .Values.name | quote }}\n", values),
            "n: \"triage\"\n"
        );
        assert_eq!(
            rendered(
                "{{- range .Values.rbac.verbs }}\n- {{ . | quote }}\n{{- end }}\n",
                values
            ),
            "\n- \"*\"\n"
        );
        // `*` at the start of a plain scalar would be an alias: it is quoted.
        assert_eq!(
            rendered(
                "verbs:\n  - {{ index .Values.rbac.verbs 0 }}\n  - {{ .Values.star }}\n",
                "star: '*'\nrbac:\n  verbs: [get]\n"
            ),
            "verbs:\n  - get\n  - \"*\"\n"
        );
        // Without values every lookup is unknown.
        assert_eq!(
            render("n: {{ .Values.name }}\n", &Chart::default())
                .unwrap()
                .text,
            "n: $helm_value\n"
        );
    }

    #[test]
    fn scaffold_service_account_name() {
        let t = "serviceAccountName: {{ include \"agent.serviceAccountName\" . }}\n";
        assert_eq!(
            rendered(t, "serviceAccount:\n  create: false\n  name: ''\n"),
            "serviceAccountName: default\n"
        );
        assert_eq!(
            rendered(t, "serviceAccount:\n  create: true\n  name: ''\n"),
            "serviceAccountName: release-name-agent\n"
        );
        assert_eq!(
            rendered(t, "serviceAccount:\n  create: true\n  name: triage\n"),
            "serviceAccountName: triage\n"
        );
        assert_eq!(
            rendered(t, "other: 1\n"),
            "serviceAccountName: $helm_include\n"
        );
    }

    #[test]
    fn includes_render_the_charts_named_templates() {
        let mut c = chart("serviceAccount:\n  create: false\n  name: ''\nlabels:\n  team: ai\n");
        c.partials.push(
            "{{- define \"agent.labels\" -}}\napp: {{ .Chart.Name }}\n{{- with .Values.labels }}\n{{ toYaml . }}\n{{- end }}\n{{- end }}\n\
             {{- define \"agent.fullname\" -}}\n{{- $name := default .Chart.Name .Values.nameOverride }}\n\
             {{- if contains $name .Release.Name }}{{ .Release.Name }}{{ else }}{{ printf \"%s-%s\" .Release.Name $name | trunc 63 }}{{ end }}\n{{- end }}\n\
             {{- define \"agent.pod\" -}}\nserviceAccountName: {{ include \"agent.sa\" . }}\n{{- end }}\n\
             {{- define \"agent.sa\" -}}\n{{- if .Values.serviceAccount.create }}{{ include \"agent.fullname\" . }}{{ else }}{{ default \"default\" .Values.serviceAccount.name }}{{ end }}\n{{- end }}\n"
                .to_owned(),
        );
        let t = "metadata:\n  name: {{ include \"agent.fullname\" . }}\n  labels:\n    {{- include \"agent.labels\" . | nindent 4 }}\nspec:\n  {{- include \"agent.pod\" . | nindent 2 }}\n";
        assert_eq!(
            render(t, &c).unwrap().text,
            "metadata:\n  name: release-name-agent\n  labels:\n    app: agent\n    \"team\": \"ai\"\nspec:\n  serviceAccountName: default\n"
        );
        // A template that includes itself stops at the include depth.
        c.partials
            .push("{{- define \"loop\" -}}x{{ include \"loop\" . }}{{- end }}".to_owned());
        assert!(render("a: {{ include \"loop\" . }}\n", &c).is_ok());
        // One that includes itself twice (2^16 renders) stops at the step budget, fast.
        c.partials.push(
            "{{- define \"fan\" -}}{{ include \"fan\" . }}{{ include \"fan\" . }}{{- end }}"
                .to_owned(),
        );
        let started = std::time::Instant::now();
        let _ = render("a: {{ include \"fan\" . }}\n", &c);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn defines_and_comments_render_nothing() {
        let t = "{{/* a comment */}}\n{{- define \"x.labels\" -}}\napp: {{ .Chart.Name }}\n{{- if .Values.a }}\nb: c\n{{- end }}\n{{- end }}\nkind: Pod\n";
        assert_eq!(rendered(t, "a: true\n"), "\nkind: Pod\n");
    }

    #[test]
    fn spans_point_into_the_template() {
        let t = "kind: ClusterRole\nmetadata:\n  name: {{ .Release.Name }}-ops\nrules:\n  - verbs: [{{ .Values.verb | quote }}]\n    resources: [\"secrets\"]\n";
        let p = parse(t, &chart("verb: '*'\n"), false).unwrap();
        let root = &p.documents[0].root;
        let name = root.get_path(&["metadata", "name"]).unwrap();
        assert_eq!(name.as_str(), Some("release-name-ops"));
        assert_eq!(text_of(t, name), "{{ .Release.Name }}-ops");
        let rule = &root.get("rules").unwrap().items()[0];
        let verb = &rule.get("verbs").unwrap().items()[0];
        assert_eq!(verb.as_str(), Some("*"));
        assert_eq!(text_of(t, verb), "{{ .Values.verb | quote }}");
        let res = &rule.get("resources").unwrap().items()[0];
        assert_eq!(text_of(t, res), "\"secrets\"");
        assert_eq!(text_of(t, root.get("kind").unwrap()), "ClusterRole");
    }

    #[test]
    fn unterminated_and_oversized_templates_are_errors() {
        assert!(parse("a: {{ .Values.x\n", &Chart::default(), false).is_err());
        let values = format!("big: '{}'\n", "x".repeat(100_000));
        let t = "a: {{ .Values.big }}\n".repeat(100);
        assert!(render(&t, &chart(&values)).is_err());
        let deep = "{{ if .Values.a }}".repeat(MAX_BLOCKS + 1);
        assert!(render(&deep, &chart("a: true\n")).is_err());
    }

    #[test]
    #[ignore = "debugging aid: LANYARD_HELM_TEMPLATE=path cargo test -- --ignored --nocapture"]
    fn render_a_file() {
        let Ok(path) = std::env::var("LANYARD_HELM_TEMPLATE") else {
            return;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let values = std::env::var("LANYARD_HELM_VALUES")
            .map(|v| std::fs::read_to_string(v).unwrap())
            .unwrap_or_default();
        let r = render(&text, &chart(&values)).unwrap();
        println!("{}", r.text);
        println!("{:?}", super::super::yaml::parse(&r.text).err());
    }

    #[test]
    fn random_templates_never_panic_and_spans_stay_on_boundaries() {
        let pieces = [
            "{{",
            "}}",
            "{{-",
            "-}}",
            " ",
            "\n",
            "a: ",
            "- ",
            "\"",
            "'",
            "é",
            ".Values.a",
            "if",
            "end",
            "else",
            "range",
            "with",
            "define \"x\"",
            "|",
            "nindent 2",
            "toYaml",
            "(",
            ")",
            "$x :=",
            "quote",
            "`",
            "/*",
            "*/",
            "include \"c.serviceAccountName\" .",
            "include \"x\" .",
            "toYaml .",
        ];
        let mut c = chart("a:\n  - b\n  - c: d\nserviceAccount:\n  create: true\n");
        c.partials.push(
            "{{- define \"x\" -}}\na: {{ . }}\n{{ include \"x\" .Values.a }}\n{{- end }}"
                .to_owned(),
        );
        for src in crate::syntax::parse::testutil::random_inputs(&pieces, 3000) {
            if let Ok(p) = parse(&src, &c, false) {
                for d in &p.documents {
                    d.root.walk(|_, n| {
                        assert!(n.span.start <= n.span.end);
                        assert!((n.span.end as usize) <= src.len());
                        assert!(src.is_char_boundary(n.span.start as usize));
                        assert!(src.is_char_boundary(n.span.end as usize));
                    });
                }
            }
        }
    }
}
