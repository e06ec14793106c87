//! Answers an informer-based actor's start-up in unit tests: its List requests, then its
//! Watch requests (client-go reflector ListAndWatch, as `client/informer.rs` sends them).

use crate::api::{Kind, ObjectRef, Op, Reply, Request, Response};
use std::collections::BTreeMap;

/// Replies to the List requests among `reqs` with `items(kind)` at resourceVersion 1; panics
/// on any other request.
pub fn answer_lists(
    reqs: Vec<Request>,
    mut items: impl FnMut(Kind) -> Vec<ObjectRef>,
) -> Vec<Response> {
    reqs.into_iter()
        .map(|r| match r.op {
            Op::List { kind, .. } => Response {
                id: r.id,
                result: Ok(Reply::List {
                    items: items(kind),
                    resource_version: 1,
                }),
            },
            op => panic!("expected a list, got {op:?}"),
        })
        .collect()
}

/// Takes the Watch requests out of `reqs`: each kind's watch id, and the other requests.
pub fn take_watches(reqs: Vec<Request>) -> (BTreeMap<Kind, u64>, Vec<Request>) {
    let mut watches = BTreeMap::new();
    let mut rest = Vec::new();
    for r in reqs {
        match r.op {
            Op::Watch { watch_id, kind, .. } => {
                watches.insert(kind, watch_id);
            }
            _ => rest.push(r),
        }
    }
    (watches, rest)
}
