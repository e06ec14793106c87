//! Fault injection: what can go wrong, when, and how it is applied. Each fault is a trace line
//! (`verb: "fault"`, `kind: "Fault"`, `name`: the target, `object`: `{"type": ..., parameters}`).

use crate::api::{Control, Msg};
use crate::sim::{ActorId, Latency, Sim, SimDuration, SimTime, TraceRecord};
use serde::{Deserialize, Serialize};

/// The actor name fault lines carry.
pub const INJECTOR: &str = "fault-injector";

/// A fault, as a scenario action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Fault {
    /// The API server is down for `duration`: requests fail (connection refused), watches
    /// break; clients retry with back-off and re-list.
    ApiServerDown { duration: SimDuration },
    /// Store writes take `latency` for `duration`.
    StoreLatency {
        duration: SimDuration,
        latency: Latency,
    },
    /// The store's history is compacted to the current revision now (watchers behind get 410).
    Compact,
}

impl Fault {
    pub fn type_name(&self) -> &'static str {
        match self {
            Fault::ApiServerDown { .. } => "ApiServerDown",
            Fault::StoreLatency { .. } => "StoreLatency",
            Fault::Compact => "Compact",
        }
    }

    /// The `object` of the fault's trace line: `{"type": <name>, <parameters>}`.
    pub fn object_json(&self) -> String {
        let head = format!("{{\"type\":\"{}\"", self.type_name());
        // Serialized externally tagged: {"Name":{params}} or "Name" for a unit variant.
        match serde_json::to_value(self).expect("faults serialize") {
            serde_json::Value::Object(m) => match m.into_iter().next() {
                Some((_, serde_json::Value::Object(params))) if !params.is_empty() => {
                    let body = serde_json::Value::Object(params).to_string();
                    format!("{head},{}", &body[1..])
                }
                _ => format!("{head}}}"),
            },
            _ => format!("{head}}}"),
        }
    }
}

/// The components faults act on.
#[derive(Clone, Copy, Debug)]
pub struct Targets {
    pub apiserver: ActorId,
}

/// Applies `fault` at the simulation's current time: writes its trace line and delivers it.
pub fn inject(sim: &mut Sim<Msg>, targets: Targets, fault: &Fault) {
    let now = sim.now();
    let name = sim.name(targets.apiserver).to_string();
    sim.trace_mut().record(&TraceRecord {
        t_us: now.as_micros(),
        actor: INJECTOR,
        verb: "fault",
        kind: "Fault",
        namespace: "",
        name: &name,
        rv: 0,
        object: &fault.object_json(),
    });
    let until = |d: &SimDuration| SimTime(now.as_micros() + d.as_micros());
    let control = match fault {
        Fault::ApiServerDown { duration } => Control::ApiServerDown {
            until: until(duration),
        },
        Fault::StoreLatency { duration, latency } => Control::StoreLatency {
            latency: *latency,
            until: until(duration),
        },
        Fault::Compact => Control::CompactNow,
    };
    sim.post_at(
        now,
        targets.apiserver,
        targets.apiserver,
        Msg::Control(control),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_objects() {
        let cases = [
            (
                Fault::ApiServerDown {
                    duration: SimDuration::from_secs(120),
                },
                r#"{"type":"ApiServerDown","duration":"2m0s"}"#,
            ),
            (Fault::Compact, r#"{"type":"Compact"}"#),
            (
                Fault::StoreLatency {
                    duration: SimDuration::from_secs(60),
                    latency: Latency::fixed(SimDuration::from_millis(500)),
                },
                r#"{"type":"StoreLatency","duration":"1m0s","latency":{"max":"500ms","min":"500ms"}}"#,
            ),
        ];
        for (f, want) in cases {
            assert_eq!(f.object_json(), want);
        }
    }
}
