//! The EndpointSlice controller: for each Service with a selector, one EndpointSlice listing
//! the pods it selects. Models pkg/controller/endpointslice/endpointslice_controller.go and
//! staging/src/k8s.io/endpointslice/reconciler.go, simplified to a single slice per Service
//! (upstream splits at maxEndpointsPerSlice = 100).
//!
//! A pod is an endpoint when it has a podIP and is not terminal (ShouldPodBeInEndpoints with
//! includeTerminating = true). Conditions (podToEndpoint): serving = pod Ready, terminating =
//! deletionTimestamp set, ready = serving and not terminating. The controller writes only slices
//! it manages (label `endpointslice.kubernetes.io/managed-by`), never deletes one (the garbage
//! collector removes them with their Service), and after each write waits for its cache to show
//! that write before syncing the Service again (the endpointSliceTracker's stale check).

use crate::api::endpointslice::{
    Endpoint, EndpointConditions, EndpointPort, EndpointSliceSpec, ObjectReference,
    CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME,
};
use crate::api::{
    EndpointSlice, Kind, ListOptions, Msg, Object, ObjectRef, OwnerReference, Pod, Reply, Response,
    Service,
};
use crate::client::{ApiClient, Delta, Informer, WorkQueue};
use crate::sim::{Actor, Context, Input, SimDuration};
use std::collections::BTreeMap;

const TIMER_SYNC: u64 = 1;

/// The actor's name in the cluster.
pub const NAME: &str = "endpointslice-controller";

/// The endpointslice-controller actor.
pub struct EndpointSliceController {
    client: ApiClient,
    services: Informer,
    pods: Informer,
    slices: Informer,
    queue: WorkQueue,
    sync_timer_set: bool,
    /// Writes in flight: request id -> service key.
    pending: BTreeMap<u64, String>,
    /// Per service key, the (slice name, resourceVersion) of our last successful write, until
    /// the slice cache has caught up with it.
    expected: BTreeMap<String, (String, u64)>,
}

fn svc_key(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}

/// The key of the Service a slice we manage belongs to.
fn slice_service_key(o: &Object) -> Option<String> {
    let m = o.meta();
    if m.labels.get(LABEL_MANAGED_BY).map(String::as_str) != Some(CONTROLLER_NAME) {
        return None;
    }
    let svc = m.labels.get(LABEL_SERVICE_NAME)?;
    Some(svc_key(&m.namespace, svc))
}

/// Whether the Service selects pods with these labels (a Service without a selector selects
/// nothing: its endpoints are managed by hand).
fn selects(s: &Service, labels: &BTreeMap<String, String>) -> bool {
    !s.spec.selector.is_empty()
        && s.spec
            .selector
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
}

/// podToEndpoint, or None when the pod is not an endpoint (ShouldPodBeInEndpoints).
pub fn pod_to_endpoint(p: &Pod) -> Option<Endpoint> {
    if p.status.pod_ip.is_empty() || p.is_terminal() {
        return None;
    }
    let serving = p.is_ready();
    let terminating = p.metadata.deletion_timestamp.is_some();
    Some(Endpoint {
        addresses: vec![p.status.pod_ip.clone()],
        conditions: EndpointConditions {
            ready: Some(serving && !terminating),
            serving: Some(serving),
            terminating: Some(terminating),
        },
        node_name: (!p.spec.node_name.is_empty()).then(|| p.spec.node_name.clone()),
        target_ref: Some(ObjectReference {
            kind: "Pod".into(),
            namespace: p.metadata.namespace.clone(),
            name: p.metadata.name.clone(),
            uid: p.metadata.uid.clone(),
        }),
    })
}

/// The slice ports of a Service (targetPort is an int in kubesim; 0 means the port).
pub fn endpoint_ports(s: &Service) -> Vec<EndpointPort> {
    s.spec
        .ports
        .iter()
        .map(|p| EndpointPort {
            name: Some(p.name.clone()),
            protocol: Some(if p.protocol.is_empty() {
                "TCP".into()
            } else {
                p.protocol.clone()
            }),
            port: Some(if p.target_port == 0 {
                p.port
            } else {
                p.target_port
            }),
        })
        .collect()
}

impl EndpointSliceController {
    pub fn new(client: ApiClient) -> Self {
        EndpointSliceController {
            client,
            services: Informer::new(Kind::Service, ListOptions::default()),
            pods: Informer::new(Kind::Pod, ListOptions::default()),
            slices: Informer::new(Kind::EndpointSlice, ListOptions::default()),
            queue: WorkQueue::default(),
            sync_timer_set: false,
            pending: BTreeMap::new(),
            expected: BTreeMap::new(),
        }
    }

    fn synced(&self) -> bool {
        self.services.has_synced() && self.pods.has_synced() && self.slices.has_synced()
    }

    fn enqueue(&mut self, key: String, cx: &mut Context<'_, Msg>) {
        self.queue.add(key);
        self.kick(cx);
    }

    fn requeue_after_failure(&mut self, key: String, cx: &mut Context<'_, Msg>) {
        let due = self.queue.add_rate_limited(key, cx.now());
        cx.set_timer(due.since(cx.now()), TIMER_SYNC);
    }

    /// Arms the zero-delay sync timer when there is work and the caches have synced.
    fn kick(&mut self, cx: &mut Context<'_, Msg>) {
        if self.synced() && !self.sync_timer_set && !self.queue.is_empty() {
            self.sync_timer_set = true;
            cx.set_timer(SimDuration::ZERO, TIMER_SYNC);
        }
    }

    fn on_service_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let m = d.object().meta();
        let key = svc_key(&m.namespace, &m.name);
        if let Delta::Deleted(_) = d {
            self.expected.remove(&key);
            self.queue.forget(&key);
            return;
        }
        self.enqueue(key, cx);
    }

    /// getPodServiceMemberships for the pod's old and new labels.
    fn on_pod_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let objs: Vec<&ObjectRef> = match &d {
            Delta::Added(o) | Delta::Deleted(o) => vec![o],
            Delta::Updated { old, new } => vec![old, new],
        };
        let mut keys = Vec::new();
        for o in objs {
            let m = o.meta();
            for s in self.services.typed::<Service>() {
                if s.metadata.namespace == m.namespace && selects(s, &m.labels) {
                    keys.push(svc_key(&s.metadata.namespace, &s.metadata.name));
                }
            }
        }
        keys.sort();
        keys.dedup();
        for k in keys {
            self.enqueue(k, cx);
        }
    }

    fn on_slice_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        if let Some(key) = slice_service_key(d.object()) {
            self.enqueue(key, cx);
        }
    }

    /// The slices we manage for a Service, in name order.
    fn managed_slices(&self, ns: &str, name: &str) -> Vec<&EndpointSlice> {
        self.slices
            .typed::<EndpointSlice>()
            .filter(|s| {
                s.metadata.namespace == ns
                    && s.metadata
                        .labels
                        .get(LABEL_SERVICE_NAME)
                        .map(String::as_str)
                        == Some(name)
                    && s.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str)
                        == Some(CONTROLLER_NAME)
            })
            .collect()
    }

    /// What the slice of `svc` should hold.
    fn desired(&self, svc: &Service) -> EndpointSliceSpec {
        let ns = &svc.metadata.namespace;
        let mut endpoints: Vec<(String, Endpoint)> = self
            .pods
            .typed::<Pod>()
            .filter(|p| &p.metadata.namespace == ns && selects(svc, &p.metadata.labels))
            .filter_map(|p| pod_to_endpoint(p).map(|e| (p.metadata.name.clone(), e)))
            .collect();
        endpoints.sort_by(|a, b| a.0.cmp(&b.0));
        EndpointSliceSpec {
            address_type: "IPv4".into(),
            endpoints: endpoints.into_iter().map(|(_, e)| e).collect(),
            ports: endpoint_ports(svc),
        }
    }

    fn sync(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        if self.pending.values().any(|k| k == key) {
            // A write is in flight; its answer requeues the key.
            return;
        }
        let (ns, name) = key.split_once('/').expect("keys are namespace/name");
        let Some(Object::Service(svc)) = self.services.get(ns, name).map(|o| o.as_ref()) else {
            return;
        };
        if svc.spec.selector.is_empty() || svc.metadata.deletion_timestamp.is_some() {
            return;
        }
        let slices = self.managed_slices(ns, name);
        let stale = self.expected.get(key).map(|(slice, rv)| {
            !slices
                .iter()
                .any(|s| &s.metadata.name == slice && s.metadata.resource_version >= *rv)
        });
        let first = slices.first().map(|s| (*s).clone());
        match stale {
            // Stale cache: the slice's watch event re-enqueues the Service.
            Some(true) => return,
            Some(false) => {
                self.expected.remove(key);
            }
            None => {}
        }
        let Some(Object::Service(svc)) = self.services.get(ns, name).map(|o| o.as_ref()) else {
            return;
        };
        let spec = self.desired(svc);
        let req = match first {
            None => {
                let mut s = EndpointSlice::default();
                s.metadata.generate_name = format!("{name}-");
                s.metadata.namespace = ns.to_string();
                s.metadata.labels = BTreeMap::from([
                    (LABEL_SERVICE_NAME.to_string(), name.to_string()),
                    (LABEL_MANAGED_BY.to_string(), CONTROLLER_NAME.to_string()),
                ]);
                s.metadata.owner_references = vec![OwnerReference {
                    api_version: "v1".into(),
                    kind: "Service".into(),
                    name: name.to_string(),
                    uid: svc.metadata.uid.clone(),
                    controller: Some(true),
                    block_owner_deletion: Some(true),
                }];
                s.spec = spec;
                let obj = Object::EndpointSlice(s);
                self.client.create(cx, obj)
            }
            Some(cur) if cur.spec == spec => return,
            Some(mut s) => {
                s.spec = spec;
                self.client.update(cx, Object::EndpointSlice(s))
            }
        };
        self.pending.insert(req, key.to_string());
    }

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.services.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_service_delta(d, cx));
            self.kick(cx);
            return;
        }
        if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
            self.kick(cx);
            return;
        }
        if let Some(ds) = self.slices.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_slice_delta(d, cx));
            self.kick(cx);
            return;
        }
        let Some(key) = self.pending.remove(&resp.id) else {
            return;
        };
        match &resp.result {
            Ok(Reply::Object(o)) => {
                let m = o.meta();
                self.expected
                    .insert(key.clone(), (m.name.clone(), m.resource_version));
                self.queue.forget(&key);
                self.enqueue(key, cx);
            }
            Ok(_) => self.enqueue(key, cx),
            // 409 Conflict (stale resourceVersion) and every other failure: try again later.
            Err(_) => self.requeue_after_failure(key, cx),
        }
    }
}

impl Actor<Msg> for EndpointSliceController {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.services.start(&mut self.client, cx);
                self.pods.start(&mut self.client, cx);
                self.slices.start(&mut self.client, cx);
            }
            Input::Timer {
                tag: TIMER_SYNC, ..
            } => {
                self.sync_timer_set = false;
                self.queue.promote(cx.now());
                if !self.synced() {
                    return;
                }
                while let Some(key) = self.queue.pop() {
                    self.sync(&key, cx);
                }
            }
            Input::Timer { .. } => {}
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => {
                    if let Some(ds) = self.services.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_service_delta(d, cx));
                    } else if let Some(ds) = self.pods.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
                    } else if let Some(ds) = self.slices.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_slice_delta(d, cx));
                    }
                }
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}

#[cfg(test)]
#[path = "endpointslice_tests.rs"]
mod tests;
