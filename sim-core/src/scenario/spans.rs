//! Where each value sits in a RON text, by field path.
//!
//! serde gives us the parsed values but forgets where they came from, so
//! this module walks the RON text once more, without interpreting it, and
//! records the byte span of every value under its path
//! (`cluster.node_groups[0].count`). Validation errors use it to point at
//! file:line:column, and `--set` uses it to replace or insert values.
//!
//! Path syntax: struct fields joined by `.`, list and tuple elements as
//! `[i]`, map entries as `["key"]`. Enum variants and `Some(...)` are
//! transparent: in `duration: Exponential(mean: "1h")` the mean's path is
//! `duration.mean`, and the span of `duration` covers `Exponential(...)`.
//!
//! Invariant: the walker accepts every text `ron` accepts for our schema
//! (comments, raw strings, attributes, trailing commas); on text it cannot
//! walk it returns `None` and callers fall back to the error `ron` reports.

use std::collections::BTreeMap;

/// The span of one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueSpan {
    /// Byte offset of the value's first character.
    pub start: usize,
    /// Byte offset just past the value.
    pub end: usize,
    /// For a struct body `( ... )` with named fields (or an empty one): the
    /// byte offset just after `(`, where a new field can be inserted.
    pub struct_body: Option<usize>,
    /// Number of elements, for lists and tuples.
    pub len: Option<usize>,
    /// True if the value is a string literal.
    pub is_string: bool,
    /// Byte offsets of the value itself, inside any `Some(...)` around
    /// it; `start` and `end` otherwise.
    pub unwrapped_start: usize,
    pub unwrapped_end: usize,
}

/// Spans of all values in a RON text, keyed by path. The root is `""`.
#[derive(Clone, Debug, Default)]
pub struct SpanIndex {
    spans: BTreeMap<String, ValueSpan>,
}

impl SpanIndex {
    /// Walks `src`; `None` if it is not well-formed RON.
    pub fn build(src: &str) -> Option<SpanIndex> {
        let mut walker = Walker {
            src: src.as_bytes(),
            pos: 0,
            spans: BTreeMap::new(),
        };
        walker.skip_trivia()?;
        walker.skip_attributes()?;
        walker.value(String::new())?;
        walker.skip_trivia()?;
        (walker.pos == walker.src.len()).then_some(SpanIndex {
            spans: walker.spans,
        })
    }

    pub fn get(&self, path: &str) -> Option<&ValueSpan> {
        self.spans.get(path)
    }

    /// The span of `path`, or of its nearest ancestor that exists (a field
    /// left out of the file is reported at the struct that lacks it).
    pub fn nearest(&self, path: &str) -> Option<(&str, &ValueSpan)> {
        let mut p = path;
        loop {
            if let Some((k, v)) = self.spans.get_key_value(p) {
                return Some((k.as_str(), v));
            }
            if p.is_empty() {
                return None;
            }
            p = parent_path(p);
        }
    }
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> ``.
pub fn parent_path(path: &str) -> &str {
    match path.rfind(['.', '[']) {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Joins a field onto a path.
pub fn field_path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_string()
    } else {
        format!("{parent}.{field}")
    }
}

/// Joins an index onto a path.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

struct Walker<'a> {
    src: &'a [u8],
    pos: usize,
    spans: BTreeMap<String, ValueSpan>,
}

impl Walker<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.src.get(self.pos + offset).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Skips whitespace and comments (`//` to end of line, nested `/* */`).
    fn skip_trivia(&mut self) -> Option<()> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if c.is_ascii_whitespace() => self.pos += 1,
                (Some(b'/'), Some(b'/')) => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    self.pos += 2;
                    let mut depth = 1;
                    while depth > 0 {
                        match (self.peek()?, self.peek_at(1)) {
                            (b'/', Some(b'*')) => {
                                depth += 1;
                                self.pos += 2;
                            }
                            (b'*', Some(b'/')) => {
                                depth -= 1;
                                self.pos += 2;
                            }
                            _ => self.pos += 1,
                        }
                    }
                }
                _ => return Some(()),
            }
        }
    }

    /// Skips `#![enable(...)]` lines.
    fn skip_attributes(&mut self) -> Option<()> {
        while self.peek() == Some(b'#') {
            let mut depth = 0usize;
            loop {
                match self.peek()? {
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            self.pos += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                self.pos += 1;
            }
            self.skip_trivia()?;
        }
        Some(())
    }

    fn ident(&mut self) -> Option<&str> {
        let start = self.pos;
        // Raw identifiers: r#name
        if self.peek() == Some(b'r') && self.peek_at(1) == Some(b'#') {
            self.pos += 2;
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(&self.src[start..self.pos]).ok()?;
        let text = text.strip_prefix("r#").unwrap_or(text);
        (!text.is_empty()).then_some(text)
    }

    fn string(&mut self) -> Option<()> {
        // Raw string: r"..." or r#"..."#
        if self.peek() == Some(b'r') {
            self.pos += 1;
            let mut hashes = 0;
            while self.eat(b'#').is_some() {
                hashes += 1;
            }
            self.eat(b'"')?;
            loop {
                if self.peek()? == b'"' && (1..=hashes).all(|i| self.peek_at(i) == Some(b'#')) {
                    self.pos += 1 + hashes;
                    return Some(());
                }
                self.pos += 1;
            }
        }
        let quote = self.peek()?;
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                c if c == quote => {
                    self.pos += 1;
                    return Some(());
                }
                _ => self.pos += 1,
            }
        }
    }

    fn record(&mut self, path: String, span: ValueSpan) {
        // The outermost value wins: `Some(x)` is recorded before `x`.
        self.spans.entry(path).or_insert(span);
    }

    fn value(&mut self, path: String) -> Option<()> {
        self.skip_trivia()?;
        let start = self.pos;
        let mut span = ValueSpan {
            start,
            end: start,
            struct_body: None,
            len: None,
            is_string: false,
            unwrapped_start: start,
            unwrapped_end: start,
        };
        match self.peek()? {
            b'(' => {
                let (body, len) = self.paren_group(&path)?;
                span.struct_body = body;
                span.len = len;
            }
            b'[' => {
                self.pos += 1;
                let mut i = 0;
                loop {
                    self.skip_trivia()?;
                    if self.eat(b']').is_some() {
                        break;
                    }
                    self.value(index_path(&path, i))?;
                    i += 1;
                    self.skip_trivia()?;
                    if self.eat(b',').is_none() {
                        self.skip_trivia()?;
                        self.eat(b']')?;
                        break;
                    }
                }
                span.len = Some(i);
            }
            b'{' => {
                self.pos += 1;
                loop {
                    self.skip_trivia()?;
                    if self.eat(b'}').is_some() {
                        break;
                    }
                    let key_start = self.pos;
                    self.value(format!("{path}{{key}}"))?;
                    let key = String::from_utf8_lossy(&self.src[key_start..self.pos]).into_owned();
                    self.skip_trivia()?;
                    self.eat(b':')?;
                    self.value(format!("{path}[{key}]"))?;
                    self.skip_trivia()?;
                    if self.eat(b',').is_none() {
                        self.skip_trivia()?;
                        self.eat(b'}')?;
                        break;
                    }
                }
                self.spans.remove(&format!("{path}{{key}}"));
            }
            b'"' | b'\'' => {
                self.string()?;
                span.is_string = true;
            }
            b'r' if self.at_raw_string() => {
                self.string()?;
                span.is_string = true;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let name = self.ident()?.to_string();
                let after_ident = self.pos;
                self.skip_trivia()?;
                if self.peek() == Some(b'(') {
                    if name == "Some" {
                        // Transparent wrapper: record the whole `Some(...)`
                        // first, then walk the inner value under the same path.
                        self.pos += 1;
                        let inner_path = path.clone();
                        self.value(inner_path)?;
                        self.skip_trivia()?;
                        self.eat(b')')?;
                        span.end = self.pos;
                        let inner = self.spans[&path];
                        span.unwrapped_start = inner.unwrapped_start;
                        span.unwrapped_end = inner.unwrapped_end;
                        // The inner value was recorded first; the outer
                        // span must cover `Some(`, so overwrite it.
                        self.spans.insert(path, span);
                        return Some(());
                    }
                    let (body, len) = self.paren_group(&path)?;
                    span.struct_body = body;
                    span.len = len;
                } else {
                    self.pos = after_ident;
                }
            }
            c if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.') => {
                self.pos += 1;
                while let Some(c) = self.peek() {
                    let exponent_sign =
                        matches!(c, b'-' | b'+') && matches!(self.src[self.pos - 1], b'e' | b'E');
                    if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exponent_sign {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            _ => return None,
        }
        span.end = self.pos;
        span.unwrapped_end = self.pos;
        self.record(path, span);
        Some(())
    }

    /// `( ... )`: a struct body when it starts with `ident:`, else a tuple.
    /// Returns (struct insertion point, tuple length).
    fn paren_group(&mut self, path: &str) -> Option<(Option<usize>, Option<usize>)> {
        self.eat(b'(')?;
        let body = self.pos;
        self.skip_trivia()?;
        if self.eat(b')').is_some() {
            return Some((Some(body), Some(0)));
        }
        if self.starts_struct_field() {
            loop {
                self.skip_trivia()?;
                if self.eat(b')').is_some() {
                    break;
                }
                let field = self.ident()?.to_string();
                self.skip_trivia()?;
                self.eat(b':')?;
                self.value(field_path(path, &field))?;
                self.skip_trivia()?;
                if self.eat(b',').is_none() {
                    self.skip_trivia()?;
                    self.eat(b')')?;
                    break;
                }
            }
            Some((Some(body), None))
        } else {
            let mut i = 0;
            loop {
                self.skip_trivia()?;
                if self.eat(b')').is_some() {
                    break;
                }
                self.value(index_path(path, i))?;
                i += 1;
                self.skip_trivia()?;
                if self.eat(b',').is_none() {
                    self.skip_trivia()?;
                    self.eat(b')')?;
                    break;
                }
            }
            Some((None, Some(i)))
        }
    }

    /// `r"..."` or `r#"..."#` (but not the raw identifier `r#name`).
    fn at_raw_string(&self) -> bool {
        let mut i = 1;
        while self.peek_at(i) == Some(b'#') {
            i += 1;
        }
        self.peek_at(i) == Some(b'"')
    }

    /// Looks ahead for `ident :` (but not `ident ::`) without consuming.
    fn starts_struct_field(&mut self) -> bool {
        let saved = self.pos;
        let is_field = self.ident().is_some()
            && self.skip_trivia().is_some()
            && self.peek() == Some(b':')
            && self.peek_at(1) != Some(b':');
        self.pos = saved;
        is_field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"#![enable(implicit_some)]
// a comment (with parens
Scenario(
    name: "demo /* not a comment */",
    seed: 7,
    cluster: (node_groups: [(name: "a", count: 2), (name: "b", count: 3,)]),
    workload: (
        generators: [(duration: Exponential(mean: "1h"), sizes: [(request: Gpus(8), weight: 1.5e-3)])],
    ),
    /* block /* nested */ comment */
    stop: Some((horizon: "1d")),
    empty: (),
    map: {"k": 1},
)
"#;

    fn text(index: &SpanIndex, path: &str) -> String {
        let span = index
            .get(path)
            .unwrap_or_else(|| panic!("no span for {path}"));
        SAMPLE[span.start..span.end].to_string()
    }

    #[test]
    fn finds_nested_values_by_path() {
        let index = SpanIndex::build(SAMPLE).expect("walks");
        assert_eq!(text(&index, "name"), "\"demo /* not a comment */\"");
        assert_eq!(text(&index, "seed"), "7");
        assert_eq!(text(&index, "cluster.node_groups[1].count"), "3");
        assert_eq!(
            text(&index, "workload.generators[0].duration"),
            "Exponential(mean: \"1h\")"
        );
        assert_eq!(
            text(&index, "workload.generators[0].duration.mean"),
            "\"1h\""
        );
        assert_eq!(
            text(&index, "workload.generators[0].sizes[0].request[0]"),
            "8"
        );
        assert_eq!(
            text(&index, "workload.generators[0].sizes[0].weight"),
            "1.5e-3"
        );
        assert_eq!(text(&index, "stop"), "Some((horizon: \"1d\"))");
        let stop = index.get("stop").unwrap();
        assert_eq!(
            &SAMPLE[stop.unwrapped_start..stop.unwrapped_end],
            "(horizon: \"1d\")"
        );
        assert_eq!(text(&index, "stop.horizon"), "\"1d\"");
        assert_eq!(text(&index, "map[\"k\"]"), "1");
        assert_eq!(index.get("cluster.node_groups").unwrap().len, Some(2));
        assert!(index.get("name").unwrap().is_string);
        let empty = index.get("empty").unwrap();
        assert_eq!(empty.struct_body, Some(empty.start + 1));
    }

    #[test]
    fn nearest_falls_back_to_the_closest_ancestor() {
        let index = SpanIndex::build(SAMPLE).unwrap();
        let (path, _) = index.nearest("cluster.node_groups[0].gpu_model").unwrap();
        assert_eq!(path, "cluster.node_groups[0]");
        assert_eq!(parent_path("a.b[2].c"), "a.b[2]");
        assert_eq!(parent_path("a.b[2]"), "a.b");
        assert_eq!(parent_path("a"), "");
    }

    #[test]
    fn malformed_text_is_rejected_not_panicking() {
        for bad in [
            "(",
            "(a: ",
            "(a: \"x)",
            "[1, 2",
            "(a: 1) trailing",
            "/* open",
            "(a: @)",
        ] {
            assert!(SpanIndex::build(bad).is_none(), "{bad}");
        }
    }
}
