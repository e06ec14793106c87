//! `kubectl`: the user's client. Carries out timed commands (create, scale, delete) through the
//! API server like any other client, and keeps every failure for the report.

use super::apiclient::ApiClient;
use crate::api::{ApiError, DeleteOptions, Kind, Msg, Object, Quantity, Reply, Response};
use crate::sim::{Actor, Context, Input, SimTime};
use std::collections::BTreeMap;

/// One change `kubectl` makes to an object it read.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// `spec.replicas` (`kubectl scale`).
    Replicas(i32),
    /// The image of the pod template's first container (`kubectl set image`).
    Image(String),
    /// A request of the pod template's first container (`kubectl set resources`).
    Request(String, Quantity),
    /// `spec.paused` (`kubectl rollout pause` / `resume`).
    Paused(bool),
}

impl Change {
    /// As a kubectl flag would say it ("replicas=4", "image=nginx:1.28").
    pub fn describe(&self) -> String {
        match self {
            Change::Replicas(n) => format!("replicas={n}"),
            Change::Image(i) => format!("image={i}"),
            Change::Request(r, q) => format!("requests.{r}={q}"),
            Change::Paused(p) => format!("paused={p}"),
        }
    }

    /// Applies the change; false if the object has no such field.
    pub fn apply(&self, o: &mut Object) -> bool {
        let (replicas, template, paused) = match o {
            Object::ReplicaSet(x) => (Some(&mut x.spec.replicas), Some(&mut x.spec.template), None),
            Object::Deployment(x) => (
                Some(&mut x.spec.replicas),
                Some(&mut x.spec.template),
                Some(&mut x.spec.paused),
            ),
            Object::DaemonSet(x) => (None, Some(&mut x.spec.template), None),
            _ => (None, None, None),
        };
        let container = template.and_then(|t| t.spec.containers.first_mut());
        match (self, replicas, container, paused) {
            (Change::Replicas(n), Some(r), _, _) => *r = Some(*n),
            (Change::Image(i), _, Some(c), _) => c.image = i.clone(),
            (Change::Request(res, q), _, Some(c), _) => {
                c.resources.requests.insert(res.clone(), *q);
            }
            (Change::Paused(b), _, _, Some(p)) => *p = *b,
            _ => return false,
        }
        true
    }
}

/// One user command.
#[derive(Clone, Debug)]
pub enum Command {
    Create(Box<Object>),
    /// Read, change, write back (retried on conflict).
    Modify {
        kind: Kind,
        namespace: String,
        name: String,
        changes: Vec<Change>,
    },
    Delete {
        kind: Kind,
        namespace: String,
        name: String,
        /// "Background", "Foreground" or "Orphan".
        propagation: Option<String>,
    },
}

impl Command {
    pub fn describe(&self) -> String {
        match self {
            Command::Create(o) => format!(
                "create {} {}/{}",
                o.kind(),
                o.meta().namespace,
                o.meta().name
            ),
            Command::Modify {
                kind,
                namespace,
                name,
                changes,
            } => {
                let what: Vec<String> = changes.iter().map(Change::describe).collect();
                format!("modify {kind} {namespace}/{name} {}", what.join(" "))
            }
            Command::Delete {
                kind,
                namespace,
                name,
                propagation,
            } => {
                let target = if namespace.is_empty() {
                    name.clone()
                } else {
                    format!("{namespace}/{name}")
                };
                match propagation {
                    Some(p) => format!("delete {kind} {target} --cascade={p}"),
                    None => format!("delete {kind} {target}"),
                }
            }
        }
    }
}

/// A command that failed, with when and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    pub at: SimTime,
    pub command: String,
    pub error: ApiError,
}

enum Step {
    Write(usize),
    Read(usize),
}

/// The kubectl actor.
pub struct Kubectl {
    client: ApiClient,
    commands: Vec<(SimTime, Command)>,
    pending: BTreeMap<u64, Step>,
    errors: Vec<CommandError>,
    done: usize,
}

impl Kubectl {
    pub fn new(client: ApiClient, commands: Vec<(SimTime, Command)>) -> Self {
        Kubectl {
            client,
            commands,
            pending: BTreeMap::new(),
            errors: Vec::new(),
            done: 0,
        }
    }

    /// Commands that failed.
    pub fn errors(&self) -> &[CommandError] {
        &self.errors
    }

    /// Commands that completed successfully.
    pub fn done(&self) -> usize {
        self.done
    }

    fn run(&mut self, i: usize, cx: &mut Context<'_, Msg>) {
        let id = match &self.commands[i].1 {
            Command::Create(o) => self.client.create(cx, (**o).clone()),
            Command::Modify {
                kind,
                namespace,
                name,
                ..
            } => {
                let id = self.client.get(cx, *kind, namespace, name);
                self.pending.insert(id, Step::Read(i));
                return;
            }
            Command::Delete {
                kind,
                namespace,
                name,
                propagation,
            } => {
                let options = DeleteOptions {
                    propagation_policy: propagation.clone(),
                    ..Default::default()
                };
                self.client.delete_with(cx, *kind, namespace, name, options)
            }
        };
        self.pending.insert(id, Step::Write(i));
    }

    fn fail(&mut self, i: usize, error: ApiError, cx: &Context<'_, Msg>) {
        self.errors.push(CommandError {
            at: cx.now(),
            command: self.commands[i].1.describe(),
            error,
        });
    }

    fn on_response(&mut self, resp: Response, cx: &mut Context<'_, Msg>) {
        let Some(step) = self.pending.remove(&resp.id) else {
            return;
        };
        match (step, resp.result) {
            (Step::Write(_), Ok(_)) => self.done += 1,
            (Step::Write(i), Err(e)) if e.is_conflict() => {
                if matches!(self.commands[i].1, Command::Modify { .. }) {
                    self.run(i, cx); // read again and retry, as kubectl does
                } else {
                    self.fail(i, e, cx);
                }
            }
            (Step::Write(i), Err(e)) => self.fail(i, e, cx),
            (Step::Read(i), Ok(Reply::Object(o))) => {
                let Command::Modify { changes, .. } = &self.commands[i].1 else {
                    return;
                };
                let mut obj = (*o).clone();
                for c in changes {
                    c.apply(&mut obj);
                }
                let id = self.client.update(cx, obj);
                self.pending.insert(id, Step::Write(i));
            }
            (Step::Read(i), Err(e)) => self.fail(i, e, cx),
            (Step::Read(_), Ok(_)) => {}
        }
    }
}

impl Actor<Msg> for Kubectl {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                for (i, (at, _)) in self.commands.iter().enumerate() {
                    cx.set_timer(at.since(cx.now()), i as u64);
                }
            }
            Input::Timer { tag, .. } => self.run(tag as usize, cx),
            Input::Message {
                msg: Msg::Response(r),
                ..
            } => self.on_response(*r, cx),
            Input::Message { .. } => {}
        }
    }
}
