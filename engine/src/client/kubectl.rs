//! `kubectl`: the user's client. Carries out timed commands (create, scale, delete) through the
//! API server like any other client, and keeps every failure for the report.

use super::apiclient::ApiClient;
use crate::api::{ApiError, Kind, Msg, Object, Reply, Response};
use crate::sim::{Actor, Context, Input, SimTime};
use std::collections::BTreeMap;

/// One user command.
#[derive(Clone, Debug)]
pub enum Command {
    Create(Box<Object>),
    /// Set `spec.replicas` (read, modify, write; retried on conflict).
    Scale {
        kind: Kind,
        namespace: String,
        name: String,
        replicas: i32,
    },
    Delete {
        kind: Kind,
        namespace: String,
        name: String,
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
            Command::Scale {
                kind,
                namespace,
                name,
                replicas,
            } => format!("scale {kind} {namespace}/{name} --replicas={replicas}"),
            Command::Delete {
                kind,
                namespace,
                name,
            } => format!("delete {kind} {namespace}/{name}"),
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
    ScaleGet(usize),
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
            Command::Scale {
                kind,
                namespace,
                name,
                ..
            } => {
                let id = self.client.get(cx, *kind, namespace, name);
                self.pending.insert(id, Step::ScaleGet(i));
                return;
            }
            Command::Delete {
                kind,
                namespace,
                name,
            } => self.client.delete(cx, *kind, namespace, name, None),
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
                if matches!(self.commands[i].1, Command::Scale { .. }) {
                    self.run(i, cx); // read again and retry, as kubectl scale does
                } else {
                    self.fail(i, e, cx);
                }
            }
            (Step::Write(i), Err(e)) => self.fail(i, e, cx),
            (Step::ScaleGet(i), Ok(Reply::Object(o))) => {
                let Command::Scale { replicas, .. } = self.commands[i].1 else {
                    return;
                };
                let mut obj = (*o).clone();
                if let Object::ReplicaSet(rs) = &mut obj {
                    rs.spec.replicas = Some(replicas);
                }
                let id = self.client.update(cx, obj);
                self.pending.insert(id, Step::Write(i));
            }
            (Step::ScaleGet(i), Err(e)) => self.fail(i, e, cx),
            (Step::ScaleGet(_), Ok(_)) => {}
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
