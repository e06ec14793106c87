//! kube-proxy: on every node, watches Services and EndpointSlices and programs the node's
//! service rules. Models pkg/proxy (the iptables proxier's syncProxyRules behind a
//! BoundedFrequencyRunner): a change schedules a sync no sooner than `min_sync_period` after
//! the previous one started; a sync snapshots the caches and its rules take effect
//! `sync_latency` later (the time iptables-restore takes); every `sync_period` a full resync runs
//! even without changes. kube-proxy writes nothing to the API; the programmed state is read
//! through `routes` and `programmed`.
//!
//! Endpoint selection (pkg/proxy/topology.go CategorizeEndpoints, cluster traffic policy): the
//! ready endpoints; when none is ready, the serving terminating ones (ProxyTerminatingEndpoints).

use crate::api::endpointslice::LABEL_SERVICE_NAME;
use crate::api::{Control, EndpointSlice, Kind, ListOptions, Msg, Service};
use crate::client::{ApiClient, Delta, Informer};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

const TIMER_SYNC: u64 = 1;
const TIMER_DONE: u64 = 2;
const TIMER_RESYNC: u64 = 3;

/// kube-proxy settings.
#[derive(Clone, Debug)]
pub struct KubeProxyConfig {
    /// `--iptables-min-sync-period`: at least this long between the starts of two syncs.
    pub min_sync_period: SimDuration,
    /// `--iptables-sync-period`: a full resync this often (ZERO: never).
    pub sync_period: SimDuration,
    /// How long programming the rules takes, uniform in [min, max].
    pub sync_latency: (SimDuration, SimDuration),
}

impl Default for KubeProxyConfig {
    fn default() -> Self {
        KubeProxyConfig {
            min_sync_period: SimDuration::from_secs(1),
            sync_period: SimDuration::from_secs(30),
            sync_latency: (SimDuration::from_millis(100), SimDuration::from_millis(300)),
        }
    }
}

/// Service key ("namespace/name") -> endpoint addresses traffic is routed to.
pub type Routes = BTreeMap<String, BTreeSet<String>>;

/// The kube-proxy actor of one node ("kube-proxy/<node>").
pub struct KubeProxy {
    node_name: String,
    config: KubeProxyConfig,
    client: ApiClient,
    services: Informer,
    slices: Informer,
    /// The rules in effect.
    routes: Routes,
    programmed: Vec<(SimTime, String, usize)>,
    /// A change arrived since the running (or last) sync took its snapshot.
    dirty: bool,
    sync_timer_set: bool,
    /// The snapshot being programmed, while a sync runs.
    running: Option<Routes>,
    last_sync_start: Option<SimTime>,
}

impl KubeProxy {
    pub fn new(node_name: String, client: ApiClient, config: KubeProxyConfig) -> Self {
        KubeProxy {
            node_name,
            config,
            client,
            services: Informer::new(Kind::Service, ListOptions::default()),
            slices: Informer::new(Kind::EndpointSlice, ListOptions::default()),
            routes: Routes::new(),
            programmed: Vec::new(),
            dirty: false,
            sync_timer_set: false,
            running: None,
            last_sync_start: None,
        }
    }

    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// The addresses a Service's traffic goes to, as programmed (None: no rules for it).
    pub fn routes(&self, namespace: &str, service: &str) -> Option<&BTreeSet<String>> {
        self.routes.get(&format!("{namespace}/{service}"))
    }

    /// All programmed rules.
    pub fn all_routes(&self) -> &Routes {
        &self.routes
    }

    /// Each change of a Service's rules: when it took effect, the service key and how many
    /// endpoints it then had (0 also when its rules were removed).
    pub fn programmed(&self) -> &[(SimTime, String, usize)] {
        &self.programmed
    }

    /// The rules the caches call for now.
    fn snapshot(&self) -> Routes {
        let mut out = Routes::new();
        for s in self.services.typed::<Service>() {
            let ip = &s.spec.cluster_ip;
            if ip.is_empty() || ip == "None" {
                continue;
            }
            let key = format!("{}/{}", s.metadata.namespace, s.metadata.name);
            let mut ready = BTreeSet::new();
            let mut fallback = BTreeSet::new();
            for sl in self.slices.typed::<EndpointSlice>() {
                if sl.metadata.namespace != s.metadata.namespace
                    || sl.metadata.labels.get(LABEL_SERVICE_NAME) != Some(&s.metadata.name)
                {
                    continue;
                }
                for ep in &sl.spec.endpoints {
                    let c = &ep.conditions;
                    if ep.is_ready() {
                        ready.extend(ep.addresses.iter().cloned());
                    } else if c.serving.unwrap_or(false) && c.terminating.unwrap_or(false) {
                        fallback.extend(ep.addresses.iter().cloned());
                    }
                }
            }
            out.insert(key, if ready.is_empty() { fallback } else { ready });
        }
        out
    }

    /// BoundedFrequencyRunner.Run: schedule a sync, no sooner than min_sync_period after the
    /// last one started, and never while one runs (its end looks again).
    fn request_sync(&mut self, cx: &mut Context<'_, Msg>) {
        self.dirty = true;
        if self.sync_timer_set || self.running.is_some() {
            return;
        }
        if !(self.services.has_synced() && self.slices.has_synced()) {
            return;
        }
        let now = cx.now();
        let due = self
            .last_sync_start
            .map_or(now, |t| (t + self.config.min_sync_period).max(now));
        self.sync_timer_set = true;
        cx.set_timer(due.since(now), TIMER_SYNC);
    }

    fn start_sync(&mut self, cx: &mut Context<'_, Msg>) {
        self.dirty = false;
        self.last_sync_start = Some(cx.now());
        self.running = Some(self.snapshot());
        let (lo, hi) = self.config.sync_latency;
        let d = cx.rng().uniform(lo.as_micros(), hi.as_micros());
        cx.set_timer(SimDuration::from_micros(d), TIMER_DONE);
    }

    fn finish_sync(&mut self, cx: &mut Context<'_, Msg>) {
        let Some(new) = self.running.take() else {
            return;
        };
        let now = cx.now();
        for (k, old) in &self.routes {
            if !new.contains_key(k) && !old.is_empty() {
                self.programmed.push((now, k.clone(), 0));
            }
        }
        for (k, set) in &new {
            if self.routes.get(k) != Some(set) {
                self.programmed.push((now, k.clone(), set.len()));
            }
        }
        self.routes = new;
        if self.dirty {
            self.request_sync(cx);
        }
    }

    fn on_deltas(&mut self, ds: Vec<Delta>, cx: &mut Context<'_, Msg>) {
        if !ds.is_empty() {
            self.request_sync(cx);
        }
    }
}

impl Actor<Msg> for KubeProxy {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.services.start(&mut self.client, cx);
                self.slices.start(&mut self.client, cx);
                if self.config.sync_period > SimDuration::ZERO {
                    cx.set_timer(self.config.sync_period, TIMER_RESYNC);
                }
            }
            Input::Timer {
                tag: TIMER_SYNC, ..
            } => {
                self.sync_timer_set = false;
                if self.running.is_none() {
                    self.start_sync(cx);
                }
            }
            Input::Timer {
                tag: TIMER_DONE, ..
            } => self.finish_sync(cx),
            Input::Timer {
                tag: TIMER_RESYNC, ..
            } => {
                cx.set_timer(self.config.sync_period, TIMER_RESYNC);
                self.request_sync(cx);
            }
            Input::Timer { .. } => {}
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => {
                    let synced = self.services.has_synced() && self.slices.has_synced();
                    let mut changed = false;
                    if let Some(ds) = self.services.on_response(&r, &mut self.client, cx) {
                        changed |= !ds.is_empty();
                    } else if let Some(ds) = self.slices.on_response(&r, &mut self.client, cx) {
                        changed |= !ds.is_empty();
                    }
                    let now_synced = self.services.has_synced() && self.slices.has_synced();
                    if changed || (!synced && now_synced) {
                        self.request_sync(cx);
                    }
                }
                Msg::Watch(w) => {
                    if let Some(ds) = self.services.on_watch(&w, &mut self.client, cx) {
                        self.on_deltas(ds, cx);
                    } else if let Some(ds) = self.slices.on_watch(&w, &mut self.client, cx) {
                        self.on_deltas(ds, cx);
                    }
                }
                Msg::Control(Control::ConnectionLost) => self.client.connection_lost(cx),
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}

#[cfg(test)]
#[path = "kubeproxy_tests.rs"]
mod tests;
