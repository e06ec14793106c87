//! Criterion benchmarks for kubesim; see benches/benches/.
