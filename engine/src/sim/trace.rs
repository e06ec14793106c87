//! The trace: one JSON line per API write (and per fault or scheduling decision), and a blake3
//! digest over exactly those bytes, so `b3sum trace.jsonl` equals the digest `kubesim run` prints.

use std::io::Write;

/// One trace record. `object` is already-serialized JSON (the stored object after the write).
#[derive(Clone, Copy, Debug)]
pub struct TraceRecord<'a> {
    pub t_us: u64,
    pub actor: &'a str,
    pub verb: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub rv: u64,
    pub object: &'a str,
}

/// Records trace lines: hashes every line, and writes it to a sink or keeps it when asked.
pub struct Trace {
    hasher: blake3::Hasher,
    records: u64,
    sink: Option<Box<dyn Write>>,
    kept: Option<Vec<String>>,
    line: Vec<u8>,
    sink_error: Option<std::io::Error>,
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

impl Trace {
    /// A trace that only digests.
    pub fn new() -> Self {
        Trace {
            hasher: blake3::Hasher::new(),
            records: 0,
            sink: None,
            kept: None,
            line: Vec::with_capacity(1024),
            sink_error: None,
        }
    }

    /// Also write every line to `sink`.
    pub fn with_sink(mut self, sink: Box<dyn Write>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Also keep every line in memory (tests).
    pub fn keeping_lines(mut self) -> Self {
        self.kept = Some(Vec::new());
        self
    }

    /// Appends one record; its `seq` is the number of records before it.
    pub fn record(&mut self, r: &TraceRecord<'_>) {
        let l = &mut self.line;
        l.clear();
        l.extend_from_slice(b"{\"t_us\":");
        l.extend_from_slice(r.t_us.to_string().as_bytes());
        l.extend_from_slice(b",\"seq\":");
        l.extend_from_slice(self.records.to_string().as_bytes());
        for (key, value) in [
            ("actor", r.actor),
            ("verb", r.verb),
            ("kind", r.kind),
            ("namespace", r.namespace),
            ("name", r.name),
        ] {
            l.extend_from_slice(b",\"");
            l.extend_from_slice(key.as_bytes());
            l.extend_from_slice(b"\":");
            serde_json::to_writer(&mut *l, value).expect("writing to a Vec cannot fail");
        }
        l.extend_from_slice(b",\"rv\":");
        l.extend_from_slice(r.rv.to_string().as_bytes());
        l.extend_from_slice(b",\"object\":");
        l.extend_from_slice(r.object.as_bytes());
        l.extend_from_slice(b"}\n");
        self.hasher.update(l);
        self.records += 1;
        if let Some(sink) = self.sink.as_mut() {
            if self.sink_error.is_none() {
                if let Err(e) = sink.write_all(l) {
                    self.sink_error = Some(e);
                }
            }
        }
        if let Some(kept) = self.kept.as_mut() {
            kept.push(String::from_utf8_lossy(&l[..l.len() - 1]).into_owned());
        }
    }

    /// Records written so far.
    pub fn len(&self) -> u64 {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The digest of every line so far, as 64 lowercase hex characters.
    pub fn digest(&self) -> String {
        self.hasher.finalize().to_hex().to_string()
    }

    /// Lines kept in memory, if asked for.
    pub fn lines(&self) -> Option<&[String]> {
        self.kept.as_deref()
    }

    /// Flushes the sink; reports the first write error, if any.
    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.sink_error.take() {
            return Err(e);
        }
        if let Some(sink) = self.sink.as_mut() {
            sink.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str) -> TraceRecord<'_> {
        TraceRecord {
            t_us: 5,
            actor: "kube-apiserver",
            verb: "create",
            kind: "Pod",
            namespace: "default",
            name,
            rv: 2,
            object: "{\"a\":1}",
        }
    }

    #[test]
    fn digest_is_blake3_of_the_jsonl_bytes() {
        let mut t = Trace::new().keeping_lines();
        t.record(&rec("p\"1"));
        t.record(&rec("p2"));
        let lines = t.lines().unwrap();
        assert_eq!(
            lines[0],
            r#"{"t_us":5,"seq":0,"actor":"kube-apiserver","verb":"create","kind":"Pod","namespace":"default","name":"p\"1","rv":2,"object":{"a":1}}"#
        );
        let file: String = lines.iter().map(|l| format!("{l}\n")).collect();
        assert_eq!(
            t.digest(),
            blake3::hash(file.as_bytes()).to_hex().to_string()
        );
        for l in lines {
            serde_json::from_str::<serde_json::Value>(l).expect("each line is JSON");
        }
    }

    #[test]
    fn different_records_give_different_digests() {
        let mut a = Trace::new();
        let mut b = Trace::new();
        a.record(&rec("x"));
        b.record(&rec("y"));
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.digest().len(), 64);
    }
}
