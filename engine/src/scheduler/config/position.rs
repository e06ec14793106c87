//! Where a value sits in the source text: field paths (`profiles[0].plugins.score`), and
//! finding a path's line and column again after the typed parse. YAML is searched by
//! deserializing the text once more with a probe that stops at the path (serde_yaml_ng marks
//! the error with the node's start); JSON is scanned into a tree of node spans.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// A field path from the document root, printed as upstream's field paths are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<PathSeg>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathSeg::Key(k.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(PathSeg::Index(i));
        p
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                PathSeg::Key(k) if i == 0 => write!(f, "{k}")?,
                PathSeg::Key(k) => write!(f, ".{k}")?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The source format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// JSON when the text starts with `{` after whitespace, else YAML.
pub fn detect(text: &str) -> Format {
    if text.trim_start().starts_with('{') {
        Format::Json
    } else {
        Format::Yaml
    }
}

/// The line and column (1-based) of the node at `path`, or of its nearest present ancestor.
pub fn locate(format: Format, text: &str, path: &FieldPath) -> (usize, usize) {
    let mut segs: &[PathSeg] = &path.0;
    loop {
        let found = match format {
            Format::Yaml => yaml_locate(text, segs),
            Format::Json => json_tree(text).and_then(|t| t.find(segs).map(|n| n.start)),
        };
        if let Some(p) = found {
            return p;
        }
        match segs.split_last() {
            Some((_, rest)) => segs = rest,
            None => return (1, 1),
        }
    }
}

const PROBE_HIT: &str = "\u{0}kubesim-probe-hit";

fn yaml_locate(text: &str, segs: &[PathSeg]) -> Option<(usize, usize)> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    match (Probe { path: segs }).deserialize(de) {
        Err(e) if e.to_string().contains(PROBE_HIT) => e.location().map(|l| (l.line(), l.column())),
        _ => None,
    }
}

/// Walks to `path` and fails there, so the deserializer marks the error with the node's start.
struct Probe<'a> {
    path: &'a [PathSeg],
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Probe<'_> {
    fn hit<E: de::Error>(&self) -> Result<(), E> {
        if self.path.is_empty() {
            Err(E::custom(PROBE_HIT))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.hit()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.hit()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.hit()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.hit()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.hit()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.hit()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.hit()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.hit()?;
        let mut i = 0;
        loop {
            let more = match self.path[0] {
                PathSeg::Index(n) if n == i => seq
                    .next_element_seed(Probe {
                        path: &self.path[1..],
                    })?
                    .is_some(),
                _ => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.hit()?;
        while let Some(k) = map.next_key::<KeyString>()? {
            match &self.path[0] {
                PathSeg::Key(want) if k.0.as_deref() == Some(want.as_str()) => {
                    map.next_value_seed(Probe {
                        path: &self.path[1..],
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A mapping key as a string, when it is a scalar.
struct KeyString(Option<String>);

impl<'de> de::Deserialize<'de> for KeyString {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<KeyString, E> {
                Ok(KeyString(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyString, E> {
                Ok(KeyString(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<KeyString, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(KeyString(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<KeyString, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(KeyString(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON node with the line and column (1-based; columns in bytes, as serde_json counts) of
/// its first and last characters.
#[derive(Debug)]
pub struct JsonNode {
    pub start: (usize, usize),
    pub end: (usize, usize),
    pub kind: JsonKind,
}

/// A line and column.
pub type Pos = (usize, usize);

/// A JSON object entry: the key, the key token's first and last characters, the value.
pub type JsonEntry = (String, Pos, Pos, JsonNode);

#[derive(Debug)]
pub enum JsonKind {
    Scalar,
    Seq(Vec<JsonNode>),
    Map(Vec<JsonEntry>),
}

impl JsonNode {
    fn find(&self, path: &[PathSeg]) -> Option<&JsonNode> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        match (&self.kind, first) {
            (JsonKind::Seq(items), PathSeg::Index(i)) => items.get(*i)?.find(rest),
            (JsonKind::Map(entries), PathSeg::Key(k)) => entries
                .iter()
                .find(|(key, ..)| key == k)
                .and_then(|(.., v)| v.find(rest)),
            _ => None,
        }
    }

    /// The start of the innermost node or key whose last character is at `end`.
    pub fn start_of_token_ending_at(&self, end: (usize, usize)) -> Option<(usize, usize)> {
        match &self.kind {
            JsonKind::Scalar => {}
            JsonKind::Seq(items) => {
                for n in items {
                    if let Some(p) = n.start_of_token_ending_at(end) {
                        return Some(p);
                    }
                }
            }
            JsonKind::Map(entries) => {
                for (_, ks, ke, v) in entries {
                    if *ke == end {
                        return Some(*ks);
                    }
                    if let Some(p) = v.start_of_token_ending_at(end) {
                        return Some(p);
                    }
                }
            }
        }
        (self.end == end).then_some(self.start)
    }
}

/// Scans JSON text into node spans; None when it is not valid JSON.
pub fn json_tree(text: &str) -> Option<JsonNode> {
    let mut s = JsonScanner {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        col: 0,
    };
    s.ws();
    let n = s.value(0)?;
    s.ws();
    (s.i == s.b.len()).then_some(n)
}

struct JsonScanner<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    /// Column of the byte last consumed (0 at a line start).
    col: usize,
}

impl JsonScanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        if c == b'\n' {
            self.line += 1;
            self.col = 0;
        } else {
            self.col += 1;
        }
        Some(c)
    }
    fn here(&self) -> (usize, usize) {
        (self.line, self.col)
    }
    fn next_pos(&self) -> (usize, usize) {
        (self.line, self.col + 1)
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }
    fn value(&mut self, depth: usize) -> Option<JsonNode> {
        if depth > 256 {
            return None;
        }
        let start = self.next_pos();
        let kind = match self.peek()? {
            b'{' => {
                self.bump();
                let mut entries = Vec::new();
                self.ws();
                if self.peek()? == b'}' {
                    self.bump();
                } else {
                    loop {
                        self.ws();
                        let ks = self.next_pos();
                        let key = self.string()?;
                        let ke = self.here();
                        self.ws();
                        (self.bump()? == b':').then_some(())?;
                        self.ws();
                        let v = self.value(depth + 1)?;
                        entries.push((key, ks, ke, v));
                        self.ws();
                        match self.bump()? {
                            b',' => continue,
                            b'}' => break,
                            _ => return None,
                        }
                    }
                }
                JsonKind::Map(entries)
            }
            b'[' => {
                self.bump();
                let mut items = Vec::new();
                self.ws();
                if self.peek()? == b']' {
                    self.bump();
                } else {
                    loop {
                        self.ws();
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.bump()? {
                            b',' => continue,
                            b']' => break,
                            _ => return None,
                        }
                    }
                }
                JsonKind::Seq(items)
            }
            b'"' => {
                self.string()?;
                JsonKind::Scalar
            }
            _ => {
                let from = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
                {
                    self.bump();
                }
                (self.i > from).then_some(())?;
                JsonKind::Scalar
            }
        };
        Some(JsonNode {
            start,
            end: self.here(),
            kind,
        })
    }
    /// A string token; the decoded text (escapes other than `\"` and `\\` kept raw: keys of
    /// this schema have none).
    fn string(&mut self) -> Option<String> {
        (self.bump()? == b'"').then_some(())?;
        let mut out = Vec::new();
        loop {
            match self.bump()? {
                b'"' => break,
                b'\\' => {
                    let c = self.bump()?;
                    match c {
                        b'"' | b'\\' | b'/' => out.push(c),
                        _ => out.extend_from_slice(&[b'\\', c]),
                    }
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(segs: &[&str]) -> FieldPath {
        FieldPath(
            segs.iter()
                .map(|s| match s.parse::<usize>() {
                    Ok(i) => PathSeg::Index(i),
                    Err(_) => PathSeg::Key(s.to_string()),
                })
                .collect(),
        )
    }

    #[test]
    fn field_paths_print_as_upstream() {
        assert_eq!(
            p(&["profiles", "0", "plugins", "score", "enabled", "1"]).to_string(),
            "profiles[0].plugins.score.enabled[1]"
        );
    }

    #[test]
    fn yaml_paths_locate_node_starts() {
        let text = "a: 1\nb:\n  - x: 2\n    y: [1, {z: 3}]\n  - q\n";
        let f = Format::Yaml;
        assert_eq!(locate(f, text, &p(&["a"])), (1, 4));
        assert_eq!(locate(f, text, &p(&["b", "0", "x"])), (3, 8));
        assert_eq!(locate(f, text, &p(&["b", "0", "y", "1", "z"])), (4, 16));
        assert_eq!(locate(f, text, &p(&["b", "1"])), (5, 5));
        // Missing: the nearest ancestor.
        assert_eq!(locate(f, text, &p(&["b", "0", "w"])), (3, 5));
        assert_eq!(locate(f, text, &p(&["nope"])), (1, 1));
    }

    #[test]
    fn json_paths_locate_node_starts() {
        let text = "{\n  \"a\": 1,\n  \"b\": [ {\"x\": \"s\\\"t\"}, 2 ]\n}";
        let f = Format::Json;
        assert_eq!(locate(f, text, &p(&["a"])), (2, 8));
        assert_eq!(locate(f, text, &p(&["b", "0", "x"])), (3, 16));
        assert_eq!(locate(f, text, &p(&["b", "1"])), (3, 25));
        assert_eq!(locate(f, text, &p(&["b", "5"])), (3, 8));
        let t = json_tree(text).unwrap();
        // The key "x" ends at column 13; the string "s\"t" at 21.
        assert_eq!(t.start_of_token_ending_at((3, 13)), Some((3, 11)));
        assert_eq!(t.start_of_token_ending_at((3, 21)), Some((3, 16)));
    }
}
