//! YAML adapter: drives `saphyr-parser`'s event stream into the format-neutral tree.
//!
//! The input comes from untrusted pull requests, so everything here is bounded:
//!
//! * nesting is built on an explicit stack and capped at [`MAX_DEPTH`] (deeper input is
//!   an error, never a stack overflow);
//! * aliases are expanded by cloning the anchored node, but only within a per-file
//!   budget of nodes and bytes (billion-laughs files degrade to [`Value::Alias`]);
//! * remembering anchored nodes has its own budget, since every anchor costs a clone;
//! * error messages are our own wording and never quote the file.
//!
//! Spans are byte offsets into `text` exactly as given (BOM and CRLF included).
//! saphyr reports character offsets, which [`Offsets`] converts.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use super::ParseError;
use crate::syntax::doc::{Document, Entry, MAX_DEPTH, Node, Parsed, Scalar, ScalarKind, Value};
use crate::syntax::source::Span;

/// Most nodes alias expansion may clone into one file's tree.
const ALIAS_NODE_BUDGET: usize = 10_000;
/// Most scalar bytes alias expansion may clone into one file's tree (a long string
/// aliased thousands of times costs memory even when the node count is small).
const ALIAS_BYTE_BUDGET: usize = 4 << 20;
/// Most nodes kept as copies of anchored nodes per file. Nested anchors each copy their
/// whole subtree, so without a cap `&a [&b [&c [...]]]` costs depth × size.
const ANCHOR_NODE_BUDGET: usize = 100_000;
/// Most scalar bytes kept as copies of anchored nodes per file.
const ANCHOR_BYTE_BUDGET: usize = 16 << 20;

/// Parse a YAML stream into one [`Document`] per YAML document.
pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    let comments = scan_comments(text);
    // Line breaks (and comments) blanked to work around saphyr's flow indentation bug
    // (see [`flow_break_before`]); one flag a byte of `text`.
    let mut blanked: Vec<bool> = Vec::new();
    let mut patched: Option<String> = None;
    let mut reparse_budget = MAX_REPARSE_BYTES;
    let mut last_retry = 0;
    loop {
        let input = patched.as_deref().unwrap_or(text);
        // saphyr-parser has internal `unwrap`/`unreachable!` on parser states. None is
        // known to be reachable, but one hostile file must not take the whole scan down
        // with it.
        let outcome =
            std::panic::catch_unwind(|| Builder::new(text, input).run()).unwrap_or_else(|_| {
                Err((
                    ParseError::new("invalid YAML: the parser could not process this file", None),
                    None,
                ))
            });
        let (error, retry_at) = match outcome {
            Ok(documents) => {
                return Ok(Parsed {
                    documents,
                    comments,
                });
            }
            Err(failure) => failure,
        };
        let Some(at) = retry_at.filter(|&at| at > last_retry) else {
            return Err(error);
        };
        let Some(from) = flow_break_before(text, at, &comments) else {
            return Err(error);
        };
        if reparse_budget < text.len() {
            return Err(error);
        }
        reparse_budget -= text.len();
        last_retry = at;
        if blanked.is_empty() {
            blanked = vec![false; text.len()];
        }
        for flag in &mut blanked[from..at] {
            *flag = true;
        }
        // One space a character: saphyr's positions are character indices, which
        // [`Offsets`] maps into `text`.
        patched = Some(
            text.char_indices()
                .map(|(i, c)| if blanked[i] { ' ' } else { c })
                .collect(),
        );
    }
}

/// How many bytes of input the flow indentation workaround may reparse in all.
const MAX_REPARSE_BYTES: usize = 32 << 20;

/// saphyr-parser 0.3.4 leaves the one-column indentation a `key:` adds in place after
/// a quoted scalar or a `,` inside a flow collection (a plain scalar removes it), so a
/// closing `]` or `}` on its own line at the key's column is "invalid indentation":
///
/// ```yaml
///   args: [
///     "--fix",
///   ]
/// ```
///
/// which YAML allows (a flow collection's lines need not be indented past its key's
/// column) and PyYAML, hence pre-commit, accepts. Inside a flow collection a line
/// break is only white space, so the parse is retried with the breaks (and comments)
/// between the previous token and the one at `at` blanked to spaces: where that
/// stretch starts, when it holds a line break.
fn flow_break_before(text: &str, at: usize, comments: &[Span]) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = at.min(bytes.len());
    let mut saw_break = false;
    while i > 0 {
        let b = bytes[i - 1];
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            saw_break |= b == b'\n';
            i -= 1;
            continue;
        }
        // Inside a comment: skip to its `#`.
        let inside = comments
            .binary_search_by(|c| {
                if (c.end as usize) < i {
                    std::cmp::Ordering::Less
                } else if (c.start as usize) >= i {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .ok()
            .and_then(|k| comments.get(k));
        match inside {
            Some(c) if (c.start as usize) < i => i = c.start as usize,
            _ => break,
        }
    }
    (saw_break && i < at).then_some(i)
}

/// Converts saphyr's character offsets to byte offsets.
///
/// ASCII text maps 1:1. Otherwise we keep the byte offset of every `STRIDE`th character
/// and walk at most `STRIDE - 1` characters from there: a fraction of the memory of a
/// full table, and lookups stay O(1).
struct Offsets<'a> {
    bytes: &'a [u8],
    /// `None` when the text is ASCII.
    checkpoints: Option<Vec<usize>>,
}

const STRIDE: usize = 64;

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let checkpoints = (!text.is_ascii()).then(|| {
            text.char_indices()
                .step_by(STRIDE)
                .map(|(b, _)| b)
                .collect::<Vec<_>>()
        });
        Self {
            bytes: text.as_bytes(),
            checkpoints,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        let len = self.bytes.len();
        let Some(checkpoints) = &self.checkpoints else {
            return char_index.min(len);
        };
        let Some(&start) = checkpoints.get(char_index / STRIDE) else {
            return len;
        };
        let mut b = start;
        for _ in 0..char_index % STRIDE {
            match self.bytes.get(b) {
                Some(&lead) => b += utf8_len(lead),
                None => break,
            }
        }
        b.min(len)
    }
}

/// Length of the UTF-8 sequence starting with `lead` (the text is valid UTF-8).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0x80..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Size of a subtree, for the expansion budgets and the depth check on aliases.
#[derive(Debug, Clone, Copy, Default)]
struct Weight {
    nodes: usize,
    /// Scalar text bytes.
    bytes: usize,
    /// Collections on the longest path down (a scalar is 0).
    height: usize,
}

impl Weight {
    fn add(&mut self, other: Weight) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.height = self.height.max(other.height);
    }

    fn fits(self, budget: Weight) -> bool {
        self.nodes <= budget.nodes && self.bytes <= budget.bytes
    }

    fn spend(&mut self, cost: Weight) {
        self.nodes -= cost.nodes.min(self.nodes);
        self.bytes -= cost.bytes.min(self.bytes);
    }
}

/// A collection being built.
struct Frame {
    items: Items,
    /// Byte span of the start event (properties plus the opening token).
    ev_start: usize,
    ev_end: usize,
    tag: Option<Box<str>>,
    anchor: usize,
    /// Weight of the children so far.
    weight: Weight,
    /// End of the last child, which is where a block collection ends.
    last_end: usize,
}

enum Items {
    Seq(Vec<Node>),
    /// Entries so far and a key waiting for its value.
    Map(Vec<Entry>, Option<Node>),
}

struct Anchored {
    node: Node,
    weight: Weight,
}

struct Builder<'a> {
    text: &'a str,
    /// What saphyr parses: `text`, or `text` with some line breaks blanked (same
    /// characters, one for one).
    input: &'a str,
    offsets: Offsets<'a>,
    stack: Vec<Frame>,
    root: Option<Node>,
    documents: Vec<Document>,
    /// Anchored nodes by saphyr's anchor id (unique across the stream).
    anchors: HashMap<usize, Anchored>,
    alias_budget: Weight,
    anchor_budget: Weight,
    /// Byte end of the previous event: block scalar indicators (`|`, `>`) lie between
    /// it and the scalar's content, and saphyr's span does not include them.
    prev_end: usize,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, input: &'a str) -> Self {
        Self {
            text,
            input,
            offsets: Offsets::new(text),
            stack: Vec::new(),
            root: None,
            documents: Vec::new(),
            anchors: HashMap::new(),
            alias_budget: Weight {
                nodes: ALIAS_NODE_BUDGET,
                bytes: ALIAS_BYTE_BUDGET,
                height: 0,
            },
            anchor_budget: Weight {
                nodes: ANCHOR_NODE_BUDGET,
                bytes: ANCHOR_BYTE_BUDGET,
                height: 0,
            },
            prev_end: 0,
        }
    }

    /// The documents, or the error and, for saphyr's "invalid indentation" inside a
    /// flow collection, where to retry (see [`flow_break_before`]).
    fn run(mut self) -> Result<Vec<Document>, (ParseError, Option<usize>)> {
        let mut parser = Parser::new_from_str(self.input);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| {
                let retry = (e.info() == "invalid indentation" && self.in_flow())
                    .then(|| self.offsets.byte(e.marker().index()));
                (self.scan_error(&e), retry)
            })?;
            let start = self.offsets.byte(span.start.index());
            let end = self.offsets.byte(span.end.index()).max(start);
            match event {
                Event::StreamEnd => break,
                Event::StreamStart | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    self.root = None;
                    self.stack.clear();
                }
                Event::DocumentEnd => {
                    if let Some(root) = self.root.take() {
                        self.documents.push(Document { root });
                    }
                    // Aliases cannot reach across documents.
                    self.anchors.clear();
                }
                Event::Alias(id) => {
                    let (node, weight) = self.alias(id, start, end);
                    self.complete(node, weight, 0);
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let (node, weight) =
                        self.scalar(value.into_owned(), style, tag.as_deref(), start, end);
                    self.complete(node, weight, anchor);
                }
                Event::SequenceStart(anchor, tag) => {
                    self.open(Items::Seq(Vec::new()), anchor, tag.as_deref(), start, end)
                        .map_err(|e| (e, None))?;
                }
                Event::MappingStart(anchor, tag) => {
                    self.open(
                        Items::Map(Vec::new(), None),
                        anchor,
                        tag.as_deref(),
                        start,
                        end,
                    )
                    .map_err(|e| (e, None))?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(start, end),
            }
            self.prev_end = end;
        }
        Ok(self.documents)
    }

    /// Whether the innermost open collection is a flow one (its start event ends with
    /// its `[` or `{`).
    fn in_flow(&self) -> bool {
        self.stack.last().is_some_and(|f| {
            f.ev_end > f.ev_start && matches!(self.byte_at(f.ev_end - 1), Some(b'[' | b'{'))
        })
    }

    fn span(&self, start: usize, end: usize) -> Span {
        let end = end.min(self.text.len());
        Span::new(start.min(end), end)
    }

    fn byte_at(&self, i: usize) -> Option<u8> {
        self.text.as_bytes().get(i).copied()
    }

    /// Attach a finished node to its parent (or make it the document root), keeping a
    /// copy when it is anchored.
    fn complete(&mut self, node: Node, weight: Weight, anchor: usize) {
        if anchor > 0 && weight.fits(self.anchor_budget) {
            self.anchor_budget.spend(weight);
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    weight,
                },
            );
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        frame.weight.add(weight);
        frame.last_end = frame.last_end.max(node.span.end as usize);
        match &mut frame.items {
            Items::Seq(items) => items.push(node),
            Items::Map(entries, pending) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push(Entry { key, value: node }),
            },
        }
    }

    fn open(
        &mut self,
        items: Items,
        anchor: usize,
        tag: Option<&Tag>,
        start: usize,
        end: usize,
    ) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError::new(
                format!("invalid YAML: nesting deeper than {MAX_DEPTH} levels"),
                Some(self.span(start, end)),
            ));
        }
        let tag = tag.map(|t| self.tag_text(t, start, end));
        self.stack.push(Frame {
            items,
            ev_start: start,
            ev_end: end,
            tag,
            anchor,
            weight: Weight::default(),
            last_end: end,
        });
        Ok(())
    }

    /// Finish the innermost collection; `start..end` is the span of its end event.
    fn close(&mut self, start: usize, end: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let flow = end > start;
        let node_start = if flow {
            self.flow_start(frame.ev_start, frame.ev_end)
        } else {
            self.block_start(&frame.items, frame.ev_end)
        };
        let node_end = if flow {
            end
        } else {
            frame.last_end.max(node_start)
        };
        let span = self.span(node_start, node_end);
        let value = match frame.items {
            Items::Seq(items) => Value::Seq(items),
            Items::Map(mut entries, pending) => {
                // saphyr always emits keys and values in pairs; this only guards the tree.
                if let Some(key) = pending {
                    let at = self.span(key.span.end as usize, key.span.end as usize);
                    entries.push(Entry {
                        key,
                        value: Node::scalar(at, "", ScalarKind::Null),
                    });
                }
                Value::Map(entries)
            }
        };
        let mut weight = frame.weight;
        weight.nodes = weight.nodes.saturating_add(1);
        weight.height = weight.height.saturating_add(1);
        let node = Node {
            span,
            tag: frame.tag,
            value,
        };
        self.complete(node, weight, frame.anchor);
    }

    /// A flow collection starts at its `[` or `{`, the last character of its start event.
    fn flow_start(&self, ev_start: usize, ev_end: usize) -> usize {
        match ev_end.checked_sub(1) {
            Some(p) if p >= ev_start && matches!(self.byte_at(p), Some(b'[' | b'{')) => p,
            _ => self.skip_properties(ev_start, ev_end).1,
        }
    }

    /// saphyr's block-collection start event ends where the collection's first token
    /// starts (the first key, or the first `-`), except for sequences that are not
    /// indented under their key, where it ends after the `- `.
    fn block_start(&self, items: &Items, ev_end: usize) -> usize {
        if matches!(items, Items::Map(..)) || self.byte_at(ev_end) == Some(b'-') {
            return ev_end;
        }
        let mut p = ev_end;
        while p > 0 && matches!(self.byte_at(p - 1), Some(b' ' | b'\t')) {
            p -= 1;
        }
        match p.checked_sub(1) {
            Some(q) if self.byte_at(q) == Some(b'-') => q,
            _ => ev_end,
        }
    }

    /// Skip node properties (`!tag`, `&anchor`), whitespace and comments from `from`,
    /// never past `limit`. Returns the first tag's text as written and where the
    /// content starts.
    fn skip_properties(&self, from: usize, limit: usize) -> (Option<&'a str>, usize) {
        let text: &'a str = self.text;
        let bytes = text.as_bytes();
        let limit = limit.min(bytes.len());
        let mut tag = None;
        let mut i = from;
        while i < limit {
            match bytes[i] {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => i = line_end(bytes, i).min(limit),
                b'!' | b'&' => {
                    let start = i;
                    while i < limit && !is_property_end(bytes[i]) {
                        i += 1;
                    }
                    if bytes[start] == b'!' && tag.is_none() {
                        tag = text.get(start..i);
                    }
                }
                _ => break,
            }
        }
        (tag, i)
    }

    /// A tag as written in the source (`!Ref`, `!!str`), falling back to saphyr's
    /// resolved form when the source text cannot be found.
    fn tag_text(&self, tag: &Tag, start: usize, end: usize) -> Box<str> {
        match self.skip_properties(start, end).0 {
            Some(written) => written.into(),
            None if tag.handle == "tag:yaml.org,2002:" => format!("!!{}", tag.suffix).into(),
            None => format!("{}{}", tag.handle, tag.suffix).into(),
        }
    }

    fn scalar(
        &mut self,
        text: String,
        style: ScalarStyle,
        tag: Option<&Tag>,
        start: usize,
        end: usize,
    ) -> (Node, Weight) {
        let tag_text = tag.map(|t| self.tag_text(t, start, end));
        let content = self.skip_properties(start, end).1;
        let (node_start, node_end) = match style {
            ScalarStyle::Literal | ScalarStyle::Folded => self.block_scalar_span(content, end),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                (content, self.quoted_end(content, end))
            }
            ScalarStyle::Plain => (content, end),
        };
        let kind = match style {
            ScalarStyle::Plain if tag_text.as_deref() != Some("!!str") => core_schema_kind(&text),
            _ => ScalarKind::Str,
        };
        let weight = Weight {
            nodes: 1,
            bytes: text.len(),
            height: 0,
        };
        let node = Node {
            span: self.span(node_start, node_end),
            tag: tag_text,
            value: Value::Scalar(Scalar { text, kind }),
        };
        (node, weight)
    }

    /// End of the quoted scalar opening at `start`: saphyr's span can run on over
    /// trailing whitespace and a comment.
    fn quoted_end(&self, start: usize, limit: usize) -> usize {
        let bytes = self.text.as_bytes();
        let limit = limit.min(bytes.len());
        let Some(&quote) = bytes.get(start).filter(|b| matches!(b, b'\'' | b'"')) else {
            return limit;
        };
        let mut i = start + 1;
        while i < limit {
            match bytes[i] {
                b'\\' if quote == b'"' => i += 2,
                b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                b if b == quote => return i + 1,
                _ => i += 1,
            }
        }
        limit
    }

    /// saphyr's span of a block scalar starts at its first content line and ends after
    /// its trailing line breaks. Ours starts at the `|`/`>` indicator and ends at the
    /// last non-blank character.
    fn block_scalar_span(&self, content: usize, end: usize) -> (usize, usize) {
        let start = if matches!(self.byte_at(content), Some(b'|' | b'>')) {
            content
        } else {
            self.find_block_indicator(self.prev_end, content)
                .unwrap_or(content)
        };
        let mut e = end.min(self.text.len());
        while e > start + 1 && matches!(self.byte_at(e - 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            e -= 1;
        }
        (start, e.max(start))
    }

    /// Between the previous event and a block scalar's content there can only be
    /// indicators (`:`, `?`, `-`, `---`), properties, whitespace, comments and the
    /// block scalar header.
    fn find_block_indicator(&self, from: usize, to: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let to = to.min(bytes.len());
        let mut i = from;
        while i < to {
            match bytes[i] {
                b'|' | b'>' => return Some(i),
                b' ' | b'\t' | b'\r' | b'\n' | b':' | b'?' | b'-' => i += 1,
                b'#' => i = line_end(bytes, i),
                b'!' | b'&' => {
                    while i < to && !is_property_end(bytes[i]) {
                        i += 1;
                    }
                }
                _ => return None,
            }
        }
        None
    }

    fn alias(&mut self, id: usize, start: usize, end: usize) -> (Node, Weight) {
        let span = self.span(start, end);
        let depth = self.stack.len();
        if let Some(anchored) = self.anchors.get(&id) {
            let w = anchored.weight;
            // An expansion must also respect the depth cap, or aliases could build a
            // tree deeper than any input allowed.
            if w.fits(self.alias_budget) && depth.saturating_add(w.height) <= MAX_DEPTH {
                let mut node = anchored.node.clone();
                self.alias_budget.spend(w);
                // The copy's children keep the anchor's spans (that is where their text
                // is); the copy itself is reported where it is used.
                node.span = span;
                return (node, w);
            }
        }
        let name = self
            .text
            .get(span.range())
            .map(|s| s.strip_prefix('*').unwrap_or(s))
            .unwrap_or_default();
        let node = Node {
            span,
            tag: None,
            value: Value::Alias(name.into()),
        };
        let weight = Weight {
            nodes: 1,
            bytes: name.len(),
            height: 0,
        };
        (node, weight)
    }

    fn scan_error(&self, e: &ScanError) -> ParseError {
        let at = self.offsets.byte(e.marker().index());
        let next = self
            .text
            .as_bytes()
            .get(at)
            .map_or(at, |&lead| at + utf8_len(lead));
        let info = e.info();
        // saphyr's messages are fixed strings except one that quotes the offending
        // character; only messages known to be fixed are passed on.
        let message = if KNOWN_MESSAGES.contains(&info) {
            format!("invalid YAML: {info}")
        } else if info.starts_with("unexpected character") {
            "invalid YAML: unexpected character".to_owned()
        } else {
            "invalid YAML syntax".to_owned()
        };
        ParseError::new(message, Some(self.span(at, next)))
    }
}

/// saphyr-parser 0.3.4's error messages that contain no input text.
const KNOWN_MESSAGES: &[&str] = &[
    "\"-\" is only valid inside a block",
    "'-' must be followed by a valid YAML whitespace",
    "':' may not precede any of `[{` in flow mapping",
    "':' must be followed by a valid YAML whitespace",
    "a block scalar content cannot start with a tab",
    "a byte order mark must not appear inside a document",
    "block sequence entries are not allowed in this context",
    "comment intercepting the multiline text",
    "did not find expected <document start>",
    "did not find expected <document-start>",
    "did not find expected <stream-start>",
    "did not find expected next token",
    "duplicate version directive",
    "found unprintable character",
    "illegal placement of ':' indicator",
    "invalid content after document end marker",
    "invalid global tag character",
    "invalid indentation for anchor",
    "invalid indentation in flow construct",
    "invalid indentation in quoted scalar",
    "invalid indentation",
    "invalid trailing content after double-quoted scalar",
    "mapping keys are not allowed in this context",
    "mapping values are not allowed in this context",
    "misplaced bracket",
    "missing explicit document end marker before directive",
    "plain scalar cannot start with '-' followed by ,[]{}",
    "recursion limit exceeded",
    "simple key expect ':'",
    "simple key expected",
    "tab cannot be used as indentation",
    "tabs disallowed in this context",
    "tabs disallowed within this context (block indentation)",
    "the TAG directive must only be given at most once per handle in the same document",
    "the handle wasn't declared",
    "unexpected end of plain scalar",
    "unexpected eof",
    "while parsing a block collection, did not find expected '-' indicator",
    "while parsing a block mapping, did not find expected key",
    "while parsing a flow mapping, did not find expected ',' or '}'",
    "while parsing a flow sequence, expected ',' or ']'",
    "while parsing a node, did not find expected node content",
    "while parsing a quoted scalar, did not find expected hexadecimal number",
    "while parsing a quoted scalar, found invalid Unicode character escape code",
    "while parsing a quoted scalar, found unknown escape character",
    "while parsing a tag directive, did not find expected '!'",
    "while parsing a tag, did not find expected tag URI",
    "while parsing a tag, found an incorrect leading UTF-8 byte",
    "while parsing a tag, found an incorrect trailing UTF-8 byte",
    "while parsing a tag, found an invalid UTF-8 codepoint",
    "while parsing a tag, found an invalid escape sequence",
    "while parsing node, found unknown anchor",
    "while scanning TAG, did not find expected whitespace or line break",
    "while scanning a YAML directive, did not find expected digit or '.' character",
    "while scanning a YAML directive, did not find expected version number",
    "while scanning a YAML directive, found extremely long version number",
    "while scanning a block scalar, did not find expected comment or line break",
    "while scanning a block scalar, found an indentation indicator equal to 0",
    "while scanning a directive, could not find expected directive name",
    "while scanning a directive, did not find expected comment or line break",
    "while scanning a directive, found unexpected non-alphabetical character",
    "while scanning a plain scalar, found a tab",
    "while scanning a quoted scalar, found unexpected document indicator",
    "while scanning a quoted scalar, found unexpected end of stream",
    "while scanning a tag, did not find expected '!'",
    "while scanning a tag, did not find expected whitespace or line break",
    "while scanning a verbatim tag, did not find the expected '>'",
    "while scanning an anchor or alias, did not find expected alphabetic or numeric character",
    "wrongly indented line in block scalar",
];

/// Where a tag or anchor token ends: whitespace or a flow indicator.
fn is_property_end(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
    )
}

/// Offset of the `\n` ending the line that contains `i` (or the end of the text).
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        .map_or(bytes.len(), |n| i + n)
}

/// Type a plain scalar by the YAML 1.2 core schema.
fn core_schema_kind(s: &str) -> ScalarKind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => ScalarKind::Bool,
        _ if is_core_number(s) => ScalarKind::Number,
        _ => ScalarKind::Str,
    }
}

fn is_core_number(s: &str) -> bool {
    let digits = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = s.strip_prefix("0x") {
        return digits(hex, 16);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return digits(oct, 8);
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    // [0-9]+ | [0-9]* . [0-9]* (at least one digit), optionally followed by an exponent.
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.chars().all(|c| c.is_ascii_digit())
        }
        None => digits(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    mantissa_ok && exponent_ok
}

/// Spans of `#` comments, found lexically since saphyr does not report them.
///
/// A `#` starts a comment at the start of a line or after whitespace, unless it is
/// inside a quoted scalar that opened earlier on the same line. Known limitation:
/// quoted scalars spanning lines and `#` lines inside block scalars (`|`, `>`) may be
/// reported as comments; callers use comments for suppression markers, where that is
/// harmless.
fn scan_comments(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut i = if text.starts_with('\u{feff}') { 3 } else { 0 };
    // Quote byte currently open on this line, if any.
    let mut quote: Option<u8> = None;
    // The previous byte on this line (`None` at the start of a line).
    let mut prev: Option<u8> = None;
    while let Some(&b) = bytes.get(i) {
        if b == b'\n' {
            quote = None;
            prev = None;
            i += 1;
            continue;
        }
        match quote {
            // An escape: skip the escaped byte unless it is the line break.
            Some(b'"') if b == b'\\' && bytes.get(i + 1).is_some_and(|&n| n != b'\n') => i += 1,
            // `''` is an escaped quote inside a single-quoted scalar.
            Some(b'\'') if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'#' && matches!(prev, None | Some(b' ' | b'\t')) => {
                let mut end = line_end(bytes, i);
                if end > i && bytes.get(end - 1) == Some(&b'\r') {
                    end -= 1;
                }
                comments.push(Span::new(i, end));
                i = end;
                continue;
            }
            None if matches!(b, b'\'' | b'"')
                && matches!(
                    prev,
                    None | Some(b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-' | b'?')
                ) =>
            {
                quote = Some(b);
            }
            None => {}
        }
        prev = Some(b);
        i += 1;
    }
    comments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse::testutil::text_of;
    use std::time::{Duration, Instant};

    fn one(src: &str) -> Node {
        let mut parsed = parse(src).unwrap_or_else(|e| panic!("parse failed: {e} at {:?}", e.span));
        assert_eq!(parsed.documents.len(), 1, "expected one document");
        parsed.documents.remove(0).root
    }

    fn val<'n>(node: &'n Node, path: &[&str]) -> &'n Node {
        node.get_path(path)
            .unwrap_or_else(|| panic!("no value at {path:?}"))
    }

    fn key<'n>(node: &'n Node, k: &str) -> &'n Node {
        &node.entry(k).unwrap_or_else(|| panic!("no key {k}")).key
    }

    /// Every span of every node is in bounds and on char boundaries.
    fn assert_spans_valid(src: &str, root: &Node) {
        root.walk(|_, n| {
            let r = n.span.range();
            assert!(r.end <= src.len(), "span {r:?} out of bounds");
            assert!(
                src.is_char_boundary(r.start) && src.is_char_boundary(r.end),
                "span {r:?} splits a char"
            );
            for e in n.entries() {
                let r = e.key.span.range();
                assert!(
                    r.end <= src.len()
                        && src.is_char_boundary(r.start)
                        && src.is_char_boundary(r.end)
                );
            }
        });
    }

    #[test]
    fn plain_quoted_and_block_scalar_spans() {
        let src = "plain: hello world\nsingle: 'it''s'\ndouble: \"a\\tb\"\nlit: |\n  line one\n  line two\n\nfold: >-\n  folded\n  text\nnum: 0x1F\nnothing:\nlast: end\n";
        let root = one(src);
        assert_spans_valid(src, &root);
        assert_eq!(text_of(src, key(&root, "plain")), "plain");
        assert_eq!(text_of(src, val(&root, &["plain"])), "hello world");
        assert_eq!(text_of(src, val(&root, &["single"])), "'it''s'");
        assert_eq!(val(&root, &["single"]).as_str(), Some("it's"));
        assert_eq!(text_of(src, val(&root, &["double"])), "\"a\\tb\"");
        assert_eq!(val(&root, &["double"]).as_str(), Some("a\tb"));
        assert_eq!(
            text_of(src, val(&root, &["lit"])),
            "|\n  line one\n  line two"
        );
        assert_eq!(val(&root, &["lit"]).as_str(), Some("line one\nline two\n"));
        assert_eq!(text_of(src, val(&root, &["fold"])), ">-\n  folded\n  text");
        assert_eq!(val(&root, &["fold"]).as_str(), Some("folded text"));
        assert_eq!(
            val(&root, &["num"]).as_scalar().map(|s| s.kind),
            Some(ScalarKind::Number)
        );
        assert!(val(&root, &["nothing"]).is_null());
        assert_eq!(text_of(src, val(&root, &["last"])), "end");
        assert_eq!(text_of(src, &root), src.trim_end());
    }

    #[test]
    fn block_scalar_spans_in_sequences_and_documents() {
        let src = "- |\n  x\n- &a >+ # folded\n  y\n\n- - |-\n    z\n";
        let root = one(src);
        let spans: Vec<&str> = root.items().iter().map(|n| text_of(src, n)).collect();
        assert_eq!(spans, ["|\n  x", ">+ # folded\n  y", "- |-\n    z"]);
        assert_eq!(text_of(src, &root.items()[2].items()[0]), "|-\n    z");
        let src = "--- |\n  doc\n";
        assert_eq!(text_of(src, &one(src)), "|\n  doc");
    }

    #[test]
    fn core_schema_typing() {
        let src = "[null, Null, NULL, ~, true, False, TRUE, 1, -2, +3, 0o17, 0xff, 1.5, .5, 1e3, -.inf, .NaN, yes, on, 1.2.3, '1', \"true\", 0x, abc]";
        let root = one(src);
        let kinds: Vec<ScalarKind> = root
            .items()
            .iter()
            .filter_map(|n| n.as_scalar().map(|s| s.kind))
            .collect();
        use ScalarKind::*;
        assert_eq!(
            kinds,
            vec![
                Null, Null, Null, Null, Bool, Bool, Bool, Number, Number, Number, Number, Number,
                Number, Number, Number, Number, Number, Str, Str, Str, Str, Str, Str, Str
            ]
        );
    }

    #[test]
    fn nested_maps_sequences_and_flow_collections() {
        let src = "outer:\n  inner:\n    - a\n    - b: c\n      d: e\n  flow: [x, {y: z}, 'q']\nlist:\n- one\n- two\n";
        let root = one(src);
        assert_spans_valid(src, &root);
        let inner = val(&root, &["outer", "inner"]);
        assert_eq!(text_of(src, inner), "- a\n    - b: c\n      d: e");
        assert_eq!(text_of(src, &inner.items()[1]), "b: c\n      d: e");
        assert_eq!(text_of(src, key(&inner.items()[1], "d")), "d");
        assert_eq!(text_of(src, val(&inner.items()[1], &["d"])), "e");
        let flow = val(&root, &["outer", "flow"]);
        assert_eq!(text_of(src, flow), "[x, {y: z}, 'q']");
        assert_eq!(text_of(src, &flow.items()[1]), "{y: z}");
        assert_eq!(text_of(src, key(&flow.items()[1], "y")), "y");
        assert_eq!(text_of(src, &flow.items()[2]), "'q'");
        assert_eq!(
            text_of(src, val(&root, &["outer"])),
            "inner:\n    - a\n    - b: c\n      d: e\n  flow: [x, {y: z}, 'q']"
        );
        // A sequence not indented under its key starts at its first `-`.
        assert_eq!(text_of(src, val(&root, &["list"])), "- one\n- two");
    }

    #[test]
    fn multi_document_kubernetes_stream() {
        let src = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules:\n  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"*\"]\n---\n# trailing doc\nkind: ClusterRoleBinding\nsubjects:\n- kind: ServiceAccount\n  name: agent\n";
        let parsed = parse(src).expect("parses");
        assert_eq!(parsed.documents.len(), 3);
        let kinds: Vec<&str> = parsed
            .documents
            .iter()
            .filter_map(|d| d.root.get("kind").and_then(Node::as_str))
            .collect();
        assert_eq!(
            kinds,
            ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]
        );
        let rule = &parsed.documents[1]
            .root
            .get("rules")
            .expect("rules")
            .items()[0];
        assert_eq!(text_of(src, val(rule, &["verbs"])), "[\"*\"]");
        assert_eq!(text_of(src, &val(rule, &["verbs"]).items()[0]), "\"*\"");
        let subj = &parsed.documents[2]
            .root
            .get("subjects")
            .expect("subjects")
            .items()[0];
        assert_eq!(text_of(src, val(subj, &["name"])), "agent");
        assert_eq!(
            text_of(src, &parsed.documents[2].root),
            "kind: ClusterRoleBinding\nsubjects:\n- kind: ServiceAccount\n  name: agent"
        );
        assert_eq!(parsed.comments.len(), 1);
        assert_eq!(&src[parsed.comments[0].range()], "# trailing doc");
        for d in &parsed.documents {
            assert_spans_valid(src, &d.root);
        }
    }

    #[test]
    fn cloudformation_tags_are_kept() {
        let src = "Resources:\n  Role:\n    Properties:\n      RoleName: !Ref RoleNameParam\n      Arn: !GetAtt Role.Arn\n      Policy: !Sub \"arn:aws:s3:::${Bucket}/*\"\n      Cond: !If [IsProd, !Ref Prod, !Ref AWS::NoValue]\n      Joined: !Join\n        - ''\n        - [a, b]\n      Map: !Transform {Name: x}\n      Str: !!str 123\n      Empty: !Ref\n      Block: !Sub |\n        line ${X}\n";
        let root = one(src);
        assert_spans_valid(src, &root);
        let props = val(&root, &["Resources", "Role", "Properties"]);
        let role = val(props, &["RoleName"]);
        assert_eq!(role.tag(), Some("!Ref"));
        assert_eq!(role.as_str(), Some("RoleNameParam"));
        assert_eq!(text_of(src, role), "RoleNameParam");
        let arn = val(props, &["Arn"]);
        assert_eq!(
            (arn.tag(), text_of(src, arn)),
            (Some("!GetAtt"), "Role.Arn")
        );
        let sub = val(props, &["Policy"]);
        assert_eq!(sub.tag(), Some("!Sub"));
        assert_eq!(text_of(src, sub), "\"arn:aws:s3:::${Bucket}/*\"");
        assert_eq!(sub.as_str(), Some("arn:aws:s3:::${Bucket}/*"));
        let cond = val(props, &["Cond"]);
        assert_eq!(cond.tag(), Some("!If"));
        assert_eq!(text_of(src, cond), "[IsProd, !Ref Prod, !Ref AWS::NoValue]");
        assert_eq!(cond.items()[1].tag(), Some("!Ref"));
        assert_eq!(text_of(src, &cond.items()[2]), "AWS::NoValue");
        let join = val(props, &["Joined"]);
        assert_eq!(join.tag(), Some("!Join"));
        assert_eq!(text_of(src, join), "- ''\n        - [a, b]");
        let map = val(props, &["Map"]);
        assert_eq!(
            (map.tag(), text_of(src, map)),
            (Some("!Transform"), "{Name: x}")
        );
        let s = val(props, &["Str"]);
        assert_eq!(s.tag(), Some("!!str"));
        assert_eq!(s.as_scalar().map(|s| s.kind), Some(ScalarKind::Str));
        let empty = val(props, &["Empty"]);
        assert_eq!(empty.tag(), Some("!Ref"));
        assert!(empty.span.start > 0);
        let block = val(props, &["Block"]);
        assert_eq!(block.tag(), Some("!Sub"));
        assert_eq!(text_of(src, block), "|\n        line ${X}");
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let src = "base: &base\n  image: alpine\n  env: &env [A, B]\njob:\n  <<: *base\n  script: run\nenvs: *env\nname: &n bob\nwho: *n\n";
        let root = one(src);
        assert_spans_valid(src, &root);
        let job = val(&root, &["job"]);
        let merge = job.entry("<<").expect("merge key kept as an entry");
        assert_eq!(text_of(src, &merge.key), "<<");
        assert_eq!(text_of(src, &merge.value), "*base");
        assert_eq!(
            merge.value.get("image").and_then(Node::as_str),
            Some("alpine")
        );
        assert_eq!(text_of(src, val(&merge.value, &["image"])), "alpine");
        assert_eq!(
            text_of(src, val(&root, &["base"])),
            "image: alpine\n  env: &env [A, B]"
        );
        let envs = val(&root, &["envs"]);
        assert_eq!(envs.items().len(), 2);
        assert_eq!(text_of(src, envs), "*env");
        assert_eq!(text_of(src, val(&root, &["name"])), "bob");
        assert_eq!(val(&root, &["who"]).as_str(), Some("bob"));
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let root = one("a: 1\nb: 2\na: 3\n");
        let values: Vec<&str> = root.get_all("a").filter_map(Node::as_str).collect();
        assert_eq!(values, ["1", "3"]);
    }

    #[test]
    fn bom_and_crlf_spans() {
        let src =
            "\u{feff}# top\r\nkey: value\r\nlist:\r\n  - 'x' # note\r\nblock: |\r\n  a\r\n  b\r\n";
        let parsed = parse(src).expect("parses");
        let root = &parsed.documents[0].root;
        assert_spans_valid(src, root);
        assert_eq!(text_of(src, key(root, "key")), "key");
        assert_eq!(text_of(src, val(root, &["key"])), "value");
        assert_eq!(text_of(src, &val(root, &["list"]).items()[0]), "'x'");
        assert_eq!(text_of(src, val(root, &["block"])), "|\r\n  a\r\n  b");
        let comments: Vec<&str> = parsed.comments.iter().map(|c| &src[c.range()]).collect();
        assert_eq!(comments, ["# top", "# note"]);
    }

    #[test]
    fn non_ascii_before_later_spans() {
        let src = "café: \"naïve 😀\"\nemoji: 😀😀\nlater:\n  - é\n  - {k: v}\nend: x # ünïcode\n";
        let parsed = parse(src).expect("parses");
        let root = &parsed.documents[0].root;
        assert_spans_valid(src, root);
        assert_eq!(text_of(src, key(root, "café")), "café");
        assert_eq!(text_of(src, val(root, &["café"])), "\"naïve 😀\"");
        assert_eq!(text_of(src, val(root, &["emoji"])), "😀😀");
        assert_eq!(text_of(src, &val(root, &["later"]).items()[1]), "{k: v}");
        assert_eq!(text_of(src, val(root, &["end"])), "x");
        assert_eq!(&src[parsed.comments[0].range()], "# ünïcode");
        // Long non-ASCII text crosses many offset checkpoints.
        let long = format!("p:\n{}z: last\n", "- é: ü\n".repeat(500));
        let parsed = parse(&long).expect("parses");
        let root = &parsed.documents[0].root;
        assert_spans_valid(&long, root);
        assert_eq!(text_of(&long, val(root, &["z"])), "last");
        assert_eq!(text_of(&long, &val(root, &["p"]).items()[499]), "é: ü");
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut src = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            src.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let started = Instant::now();
        let root = one(&src);
        assert!(started.elapsed() < Duration::from_secs(5));
        let mut nodes = 0usize;
        let mut unexpanded = 0usize;
        root.walk(|_, n| {
            nodes += 1;
            if matches!(n.value, Value::Alias(_)) {
                unexpanded += 1;
            }
        });
        assert!(nodes <= ALIAS_NODE_BUDGET + 1_000, "{nodes} nodes");
        assert!(unexpanded > 0, "the budget must run out");
    }

    #[test]
    fn long_strings_aliased_many_times_are_bounded() {
        let big = "x".repeat(1 << 20);
        let src = format!("a: &a \"{big}\"\nb: [{}]\n", vec!["*a"; 100].join(", "));
        let root = one(&src);
        let expanded = val(&root, &["b"])
            .items()
            .iter()
            .filter(|n| n.as_str().is_some())
            .count();
        assert!(
            expanded > 0 && expanded <= ALIAS_BYTE_BUDGET / big.len(),
            "{expanded} copies"
        );
    }

    fn assert_fast_error(src: &str) -> ParseError {
        let started = Instant::now();
        let err = parse(src).expect_err("must be rejected");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        let span = err.span.expect("error has a span");
        assert!(span.end as usize <= src.len());
        err
    }

    #[test]
    fn deep_block_nesting_is_an_error() {
        let src = format!("{}x\n", "- ".repeat(100_000));
        let err = assert_fast_error(&src);
        assert!(err.message.contains("nesting"), "{}", err.message);
    }

    #[test]
    fn deep_flow_nesting_is_an_error() {
        let src = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_fast_error(&src);
        let src = format!("a: {}", "{a: ".repeat(100_000));
        assert_fast_error(&src);
    }

    #[test]
    fn deep_mapping_nesting_is_an_error() {
        let mut src = String::new();
        for i in 0..3_000 {
            src.push_str(&" ".repeat(i));
            src.push_str("k:\n");
        }
        let err = assert_fast_error(&src);
        assert!(err.message.contains("nesting"), "{}", err.message);
        // Just under the limit is fine.
        let mut ok = String::new();
        for i in 0..MAX_DEPTH {
            ok.push_str(&" ".repeat(i));
            ok.push_str("k:\n");
        }
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn alias_expansion_respects_depth() {
        let deep = format!("{}x{}", "[".repeat(210), "]".repeat(210));
        let src = format!("a: &a {deep}\nb: {}*a{}\n", "[".repeat(50), "]".repeat(50));
        let root = one(&src);
        let mut inner = val(&root, &["b"]);
        for _ in 0..50 {
            inner = &inner.items()[0];
        }
        assert!(matches!(&inner.value, Value::Alias(name) if &**name == "a"));
    }

    #[test]
    fn invalid_yaml_errors_without_quoting_the_file() {
        for src in [
            "ok: 1\nbad: SECRET_CANARY_123: nope\n",
            "key: \"SECRET_CANARY_123\n",
            "a: [SECRET_CANARY_123\n",
            "a:\n  - b\n  c: SECRET_CANARY_123\n",
            "`SECRET_CANARY_123\n",
            "a: *SECRET_CANARY_123\n",
            "\u{feff}é: x\nbad: SECRET_CANARY_123: nope\n",
            "SECRET_CANARY_123: @x\n",
        ] {
            let err = parse(src).expect_err(src);
            assert!(
                !err.message.contains("SECRET_CANARY_123"),
                "{}",
                err.message
            );
            assert!(
                !err.message.contains('`') || err.message.contains("`[{"),
                "{}",
                err.message
            );
            let span = err.span.expect("span");
            assert!(span.end as usize <= src.len() && src.is_char_boundary(span.start as usize));
            assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        }
        let src = "ok: 1\nbad: SECRET_CANARY_123: nope\n";
        let err = parse(src).expect_err("invalid");
        let line_start = src.find("bad").unwrap_or(0);
        assert!(err.span.is_some_and(|s| s.start as usize >= line_start));
    }

    /// saphyr rejected a flow collection closed on its own line at its key's column
    /// after a quoted item or a comma, as `.pre-commit-config.yaml` files write `args`.
    #[test]
    fn flow_collections_closed_at_the_key_column_parse() {
        let src = "repos:\n  - repo: local\n    hooks:\n      - id: lint\n        args: [\n          \"--fix\",  # why\n          'x'\n        ]\n        types: [\n          yaml,\n        ]\n        env: {\n          \"A\": \"1\"\n        }\n        after: [\"a\"]\n";
        let root = one(src);
        assert_spans_valid(src, &root);
        let Value::Seq(repos) = &val(&root, &["repos"]).value else {
            panic!("a sequence")
        };
        let Value::Seq(hooks) = &val(&repos[0], &["hooks"]).value else {
            panic!("a sequence")
        };
        let args = val(&hooks[0], &["args"]);
        assert_eq!(
            text_of(src, args),
            "[\n          \"--fix\",  # why\n          'x'\n        ]"
        );
        let Value::Seq(items) = &args.value else {
            panic!("a sequence")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(text_of(src, &items[1]), "'x'");
        assert_eq!(text_of(src, val(&hooks[0], &["after"])), "[\"a\"]");
        assert_eq!(text_of(src, key(&hooks[0], "env")), "env");
        // A genuinely bad indentation in block context is still an error, at its place.
        let err = parse("a:\n    b: 1\n  c: 2\n").unwrap_err();
        assert!(err.message.contains("invalid"), "{}", err.message);
    }

    #[test]
    fn comments_are_collected() {
        let src = "# head\na: 1 # trailing\nb: 'not # a comment'\nc: \"nor # this\" # but this\nd: x#y\ne: it's # yes\nf: 'it''s # no'\n  # indented\n";
        let parsed = parse(src).expect("parses");
        let comments: Vec<&str> = parsed.comments.iter().map(|c| &src[c.range()]).collect();
        assert_eq!(
            comments,
            ["# head", "# trailing", "# but this", "# yes", "# indented"]
        );
        let root = &parsed.documents[0].root;
        assert_eq!(val(root, &["b"]).as_str(), Some("not # a comment"));
        assert_eq!(val(root, &["d"]).as_str(), Some("x#y"));
    }

    #[test]
    fn empty_and_odd_inputs_do_not_panic() {
        for src in [
            "",
            "\n",
            "# only a comment\n",
            "---\n",
            "---\n...\n",
            "\u{feff}",
            "- \n-",
            "? a\n: b\n",
            "? [a, b]\n: c\n",
            "&a [*a]\n",
            "a: !\n",
            "!<tag:x> a\n",
            "%TAG !e! tag:e.com:\n--- !e!x a\n",
            "[a, b]: c\n",
            "{a, b}\n",
            "a:\n  - b\n  -\n",
            "\0",
            "a: \"\\u00e9\"\n",
            "- !!binary |\n  AAAA\n",
            "|\n",
            ">\n\n",
            "a: |2\n   x\n",
            "é",
            "'é",
            "[é",
            "{é: é}",
            "*",
            "&",
            "!",
            "--- |\n  x\n--- >\n  y\n",
        ] {
            match parse(src) {
                Ok(parsed) => {
                    for d in &parsed.documents {
                        assert_spans_valid(src, &d.root);
                    }
                }
                Err(e) => {
                    assert!(
                        e.span.is_none_or(|s| s.end as usize <= src.len()),
                        "{src:?}"
                    );
                }
            }
        }
        assert!(parse("").expect("empty parses").documents.is_empty());
        assert_eq!(parse("---\n---\n").expect("parses").documents.len(), 2);
        let root = one("%TAG !e! tag:e.com:\n--- !e!x a\n");
        assert_eq!(root.tag(), Some("!e!x"));
    }

    /// Deterministic random soup of YAML syntax: never a panic (the `catch_unwind`
    /// fallback message counts as one), spans always valid.
    #[test]
    fn random_inputs_never_panic() {
        const PIECES: &[&str] = &[
            "a",
            "é",
            "😀",
            ":",
            ": ",
            "- ",
            "-",
            "? ",
            "[",
            "]",
            "{",
            "}",
            ",",
            "'",
            "\"",
            "\\",
            "#",
            " #c",
            "\n",
            "\r\n",
            "  ",
            "\t",
            "!Ref ",
            "!!str ",
            "!",
            "&x ",
            "*x",
            "&y ",
            "*y",
            "|",
            ">-",
            "---",
            "...",
            "%TAG ! x:\n",
            "<<: ",
            "\u{feff}",
            "0x1",
            "~",
            "`",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let src: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            match parse(&src) {
                Ok(parsed) => {
                    for d in &parsed.documents {
                        assert_spans_valid(&src, &d.root);
                    }
                    for c in &parsed.comments {
                        assert!(
                            src.get(c.range()).is_some_and(|t| t.starts_with('#')),
                            "{src:?}"
                        );
                    }
                }
                Err(e) => {
                    assert!(
                        !e.message.contains("could not process"),
                        "saphyr panicked on {src:?}"
                    );
                    let span = e.span.expect("scan errors have a span");
                    assert!(src.get(span.range()).is_some(), "{src:?} {span:?}");
                }
            }
        }
    }

    #[test]
    fn recursive_anchor_is_not_expanded() {
        let root = one("&a [x, *a]\n");
        assert!(matches!(&root.items()[1].value, Value::Alias(name) if &**name == "a"));
    }
}

#[cfg(test)]
mod perf {
    use super::*;
    use std::time::Instant;

    /// A 5 MB multi-document Kubernetes stream; run with `--release --ignored` to time.
    #[test]
    #[ignore = "timing; run in release"]
    fn large_kubernetes_stream() {
        let doc = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent # the agent\n  labels: {app: agent, tier: \"backend\"}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: main\n          image: \"registry.example.com/agent:1.2.3\"\n          env:\n            - name: TOKEN\n              valueFrom: {secretKeyRef: {name: tok, key: value}}\n          args: [--verbose, --port=8080]\n";
        let src = doc.repeat(5_000_000 / doc.len());
        let started = Instant::now();
        let parsed = parse(&src).expect("parses");
        let elapsed = started.elapsed();
        println!(
            "{} bytes, {} documents in {elapsed:?}",
            src.len(),
            parsed.documents.len()
        );
        assert_eq!(parsed.documents.len(), 5_000_000 / doc.len());
        let nonascii = src.replace("agent", "agént");
        let started = Instant::now();
        let parsed = parse(&nonascii).expect("parses");
        println!(
            "non-ASCII: {} documents in {:?}",
            parsed.documents.len(),
            started.elapsed()
        );
    }
}
